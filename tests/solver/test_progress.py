"""The progress display: the solver reports every stage and every level with its value and bound
(matcher/solver/progress.py), and the CLI shows them once a solve takes long enough
(matcher/cli/progress.py)."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from matcher import read_instance
from matcher.cli.progress import shown_progress
from matcher.i18n import set_language
from matcher.proposal import solve
from matcher.solver.progress import Event, listening

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"


def test_every_stage_and_level_is_reported_with_its_result():
    events: list[Event] = []
    with listening(events.append):
        proposal = solve(read_instance(TINY))
    started = [event.stage for event in events if not event.done]
    done = {event.stage: event for event in events if event.done}
    assert started[:2] == ["eligibility", "formulation"]
    levels = proposal.solution.levels
    assert set(done) == {level.name for level in levels}
    for level in levels:
        assert done[level.name].status == level.status
        assert done[level.name].value == level.value
        assert done[level.name].bound == level.bound
    assert done["priority"].gap == 0  # proven optimal on the tiny week


def test_nobody_listening_outside_the_block():
    events: list[Event] = []
    with listening(events.append):
        pass
    solve(read_instance(TINY))
    assert events == []


def test_the_display_shows_levels_in_dutch_once_the_solve_is_slow_enough():
    set_language("nl")
    try:
        screen = io.StringIO()
        with shown_progress(Console(file=screen, width=120), after=0.0):
            solve(read_instance(TINY))
        shown = screen.getvalue()
    finally:
        set_language(None)
    assert "prioriteit (W)" in shown
    assert "bewezen optimaal" in shown
    assert "Bezig met oplossen" in shown
    assert "bezig" not in shown.replace("Bezig", "")  # every stage ended: none is shown running
    assert "klaar" in shown  # the stages without figures (eligibility, the model) are finished


def test_a_quick_solve_shows_nothing():
    screen = io.StringIO()
    with shown_progress(Console(file=screen, width=120), after=30.0):
        solve(read_instance(TINY))
    assert screen.getvalue() == ""


def test_solve_shows_the_progress_on_stderr_only(tmp_path, monkeypatch):
    """`matcher solve` wires the display in: with the threshold at 0 s the final table appears
    on the error stream, the proposal's own table on standard output carries no progress line."""
    from click.testing import CliRunner

    import matcher.cli.progress as progress
    from matcher.cli.main import main

    real = progress.shown_progress
    monkeypatch.setattr(progress, "shown_progress", lambda console, after=1.0: real(console, after=0.0))
    result = CliRunner().invoke(main, ["solve", str(TINY), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Solving" in result.stderr and "priority (W)" in result.stderr
    assert "Solving" not in result.stdout and "Proposal for" in result.stdout
