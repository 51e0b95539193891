"""The figure table (workflow/figures.yaml) is the one map from a figure to its rule, notebook and tables:
the figure rules are generated from it (workflow/rules/figures.smk), and the README's figure table, the
notebooks' parameter cells and the report's captions must agree with it."""

import ast
import io
import re

import docutils.core
import jupytext
import pytest
import yaml

from .conftest import REPO, copy_workflow, run_snakemake

FIGURES = yaml.safe_load((REPO / "workflow" / "figures.yaml").read_text())
NAMES = [figure["name"] for figure in FIGURES]
NOTEBOOKS = {figure["name"]: figure.get("notebook", figure["name"]) for figure in FIGURES}


def readme_figure_rows() -> list[list[str]]:
    """The cells of the README's figure table, row by row."""
    section = (REPO / "README.md").read_text().split("## Figures", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def parameter_names(name: str) -> set[str]:
    notebook = jupytext.read(REPO / "workflow" / "notebooks" / f"fig_{name}.py")
    cell = next(cell for cell in notebook.cells if "parameters" in cell.get("metadata", {}).get("tags", []))
    return {statement.targets[0].id for statement in ast.parse(cell.source).body}


def test_the_readme_figure_table_is_the_figure_table_in_its_order():
    rows = readme_figure_rows()
    assert [re.match(r"`(\w+)\.png/\.pdf`", row[0]).group(1) for row in rows] == NAMES
    for name, row in zip(NAMES, rows):
        assert row[2] == f"`fig_{name}` in `figures.smk`", row[2]
        assert row[3] == f"`fig_{NOTEBOOKS[name]}.py`", row[3]


def test_every_notebook_and_caption_belongs_to_one_figure():
    assert len(set(NAMES)) == len(NAMES)
    notebooks = sorted(path.stem.removeprefix("fig_") for path in (REPO / "workflow" / "notebooks").glob("fig_*.py"))
    assert notebooks == sorted(set(NOTEBOOKS.values()))
    captions = {path.stem for path in (REPO / "workflow" / "report").glob("*.rst")}
    assert set(NAMES) <= captions


@pytest.mark.parametrize("figure", FIGURES, ids=NAMES)
def test_the_rule_passes_every_notebook_parameter_and_nothing_else(figure):
    passed = {*figure["tables"], *figure.get("parameters", {}), *figure.get("values", {}), "figure_stem"}
    assert parameter_names(NOTEBOOKS[figure["name"]]) == passed


@pytest.mark.parametrize(("change", "message"), [
    (lambda table: table.append(dict(table[0])), "a name already used: 'phase_diagram'"),
    (lambda table: table[0].update(name="no_such_figure"), "has no workflow/notebooks/fig_no_such_figure.py"),
    (lambda table: table[0].update(tables=["thresholds"]), "tables of figure phase_diagram must map"),
    (lambda table: table[3].update(parameters={"main_p": "dynamics.no_key"}), "config key dynamics.no_key"),
    (lambda table: table[2].update(values={"p": [4]}), "values of figure dynamics_p4_dp4 must map"),
])
def test_a_broken_figure_table_stops_snakemake_with_its_reason(tmp_path, change, message):
    workdir = copy_workflow(tmp_path)
    table = yaml.safe_load((workdir / "workflow" / "figures.yaml").read_text())
    change(table)
    (workdir / "workflow" / "figures.yaml").write_text(yaml.safe_dump(table, sort_keys=False))
    completed = run_snakemake(workdir, "--dry-run", "--configfile", "workflow/config/ci.yaml")
    assert completed.returncode != 0 and message in completed.stdout + completed.stderr


def test_captions_carry_no_raw_markup():
    """The report renders captions as reStructuredText: a caret or inline LaTeX would show as typed."""
    for path in (REPO / "workflow" / "report").glob("*.rst"):
        text = path.read_text()
        assert "^" not in text and "$" not in text, path.name


def test_captions_render_without_docutils_errors():
    """Every caption and the landing page parse as reStructuredText without a warning (a bare |m|
    is a substitution reference: the report showed "Undefined substitution referenced" there)."""
    for path in sorted((REPO / "workflow" / "report").glob("*.rst")):
        text = path.read_text()
        # Snakemake defines one link target per report item, named by its file name
        text += "".join(f"\n.. _{name}: #" for name in sorted(set(re.findall(r"([\w-]+\.png)_", text))))
        messages = io.StringIO()
        docutils.core.publish_doctree(text, settings_overrides={"report_level": 2, "halt_level": 5,
                                                                "warning_stream": messages})
        assert not messages.getvalue(), f"{path.name}: {messages.getvalue()}"


def test_the_report_landing_page_lists_every_figure_in_order():
    page = (REPO / "workflow" / "report" / "workflow.rst").read_text()
    assert re.findall(r"^(\w+)\.png_ ", page, flags=re.M) == NAMES
