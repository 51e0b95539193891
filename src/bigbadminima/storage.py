"""Instance records: a small, verifiable file instead of a multi-GB tensor.

An instance is regenerated from (p, N, Δ2, Δp, seed). Its record (JSON) keeps that
specification, the spike x* itself (so a reviewer can read it without running
anything) and SHA-256 digests of the spike and of both noise streams. Loading a
record regenerates the instance and checks every digest: a corrupted record, or a
change of the generator that would silently change the data, is an error.

An instance *set* is one file holding the records of several instances, in order (the
stages that run many small instances per job read one set instead of one file each).
Every command that uses an instance reads it from a record or a set: none regenerates
one from a seed on its own.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from .model import Instance, InstanceSpec
from .params import ModelParams

__all__ = [
    "InstanceFileError", "check_instance_spec", "instance_record", "instance_set_record", "load_instance",
    "load_instance_set", "read_instance_record", "read_instance_set",
]

RECORD_FORMAT = "bigbadminima.instance/1"
SET_FORMAT = "bigbadminima.instance-set/1"


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


def _read_json(path: Path, form: str) -> dict:
    """A self-checksummed JSON body of format ``form`` (``record_sha256`` removed)."""
    try:
        body = json.loads(path.read_text())
    except FileNotFoundError:
        raise InstanceFileError(f"instance file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InstanceFileError(f"instance file {path} is not a readable JSON record: {exc}") from None
    if not isinstance(body, dict) or body.get("format") != form:
        raise InstanceFileError(f"instance file {path} is not a {form} record")
    stored = body.pop("record_sha256", None)
    if stored != _body_checksum(body):
        raise InstanceFileError(f"instance file {path} is corrupted: its checksum does not match its content")
    return body


def _record_spec(record: dict, where: str) -> InstanceSpec:
    """The specification of one instance record, after checking it carries every digest."""
    digests = record.get("digests")
    if not isinstance(digests, dict) or sorted(digests) != sorted(REQUIRED_DIGESTS):
        raise InstanceFileError(f"{where} must carry exactly the digests {list(REQUIRED_DIGESTS)}, "
                                f"has {sorted(digests) if isinstance(digests, dict) else digests!r}")
    try:
        delta_p = math.inf if record["delta_p"] == "inf" else record["delta_p"]
        return InstanceSpec(ModelParams(record["p"], record["delta2"], delta_p), record["n"], record["seed"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InstanceFileError(f"{where} has an invalid specification: {exc}") from None


def read_instance_record(path: str | Path) -> tuple[InstanceSpec, dict]:
    """Read and self-check a record; return its specification and the record."""
    path = Path(path)
    record = _read_json(path, RECORD_FORMAT)
    return _record_spec(record, f"instance file {path}"), record


def read_instance_set(path: str | Path) -> list[tuple[InstanceSpec, dict]]:
    """Read and self-check an instance set; return (specification, record) of each member, in order."""
    path = Path(path)
    members = _read_json(path, SET_FORMAT).get("instances")
    if not isinstance(members, list) or not members or not all(isinstance(member, dict) for member in members):
        raise InstanceFileError(f"instance set {path} holds no list of instance records")
    return [(_record_spec(record, f"instance {k} of set {path}"), record) for k, record in enumerate(members)]


def check_instance_spec(where: str | Path, spec: InstanceSpec, expected: InstanceSpec) -> None:
    """Refuse a record whose (p, N, Δ2, Δp, seed) is not exactly the one asked for."""
    recorded = {"p": spec.params.p, "N": spec.n, "Δ2": spec.params.delta2, "Δp": spec.params.delta_p,
                "seed": spec.seed}
    asked = {"p": expected.params.p, "N": expected.n, "Δ2": expected.params.delta2,
             "Δp": expected.params.delta_p, "seed": expected.seed}
    differ = [f"{name} = {recorded[name]!r} (asked {asked[name]!r})" for name in recorded if recorded[name] != asked[name]]
    if differ:
        raise InstanceFileError(f"{where} is not the instance asked for: it has {', '.join(differ)}")


def _regenerate(where: str, spec: InstanceSpec, record: dict, tensor_layout: str) -> Instance:
    """Regenerate the instance of a checked record and verify it digest by digest."""
    instance = Instance.generate(spec, tensor_layout=tensor_layout)
    if not np.array_equal(np.asarray(record["spike"]), instance.spike):
        raise InstanceFileError(f"{where}: the regenerated spike differs from the recorded one")
    for name in REQUIRED_DIGESTS:
        if instance.digests[name] != record["digests"][name]:
            raise InstanceFileError(
                f"{where}: {name} of the regenerated instance differs from the record "
                "(different generator or corrupted record)"
            )
    return instance


def load_instance(path: str | Path, tensor_layout: str = "dense", expected: InstanceSpec | None = None) -> Instance:
    """Regenerate the instance of a record and verify it digest by digest.

    ``expected``: the specification the caller asked for; a record of another one is refused.
    """
    spec, record = read_instance_record(path)
    where = f"instance file {path}"
    if expected is not None:
        check_instance_spec(where, spec, expected)
    return _regenerate(where, spec, record, tensor_layout)


def instance_set_record(instances: Iterable[Instance]) -> dict:
    """The JSON-ready record of several instances, in order (each as :func:`instance_record`)."""
    body = {"format": SET_FORMAT, "instances": [instance_record(instance) for instance in instances]}
    return {**body, "record_sha256": _body_checksum(body)}


def load_instance_set(path: str | Path, expected: Sequence[InstanceSpec], tensor_layout: str = "dense") -> Iterator[Instance]:
    """Yield the instances of a set one at a time, each regenerated and verified digest by digest.

    ``expected``: the specifications asked for, in order; a set holding any other list is refused
    before the first instance is generated.
    """
    members = read_instance_set(path)
    if len(members) != len(expected):
        raise InstanceFileError(f"instance set {path} holds {len(members)} instances, {len(expected)} were asked for")
    for k, ((spec, _), asked) in enumerate(zip(members, expected)):
        check_instance_spec(f"instance {k} of set {path}", spec, asked)
    for k, (spec, record) in enumerate(members):
        yield _regenerate(f"instance {k} of set {path}", spec, record, tensor_layout)
