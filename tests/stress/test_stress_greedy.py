"""Today's practice, the priority-order greedy baseline of the stress tests, rule by rule.

Clients in order of w (then registration date, then client id) each take their best eligible
unit (highest preference p, then file order) that the neighbourhood caps, municipal intake and
support slots still allow.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from matcher.stress.simulate import allocate, greedy_proposal
from models import Client, Instance, Municipality, Neighbourhood, Policy, SupportCapacity, Unit

START = date(2026, 11, 23)


def client(
    client_id: str,
    origin: str = "GM01",
    urgency: str = "normal",
    registered: date = date(2026, 11, 2),
    intensity: str = "ambulant",
    **extra,
) -> Client:
    return Client(
        client_id=client_id,
        source="MO",
        origin_municipality_id=origin,
        support_intensity=intensity,
        urgency=urgency,
        registered_on=registered,
        **extra,
    )


def unit(
    unit_id: str,
    municipality: str = "GM01",
    neighbourhood: str = "WK01",
    kind: str = "social_rental",
    rent: float = 600,
    **extra,
) -> Unit:
    site = f"S-{unit_id}" if kind in ("cluster", "skaeve_huis") else None
    return Unit(
        unit_id=unit_id,
        type=kind,
        landlord="Corp",
        municipality_id=municipality,
        neighbourhood_id=neighbourhood,
        site_id=site,
        rent=rent,
        available_from=date(2026, 11, 1),
        **extra,
    )


def instance(
    clients: list[Client],
    units: list[Unit],
    caps: dict[str, float | None] | None = None,
    intake: dict[str, int | None] | None = None,
    slots: list[SupportCapacity] = (),
) -> Instance:
    caps = caps or {}
    intake = intake or {}
    return Instance(
        municipalities=(
            Municipality(
                municipality_id="GM01", name="Een", region="R", population=1000, max_intake=intake.get("GM01")
            ),
            Municipality(
                municipality_id="GM02",
                name="Twee",
                region="R",
                population=1000,
                max_intake=intake.get("GM02"),
            ),
        ),
        neighbourhoods=(
            Neighbourhood(
                neighbourhood_id="WK01",
                municipality_id="GM01",
                name="A",
                dwellings=2000,
                cap=caps.get("WK01"),
            ),
            Neighbourhood(
                neighbourhood_id="WK02",
                municipality_id="GM02",
                name="B",
                dwellings=2000,
                cap=caps.get("WK02"),
            ),
        ),
        units=tuple(units),
        clients=tuple(clients),
        support_capacity=tuple(slots),
        policy=Policy(period={"start": START}),
    )


def matches(inst: Instance) -> set[tuple[str, str]]:
    return set(greedy_proposal(inst)[0])


def test_higher_priority_weight_goes_first():
    """A client with higher w (urgency) takes the only unit before an earlier-registered one."""
    inst = instance([client("C1", registered=date(2026, 6, 1)), client("C2", urgency="acute")], [unit("U1")])
    assert matches(inst) == {("C2", "U1")}


def test_equal_weight_earlier_registration_first():
    """With equal w, the client registered earlier goes first."""
    inst = instance(
        [client("C1", registered=date(2026, 11, 20)), client("C2", registered=date(2026, 11, 18))],
        [unit("U1")],
    )
    assert matches(inst) == {("C2", "U1")}


def test_equal_weight_and_date_lower_client_id_first():
    """With equal w and registration date, the lower client id goes first."""
    inst = instance([client("C2"), client("C1")], [unit("U1")])
    assert matches(inst) == {("C1", "U1")}


def test_takes_unit_with_highest_preference():
    """A client takes the unit in their municipality of origin over an earlier-listed one elsewhere."""
    inst = instance([client("C1", origin="GM02")], [unit("U1"), unit("U2", "GM02", "WK02")])
    assert matches(inst) == {("C1", "U2")}


def test_equal_preference_takes_first_unit_in_id_order():
    """Among units of equal preference, the client takes the first in id order, however the file
    is sorted (decision 30; before it was the first in file order)."""
    inst = instance([client("C1", origin="GM02")], [unit("U2"), unit("U1")])
    assert matches(inst) == {("C1", "U1")}


def test_never_takes_an_ineligible_unit():
    """A free unit that breaks an eligibility rule (rent above max_rent) is never taken."""
    inst = instance([client("C1", max_rent=500)], [unit("U1", rent=650)])
    assert matches(inst) == set()


def test_each_unit_goes_to_one_client():
    """A unit taken by a higher-priority client is not given to the next one."""
    inst = instance([client("C1", urgency="high"), client("C2")], [unit("U1"), unit("U2", "GM02", "WK02")])
    assert matches(inst) == {("C1", "U1"), ("C2", "U2")}


def test_neighbourhood_cap_still_allows():
    """When the first placement fills a neighbourhood's cap, the next client goes elsewhere."""
    inst = instance(
        [client("C1", urgency="high"), client("C2")],
        [unit("U1"), unit("U2"), unit("U3", "GM02", "WK02")],
        caps={"WK01": 1},
    )
    assert matches(inst) == {("C1", "U1"), ("C2", "U3")}


def test_heavier_load_does_not_fit_a_nearly_full_cap():
    """An intensive client (load 2) skips a neighbourhood with room for 1 that a light client fits."""
    inst = instance(
        [client("C1", urgency="high", intensity="intensive"), client("C2", intensity="light")],
        [unit("U1")],
        caps={"WK01": 1},
    )
    assert matches(inst) == {("C2", "U1")}


def test_exempt_units_do_not_count_against_the_cap():
    """A Skaeve Huis in a full neighbourhood can still be taken: exempt types add no load."""
    inst = instance(
        [client("C1", eligible_types="skaeve_huis")], [unit("U1", kind="skaeve_huis")], caps={"WK01": 0}
    )
    assert matches(inst) == {("C1", "U1")}


def test_municipal_intake_still_allows():
    """With max_intake 1, the second client cannot be placed in that municipality."""
    inst = instance(
        [client("C1", urgency="high"), client("C2")], [unit("U1"), unit("U2")], intake={"GM01": 1}
    )
    assert matches(inst) == {("C1", "U1")}


def test_support_slots_still_allow():
    """With one ambulant slot, a second ambulant client is not placed there but a light client is."""
    slots = [SupportCapacity(municipality_id="GM01", support_intensity="ambulant", slots=1)]
    inst = instance(
        [client("C1", urgency="acute"), client("C2", urgency="high"), client("C3", intensity="light")],
        [unit("U1"), unit("U2")],
        slots=slots,
    )
    assert matches(inst) == {("C1", "U1"), ("C3", "U2")}


def test_greedy_can_block_what_the_optimiser_places():
    """The greedy's first choice can leave a lower-priority client without a unit; the optimiser
    places both (and so never has a lower W)."""
    first = client("C1", urgency="high", origin="GM01")
    second = client("C2", excluded_municipalities="GM02")
    inst = instance([first, second], [unit("U1"), unit("U2", "GM02", "WK02")])
    assert matches(inst) == {("C1", "U1")}
    optimised, _ = allocate(inst, "optimiser", seed=0)
    assert set(optimised) == {("C1", "U2"), ("C2", "U1")}


def test_unmatched_reasons_are_reported():
    """Every client the greedy leaves unmatched gets a reason."""
    inst = instance([client("C1", urgency="high"), client("C2"), client("C3", max_rent=100)], [unit("U1")])
    chosen, unmatched = greedy_proposal(inst)
    assert chosen == [("C1", "U1")]
    assert dict(zip(unmatched["client_id"], unmatched["reason"])) == {
        "C2": "outranked",
        "C3": "no_eligible_unit",
    }


# --- against the independent checker ------------------------------------------------------------


COLUMNS = {
    "municipalities": list(Municipality.model_fields),
    "neighbourhoods": list(Neighbourhood.model_fields),
    "units": list(Unit.model_fields),
    "clients": list(Client.model_fields),
    "support_capacity": ["municipality_id", "support_intensity", "slots"],
    "declined": ["client_id", "unit_id", "declined_by"],
}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write(inst: Instance, folder: Path) -> Path:
    """An instance as CSV files and policy.yaml, for the independent checker."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, columns in COLUMNS.items():
        rows = [
            {key: _cell(value) for key, value in item.model_dump().items()} for item in getattr(inst, name)
        ]
        pd.DataFrame(rows, columns=columns).to_csv(folder / f"{name}.csv", index=False)
    (folder / "policy.yaml").write_text(yaml.safe_dump(inst.policy.model_dump(mode="json")), encoding="utf-8")
    return folder


@pytest.mark.parametrize("seed", [3, 4])
def test_weekly_greedy_agrees_with_the_independent_checker(tmp_path, seed):
    """On a generated week of a real region, the greedy proposes exactly what the checker's
    independent priority-order greedy does."""
    import independent_checker as checker

    from matcher.stress.arrivals import generated_instance

    inst = generated_instance("west-friesland", 60, 12, seed, START)
    ours = sorted(greedy_proposal(inst)[0])
    theirs = sorted(checker.greedy_priority_allocation(_write(inst, tmp_path / "week")))
    assert ours == theirs
    assert not checker.violations(str(tmp_path / "week"), ours)
