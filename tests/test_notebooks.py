"""Notebook hygiene: diff-friendly sources, a papermill parameters cell, and standalone runs.

Figure notebooks are jupytext percent files (workflow/notebooks/fig_*.py). Each must run on
its own with its default parameters against the tables of a run, and then draw exactly the
figure the pipeline drew (figures are saved with fixed metadata, so bytes can be compared):
this also checks that the defaults agree with what the rule passes.
"""

import ast
import base64
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import jupytext
import nbformat
import pytest

from .conftest import ONE_THREAD, REPO

NOTEBOOKS = sorted((REPO / "workflow" / "notebooks").glob("*.py"))


def parameter_cells(notebook):
    return [cell for cell in notebook.cells if "parameters" in cell.get("metadata", {}).get("tags", [])]


def test_there_are_figure_notebooks():
    assert NOTEBOOKS and all(path.name.startswith("fig_") for path in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_a_percent_file_with_one_literal_parameters_cell(path):
    text = path.read_text()
    assert "format_name: percent" in text, "not a jupytext percent-format file"
    notebook = jupytext.reads(text, fmt="py:percent")
    cells = parameter_cells(notebook)
    assert len(cells) == 1, f"{len(cells)} cells tagged 'parameters'"
    # papermill overrides the cell by appending assignments: keep it plain `name = literal` lines.
    for statement in ast.parse(cells[0].source).body:
        assert isinstance(statement, ast.Assign) and len(statement.targets) == 1, ast.unparse(statement)
        assert isinstance(statement.targets[0], ast.Name), ast.unparse(statement)
        ast.literal_eval(statement.value)
    assert all(cell.get("outputs", []) == [] for cell in notebook.cells if cell.cell_type == "code")


def test_no_committed_notebook_carries_outputs():
    listed = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=REPO, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    for name in listed.stdout.split():
        notebook = nbformat.read(REPO / name, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{name} has outputs: strip them"


@pytest.fixture(scope="module")
def standalone_runs(ci_run, tmp_path_factory) -> dict:
    """{notebook: (its folder, the finished `bigbadminima notebook` process)}: every notebook run on
    its own with its default parameters against a copy of the ci run's tables. The runs are
    independent processes (one BLAS thread each), two at a time on the machine's two cores."""

    def run(path):
        folder = tmp_path_factory.mktemp(path.stem)
        shutil.copytree(ci_run / "results" / "tables", folder / "results" / "tables")
        completed = subprocess.run(
            [sys.executable, "-m", "bigbadminima", "notebook", str(path),
             "--executed", "standalone.ipynb", "--html", "standalone.html"],
            cwd=folder, capture_output=True, text=True, timeout=600, env={**os.environ, **ONE_THREAD},
        )
        return folder, completed

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(NOTEBOOKS, pool.map(run, NOTEBOOKS)))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_standalone_and_redraws_the_pipeline_figure(path, ci_run, standalone_runs):
    folder, completed = standalone_runs[path]
    assert completed.returncode == 0, completed.stderr[-3000:]
    drawn = sorted((folder / "results" / "figures").glob("*"))
    assert drawn, "the notebook wrote no figure under results/figures with its default parameters"
    for figure in drawn:
        pipeline = ci_run / "results" / "figures" / figure.name
        assert pipeline.is_file(), f"{figure.name}: the pipeline draws no such figure (default figure_stem?)"
        assert figure.read_bytes() == pipeline.read_bytes(), f"{figure.name} differs from the pipeline's"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_executed_notebook_shows_its_figure_and_prints_plain_values(path, ci_run):
    """The executed notebook and its HTML show the figure file itself; printouts carry no numpy reprs."""
    folder = ci_run / "results" / "notebooks"
    executed = nbformat.read(folder / f"{path.stem}.ipynb", as_version=4)
    outputs = [output for cell in executed.cells for output in cell.get("outputs", [])]
    images = [base64.b64decode(output["data"]["image/png"]) for output in outputs
              if "image/png" in output.get("data", {})]
    figure = ci_run / "results" / "figures" / f"{path.stem.removeprefix('fig_')}.png"
    assert images == [figure.read_bytes()]
    html = (folder / f"{path.stem}.html").read_text()
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', html)) == 1
    printed = "".join(output.get("text", "") + output.get("data", {}).get("text/plain", "") for output in outputs)
    assert not re.search(r"np\.(float|int|bool|str_)\w*\(", printed), printed


def test_plain_prints_numbers_without_numpy_reprs():
    import numpy as np

    from bigbadminima.plotting import plain

    assert plain([np.float64(1.4), np.float64(2.5)]) == "[1.4, 2.5]"
    assert plain({(np.float64(1.8), np.int64(32)): np.int64(4)}) == "{(1.8, 32): 4}"
    assert plain(np.array([1e-10, 0.001])) == "[1e-10, 0.001]"
    assert plain(["held", np.bool_(True)]) == "[held, True]"


@pytest.mark.parametrize(("draw", "problem"), [
    (lambda plt, new_figure: plt.subplots(figsize=(10, 3)), "width 10.00 in"),
    (lambda plt, new_figure: new_figure("page", 2.5), None),
    (lambda plt, new_figure: new_figure("column", 2.5), None),
])
def test_a_figure_must_have_a_printed_width(draw, problem):
    import matplotlib.pyplot as plt

    from bigbadminima.plotting import FigureNotPrintReady, check_print_ready, new_figure, set_style

    set_style()
    fig, ax = draw(plt, new_figure)
    ax.plot([0, 1], [0, 1])
    if problem is None:
        check_print_ready(fig)
    else:
        with pytest.raises(FigureNotPrintReady, match=problem):
            check_print_ready(fig)
    plt.close(fig)


@pytest.mark.parametrize(("spoil", "problem"), [
    (lambda fig, ax: ax.set_xlabel("tiny", fontsize=5), "text below 7 pt: 'tiny' at 5 pt"),
    (lambda fig, ax: ax.legend(["a line"], loc="upper left"), "the legend with 'a line' overlaps the axes"),
    (lambda fig, ax: fig.legend(["a line " * 40], loc="outside lower center"), "beyond the figure's edge"),
])
def test_small_text_and_legends_over_data_or_off_the_page_are_refused(spoil, problem, tmp_path):
    import matplotlib.pyplot as plt

    from bigbadminima.plotting import FigureNotPrintReady, new_figure, save_figure, set_style

    set_style()
    fig, ax = new_figure("column", 2.5)
    ax.plot([0, 1], [0, 1], label="a line")
    spoil(fig, ax)
    with pytest.raises(FigureNotPrintReady, match=problem):
        save_figure(fig, tmp_path / "figure")
    assert not list(tmp_path.iterdir())  # nothing written
    plt.close(fig)


def test_a_print_ready_figure_is_saved_at_its_printed_size(tmp_path):
    import matplotlib.pyplot as plt
    from PIL import Image

    from bigbadminima.plotting import PAGE_WIDTH, new_figure, save_figure, set_style

    set_style()
    fig, ax = new_figure("page", 2.5)
    ax.plot([0, 1], [0, 1], label="a line")
    fig.legend(loc="outside lower center")
    save_figure(fig, tmp_path / "figure")
    dpi = plt.rcParams["savefig.dpi"]
    assert Image.open(tmp_path / "figure.png").size == (round(PAGE_WIDTH * dpi), round(2.5 * dpi))
