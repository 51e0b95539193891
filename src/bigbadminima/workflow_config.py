"""Validation of the pipeline configuration against its JSON schemas.

The configuration has one top-level section per pipeline stage; section ``S`` is
described by ``<schema_dir>/S.schema.yaml``. Validation fills in the schema's
defaults and stops at the first invalid value with a message naming the key
(``simulation.n[1]: -3 is less than the minimum of 3``). It never touches files
other than the schemas it is pointed at.
"""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml

__all__ = ["ConfigError", "validate_config"]


class ConfigError(ValueError):
    """An invalid configuration: unknown section or key, wrong type, out-of-range value."""


def _with_defaults(validator_class):
    """A validator that also writes each property's ``default`` into the instance."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema:
                    instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_Validator = _with_defaults(jsonschema.Draft202012Validator)


def _key_path(section: str, error: jsonschema.ValidationError) -> str:
    path = section
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _load_schema(path: Path) -> dict:
    try:
        return yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"no schema {path} for this configuration section") from None


def validate_config(config: dict, schema_dir: str | Path) -> dict:
    """Validate ``config`` in place (defaults filled in) and return it.

    Raises :class:`ConfigError` naming the first offending key.
    """
    schema_dir = Path(schema_dir)
    top = _load_schema(schema_dir / "config.schema.yaml")
    if not isinstance(config, dict):
        raise ConfigError("the configuration must be a mapping of sections")
    unknown = sorted(set(config) - set(top["properties"]))
    if unknown:
        raise ConfigError(f"unknown configuration section(s) {unknown}; known: {sorted(top['properties'])}")
    for section in top["properties"]:
        config.setdefault(section, {})
        if not isinstance(config[section], dict):
            raise ConfigError(f"{section}: must be a mapping of keys, got {config[section]!r}")
        schema = _load_schema(schema_dir / f"{section}.schema.yaml")
        errors = sorted(_Validator(schema).iter_errors(config[section]), key=lambda e: list(e.absolute_path))
        if errors:
            error = errors[0]
            raise ConfigError(f"invalid configuration value at {_key_path(section, error)}: {error.message}")
    return config
