"""Writing an instance back as a folder: it reads back as an equal Instance."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from strategies import instances, write_instance

from matcher.io.read import read_instance
from matcher.io.write_instance import instance_files_bytes
from models import (
    Client,
    DeclinedPair,
    Instance,
    Municipality,
    Neighbourhood,
    Policy,
    SupportCapacity,
    Unit,
)

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = sorted(folder for folder in (ROOT / "instances").iterdir() if (folder / "clients.csv").is_file())


def _round_trip(instance: Instance, folder: Path) -> Instance:
    """Write `instance` into the empty `folder` and read it back."""
    assert not any(folder.iterdir())
    for name, data in instance_files_bytes(instance).items():
        (folder / name).write_bytes(data)
    return read_instance(folder)


def test_committed_instances_are_found():
    assert len(COMMITTED) >= 5


@pytest.mark.parametrize("folder", COMMITTED, ids=lambda folder: folder.name)
def test_committed_instance_round_trips(folder: Path, tmp_path: Path):
    original = read_instance(folder)
    assert _round_trip(original, tmp_path) == original


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_random_instance_round_trips(tables):
    with tempfile.TemporaryDirectory() as source, tempfile.TemporaryDirectory() as target:
        original = read_instance(write_instance(tables, Path(source)))
        assert _round_trip(original, Path(target)) == original


def _hand_built(**changes) -> Instance:
    """A small instance with every optional field set somewhere."""
    municipalities = (
        Municipality(
            municipality_id="GM0001", name="Eerstestad", region="R1", population=50_000, max_intake=3
        ),
        Municipality(municipality_id="GM0002", name="Tweede, dorp", region="R1", population=8_000),
    )
    neighbourhoods = (
        Neighbourhood(
            neighbourhood_id="WK000101",
            municipality_id="GM0001",
            name="Centrum",
            dwellings=4000,
            recent_load=1.5,
            cap=12.25,
            closed_until=date(2025, 3, 9),
        ),
        Neighbourhood(neighbourhood_id="WK000102", municipality_id="GM0001", name='De "Hof"', dwellings=1200),
        Neighbourhood(
            neighbourhood_id="WK000201",
            municipality_id="GM0002",
            name="Dorp",
            dwellings=900,
            recent_load=0.1,
            cap=0.0,
        ),
    )
    units = (
        Unit(
            unit_id="U001",
            type="social_rental",
            landlord="Pré Wonen",
            municipality_id="GM0001",
            neighbourhood_id="WK000101",
            rent=650.0,
            max_household=2,
            accessible=True,
            available_from=date(2025, 3, 1),
        ),
        Unit(
            unit_id="U002",
            type="cluster",
            landlord="Woonstad",
            municipality_id="GM0001",
            neighbourhood_id="WK000102",
            site_id="SITE 1",
            rent=1.125,
            available_from=date(2025, 2, 1),
        ),
        Unit(
            unit_id="U003",
            type="skaeve_huis",
            landlord="Woonstad",
            municipality_id="GM0002",
            neighbourhood_id="WK000201",
            site_id="SK1",
            rent=879.66,
            available_from=date(2025, 3, 5),
        ),
    )
    clients = (
        Client(
            client_id="C001",
            source="MO",
            origin_municipality_id="GM0001",
            current_municipality_id="GM0002",
            support_intensity="intensive",
            household_size=2,
            max_rent=None,
            needs_accessible=True,
            eligible_types=("social_rental", "cluster"),
            preferred_municipalities=("GM0002", "GM0001"),
            excluded_municipalities=(),
            excluded_neighbourhoods=("WK000101", "WK000201"),
            urgency="acute",
            registered_on=date(2024, 1, 31),
            ready_from=date(2025, 3, 4),
        ),
        Client(
            client_id="C002",
            source="jeugd",
            origin_municipality_id="GM0002",
            support_intensity="light",
            max_rent=700.5,
            eligible_types=(),
            excluded_municipalities=("GM0001",),
            registered_on=date(2024, 12, 1),
        ),
        Client(
            client_id="C003",
            source="BW",
            origin_municipality_id="GM0002",
            support_intensity="protected",
            max_rent=700.0,
            registered_on=date(2025, 2, 28),
        ),
    )
    fields = {
        "municipalities": municipalities,
        "neighbourhoods": neighbourhoods,
        "units": units,
        "clients": clients,
        "support_capacity": (
            SupportCapacity(municipality_id="GM0001", support_intensity="intensive", slots=1),
            SupportCapacity(municipality_id="GM0002", support_intensity="protected", slots=0),
        ),
        "declined": (
            DeclinedPair(client_id="C001", unit_id="U002", declined_by="client"),
            DeclinedPair(client_id="C002", unit_id="U001", declined_by="landlord"),
        ),
        "policy": Policy.model_validate(
            {
                "period": {"start": "2025-03-03", "days": 14},
                "origin_rule": "region",
                "spreading": {"max_load_per_1000_dwellings": 1.5, "load_weight": {"intensive": 3}},
                "priority": {"urgency_base": {"acute": 250}, "per_week_waiting": 2},
                "preference": {"preferred": [25, 5]},
                "compatibility": {"protected": ["cluster", "skaeve_huis"]},
                "refusals": {"max_refusals": 3, "lapse_to": "high"},
            }
        ),
    }
    return Instance(**(fields | changes))


def test_hand_built_instance_with_optional_fields_round_trips(tmp_path: Path):
    original = _hand_built()
    back = _round_trip(original, tmp_path)
    assert back == original
    assert back.neighbourhoods[0].closed_until == date(2025, 3, 9)
    assert back.neighbourhoods[1].closed_until is None
    assert back.clients[0].max_rent is None and back.clients[1].max_rent == 700.5
    assert back.clients[0].excluded_neighbourhoods == ("WK000101", "WK000201")
    assert back.clients[1].eligible_types == () and back.clients[2].eligible_types is None
    assert back.units[1].rent == 1.125
    assert len(back.declined) == 2 and len(back.support_capacity) == 2


def test_files_written_and_their_cells():
    files = instance_files_bytes(_hand_built())
    assert list(files) == [
        "municipalities.csv",
        "neighbourhoods.csv",
        "units.csv",
        "clients.csv",
        "support_capacity.csv",
        "declined.csv",
        "policy.yaml",
    ]
    neighbourhoods = files["neighbourhoods.csv"].decode("utf-8").splitlines()
    assert neighbourhoods[0] == (
        "neighbourhood_id,municipality_id,name,dwellings,recent_load,cap,closed_until"
    )
    assert neighbourhoods[1] == "WK000101,GM0001,Centrum,4000,1.5,12.25,2025-03-09"
    assert neighbourhoods[2] == 'WK000102,GM0001,"De ""Hof""",1200,0,,'
    units = files["units.csv"].decode("utf-8").splitlines()
    assert units[1] == "U001,social_rental,Pré Wonen,GM0001,WK000101,,650,2,true,2025-03-01"
    assert ",1.1250," in units[2]  # `1.125` alone is refused as ambiguous in a money column
    clients = files["clients.csv"].decode("utf-8").splitlines()
    assert clients[1].split(",")[6:12] == [
        "",
        "true",
        "social_rental;cluster",
        "GM0002;GM0001",
        "",
        "WK000101;WK000201",
    ]
    assert clients[2].split(",")[8] == ";"  # an empty list of eligible types, not "not given"
    assert yaml.safe_load(files["policy.yaml"])["period"] == {"start": "2025-03-03", "days": 14}


def test_optional_tables_left_out_when_empty(tmp_path: Path):
    original = _hand_built(support_capacity=(), declined=())
    files = instance_files_bytes(original)
    assert "support_capacity.csv" not in files and "declined.csv" not in files
    assert _round_trip(original, tmp_path) == original


def test_numbers_round_trip_exactly(tmp_path: Path):
    base = _hand_built()
    rents = (0.1 + 0.2, 1e-05, 123.456, 999.999, 1 / 3, 0.0)
    units = tuple(unit.model_copy(update={"rent": rent}) for unit, rent in zip(base.units, rents))
    loads = tuple(n.model_copy(update={"recent_load": 2.675, "cap": 1.001}) for n in base.neighbourhoods)
    original = _hand_built(units=units, neighbourhoods=loads)
    back = _round_trip(original, tmp_path)
    assert back == original
    assert [unit.rent for unit in back.units] == list(rents[:3])


def test_text_cells_are_neutralised():
    """A free-text cell that begins like a formula is written with a leading quote."""
    base = _hand_built()
    site = base.units[1].model_copy(update={"site_id": "=HYPERLINK(1)"})
    units = (base.units[0], site, base.units[2])
    text = instance_files_bytes(_hand_built(units=units))["units.csv"].decode("utf-8")
    assert ",'=HYPERLINK(1)," in text
    assert ",=HYPERLINK" not in text


def test_list_item_with_separator_is_refused():
    base = _hand_built()
    client = base.clients[2].model_copy(update={"preferred_municipalities": ("GM0001;GM0002",)})
    with pytest.raises(ValueError, match="separator"):
        instance_files_bytes(base.model_copy(update={"clients": (*base.clients[:2], client)}))
