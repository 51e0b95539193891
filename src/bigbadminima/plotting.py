"""Figure helpers for the notebooks: one style, deterministic files. No physics here."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.text  # noqa: E402
import matplotlib.transforms  # noqa: E402
import seaborn as sns  # noqa: E402

__all__ = ["COLUMN_WIDTH", "MIN_FONT_POINTS", "PAGE_WIDTH", "FigureNotPrintReady", "check_print_ready", "new_figure",
           "plain", "save_figure", "set_style"]

#: Metadata that would otherwise carry the date or the software version into the files.
_FIXED_METADATA = {
    "png": {"Software": None},
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
}

#: Printed widths (inches): one column and the full width of a two-column paper page.
COLUMN_WIDTH, PAGE_WIDTH = 3.4, 7.0
#: The smallest text allowed at printed size (points).
MIN_FONT_POINTS = 7.0


def set_style() -> None:
    """The project's plotting style: seaborn 'ticks' with the colour-blind palette, text sized for print
    (8 pt labels, 7 pt ticks and legends at the figure's own size), constrained layout, and a fixed
    plotting seed.

    seaborn draws strip-plot jitter (and bootstrap intervals without ``seed=``) from numpy's global
    generator; seeding it here makes every figure byte-identical between runs. No data is drawn from it.
    """
    np.random.seed(0)
    sns.set_theme(style="ticks", context="paper", palette="colorblind")
    plt.rcParams.update({
        "figure.dpi": 110, "savefig.dpi": 200, "svg.hashsalt": "bigbadminima",
        "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "figure.titlesize": 8.5,
        "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 7, "legend.title_fontsize": 7,
        "lines.linewidth": 1.2, "lines.markersize": 3.5, "axes.linewidth": 0.6,
        "xtick.major.width": 0.6, "ytick.major.width": 0.6, "legend.frameon": False,
        "figure.constrained_layout.use": True,
    })


def new_figure(width: str = "page", height: float = 2.6, **subplots):
    """``plt.subplots`` at a printed width: ``"page"`` (7 in) or ``"column"`` (3.4 in); ``height`` in inches."""
    widths = {"page": PAGE_WIDTH, "column": COLUMN_WIDTH}
    if width not in widths:
        raise ValueError(f"width must be one of {sorted(widths)}, got {width!r}")
    return plt.subplots(figsize=(widths[width], height), **subplots)


class FigureNotPrintReady(ValueError):
    """A figure that would not read in print: the wrong width, text too small, a legend over data."""


def _first_entry(legend) -> str:
    """A legend's first label: how an error names the legend."""
    return legend.get_texts()[0].get_text() if legend.get_texts() else ""


def check_print_ready(fig) -> None:
    """Refuse a figure that is not one column or one page wide, has visible text below
    ``MIN_FONT_POINTS``, or has a legend that overlaps any axes (legends go outside the data) or
    reaches beyond the figure's edge (it would be cut off)."""
    problems = []
    width = fig.get_figwidth()
    if min(abs(width - COLUMN_WIDTH), abs(width - PAGE_WIDTH)) > 0.01:
        problems.append(f"width {width:.2f} in (print widths: {COLUMN_WIDTH} or {PAGE_WIDTH} in)")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    small = sorted({f"{text.get_text().strip()[:30]!r} at {text.get_fontsize():g} pt"
                    for text in fig.findobj(matplotlib.text.Text)
                    if text.get_visible() and text.get_text().strip() and text.get_fontsize() < MIN_FONT_POINTS})
    if small:
        problems.append(f"text below {MIN_FONT_POINTS:g} pt: {', '.join(small[:5])}")
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]
    page = fig.bbox
    for legend in legends:
        box = legend.get_window_extent(renderer)
        if box.x0 < page.x0 - 1 or box.x1 > page.x1 + 1 or box.y0 < page.y0 - 1 or box.y1 > page.y1 + 1:
            problems.append(f"the legend with {_first_entry(legend)!r} reaches beyond the figure's edge "
                            "(fewer columns or shorter labels)")
        for ax in fig.axes:
            overlap = matplotlib.transforms.Bbox.intersection(box, ax.get_window_extent(renderer))
            if overlap is not None and overlap.width > 1 and overlap.height > 1:
                title = ax.get_title() or ax.get_ylabel() or "an axes"
                problems.append(f"the legend with {_first_entry(legend)!r} overlaps the axes {title!r}")
                break
    if problems:
        raise FigureNotPrintReady("figure not print-ready: " + "; ".join(problems))


#: Set by ``bigbadminima notebook``: a file that lists the figures a notebook staged. They are
#: moved onto their final names only once the whole notebook has run (cli/notebook.py).
STAGING_ENV = "BIGBADMINIMA_FIGURE_STAGING"


def staged_path(path: Path) -> Path:
    """The temporary name of a figure file before it is moved into place (same folder)."""
    return path.with_name(f".{path.name}.staged")


def plain(values) -> str:
    """Values as plain text for a notebook's printout: ``[1.4, 2.5]``, never ``[np.float64(1.4), ...]``.

    Takes a list (or array, Series), a tuple or a dict; numbers print with up to 6 significant digits.
    """
    def one(value) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{one(key)}: {one(item)}" for key, item in value.items()) + "}"
        if isinstance(value, tuple):
            return "(" + ", ".join(one(item) for item in value) + ")"
        if isinstance(value, (bool, np.bool_)):
            return str(bool(value))
        if isinstance(value, (int, np.integer)):
            return str(int(value))
        if isinstance(value, (float, np.floating)):
            return f"{float(value):.6g}"
        if isinstance(value, str):
            return value
        return "[" + ", ".join(one(item) for item in list(value)) + "]"  # list, array, Series

    return one(values)


def _show_in_notebook(png: Path) -> None:
    """Show the PNG just written as the cell's output, at its print size (nothing outside IPython).

    The notebooks draw with the Agg backend (no inline backend), so what the executed notebook and its
    HTML show is exactly the figure file, bytes and all.
    """
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return
    if get_ipython() is None:
        return
    data = png.read_bytes()
    width_pixels = struct.unpack(">I", data[16:20])[0]  # the IHDR chunk of a PNG
    display(Image(data=data, format="png", width=round(width_pixels * 96 / plt.rcParams["savefig.dpi"])))


def save_figure(fig, stem: str | os.PathLike) -> None:
    """Write ``stem.png`` and ``stem.pdf`` at the figure's printed size with fixed metadata, so two runs
    give identical bytes, and show the PNG in the notebook. A figure that is not print-ready
    (:func:`check_print_ready`) is refused before anything is written.

    All files of the figure or none: each is written under a temporary name first. Run by
    ``bigbadminima notebook`` (``STAGING_ENV`` set) they stay there until the notebook has
    succeeded; otherwise they are renamed into place once both are written.
    """
    check_print_ready(fig)
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    finals = [stem.with_suffix(f".{extension}") for extension in _FIXED_METADATA]
    try:
        for path, metadata in zip(finals, _FIXED_METADATA.values()):
            fig.savefig(staged_path(path), metadata=metadata, format=path.suffix[1:])  # at its printed size
    except BaseException:
        for path in finals:
            staged_path(path).unlink(missing_ok=True)
        raise
    _show_in_notebook(staged_path(finals[0]))
    plt.close(fig)
    staging = os.environ.get(STAGING_ENV)
    if staging:
        with open(staging, "a") as listing:
            listing.writelines(f"{path.resolve()}\n" for path in finals)
    else:
        for path in finals:
            os.replace(staged_path(path), path)
