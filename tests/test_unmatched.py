"""Why a client is left out, matcher.unmatched.unmatched_reasons, on hand-built instances whose
optimum is worked out in the docstrings: one client for each of the three reasons, and the words
the detail uses.

The period starts 2026-11-23; a client registered 2026-09-14 has waited 10 weeks."""

from __future__ import annotations

from builders import client, instance, unit

from matcher.proposal import solve
from models import Neighbourhood

TIGHT = [
    # cap ⌊1000 × 5 / 1000⌋ = 5, recent load 4: room 1
    Neighbourhood(
        neighbourhood_id="WK039201", municipality_id="GM0392", name="Oude Stad", dwellings=1000, recent_load=4
    ),
    Neighbourhood(neighbourhood_id="WK040501", municipality_id="GM0405", name="Binnenstad", dwellings=1000),
]


def reasons(inst):
    """({client_id: (reason, detail)} of the unmatched, the proposal)."""
    proposal = solve(inst)
    table = proposal.unmatched()
    return {row.client_id: (row.reason, row.detail) for row in table.itertuples()}, proposal


def three_reasons():
    """Units U1 (rent 600) and U2 (rent 650), both in Oude Stad (room 1: one light client fits).
    C1 acute light, w 200 + 10 = 210, max_rent 600: only U1.
    C2 normal light, w 110, declined U1 before: only U2.
    C3 normal, household of 3, max_rent 620: no unit (both take 1 person; U2 also too dear).
    C4 normal light, registered 2026-11-16, w 101, max_rent 600: only U1.
    Room 1 lets one client into Oude Stad: C1 (210) beats C2 (110) and C4 (101), so the optimum
    is C1 → U1 (W 210)."""
    clients = [
        client(client_id="C1", urgency="acute", max_rent=600),
        client(client_id="C2"),
        client(client_id="C3", household_size=3, max_rent=620),
        client(client_id="C4", registered_on="2026-11-16", max_rent=600),
    ]
    units = [unit(unit_id="U1", rent=600), unit(unit_id="U2", rent=650)]
    return instance(
        clients,
        units,
        neighbourhoods=TIGHT,
        declined=[{"client_id": "C2", "unit_id": "U1", "declined_by": "client"}],
    )


def test_the_optimum_of_the_three_reasons_instance():
    """As worked out: only C1 → U1, W 210."""
    _, proposal = reasons(three_reasons())
    assert proposal.pairs_chosen() == [("C1", "U1")] and proposal.priority == 210


def test_no_eligible_unit_names_the_rule_that_excludes_most():
    """C3: size excludes both units, rent one (U2, 650 > 620); other rules none and unnamed."""
    table, _ = reasons(three_reasons())
    assert table["C3"] == (
        "no_eligible_unit",
        "none of the 2 units is eligible; most excluded by size (size excludes 2, rent excludes 1)",
    )


def test_capacity_full_names_the_full_cap():
    """C2's one eligible unit U2 is free, but C1 used Oude Stad's room (1 of 1)."""
    table, _ = reasons(three_reasons())
    assert table["C2"] == (
        "capacity_full",
        "1 eligible unit, all where limits are full: "
        "cap of WK039201 full (1 of 1 load added this period) (1 unit)",
    )


def test_outranked_names_the_higher_priority_taker_and_its_weight():
    """C4's one eligible unit U1 went to C1 (w 210 > 101)."""
    table, _ = reasons(three_reasons())
    assert table["C4"] == ("outranked", "1 eligible unit went to higher-priority clients C1 (w 210)")


def test_every_unmatched_client_has_one_row_and_placed_clients_none():
    """Rows for C2, C3, C4 (sorted by id), none for C1."""
    proposal = solve(three_reasons())
    assert proposal.unmatched()["client_id"].tolist() == ["C2", "C3", "C4"]


def test_capacity_full_counts_units_per_limit_and_names_intake_too():
    """C1 (intensive, load 2) may take U1 in Oude Stad (room 1 < 2) or U2, U3 in Hoorn (max_intake
    0): nothing is placed. The detail lists the intake (2 units) before the cap (1 unit)."""
    municipalities = list(instance().municipalities)
    municipalities[1] = municipalities[1].model_copy(update={"max_intake": 0})
    units = [
        unit(unit_id="U1"),
        unit(unit_id="U2", municipality_id="GM0405", neighbourhood_id="WK040501"),
        unit(unit_id="U3", municipality_id="GM0405", neighbourhood_id="WK040501"),
    ]
    inst = instance(
        [client(support_intensity="intensive")], units, neighbourhoods=TIGHT, municipalities=municipalities
    )
    table, proposal = reasons(inst)
    assert proposal.pairs_chosen() == []
    assert table["C1"] == (
        "capacity_full",
        "3 eligible units, all where limits are full: "
        "intake of GM0405 full (0) (2 units); "
        "cap of WK039201 full (0 of 1 load added this period) (1 unit)",
    )


def test_outranked_by_a_lower_priority_client_names_the_binding_limit():
    """Oude Stad with room 2 (recent 3): U1 (rent 600), U2 (rent 650). C1 (acute intensive, load
    2, w 210, max_rent 600) fits only U1; C2 (high light, w 160, max_rent 600) only U1; C3 (high
    light, registered 2026-09-15: 9 weeks, w 159, declined U1 before) only U2. C1 alone fills the room (W 210);
    C2 + C3 (load 2) give W 319: optimum. C1 is outranked by C2, a lower-priority client, who
    holds U1 because the cap is full even after freeing C2 (used 2 of 2, need 2 − 0 − 1 = 1)."""
    neighbourhoods = [TIGHT[0].model_copy(update={"recent_load": 3}), TIGHT[1]]
    clients = [
        client(client_id="C1", support_intensity="intensive", urgency="acute", max_rent=600),
        client(client_id="C2", urgency="high", max_rent=600),
        client(client_id="C3", urgency="high", registered_on="2026-09-15"),
    ]
    units = [unit(unit_id="U1", rent=600), unit(unit_id="U2", rent=650)]
    inst = instance(
        clients,
        units,
        neighbourhoods=neighbourhoods,
        declined=[{"client_id": "C3", "unit_id": "U1", "declined_by": "landlord"}],
    )
    table, proposal = reasons(inst)
    assert sorted(proposal.pairs_chosen()) == [("C2", "U1"), ("C3", "U2")] and proposal.priority == 319
    assert table["C1"] == (
        "outranked",
        "1 eligible unit went to clients C2 (w 160); C2 (w 160) holds U1 because "
        "cap of WK039201 full (2 of 2 load added this period)",
    )
