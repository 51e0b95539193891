"""Validation of the pipeline configuration against its JSON schemas, and file-name encoding.

The configuration has one top-level section per pipeline stage; section ``S`` is
described by ``<schema_dir>/S.schema.yaml``. Validation fills in the schema's
defaults and stops at the first invalid value with a message naming the key
(``simulation.n[1]: -3 is less than the minimum of 3``). Beyond the schemas it refuses
NaN and ±inf anywhere, a float such as 32.0 where an integer is meant, duplicate keys
in a YAML file (:func:`load_yaml_strict`), and instance sizes whose memory estimate
exceeds this machine. It never touches files other than the schemas and configs it is
pointed at.

File names carry parameter values through :func:`encode_value`, which is lossless: the
text reads back to the very same number, so two distinct values never share a file and
no value is rounded on its way to a job (the jobs get the exact value from the config).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import jsonschema
import yaml

__all__ = ["ConfigError", "encode_value", "load_yaml_strict", "validate_config"]


def encode_value(value) -> str:
    """A number as it appears in file names: the shortest text that reads back to the same value.

    2.0 -> '2', 1.6 -> '1.6', 2.1234567 -> '2.1234567', 1e-10 -> '1e-10', 1e16 -> '1e+16'.
    Integers as themselves; NaN and ±inf are refused (no file stands for them).
    """
    if isinstance(value, bool):
        raise ConfigError(f"a file-name value must be a number, got {value!r}")
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if not math.isfinite(value):
        raise ConfigError(f"a file-name value must be finite, got {value!r}")
    text = repr(value)
    if text.endswith(".0"):
        text = text[:-2]
    assert float(text) == value
    return text


class _StrictLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a mapping with the same key twice (safe_load keeps the last)."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1} of "
                              f"{key_node.start_mark.name}: YAML would silently keep only the last")
        seen.add(key)
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml_strict(path: str | Path):
    """Parse a YAML file safely, refusing duplicate keys (ConfigError naming the key and line)."""
    path = Path(path)
    try:
        with open(path) as stream:
            return yaml.load(stream, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"the configuration file {path} is not valid YAML: {exc}") from None


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


def _is_strict_integer(checker, instance) -> bool:
    """JSON Schema counts 32.0 as an integer; here an integer must be written as one."""
    return isinstance(instance, int) and not isinstance(instance, bool)


_TYPE_CHECKER = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_strict_integer)
_Validator = _with_defaults(jsonschema.validators.extend(jsonschema.Draft202012Validator,
                                                         type_checker=_TYPE_CHECKER))


def _non_finite_keys(value, path: str):
    """Key paths of every NaN or ±inf below ``value``."""
    if isinstance(value, float) and not math.isfinite(value):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _non_finite_keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_finite_keys(item, f"{path}[{index}]")


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
        bad = next(_non_finite_keys(config[section], section), None)
        if bad is not None:
            raise ConfigError(f"invalid configuration value at {bad}: NaN and ±inf are not allowed")
        schema = _load_schema(schema_dir / f"{section}.schema.yaml")
        errors = sorted(_Validator(schema).iter_errors(config[section]), key=lambda e: list(e.absolute_path))
        if errors:
            error = errors[0]
            raise ConfigError(f"invalid configuration value at {_key_path(section, error)}: {error.message}")
    check_memory_estimates(config)
    return config


def _instance_sizes(config: dict):
    """(key, p, N, layout, replicas) of every instance the configuration asks the jobs to build."""
    simulation = config.get("simulation", {})
    for index, n in enumerate(simulation.get("n", [])):
        yield (f"simulation.n[{index}]", simulation["p"], n, simulation["tensor_layout"], simulation["replicas"])
    finite_size = config.get("finite_size", {})
    for index, entry in enumerate(finite_size.get("sizes", [])):
        yield (f"finite_size.sizes[{index}].n", finite_size["p"], entry["n"], finite_size["tensor_layout"],
               entry["replicas"])
    convergence = config.get("convergence", {})
    for index, entry in enumerate(convergence.get("sizes", [])):
        yield (f"convergence.sizes[{index}].n", convergence["p"], entry["n"], convergence["tensor_layout"],
               entry["replicas"])
    landscape = config.get("landscape", {})
    if "n" in landscape:
        yield ("landscape.n", landscape["p"], landscape["n"], landscape["tensor_layout"], 1)


def check_memory_estimates(config: dict) -> None:
    """Refuse an instance size whose memory estimate exceeds this machine, naming its key."""
    from .resources import MemoryLimitError, check_instance_memory

    for key, p, n, layout, replicas in _instance_sizes(config):
        try:
            check_instance_memory(n, p, layout, replicas, what=key)
        except MemoryLimitError as exc:
            raise ConfigError(f"invalid configuration value at {key}: {exc}") from None
