"""Memory an instance needs, and the refusal of work that would not fit on this machine.

A run that would need more memory than the machine has is refused before it starts, with the
estimate, rather than dying part-way (or being killed) after minutes of work.
"""

from __future__ import annotations

import os

from .params import ParameterError
from .layouts import tensor_bytes

__all__ = ["MemoryLimitError", "check_instance_memory", "check_memory", "instance_bytes", "machine_memory_bytes"]

#: Share of the physical memory one job may plan to use (the rest: the OS, the other core's job).
USABLE_SHARE = 0.9
#: Python, numpy, numba and the interpreter's own arrays, measured at ~150-300 MB per process.
BASE_BYTES = 300 * 2**20


class MemoryLimitError(ParameterError):
    """The requested work would need more memory than this machine has."""


def instance_bytes(n: int, p: int, layout: str, replicas: int = 1) -> int:
    """Peak bytes of one instance in ``layout``: the tensor, the N×N matrix and its upper-triangle
    noise stream (generation), and a few (replicas, N) state arrays of the integrators."""
    return BASE_BYTES + tensor_bytes(n, p, layout) + 3 * 8 * n * n + 64 * 8 * replicas * n


def machine_memory_bytes() -> int:
    """Physical memory of this machine (bytes)."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_memory(needed: int, what: str, limit: int | None = None) -> None:
    """Raise :class:`MemoryLimitError` when ``needed`` bytes exceed the usable share of ``limit``
    (default: this machine's memory); ``what`` names the request in the message."""
    available = USABLE_SHARE * (machine_memory_bytes() if limit is None else limit)
    if needed > available:
        raise MemoryLimitError(f"{what} needs about {needed / 2**30:.1f} GiB, more than the "
                               f"{available / 2**30:.1f} GiB this machine can give one job")


def check_instance_memory(n: int, p: int, layout: str, replicas: int = 1, what: str = "an instance") -> None:
    """:func:`check_memory` for one instance (and ``replicas`` integrator states), described by its size."""
    check_memory(instance_bytes(n, p, layout, replicas),
                 f"{what} at p={p}, N={n} ({layout} tensor, {replicas} replica{'s' if replicas > 1 else ''})")
