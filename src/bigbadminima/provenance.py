"""Provenance of a pipeline run: what was run, on what, with which seeds, and what it produced.

The manifest (``results/manifest.json``, written by ``bigbadminima manifest``) records

* the git commit of the checkout and whether it had uncommitted changes,
* the versions of the packages the results depend on, and the platform,
* the resolved configuration (defaults filled in) and its SHA-256,
* every seed in the configuration (any key named ``seed``, ``seeds``, ``*_seed`` or ``*_seeds``, at
  any depth),
* the SHA-256 and size of every file under the results folder, data and figures in
  ``outputs``, logs and benchmark files in ``logs`` (they carry times and host details),
* wall time and peak memory per rule, summed and maximised over that rule's jobs, read
  from the ``benchmark:`` files Snakemake writes,
* for every output a job wrote: its rule, its inputs and the exact command (``produced_by``), read
  from Snakemake's own job records (``.snakemake/metadata``), so an output leads to the line of the
  workflow and the command line that made it.

``verify_manifest`` re-hashes the files and lists every mismatch: a changed or missing file, and a
file under the results folder that the manifest does not list (``unlisted``); it recomputes the
configuration's digest and refuses an empty or malformed manifest. Standard library only:
the manifest can be checked without the scientific stack.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

__all__ = [
    "MANIFEST_FORMAT",
    "Mismatch",
    "build_manifest",
    "collect_seeds",
    "config_digest",
    "file_digests",
    "git_state",
    "job_records",
    "package_versions",
    "platform_info",
    "rule_benchmarks",
    "sha256_file",
    "verify_manifest",
]

MANIFEST_FORMAT = "bigbadminima.manifest/1"

#: Distributions whose versions can change a number or a figure.
TRACKED_PACKAGES = (
    "bigbadminima", "numpy", "scipy", "pandas", "numba", "llvmlite", "matplotlib", "seaborn",
    "snakemake", "papermill", "jupytext", "nbconvert", "nbformat", "ipykernel", "jsonschema", "pyyaml",
)

#: Folders (directly under the results folder) whose files are run records rather than results.
RECORD_FOLDERS = ("logs", "benchmarks")
#: Files under the results folder written after the manifest (the verdict, `make report`): not hashed.
WRITTEN_AFTER = ("reproduction.passed", "report.html", "rulegraph.svg")

_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _is_listed(path: Path) -> bool:
    """Hidden files (a temporary ``.name.part`` of an interrupted write, editor files) are not results."""
    return not path.name.startswith(".")


def file_digests(root: str | os.PathLike, base: str | os.PathLike, exclude: Iterable[str | os.PathLike] = ()) -> dict:
    """{path relative to ``base``: {"sha256", "bytes"}} for every listed file under ``root``, sorted."""
    root, base = Path(root).resolve(), Path(base).resolve()
    excluded = {Path(path).resolve() for path in exclude}
    digests = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and _is_listed(path) and path not in excluded:
            digests[path.relative_to(base).as_posix()] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    return digests


def git_state(*folders: str | os.PathLike) -> dict:
    """{"checkout", "commit", "dirty"} of the first of ``folders`` that lies in a git checkout.

    ``dirty`` counts tracked files only: untracked files (results, scratch) do not make a
    checkout dirty. All None where no folder is in a checkout or git is missing.
    """

    def git(folder, *arguments: str) -> str:
        return subprocess.run(
            ["git", *arguments], cwd=folder, capture_output=True, text=True, check=True, timeout=60
        ).stdout.strip()

    for folder in folders:
        try:
            return {
                "checkout": git(folder, "rev-parse", "--show-toplevel"),
                "commit": git(folder, "rev-parse", "HEAD"),
                "dirty": bool(git(folder, "status", "--porcelain", "--untracked-files=no")),
            }
        except (OSError, subprocess.SubprocessError):
            continue
    return {"checkout": None, "commit": None, "dirty": None}


def package_versions(names: Iterable[str] = TRACKED_PACKAGES) -> dict:
    """{distribution: version or None when not installed}."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def blas_libraries() -> list[dict]:
    """The BLAS libraries numpy and scipy load, with the kernel family OpenBLAS chose.

    Results are bit-identical only between runs on the same kernels: OpenBLAS picks them from the
    CPU, or from ``OPENBLAS_CORETYPE``, and two kernel families sum a dot product in different
    orders (README, "Determinism and resume"). Imported here, not at module level, so that
    ``verify_manifest`` keeps to the standard library.
    """
    from threadpoolctl import threadpool_info

    for module in ("numpy.linalg", "scipy.linalg"):  # each loads its own BLAS
        importlib.import_module(module)

    keys = ("internal_api", "version", "architecture", "filepath")
    return [{key: pool.get(key) for key in keys} for pool in threadpool_info() if pool.get("user_api") == "blas"]


def platform_info() -> dict:
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE"),
        "blas": blas_libraries(),
    }


def _canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def config_digest(config: Mapping) -> str:
    """SHA-256 of the configuration as canonical JSON (sorted keys, no spaces): key order does not matter."""
    return hashlib.sha256(_canonical_json(config).encode()).hexdigest()


def _is_seed_key(key) -> bool:
    return isinstance(key, str) and (key in ("seed", "seeds") or key.endswith(("_seed", "_seeds")))


def collect_seeds(config, prefix: str = "") -> dict:
    """{"section.key": value} for every key named ``seed``, ``seeds``, ``*_seed`` or ``*_seeds``, at
    any depth of the configuration, list items included (``finite_size.sizes[0].seeds``).

    Stages name their seeds this way, so a new stage's seeds appear here without a change.
    """
    seeds = {}
    items = config.items() if isinstance(config, Mapping) else enumerate(config)
    for key, value in items:
        path = f"{prefix}[{key}]" if isinstance(key, int) else (f"{prefix}.{key}" if prefix else str(key))
        if _is_seed_key(key):
            seeds[path] = value
        elif isinstance(value, (Mapping, list)):
            seeds.update(collect_seeds(value, path))
    return seeds


def _benchmark_rows(path: Path) -> list[dict]:
    with open(path, newline="") as stream:
        return list(csv.DictReader(stream, delimiter="\t"))


def _number(text: str | None) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):  # Snakemake writes "-" or "NA" where it measured nothing
        return None
    return value


def rule_benchmarks(folder: str | os.PathLike) -> dict:
    """Wall time and peak memory per rule from Snakemake's ``benchmark:`` files under ``folder``.

    The rule is the first path component under ``folder`` (``benchmarks/<rule>/...tsv`` or
    ``benchmarks/<rule>.tsv``, the project's convention). Per rule: number of jobs, total and
    largest wall time (s, column ``s``), largest resident set (MB, column ``max_rss``).
    """
    folder = Path(folder)
    per_rule: dict[str, dict] = {}
    for path in sorted(folder.rglob("*.tsv")):
        relative = path.relative_to(folder)
        rule = relative.parts[0] if len(relative.parts) > 1 else relative.stem
        entry = per_rule.setdefault(rule, {"jobs": 0, "wall_s_total": 0.0, "wall_s_max": 0.0, "max_rss_mb": None})
        for row in _benchmark_rows(path):
            entry["jobs"] += 1
            wall = _number(row.get("s")) or 0.0
            entry["wall_s_total"] += wall
            entry["wall_s_max"] = max(entry["wall_s_max"], wall)
            rss = _number(row.get("max_rss"))
            if rss is not None:
                entry["max_rss_mb"] = rss if entry["max_rss_mb"] is None else max(entry["max_rss_mb"], rss)
    for entry in per_rule.values():
        entry["wall_s_total"] = round(entry["wall_s_total"], 4)
    return per_rule


def job_records(metadata: str | os.PathLike, outputs: Iterable[str]) -> dict:
    """{output: {"rule", "inputs", "command"}} from Snakemake's job records for the given outputs.

    ``metadata``: Snakemake's record folder (``.snakemake/metadata``), where the record of an output
    lies under the URL-safe base64 of its path, cut into pieces of at most NAME_MAX - 1 characters
    (all but the last prefixed with "@"), as Snakemake writes it. Outputs without a record (a file
    not written by a job of the workflow) are left out.
    """
    metadata = Path(metadata)
    piece = os.pathconf(metadata, "PC_NAME_MAX") - 1 if os.name == "posix" else 254
    produced = {}
    for output in outputs:
        encoded = base64.urlsafe_b64encode(output.encode()).decode()
        pieces = [encoded[start:start + piece] for start in range(0, len(encoded), piece)]
        try:
            record = json.loads(metadata.joinpath(*["@" + part for part in pieces[:-1]], pieces[-1]).read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(record, dict) and isinstance(record.get("rule"), str):
            produced[output] = {"rule": record["rule"], "inputs": list(record.get("input") or []),
                                "command": record.get("shellcmd")}
    return produced


def build_manifest(results: str | os.PathLike, config: Mapping, exclude: Iterable[str | os.PathLike] = (),
                   snakemake_metadata: str | os.PathLike | None = None) -> dict:
    """The manifest of the run whose outputs are under ``results`` (see the module docstring).

    File paths are relative to the parent of ``results`` (the working directory of the run).
    ``exclude``: files not to hash (the manifest itself, the log the manifest job is writing).
    ``snakemake_metadata``: Snakemake's job records, for ``produced_by`` (empty without them).
    The git state is that of the run's working directory or, when it is not a checkout (a copy
    of the workflow), of the checkout the imported package comes from.
    """
    results = Path(results).resolve()
    exclude = [Path(path).resolve() for path in exclude] + [results / name for name in WRITTEN_AFTER]
    outputs, records = {}, {}
    for path, entry in file_digests(results, results.parent, exclude).items():
        folder = Path(path).parts[1]  # path = "<results>/<folder>/..." or "<results>/<file>"
        (records if folder in RECORD_FOLDERS else outputs)[path] = entry
    return {
        "format": MANIFEST_FORMAT,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git": git_state(results.parent, Path(__file__).parent),
        "packages": package_versions(),
        "platform": platform_info(),
        "config": config,
        "config_sha256": config_digest(config),
        "seeds": collect_seeds(config),
        "rules": rule_benchmarks(results / "benchmarks"),
        "outputs": outputs,
        "produced_by": job_records(snakemake_metadata, outputs) if snakemake_metadata is not None else {},
        "logs": records,
        "results_folder": results.name,
        "not_hashed": sorted(_relative(path, results.parent) for path in exclude),
    }


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


@dataclass(frozen=True)
class Mismatch:
    """A file that no longer matches the manifest: ``kind`` is "changed" or "missing"."""

    path: str
    kind: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}" + (f" ({self.detail})" if self.detail else "")


def _file_entries(manifest: Mapping, key: str) -> dict:
    entries = manifest.get(key)
    if not isinstance(entries, dict):
        raise ValueError(f"its {key!r} must be a mapping of paths to digests")
    for path, entry in entries.items():
        if not (isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and len(entry["sha256"]) == 64):
            raise ValueError(f"its entry for {path!r} has no sha256 digest")
    return entries


def verify_manifest(manifest: Mapping, base: str | os.PathLike, include_logs: bool = True) -> list[Mismatch]:
    """Re-hash every file the manifest lists (paths relative to ``base``); return the mismatches, sorted.

    Mismatches: ``changed`` and ``missing`` files, and ``unlisted`` files under the results folder
    that the manifest neither lists nor names as written after it (logs and benchmarks only when
    ``include_logs``). Raises ValueError for a manifest that is malformed, lists no outputs, or
    whose configuration no longer matches its recorded digest.
    """
    if not isinstance(manifest, Mapping) or manifest.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"not a {MANIFEST_FORMAT} manifest")
    outputs, logs = _file_entries(manifest, "outputs"), _file_entries(manifest, "logs")
    if not outputs:
        raise ValueError("it lists no outputs")
    if not isinstance(manifest.get("config"), Mapping) or not isinstance(manifest.get("config_sha256"), str):
        raise ValueError("it has no configuration with its digest")
    if config_digest(manifest["config"]) != manifest["config_sha256"]:
        raise ValueError("its configuration does not match its config_sha256 (edited after the run?)")
    listed = dict(outputs)
    if include_logs:
        listed.update(logs)
    mismatches = []
    for path, entry in sorted(listed.items()):
        file = Path(base) / path
        if not file.is_file():
            mismatches.append(Mismatch(path, "missing"))
            continue
        digest = sha256_file(file)
        if digest != entry["sha256"]:
            mismatches.append(Mismatch(path, "changed", f"sha256 {digest[:12]}… != recorded {entry['sha256'][:12]}…"))
    folder = manifest.get("results_folder")
    if not isinstance(folder, str) or not folder or "/" in folder or folder.startswith("."):
        raise ValueError("it names no results folder")
    known = set(outputs) | set(logs) | set(manifest.get("not_hashed", []))
    for path in sorted((Path(base) / folder).rglob("*")):
        relative = _relative(path, Path(base))
        if not path.is_file() or not _is_listed(path) or relative in known:
            continue
        if not include_logs and Path(relative).parts[1:2] and Path(relative).parts[1] in RECORD_FOLDERS:
            continue
        mismatches.append(Mismatch(relative, "unlisted", "not in the manifest"))
    return sorted(mismatches, key=lambda mismatch: (mismatch.path, mismatch.kind))
