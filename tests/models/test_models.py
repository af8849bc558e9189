"""Domain rules of models/: pseudonymous client ids, cell checks, references across files, and
`Instance.with_row`, which changes one row and leaves the instance frozen."""

from __future__ import annotations

from datetime import date

import pytest
from builders import client, instance, unit
from pydantic import ValidationError

from models import Instance, InvalidInstance, Municipality, Neighbourhood, Policy, Unit


def problems(**parts) -> list[str]:
    """The messages of the InvalidInstance that building an instance from `parts` raises."""
    with pytest.raises(InvalidInstance) as raised:
        instance(**parts)
    return [str(p) for p in raised.value.problems]


# --- client ids: pseudonyms only ----------------------------------------------------------------


def test_an_id_that_is_a_bsn_is_refused():
    """123456782 passes the 11-test (9·1 + 8·2 + … + 2·8 = 156, 156 − 2 = 154 = 14·11): refused."""
    assert problems(clients=[client(client_id="123456782")]) == [
        "clients.csv, column client_id: looks like a citizen service number (BSN), personal data that "
        "would be copied to every output: use a pseudonymous id such as C-0042"
    ]


def test_an_id_that_contains_a_bsn_is_refused_but_another_number_is_not():
    """A BSN inside a longer id is still a BSN; 123456789 fails the 11-test and is a fine id."""
    assert len(problems(clients=[client(client_id="MO-123456782")])) == 1
    assert instance([client(client_id="MO-123456789")]).clients[0].client_id == "MO-123456789"


def test_an_id_that_looks_like_a_name_is_refused():
    """'Jan Jansen' and 'de Vries' look like names; 'C-ZK-0103' is a pseudonym."""
    for name in ("Jan Jansen", "de Vries"):
        assert problems(clients=[client(client_id=name)]) == [
            "clients.csv, column client_id: looks like a person's name, personal data that would be "
            "copied to every output: use a pseudonymous id such as C-0042"
        ]
    assert instance([client(client_id="C-ZK-0103")]).clients[0].client_id == "C-ZK-0103"


# --- cells ----------------------------------------------------------------------------------------


def test_an_id_that_starts_like_a_formula_is_refused():
    """'=HYPERLINK(…)' would run in a spreadsheet: refused when the client is made."""
    with pytest.raises(ValidationError, match="spreadsheet programs would run it as a formula"):
        client(client_id='=HYPERLINK("x")')


def test_cells_parse_lists_booleans_and_dates():
    """'GM0392; GM0405;' → two ids; 'YES' → True; an ISO date → a date; 2026-02-30 is refused."""
    c = client(preferred_municipalities="GM0392; GM0405;", needs_accessible="YES", ready_from="2026-12-01")
    assert c.preferred_municipalities == ("GM0392", "GM0405")
    assert c.needs_accessible is True and c.ready_from == date(2026, 12, 1)
    with pytest.raises(ValidationError, match="not a real calendar date"):
        client(registered_on="2026-02-30")
    with pytest.raises(ValidationError, match="names an id twice"):
        client(preferred_municipalities="GM0392;GM0392")


def test_a_cluster_needs_a_site():
    """A cluster or Skaeve Huis without site_id is refused; with one it is fine."""
    with pytest.raises(ValidationError, match="site_id is required for a cluster unit"):
        unit(type="cluster")
    assert unit(type="cluster", site_id="S1").site_id == "S1"


def test_policy_needs_a_period_and_fills_in_the_defaults():
    """No period: refused. A period alone: the allocation rules' defaults, and a 7-day period
    from 2026-11-23 ends 2026-11-29."""
    with pytest.raises(ValidationError, match="period"):
        Policy.model_validate({})
    policy = Policy(period={"start": "2026-11-23"})
    assert policy.period.end == date(2026, 11, 29)
    assert policy.spreading.load_weight == {"light": 1, "ambulant": 1, "intensive": 2, "protected": 2}
    assert policy.preference.for_rank(1) == 20 and policy.preference.for_rank(7) == 10
    assert policy.priority.urgency_base == {"normal": 100, "high": 150, "acute": 200}


# --- across files ---------------------------------------------------------------------------------


def test_unknown_municipality_of_origin():
    """A client from GM9999, which municipalities.csv does not list."""
    assert problems(clients=[client(origin_municipality_id="GM9999")]) == [
        "clients.csv, column origin_municipality_id: unknown municipality 'GM9999': "
        "add it to municipalities.csv or correct the id"
    ]


def test_every_cross_file_problem_is_reported_at_once():
    """A unit in Haarlem placed in Hoorn's neighbourhood, a client excluding an unknown
    neighbourhood, a duplicate client id (reported on both rows) and slots for an unknown
    municipality: five problems, one raise."""
    found = problems(
        units=[unit(neighbourhood_id="WK040501")],
        clients=[client(excluded_neighbourhoods="WK999999"), client()],
        support_capacity=[{"municipality_id": "GM9999", "support_intensity": "light", "slots": 1}],
    )
    assert found == [
        "clients.csv, column client_id: duplicate id 'C1': ids must be unique",
        "clients.csv, column client_id: duplicate id 'C1': ids must be unique",
        "units.csv, column neighbourhood_id: neighbourhood 'WK040501' lies in 'GM0405', not in 'GM0392': "
        "correct the municipality or the neighbourhood",
        "clients.csv, column excluded_neighbourhoods: unknown neighbourhood 'WK999999': "
        "add it to neighbourhoods.csv or correct the id",
        "support_capacity.csv, column municipality_id: unknown municipality 'GM9999': "
        "add it to municipalities.csv or correct the id",
    ]


def test_declined_pairs_must_name_known_clients_and_units():
    """A declined pair for client C9 and unit U9, neither in the instance."""
    assert problems(declined=[{"client_id": "C9", "unit_id": "U9", "declined_by": "client"}]) == [
        "declined.csv, column client_id: unknown client 'C9': add it to clients.csv or correct the id",
        "declined.csv, column unit_id: unknown unit 'U9': add it to units.csv or correct the id",
    ]


# --- with_row -------------------------------------------------------------------------------------


def two_clients() -> Instance:
    return instance(
        [client(client_id="C1"), client(client_id="C2")], [unit(unit_id="U1"), unit(unit_id="U2")]
    )


def test_with_row_changes_one_row_only():
    """Raising C2's max_rent changes that cell only: C1, the units and the original stay as they were."""
    original = two_clients()
    changed = original.with_row("clients", 1, max_rent=750.0)
    assert changed.clients[1].max_rent == 750.0
    assert changed.clients[1].model_dump(exclude={"max_rent"}) == original.clients[1].model_dump(
        exclude={"max_rent"}
    )
    assert changed.clients[0] is original.clients[0]
    assert changed.units is original.units and changed.policy is original.policy
    assert original.clients[1].max_rent is None
    assert changed != original


def test_with_row_keeps_the_instance_frozen_and_valid():
    """The copy is frozen like the original (no assignment to a table or a row) and, for a valid
    change, is a valid instance: validating its data again gives an equal instance."""
    changed = two_clients().with_row("neighbourhoods", 0, cap=2.5)
    with pytest.raises(ValidationError):
        changed.clients = ()
    with pytest.raises(ValidationError):
        changed.neighbourhoods[0].cap = 3.0
    assert isinstance(changed.clients, tuple)
    assert Instance.model_validate(changed.model_dump()) == changed


def test_frozen_rows_refuse_unknown_fields():
    """extra='forbid': a cell in a column the model does not know is refused."""
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Municipality(municipality_id="GM0392", name="Haarlem", region="ZK", population=1, mayor="x")
    with pytest.raises(ValidationError):
        Neighbourhood(neighbourhood_id="WK1", municipality_id="GM0392", name="W", dwellings=-1)
    with pytest.raises(ValidationError):
        Unit.model_validate(
            {
                "unit_id": "U1",
                "type": "villa",
                "landlord": "L",
                "municipality_id": "GM0392",
                "neighbourhood_id": "WK1",
                "rent": 1,
                "available_from": "2026-11-01",
            }
        )
