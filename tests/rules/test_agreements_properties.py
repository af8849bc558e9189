"""Property test over random small instances with random agreements (issue 14, item 1): every
proposal keeps rule 5 for the independent checker, its (W, P) is the reference optimum, and its
agreements level, spreading and fair share are the reference's (S*, U*, D*) — MILPs that know
nothing of the engine's formulation."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from independent_checker import (
    agreement_shortfall,
    fair_share_deviation,
    late_levels,
    max_utilisation,
    objective,
    reference_optimum,
    violations,
)
from strategies import instances, write_instance

from matcher.io.read import read_instance
from matcher.proposal import solve


@st.composite
def with_agreements(draw) -> dict:
    tables = draw(instances())
    units = tables["units"] if isinstance(tables["units"], pd.DataFrame) else pd.DataFrame(tables["units"])
    municipalities = sorted({str(m) for m in units["municipality_id"]}) or ["GM0001"]
    landlords = sorted({str(x) for x in units["landlord"]})
    parties = [("municipality", m) for m in municipalities] + [("landlord", x) for x in landlords]
    rows, with_maximum = [], set()
    for k in range(draw(st.integers(1, 4))):
        kind, party = draw(st.sampled_from(parties))
        group = draw(st.sampled_from(["", "", "BW", "MO", "VO", "jeugd"]))
        maximum = ""
        if (kind, party) not in with_maximum and draw(st.booleans()):
            with_maximum.add((kind, party))
            maximum = str(draw(st.integers(0, 6)))
            group = ""  # one maximum per party, for every client: never two that share a placement
        minimum = str(draw(st.integers(0, 60))) if draw(st.booleans()) or not maximum else ""
        if minimum and maximum and int(minimum) > int(maximum):
            minimum, maximum = maximum, minimum
        start = draw(st.sampled_from(["2026-01-01", "2026-07-01", "2026-11-01"]))
        rows.append(
            {
                "agreement_id": f"PA-{k}",
                "kind": kind,
                "party": party,
                "target_group": group,
                "start": start,
                "end": "2026-12-31",
                "minimum": minimum,
                "maximum": maximum,
                "placed_so_far": str(draw(st.integers(0, 8))),
            }
        )
    tables["agreements"] = rows
    return tables


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(with_agreements())
def test_agreements_keep_every_level_exact(tables):
    with tempfile.TemporaryDirectory() as folder:
        path = write_instance(tables, Path(folder))
        proposal = solve(read_instance(path))
        pairs = proposal.pairs_chosen()
        assert violations(path, pairs) == []
        assert (proposal.priority, proposal.preference) == objective(path, pairs) == reference_optimum(path)
        best_s, best_u, best_d = late_levels(path)
        agreements = proposal.solution.level("agreements")
        assert agreements.proven
        assert agreements.value == agreement_shortfall(path, pairs) == best_s
        assert max_utilisation(path, pairs) == best_u
        assert abs(float(fair_share_deviation(path, pairs)) - best_d) < 1e-6
