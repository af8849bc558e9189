"""The spreading level holds for the fair-share level even when the incumbent is already at its
floor (a hypothesis counterexample: fair shares moved a client into a wijk at its cap)."""

from __future__ import annotations

from builders import client, instance, unit
from independent_checker import late_level_optimum, max_utilisation, violations

from matcher.io.write_instance import instance_files_bytes
from matcher.proposal import solve
from models import Municipality, Neighbourhood, Policy


def test_fair_shares_never_raise_the_highest_utilisation(tmp_path):
    """Haarlem (large) has a wijk with cap 1; Hoorn (small) a wijk with cap 0 and a Skaeve Huis
    (exempt from caps). Both units give C1 the same W and P; the Skaeve Huis keeps every wijk at
    utilisation 0, so it must win, though Haarlem's population share would pull C1 there."""
    week = instance(
        [
            client(
                client_id="C1",
                origin_municipality_id="GM0405",
                eligible_types=["social_rental", "skaeve_huis"],
            )
        ],
        [
            unit(unit_id="U1", municipality_id="GM0392", neighbourhood_id="WK039201", rent=500),
            unit(
                unit_id="U2",
                type="skaeve_huis",
                site_id="S1",
                municipality_id="GM9999",
                neighbourhood_id="WK999901",
                rent=500,
            ),
        ],
        municipalities=[
            Municipality(municipality_id="GM0392", name="Haarlem", region="ZK", population=160000),
            Municipality(municipality_id="GM0405", name="Hoorn", region="WF", population=75000),
            Municipality(municipality_id="GM9999", name="Klein", region="WF", population=10),
        ],
        neighbourhoods=[
            Neighbourhood(
                neighbourhood_id="WK039201", municipality_id="GM0392", name="Oude Stad", dwellings=1316
            ),
            Neighbourhood(neighbourhood_id="WK999901", municipality_id="GM9999", name="Dorp", dwellings=0),
        ],
        policy=Policy(period={"start": "2026-11-23"}, spreading={"max_load_per_1000_dwellings": 1}),
    )
    proposal = solve(week)
    assert proposal.pairs_chosen() == [("C1", "U2")]
    assert proposal.solution.level("spreading").value == 0.0
    for name, content in instance_files_bytes(week).items():
        (tmp_path / name).write_bytes(content)
    assert violations(tmp_path, proposal.pairs_chosen()) == []
    best_u, best_d = late_level_optimum(tmp_path)
    assert max_utilisation(tmp_path, proposal.pairs_chosen()) == best_u == 0
    assert abs(proposal.solution.level("fair_share").value - best_d) < 1e-6
