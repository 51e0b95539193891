"""Figure helpers for the notebooks: one style, deterministic files. No physics here."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

__all__ = ["plain", "save_figure", "set_style"]

#: Metadata that would otherwise carry the date or the software version into the files.
_FIXED_METADATA = {
    "png": {"Software": None},
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
}


def set_style() -> None:
    """The project's plotting style (seaborn 'ticks', colour-blind palette), and a fixed plotting seed.

    seaborn draws strip-plot jitter (and bootstrap intervals without ``seed=``) from numpy's global
    generator; seeding it here makes every figure byte-identical between runs. No data is drawn from it.
    """
    np.random.seed(0)
    sns.set_theme(style="ticks", context="paper", palette="colorblind")
    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 150, "svg.hashsalt": "bigbadminima"})


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
    """Write ``stem.png`` and ``stem.pdf`` with fixed metadata, so two runs give identical bytes, and
    show the PNG in the notebook.

    All files of the figure or none: each is written under a temporary name first. Run by
    ``bigbadminima notebook`` (``STAGING_ENV`` set) they stay there until the notebook has
    succeeded; otherwise they are renamed into place once both are written.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    finals = [stem.with_suffix(f".{extension}") for extension in _FIXED_METADATA]
    try:
        for path, metadata in zip(finals, _FIXED_METADATA.values()):
            fig.savefig(staged_path(path), metadata=metadata, bbox_inches="tight", format=path.suffix[1:])
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
