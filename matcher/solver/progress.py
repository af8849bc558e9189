"""What a long solve is doing, as it does it: one event per stage and per level.

The solver calls `report(...)` when a stage starts and when a level is done (its value, its
proven bound and the gap between them). Nobody listens by default; the CLI listens with
`matcher.cli.progress.shown_progress`, which shows them once a solve has taken a second. Events
never change what is solved: they are a window, not a control.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """A stage started (`done` False), or a level finished (`done` True, with value and bound)."""

    stage: str  # eligibility | formulation | held | continuity | priority | preference | agreements | spreading | fair_share
    done: bool = False
    status: str = ""  # optimal | feasible | no_solution (levels only)
    value: float | None = None
    bound: float | None = None

    @property
    def gap(self) -> float | None:
        """The distance to the proven bound (0 when proven optimal); None when not known."""
        if self.value is None or self.bound is None:
            return None
        return abs(self.bound - self.value)


Listener = Callable[[Event], None]
_listener: ContextVar[Listener | None] = ContextVar("matcher_progress", default=None)


def report(event: Event) -> None:
    """Tell whoever listens; cheap when nobody does."""
    listener = _listener.get()
    if listener is not None:
        listener(event)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Send every event of the solves run inside this block to `listener`."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)
