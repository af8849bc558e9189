"""build_arrays on the hand-checked tiny instance (instances/tiny/README.md): file order, rooms,
closed neighbourhoods, intake and slots, and the priority weights the README works out."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest

from matcher.io.read import read_instance
from matcher.rules.arrays import build_arrays
from models.fields import INTENSITIES, UNIT_TYPES


def column(folder: Path, file: str, name: str) -> list[str]:
    with open(folder / file, encoding="utf-8", newline="") as handle:
        return [row[name] for row in csv.DictReader(handle)]


@pytest.fixture
def tiny_instance(tiny):
    return read_instance(tiny)


def test_ids_in_file_order(tiny, tiny_instance):
    """Every id array lists its file's rows in the order of the file."""
    arrays = build_arrays(tiny_instance)
    assert arrays.client_ids.tolist() == column(tiny, "clients.csv", "client_id")
    assert arrays.unit_ids.tolist() == column(tiny, "units.csv", "unit_id")
    assert arrays.municipality_ids.tolist() == column(tiny, "municipalities.csv", "municipality_id")
    assert arrays.neighbourhood_ids.tolist() == column(tiny, "neighbourhoods.csv", "neighbourhood_id")
    assert arrays.client_ids.tolist() == ["C01", "C02", "C03", "C04", "C05", "C06", "C07", "C08"]
    assert (arrays.n_clients, arrays.n_units) == (8, 6)


def test_caps_and_rooms_as_in_the_readme(tiny_instance):
    """cap = ⌊dwellings × 5 / 1000⌋: 43, 31, 22, 20, 0; room = ⌊cap − recent⌋: 1, 31, 2, 20, 0."""
    arrays = build_arrays(tiny_instance)
    assert arrays.neighbourhood_cap.tolist() == [43, 31, 22, 20, 0]
    assert arrays.neighbourhood_recent_load.tolist() == [42, 0, 20, 0, 0]
    assert arrays.neighbourhood_room.tolist() == [1, 31, 2, 20, 0]


def test_room_floors_fractions_and_never_goes_below_zero(tiny_instance):
    """Cap cell 2.5 with recent 0.5 → ⌊2.0⌋ = 2; recent 1 → ⌊1.5⌋ = 1; recent 3 above the cap → 0.
    Cap 4.1 with recent 0.1 → 4, computed exactly (in floats 4.1 − 0.1 is 3.9999999999999996)."""
    rooms = []
    for cap, recent in ((2.5, 0.5), (2.5, 1), (2.5, 3), (4.1, 0.1)):
        changed = tiny_instance.with_row("neighbourhoods", 0, cap=cap, recent_load=recent)
        rooms.append(int(build_arrays(changed).neighbourhood_room[0]))
    assert rooms == [2, 1, 0, 4]


def test_priority_weights_as_in_the_readme(tiny_instance):
    """w from the README's table, in file order; C03's 77 weeks capped at 52; C07 a family (+50)."""
    arrays = build_arrays(tiny_instance)
    assert arrays.client_weight.tolist() == [226, 158, 152, 103, 104, 112, 151, 100]
    assert arrays.client_weeks.tolist() == [26, 8, 77, 3, 4, 12, 1, 0]


def test_no_neighbourhood_of_tiny_is_closed(tiny_instance):
    """tiny has no closed_until column: every neighbourhood is open."""
    assert build_arrays(tiny_instance).neighbourhood_closed.tolist() == [False] * 5


@pytest.mark.parametrize(("days_after_start", "closed"), [(-1, False), (0, True), (1, True), (400, True)])
def test_closed_while_period_start_is_on_or_before_closed_until(tiny_instance, days_after_start, closed):
    """Closed until the day before the start (2026-11-22): open. Until the start itself or later:
    closed. Only the neighbourhood with the date is affected."""
    until = date(2026, 11, 23) + timedelta(days=days_after_start)
    arrays = build_arrays(tiny_instance.with_row("neighbourhoods", 1, closed_until=until))
    assert arrays.neighbourhood_closed.tolist() == [False, closed, False, False, False]


def test_no_intake_limit_is_minus_one_and_zero_is_a_limit(tiny_instance):
    """tiny has no max_intake: [-1, -1]. Intake 3 for Haarlem: [3, -1]. Intake 0: 0, not -1."""
    assert build_arrays(tiny_instance).municipality_max_intake.tolist() == [-1, -1]
    assert build_arrays(
        tiny_instance.with_row("municipalities", 0, max_intake=3)
    ).municipality_max_intake.tolist() == [3, -1]
    assert build_arrays(
        tiny_instance.with_row("municipalities", 1, max_intake=0)
    ).municipality_max_intake.tolist() == [-1, 0]


def test_slots_by_municipality_and_intensity_index(tiny_instance):
    """Velsen (index 1) has one slot for protected support (intensity index 3)."""
    arrays = build_arrays(tiny_instance)
    assert INTENSITIES.index("protected") == 3
    assert arrays.slots == {(1, 3): 1}


def test_units_and_clients(tiny_instance):
    """Only U05 (Skaeve Huis) is exempt; U06, available on the period's last day (2026-11-29),
    counts as available; C05, ready 2026-11-25, as ready. C04 may only take a Skaeve Huis;
    C03 (protected) only a cluster; load weights light, ambulant, intensive, protected = 1, 1, 2, 2."""
    arrays = build_arrays(tiny_instance)
    assert arrays.unit_exempt.tolist() == [False, False, False, False, True, False]
    assert arrays.unit_available.all() and arrays.client_ready.all()
    assert arrays.client_allowed_types[3] == 1 << UNIT_TYPES.index("skaeve_huis")
    assert arrays.client_allowed_types[2] == 1 << UNIT_TYPES.index("cluster")
    assert arrays.load_weight.tolist() == [1, 1, 2, 2]
    assert arrays.unit_neighbourhood.tolist() == [0, 1, 2, 2, 4, 3]
    assert arrays.unit_municipality.tolist() == [0, 0, 1, 1, 1, 1]
    assert arrays.client_current.tolist() == [-1, 0, 1, -1, -1, -1, -1, -1]
    assert arrays.client_max_rent[4] == 500 and arrays.client_max_rent[0] == float("inf")


def test_a_unit_available_after_the_period_is_not_available(tiny_instance):
    """U06 available one day after the last day (2026-11-30): not available."""
    changed = tiny_instance.with_row("units", 5, available_from=date(2026, 11, 30))
    assert build_arrays(changed).unit_available.tolist() == [True] * 5 + [False]
