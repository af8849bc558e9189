"""Rule 9, open neighbourhood: no new placement while `period.start ≤ closed_until`.

On the tiny instance (instances/tiny/README.md) U02 lies in WK039202 Haarlemmerhoutkwartier.
Closed on the period's first day (2026-11-23) U02 cannot be given: C01 moves to U06, C06 is left
out and W = 103 + 158 + 226 + 152 = 639 (C04, C02, C01, C03). Closed until the day before, the
hand-checked optimum (W 751, P 120) is unchanged.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from independent_checker import eligible, reference_optimum, violations

from matcher.io.read import read_instance
from matcher.proposal import solve
from matcher.review.check import check_proposal
from matcher.review.explain import NEVER_RELAXED
from matcher.rules.eligibility import RULE_BY_NAME


def _tiny_closed(tiny: Path, tmp_path: Path, closed_until: str) -> Path:
    folder = tmp_path / "tiny-closed"
    shutil.copytree(tiny, folder)
    frame = pd.read_csv(folder / "neighbourhoods.csv", dtype=str, keep_default_na=False)
    frame["closed_until"] = ""
    if closed_until:
        frame.loc[frame["neighbourhood_id"] == "WK039202", "closed_until"] = closed_until
    frame.to_csv(folder / "neighbourhoods.csv", index=False)
    return folder


def test_closed_on_the_first_day_excludes_its_units(tiny, tmp_path):
    """Violating case: closed_until = period.start, so U02 is given to no one; W = 639, checked by hand."""
    folder = _tiny_closed(tiny, tmp_path, "2026-11-23")
    proposal = solve(read_instance(folder))
    assert set(proposal.pairs_chosen()) == {("C01", "U06"), ("C02", "U01"), ("C03", "U03"), ("C04", "U05")}
    assert proposal.priority == 639
    assert reference_optimum(folder) == (proposal.priority, proposal.preference)
    assert violations(folder, proposal.pairs_chosen()) == []
    assert eligible(folder, "C01", "U02") == ["open_neighbourhood"]


def test_closed_until_the_day_before_is_open_again(tiny, tmp_path):
    """Satisfying case: closed_until < period.start, the neighbourhood is open: the tiny optimum stands."""
    folder = _tiny_closed(tiny, tmp_path, "2026-11-22")
    proposal = solve(read_instance(folder))
    assert (proposal.priority, proposal.preference) == (751, 120)
    assert ("C01", "U02") in set(proposal.pairs_chosen())
    assert eligible(folder, "C01", "U02") == []


def test_check_names_the_closed_neighbourhood(tiny, tmp_path):
    """matcher check refuses a hand-made match into the closed neighbourhood, in words."""
    folder = _tiny_closed(tiny, tmp_path, "2026-12-31")
    instance = read_instance(folder)
    proposal = tmp_path / "hand.csv"
    proposal.write_text("client_id,unit_id\nC01,U02\n")
    from matcher.review.check import read_pairs

    report = check_proposal(instance, read_pairs(proposal), optimum=False)
    messages = [v.message for v in report.violations]
    assert any(
        "Haarlemmerhoutkwartier (WK039202) takes no new placements until 2026-12-31" in m for m in messages
    )
    assert "eligibility:open_neighbourhood" in report.rules_broken()


def test_a_closure_is_never_suggested_away():
    """A closure is agreed at the matching table; explain never proposes reopening it."""
    assert "open_neighbourhood" in NEVER_RELAXED
    assert not RULE_BY_NAME["open_neighbourhood"].relaxable


@pytest.mark.parametrize("value", ["23-11-2026x", "soon"])
def test_a_bad_date_is_refused_with_file_row_and_column(tiny, tmp_path, value):
    folder = _tiny_closed(tiny, tmp_path, "2026-11-23")
    frame = pd.read_csv(folder / "neighbourhoods.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "closed_until"] = value
    frame.to_csv(folder / "neighbourhoods.csv", index=False)
    from models import InvalidInstance

    with pytest.raises(InvalidInstance) as error:
        read_instance(folder)
    problems = [p for p in error.value.problems if p.column == "closed_until"]
    assert problems and problems[0].file == "neighbourhoods.csv" and problems[0].row == 2
