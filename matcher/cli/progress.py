"""The progress display of a long solve: which level runs, and for each level done its value,
its proven bound and the gap (issue 15: a 2,000 × 1,200 solve printed nothing for 21 s).

It appears only once a solve has taken `after` seconds (1 by default), on the error stream so the
result table on standard output stays clean; on a terminal it updates in place, elsewhere (a log
file) it is written once when the solve ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live
from rich.table import Table

from matcher.i18n import N_, _
from matcher.solver.progress import Event, listening

STAGES = {
    "eligibility": N_("which units suit which clients"),
    "formulation": N_("building the model"),
    "held": N_("accepted matches held"),
    "continuity": N_("matches sent out kept"),
    "priority": N_("priority (W)"),
    "preference": N_("preference (P)"),
    "agreements": N_("agreements behind schedule"),
    "spreading": N_("spreading over wijken"),
    "fair_share": N_("shares between municipalities"),
}
STATUS = {
    "optimal": N_("proven optimal"),
    "feasible": N_("not proven"),
    "no_solution": N_("not reached"),
}


class Progress:
    """The stages seen so far and the one running now."""

    def __init__(self) -> None:
        self.began = time.perf_counter()
        self.stages: dict[str, Event] = {}
        self.lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self.lock:
            if event.done or event.stage not in self.stages:
                self.stages[event.stage] = event

    def __rich__(self) -> Table:
        with self.lock:
            events = list(self.stages.values())
        table = Table(
            title=_("Solving… {seconds:.0f} s", seconds=time.perf_counter() - self.began),
            title_justify="left",
            box=None,
        )
        for heading in (_("step"), _("state"), _("value"), _("bound"), _("gap")):
            table.add_column(heading, justify="left" if heading in (_("step"), _("state")) else "right")
        for position, event in enumerate(events):
            label = _(STAGES.get(event.stage, event.stage))
            if not event.done:  # a stage without figures is finished once the next one started
                later = position < len(events) - 1
                table.add_row(label, _("finished") if later else _("running"), "", "", "")
                continue
            table.add_row(
                label,
                _(STATUS.get(event.status, event.status)),
                _number(event.value),
                _number(event.bound),
                _number(event.gap),
            )
        return table


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}".replace(",", ".") if float(value).is_integer() else f"{value:.3f}"


@contextmanager
def shown_progress(console: Console, after: float = 1.0) -> Iterator[Progress]:
    """Listen to the solver inside this block; show the display once it has run `after` seconds."""
    progress = Progress()
    live = Live(progress, console=console, refresh_per_second=4, transient=console.is_terminal)
    started = threading.Event()
    stopped = threading.Lock()

    def start() -> None:
        with stopped:
            if not started.is_set():
                started.set()
                live.start()

    timer = threading.Timer(after, start)
    timer.daemon = True
    timer.start()
    try:
        with listening(progress):
            yield progress
    finally:
        timer.cancel()
        with stopped:
            if started.is_set():
                live.stop()
            started.set()  # a timer firing now does nothing
