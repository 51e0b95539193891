"""The storage layouts of the order-p tensor and their sizes, without numba (the kernels are in
``bigbadminima.tensors``): the command line lists the layouts and checks memory before anything is
compiled, so a question such as ``bigbadminima thresholds`` never pays numba's import."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["PACKED_DTYPES", "TENSOR_LAYOUTS", "n_unique_entries", "tensor_bytes"]

#: Storage dtype of each packed layout (accumulation is always float64).
PACKED_DTYPES = {"packed": np.float64, "packed32": np.float32}
#: Every storage layout of the order-p tensor, the reference (dense) first.
TENSOR_LAYOUTS = ("dense", *PACKED_DTYPES)


def n_unique_entries(n: int, p: int) -> int:
    """Number of index sets i1 < ... < ip in range(n)."""
    return math.comb(n, p)


def tensor_bytes(n: int, p: int, layout: str) -> int:
    """Bytes of the stored tensor: N^p float64 numbers dense, C(N, p) entries packed."""
    if layout == "dense":
        return 8 * n**p
    if layout in PACKED_DTYPES:
        return np.dtype(PACKED_DTYPES[layout]).itemsize * n_unique_entries(n, p)
    raise ValueError(f"unknown tensor layout {layout!r}; known: {', '.join(TENSOR_LAYOUTS)}")
