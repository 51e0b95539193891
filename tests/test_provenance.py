"""Manifest and verification: hashes, seeds, config digest, benchmarks, and the ci run's manifest."""

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bigbadminima.cli import main
from bigbadminima.provenance import (
    MANIFEST_FORMAT,
    build_manifest,
    collect_seeds,
    config_digest,
    job_records,
    rule_benchmarks,
    sha256_file,
    verify_manifest,
)

from .conftest import REPO, run_snakemake

BENCHMARK_HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


@pytest.fixture
def run_folder(tmp_path):
    """A small results/ tree like a run's: data, a figure, a log, benchmarks, a stale partial file."""
    results = tmp_path / "results"
    (results / "tables").mkdir(parents=True)
    (results / "tables" / "t.csv").write_text("a,b\n1,2\n")
    (results / "figures").mkdir()
    (results / "figures" / "f.png").write_bytes(bytes(range(256)))
    (results / "figures" / ".f.png.x1.part").write_bytes(b"half")
    (results / "logs").mkdir()
    (results / "logs" / "rule.log").write_text("log line\n")
    (results / "benchmarks" / "simulate" / "n32").mkdir(parents=True)
    (results / "benchmarks" / "simulate" / "n32" / "seed1.tsv").write_text(BENCHMARK_HEADER + "1.5\t0:00:01\t200.5\t1\t1\t1\t0\t0\t50\t1.2\n")
    (results / "benchmarks" / "simulate" / "n32" / "seed2.tsv").write_text(BENCHMARK_HEADER + "2.5\t0:00:02\t150.0\t1\t1\t1\t0\t0\t50\t2.2\n")
    (results / "benchmarks" / "aggregate.tsv").write_text(BENCHMARK_HEADER + "0.25\t0:00:00\t-\t-\t-\t-\t-\t-\t-\t-\n")
    return tmp_path


def test_sha256_matches_hashlib(tmp_path):
    path = tmp_path / "blob"
    payload = b"x" * (3 << 20) + b"tail"  # several read chunks
    path.write_bytes(payload)
    assert sha256_file(path) == hashlib.sha256(payload).hexdigest()


def test_config_digest_ignores_key_order_but_not_values():
    assert config_digest({"a": 1, "b": [1, 2]}) == config_digest({"b": [1, 2], "a": 1})
    assert config_digest({"a": 1, "b": [1, 2]}) != config_digest({"a": 1, "b": [2, 1]})


def test_every_seed_is_collected_at_any_depth():
    config = {"simulation": {"seeds": [1, 2], "n": [32]}, "finite_size": {"study": {"seed": 7}}, "dynamics": {},
              "sizes": {"runs": [{"n": 8, "seeds": [3]}, {"n": 16}], "first_seed": 5, "amp_seeds": [9],
                        "seeded": True}}
    assert collect_seeds(config) == {
        "simulation.seeds": [1, 2], "finite_size.study.seed": 7, "sizes.runs[0].seeds": [3],
        "sizes.first_seed": 5, "sizes.amp_seeds": [9],
    }


def test_benchmarks_are_summed_and_maximised_per_rule(run_folder):
    rules = rule_benchmarks(run_folder / "results" / "benchmarks")
    assert rules["simulate"] == {"jobs": 2, "wall_s_total": 4.0, "wall_s_max": 2.5, "max_rss_mb": 200.5}
    assert rules["aggregate"] == {"jobs": 1, "wall_s_total": 0.25, "wall_s_max": 0.25, "max_rss_mb": None}


def test_manifest_lists_outputs_and_records_separately(run_folder):
    config = {"simulation": {"seeds": [1]}}
    manifest = build_manifest(run_folder / "results", config)
    assert manifest["format"] == MANIFEST_FORMAT
    assert sorted(manifest["outputs"]) == ["results/figures/f.png", "results/tables/t.csv"]
    assert sorted(manifest["logs"]) == [
        "results/benchmarks/aggregate.tsv", "results/benchmarks/simulate/n32/seed1.tsv",
        "results/benchmarks/simulate/n32/seed2.tsv", "results/logs/rule.log",
    ]
    assert manifest["outputs"]["results/figures/f.png"] == {
        "sha256": hashlib.sha256(bytes(range(256))).hexdigest(), "bytes": 256,
    }
    assert manifest["seeds"] == {"simulation.seeds": [1]} and manifest["config_sha256"] == config_digest(config)
    assert manifest["git"]["commit"] is None or len(manifest["git"]["commit"]) == 40  # the package's checkout
    assert manifest["packages"]["numpy"] and manifest["rules"]["simulate"]["jobs"] == 2
    # bit identity needs the same BLAS kernels: the kernel family numpy's OpenBLAS runs is recorded
    numpy_blas = [pool for pool in manifest["platform"]["blas"] if "numpy" in pool["filepath"]]
    assert numpy_blas and all(pool["architecture"] for pool in numpy_blas)
    json.dumps(manifest, allow_nan=False)  # plain JSON


def test_verify_reports_changed_and_missing_files(run_folder):
    manifest = build_manifest(run_folder / "results", {})
    assert verify_manifest(manifest, run_folder) == []
    (run_folder / "results" / "tables" / "t.csv").write_text("a,b\n1,3\n")
    (run_folder / "results" / "logs" / "rule.log").unlink()
    found = {(mismatch.path, mismatch.kind) for mismatch in verify_manifest(manifest, run_folder)}
    assert found == {("results/tables/t.csv", "changed"), ("results/logs/rule.log", "missing")}
    assert [m.path for m in verify_manifest(manifest, run_folder, include_logs=False)] == ["results/tables/t.csv"]


def test_manifest_and_verify_commands(run_folder, capsys):
    manifest = run_folder / "results" / "manifest.json"
    config = json.dumps({"simulation": {"seeds": [3]}})
    excluded = run_folder / "results" / "logs" / "rule.log"
    status = main(["manifest", "--results", str(run_folder / "results"), "--config-json", config,
                   "--exclude", str(excluded), "--out", str(manifest)])
    assert status == 0
    content = json.loads(manifest.read_text())
    assert "results/manifest.json" not in content["outputs"] and "results/logs/rule.log" not in content["logs"]
    assert content["seeds"] == {"simulation.seeds": [3]}
    assert main(["verify", "--manifest", str(manifest)]) == 0
    (run_folder / "results" / "figures" / "f.png").write_bytes(b"different")
    capsys.readouterr()
    assert main(["verify", "--manifest", str(manifest), "--json"]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["mismatches"] == [{"path": "results/figures/f.png", "kind": "changed", "detail": report["mismatches"][0]["detail"]}]
    assert "differ from the manifest" in captured.err


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["verify", "--manifest", "nowhere/manifest.json"], "does not exist"),
        (["manifest", "--results", "nowhere", "--config-json", "{}", "--out", "m.json"], "does not exist"),
        (["manifest", "--results", ".", "--config-json", "{not json", "--out", "m.json"], "not valid JSON"),
        (["manifest", "--results", ".", "--config-json", "[1]", "--out", "m.json"], "JSON object"),
    ],
)
def test_bad_arguments_are_one_line_errors(arguments, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(arguments) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()


def test_verify_refuses_a_file_that_is_not_a_manifest(tmp_path, capsys):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"format": "something else"}))
    assert main(["verify", "--manifest", str(path)]) == 2
    assert "malformed" in capsys.readouterr().err


@pytest.mark.slow
def test_ci_run_manifest_covers_every_result_and_verifies(ci_run, tmp_path):
    results = ci_run / "results"
    manifest = json.loads((results / "manifest.json").read_text())
    on_disk = {path.relative_to(ci_run).as_posix() for path in results.rglob("*")
               if path.is_file() and not path.name.startswith(".")}
    # Written after the manifest: the manifest itself, its job's log and benchmark, and the verdict's.
    later = {"results/manifest.json", "results/logs/manifest.log", "results/benchmarks/manifest.tsv",
             "results/reproduction.passed", "results/logs/reproduction_verdict.log",
             "results/benchmarks/reproduction_verdict.tsv"}
    assert set(manifest["outputs"]) | set(manifest["logs"]) == on_disk - later
    assert "results/figures/gradient_flow.png" in manifest["outputs"] and "results/reproduction.csv" in manifest["outputs"]
    assert manifest["seeds"]["simulation.seeds"] == manifest["config"]["simulation"]["seeds"]
    assert manifest["config"]["simulation"]["n"] == [32, 64]  # the ci config, resolved
    assert manifest["rules"]["simulate"]["jobs"] == len(list((results / "benchmarks" / "simulate").rglob("*.tsv")))
    # every output but a committed results/README.md (absent from the test's copy) leads to its rule and command
    assert set(manifest["outputs"]) - set(manifest["produced_by"]) == {"results/README.md"} & set(manifest["outputs"])
    aggregate = manifest["produced_by"]["results/tables/simulation.csv"]
    assert aggregate["rule"] == "aggregate_simulation" and aggregate["command"].startswith("bigbadminima aggregate ")
    assert set(aggregate["inputs"]) == {path for path in manifest["outputs"] if path.startswith("results/simulation/")}
    figure = manifest["produced_by"]["results/figures/dynamics.png"]
    assert figure["rule"] == "fig_dynamics" and "workflow/notebooks/fig_dynamics.py" in figure["inputs"]
    assert main(["verify", "--manifest", str(results / "manifest.json")]) == 0
    # A copy with one changed byte fails verification (the shared ci run stays untouched).
    copy = tmp_path / "copy"
    shutil.copytree(ci_run / "results", copy / "results")
    table = copy / "results" / "tables" / "simulation.csv"
    table.write_bytes(table.read_bytes().replace(b"3,", b"4,", 1))
    assert main(["verify", "--manifest", str(copy / "results" / "manifest.json")]) == 1


@pytest.mark.slow
def test_html_report_and_rulegraph_of_the_ci_run(ci_run, tmp_path):
    report = tmp_path / "report.html"
    completed = run_snakemake(ci_run, "--configfile", "workflow/config/ci.yaml", "--report", str(report))
    assert completed.returncode == 0, completed.stderr[-3000:]
    text = report.read_text()
    figures = [figure["name"] for figure in yaml.safe_load((REPO / "workflow" / "figures.yaml").read_text())]
    for item in ("bigbadminima: gradient flow in the spiked matrix-tensor model", "0. Reproduction checks",
                 "reproduction.html", "manifest.json", *[f"{name}.png" for name in figures],
                 *[f"fig_{name}.html" for name in figures]):
        assert item in text, item
    assert '"filename": "phase_diagram.png"' in text and '"filename": "phase_diagram.pdf"' not in text  # PNG only
    if shutil.which("chromium"):  # the page as a browser renders it: the landing page lists every figure
        dom = subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
                              "--virtual-time-budget=15000", "--dump-dom", report.as_uri()],
                             capture_output=True, text=True, timeout=300)
        assert all(f"{name}.png" in dom.stdout for name in figures) and "How to read it" in dom.stdout
    if shutil.which("dot") is None:
        pytest.skip("graphviz 'dot' is not installed (make setup installs it where root has apt)")
    graph = run_snakemake(ci_run, "--configfile", "workflow/config/ci.yaml", "--rulegraph")
    drawn = subprocess.run(["dot", "-Tsvg"], input=graph.stdout, capture_output=True, text=True, timeout=60)
    assert drawn.returncode == 0 and "<svg" in drawn.stdout
    for rule in ("simulate", "check_simulation", "reproduction", "manifest", "reproduction_verdict"):
        assert f">{rule}<" in drawn.stdout, rule


def test_job_records_are_read_where_snakemake_writes_them(tmp_path):
    """Records of short and of long output paths (base64 cut into NAME_MAX pieces), found through
    Snakemake's own path function, so a change of its layout fails here."""
    from types import SimpleNamespace

    from snakemake.persistence.file import FilePersistence as Persistence

    layout = SimpleNamespace(_fetch_max_len=lambda subject: os.pathconf(subject, "PC_NAME_MAX"))
    outputs = ["results/tables/a.csv", "results/" + "/".join(["deep_folder_name"] * 30) + "/b.csv"]
    for output in outputs:
        record = Path(Persistence._record_path(layout, str(tmp_path), output))
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps({"rule": "r", "input": ["x"], "shellcmd": f"make {output}", "code": "..."}))
    assert len(Path(Persistence._record_path(layout, str(tmp_path), outputs[1])).parts) > len(tmp_path.parts) + 1
    produced = job_records(tmp_path, [*outputs, "results/not_made_by_a_job.csv"])
    assert produced == {output: {"rule": "r", "inputs": ["x"], "command": f"make {output}"} for output in outputs}
