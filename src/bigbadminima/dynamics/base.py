"""The base of the time-stepping schemes, in the spirit of ``scipy.integrate.OdeSolver``.

A scheme is started once (:meth:`Scheme.start`), then advanced by :meth:`Scheme.step` until its
time ``t`` reaches the end; :meth:`Scheme.run` does both and records the outcome in ``status``
("running", "finished" or "failed") and ``message`` (why it failed: a blow-up or a row that did
not converge, :class:`~bigbadminima.dynamics.result.DynamicsBlowUp`).
"""

from __future__ import annotations

from .result import DynamicsBlowUp

#: relative margin of the end time: a run stops at the first grid point t >= t_end (1 - END_MARGIN)
END_MARGIN = 1e-12


class Scheme:
    """A time-stepping scheme: ``start()``, then ``step()`` while ``t`` < t_end."""

    status: str = "running"
    message: str = "running"

    @property
    def t(self) -> float:
        """The time of the last computed grid point."""
        raise NotImplementedError

    def start(self) -> None:
        """Compute the first grid point(s)."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance by one step of the scheme (may raise DynamicsBlowUp)."""
        raise NotImplementedError

    def run(self, t_end: float) -> bool:
        """start(), then step() until t >= t_end; True if it finished, False (status "failed") if not."""
        try:
            self.start()
            while self.t < t_end * (1 - END_MARGIN):
                self.step()
        except DynamicsBlowUp as exc:
            self.status, self.message = "failed", str(exc)
            return False
        self.status, self.message = "finished", "ok"
        return True
