"""Personal data in client ids (red-team finding 5): the table of examples in
tests/data/privacy/ids.csv, the ids the project itself makes, and messages that never repeat a
refused id."""

from __future__ import annotations

import csv
import re
import string
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from builders import client, instance, unit
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.audit.redact import Scrambler
from matcher.cli.main import main
from matcher.generate.regions import REGIONS
from matcher.io.read import read_instance
from matcher.stress.arrivals import _arrival_id, _prefix
from models import InvalidInstance
from models.privacy import KINDS, PSEUDONYM_EXAMPLE, mask, personal_data, refusal, shown

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "tests" / "data" / "privacy" / "ids.csv"
EXAMPLES = list(csv.DictReader(TABLE.open(encoding="utf-8")))
REFUSED = [row for row in EXAMPLES if row["verdict"] != "accepted"]
ACCEPTED = [row for row in EXAMPLES if row["verdict"] == "accepted"]

# The examples of the finding, each of which must be in the table and refused.
FINDING = [
    "111.222.333",
    "111-222-333",
    "1112 22 333",
    "06-12345678",
    "+31 6 12345678",
    "0201234567",
    "020-1234567",
    "1984-03-12",
    "12-03-1984",
    "12/03/1984",
    "19840312",
    "2011AB-12",
    "2011 AB 12",
    "ilse zwanenburg",
    "ilse_zwanenburg",
    "IlseZwanenburg",
    "Zwanenburg-1984",
    "I Zwanenburg",
    "I. Zwanenburg",
]


@pytest.mark.parametrize("row", EXAMPLES, ids=[row["value"] for row in EXAMPLES])
def test_each_example_gets_its_verdict(row):
    """Every row of ids.csv: refused as the kind it names, or accepted as a pseudonym."""
    expected = None if row["verdict"] == "accepted" else row["verdict"]
    assert personal_data(row["value"]) == expected, row["why"]


def test_the_table_covers_the_finding():
    """Each example of the finding, and an e-mail address, is refused; every kind has examples;
    at least 30 realistic pseudonyms are accepted."""
    refused = {row["value"] for row in REFUSED}
    assert set(FINDING) <= refused
    assert any("@" in value for value in refused)
    assert set(Counter(row["verdict"] for row in REFUSED)) == set(KINDS)
    assert len(ACCEPTED) >= 30


def bundled_ids() -> list[tuple[str, str]]:
    """(file, id) for every client and unit id of the bundled instances, declined.csv included."""
    found = []
    for file in sorted((ROOT / "instances").glob("*/*.csv")):
        if file.name not in ("clients.csv", "units.csv", "declined.csv"):
            continue
        with file.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                found += [(str(file), row[c]) for c in ("client_id", "unit_id") if row.get(c)]
    return found


def test_every_id_of_the_bundled_instances_is_accepted():
    """The committed instances (C01, C-ZK-0011, U-ZK-0023, …) hold no id the rule refuses."""
    ids = bundled_ids()
    assert len(ids) > 3000
    assert [(file, value) for file, value in ids if personal_data(value)] == []
    styles = {re.sub(r"\d", "9", value) for _, value in ids}
    assert {"C99", "U99", "C-ZK-9999", "U-ZK-9999", "C-WBW-9999"} <= styles


REGION_CODES = sorted(region.code for region in REGIONS.values())
CODES = st.sampled_from(REGION_CODES) | st.text(string.ascii_uppercase, min_size=1, max_size=3)


def test_the_generator_makes_ids_as_the_property_below_draws_them():
    """The generator's ids are C-<region code>-<4 digits>, so the property tests its real output."""
    from matcher.generate.instance import generate_instance

    tables = generate_instance("all", 60, 12, 2, date(2026, 11, 23))
    pattern = rf"[CU]-({'|'.join(REGION_CODES)})-\d{{4}}"
    assert tables["clients"]["client_id"].str.fullmatch(pattern).all()
    assert tables["units"]["unit_id"].str.fullmatch(pattern).all()


@settings(max_examples=300, deadline=None)
@given(code=CODES, number=st.integers(1, 99_999))
def test_generator_pseudonyms_are_always_accepted(code, number):
    """C-<code>-<number> and U-<code>-<number>, as the generator writes them, are pseudonyms."""
    assert personal_data(f"C-{code}-{number:04d}") is None
    assert personal_data(f"U-{code}-{number:04d}") is None


@settings(max_examples=300, deadline=None)
@given(code=CODES, number=st.integers(1, 9_999), week=st.integers(1, 999), arrival=st.integers(1, 999))
def test_stress_arrival_ids_are_always_accepted(code, number, week, arrival):
    """The stress test's arrivals (C-WF-W003-017) are named after the generator's ids."""
    for base in (f"C-{code}-{number:04d}", f"C{number:02d}"):
        assert personal_data(_arrival_id(_prefix(base), week, arrival)) is None


@settings(max_examples=300, deadline=None)
@given(key=st.binary(min_size=1, max_size=16), value=st.text(min_size=1, max_size=30))
def test_redacted_pseudonyms_are_always_accepted(key, value):
    """A redacted copy's ids (C-<12 letters>) are pseudonyms whatever the key and the source id."""
    scramble = Scrambler(key)
    if value.strip():
        assert personal_data(scramble("client", value)) is None


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def break_tiny(folder: Path, value: str, other: str) -> None:
    """Clients C01 and C02 both get `value`; declined.csv names `other` as client and `value` as unit."""
    path = folder / "clients.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][0] = rows[2][0] = value
    write_rows(path, rows)
    write_rows(folder / "declined.csv", [["client_id", "unit_id", "declined_by"], [other, value, "client"]])


# words the messages themselves use ("client-1999" shares "client" with "clients.csv")
MESSAGE_WORDS = set(re.findall(r"[a-z]+", " ".join(refusal(kind) for kind in KINDS).lower())) | {
    "client",
    "clients",
    "declined",
    "unit",
    "units",
    "column",
}


def revealing_parts(value: str) -> list[str]:
    """The value and each of its words and numbers of four or more characters."""
    runs = re.findall(r"[^\W\d_]{4,}|\d{4,}", value)
    return [value, *(run for run in runs if run.lower() not in MESSAGE_WORDS)]


@pytest.mark.parametrize("row", REFUSED, ids=[row["value"] for row in REFUSED])
def test_no_message_repeats_a_refused_id(tiny_copy, row):
    """Refusals, duplicates and unknown references name the row, never the id: not in full, and
    none of its words or numbers of four or more characters."""
    value = row["value"]
    other = REFUSED[(REFUSED.index(row) + 1) % len(REFUSED)]["value"]
    break_tiny(tiny_copy, value, other)
    with pytest.raises(InvalidInstance) as invalid:
        read_instance(tiny_copy)
    text = "\n".join(str(problem) for problem in invalid.value.problems)
    assert "clients.csv, row 2, column client_id" in text
    for part in revealing_parts(value) + revealing_parts(other):
        assert part.lower() not in text.lower(), f"{part!r} shown in:\n{text}"


def test_a_name_is_refused_where_it_stands_and_masked_elsewhere(tiny_copy):
    """`matcher validate` names file, row and column, says what to use instead, and shows the
    duplicate and the unknown reference masked."""
    break_tiny(tiny_copy, "Ilse Zwanenburg", "Pietersma, J.")
    result = CliRunner().invoke(main, ["validate", str(tiny_copy)])
    assert result.exit_code == 2
    for row in (2, 3):
        assert (
            f"clients.csv, row {row}, column client_id: looks like a person's name, personal data that "
            f"would be copied to every output: use a pseudonymous id such as {PSEUDONYM_EXAMPLE}"
        ) in result.output
        assert f"clients.csv, row {row}, column client_id: duplicate id 'I… Z…' (masked personal data)" in (
            result.output
        )
    assert "unknown client 'P…, J.' (masked personal data)" in result.output
    assert "unknown unit 'I… Z…' (masked personal data)" in result.output
    assert "Zwanenburg" not in result.output and "Pietersma" not in result.output


def test_messages_show_pseudonyms_in_full_and_mask_the_rest():
    """`shown` quotes a pseudonym as before and masks personal data; the refusal never holds an id."""
    assert shown("C-ZK-0011") == "'C-ZK-0011'"
    assert shown("Ilse Zwanenburg") == "'I… Z…' (masked personal data)"
    assert mask("IlseZwanenburg") == "I…Z…" and mask("Zwanenburg-1984") == "Z…-…"
    assert mask("111.222.333") == "….….…"
    assert all(PSEUDONYM_EXAMPLE in refusal(kind) and KINDS[kind] in refusal(kind) for kind in KINDS)


def test_landlords_and_sites_are_organisations_and_not_checked():
    """Corporation names read as words ("Pré Wonen" would be refused as a client id), so the rule
    is applied to client ids only: landlords and sites keep their names."""
    assert personal_data("Pré Wonen") == "name"
    units = [
        unit(unit_id="U1", landlord="Pré Wonen"),
        unit(unit_id="U2", landlord="Elan Wonen", type="skaeve_huis", site_id="SKAEVE-VELSEN"),
        unit(unit_id="U3", landlord="Ymere"),
    ]
    assert len(instance([client(client_id="C-ZK-0011")], units).units) == 3
