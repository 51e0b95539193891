"""Instance records: a small, verifiable file instead of a multi-GB tensor.

An instance is regenerated from (p, N, Δ2, Δp, seed). Its record (JSON) keeps that
specification, the spike x* itself (so a reviewer can read it without running
anything) and SHA-256 digests of the spike and of both noise streams. Loading a
record regenerates the instance and checks every digest: a corrupted record, or a
change of the generator that would silently change the data, is an error.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np

from .model import Instance, InstanceSpec
from .params import ModelParams

__all__ = ["InstanceFileError", "check_instance_spec", "instance_record", "load_instance", "read_instance_record"]

RECORD_FORMAT = "bigbadminima.instance/1"


class InstanceFileError(ValueError):
    """A missing, unreadable, corrupted or inconsistent instance record."""


def _body_checksum(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def instance_record(instance: Instance) -> dict:
    """The JSON-ready record of an instance (specification, spike, digests, self-checksum)."""
    spec = instance.spec
    body = {
        "format": RECORD_FORMAT,
        "p": spec.params.p,
        "n": spec.n,
        "delta2": spec.params.delta2,
        "delta_p": spec.params.delta_p if math.isfinite(spec.params.delta_p) else "inf",
        "seed": spec.seed,
        "spike": instance.spike.tolist(),
        "digests": dict(instance.digests),
    }
    return {**body, "record_sha256": _body_checksum(body)}


#: The digests every record must carry (those :meth:`Instance.generate` computes).
REQUIRED_DIGESTS = ("spike_sha256", "matrix_noise_sha256", "tensor_noise_sha256")


def read_instance_record(path: str | Path) -> tuple[InstanceSpec, dict]:
    """Read and self-check a record; return its specification and the record."""
    path = Path(path)
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        raise InstanceFileError(f"instance file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InstanceFileError(f"instance file {path} is not a readable JSON record: {exc}") from None
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
        raise InstanceFileError(f"instance file {path} is not a {RECORD_FORMAT} record")
    stored = record.pop("record_sha256", None)
    if stored != _body_checksum(record):
        raise InstanceFileError(f"instance file {path} is corrupted: its checksum does not match its content")
    digests = record.get("digests")
    if not isinstance(digests, dict) or sorted(digests) != sorted(REQUIRED_DIGESTS):
        raise InstanceFileError(f"instance file {path} must carry exactly the digests {list(REQUIRED_DIGESTS)}, "
                                f"has {sorted(digests) if isinstance(digests, dict) else digests!r}")
    try:
        delta_p = math.inf if record["delta_p"] == "inf" else record["delta_p"]
        spec = InstanceSpec(ModelParams(record["p"], record["delta2"], delta_p), record["n"], record["seed"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InstanceFileError(f"instance file {path} has an invalid specification: {exc}") from None
    return spec, record


def check_instance_spec(path: str | Path, spec: InstanceSpec, expected: InstanceSpec) -> None:
    """Refuse a record whose (p, N, Δ2, Δp, seed) is not exactly the one asked for."""
    recorded = {"p": spec.params.p, "N": spec.n, "Δ2": spec.params.delta2, "Δp": spec.params.delta_p,
                "seed": spec.seed}
    asked = {"p": expected.params.p, "N": expected.n, "Δ2": expected.params.delta2,
             "Δp": expected.params.delta_p, "seed": expected.seed}
    differ = [f"{name} = {recorded[name]!r} (asked {asked[name]!r})" for name in recorded if recorded[name] != asked[name]]
    if differ:
        raise InstanceFileError(f"instance file {path} is not the instance asked for: it has {', '.join(differ)}")


def load_instance(path: str | Path, tensor_layout: str = "dense", expected: InstanceSpec | None = None) -> Instance:
    """Regenerate the instance of a record and verify it digest by digest.

    ``expected``: the specification the caller asked for; a record of another one is refused.
    """
    spec, record = read_instance_record(path)
    if expected is not None:
        check_instance_spec(path, spec, expected)
    instance = Instance.generate(spec, tensor_layout=tensor_layout)
    if not np.array_equal(np.asarray(record["spike"]), instance.spike):
        raise InstanceFileError(f"instance file {path}: the regenerated spike differs from the recorded one")
    for name in REQUIRED_DIGESTS:
        if instance.digests[name] != record["digests"][name]:
            raise InstanceFileError(
                f"instance file {path}: {name} of the regenerated instance differs from the record "
                "(different generator or corrupted record)"
            )
    return instance
