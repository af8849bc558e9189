"""Landlord workbooks show each unit's address and the landlord's own reference, the landlord's
own contact and the coordinator to return the file to (issue 15); never another landlord's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from matcher.cli.main import main
from matcher.io.read import read_instance
from matcher.review.ledger import workbook_key
from matcher.review.workbook import (
    FIRST_ROW,
    KEYS,
    KEYS_V3,
    META_SHEET,
    REVIEW_SHEET,
    export_workbooks,
    proposal_record,
    read_proposal_folder,
    read_workbook,
)

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"
COLUMN = {key: chr(ord("A") + position) for position, key in enumerate(KEYS)}


@pytest.fixture(scope="module")
def proposal(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("proposal") / "week"
    result = CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def export(instance_path: Path, proposal: Path, tmp_path: Path) -> dict[str, Path]:
    instance = read_instance(instance_path)
    record = proposal_record(instance, read_proposal_folder(proposal), "tiny")
    key = workbook_key(str(tmp_path / "ledger.sqlite"), create=True)
    return {path.stem: path for path in export_workbooks(instance, record, tmp_path / "books", key)}


def rows(path: Path) -> list[dict[str, object]]:
    sheet = load_workbook(path)[REVIEW_SHEET]
    return [
        {key: sheet[f"{COLUMN[key]}{number}"].value for key in KEYS}
        for number in range(FIRST_ROW, sheet.max_row + 1)
    ]


def every_text(path: Path) -> str:
    book = load_workbook(path)
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value
    )


def test_address_and_reference_sit_next_to_the_unit(proposal, tmp_path):
    assert KEYS[KEYS.index("unit_id") + 1 : KEYS.index("unit_id") + 3] == ["address", "landlord_reference"]
    books = export(TINY, proposal, tmp_path)
    shown = {row["unit_id"]: (row["address"], row["landlord_reference"]) for row in rows(books["woonopmaat"])}
    assert shown == {
        "U03": ("Kanaalstraat 20-1, 1971 TW IJmuiden (Kanaalhof)", "WOM-10308"),
        "U05": ("Amsterdamseweg 20-1, 1981 TW Velsen-Zuid (Skaeve Huse Spaarndammerpolder)", "WOM-10382"),
        "U06": ("Lange Nieuwstraat 8B, 1972 LM IJmuiden", "WOM-10419"),
    }
    header = load_workbook(books["woonopmaat"])[REVIEW_SHEET]
    assert header[f"{COLUMN['address']}6"].value == "Address"
    assert header[f"{COLUMN['landlord_reference']}6"].value == "Your reference"


def test_the_title_names_the_coordinator_and_the_landlords_own_contact(proposal, tmp_path):
    books = export(TINY, proposal, tmp_path)
    sheet = load_workbook(books["pre-wonen"])[REVIEW_SHEET]
    assert sheet["A2"].value.startswith(
        "Your contact for these matches: Team Verhuur Pré Wonen, verhuur.prewonen@voorbeeld.nl, 023 555 0110\nWeek "
    )
    assert sheet["A3"].value == (
        "Return this file by Friday 27 November 2026 to the coordinator: "
        "Coördinator Zuid-Kennemerland, coordinator@voorbeeld.nl, 023 555 0100."
    )


def test_a_landlord_never_sees_another_landlords_contact_or_units(proposal, tmp_path):
    instance = read_instance(TINY)
    books = export(TINY, proposal, tmp_path)
    for stem, landlord in (
        ("pre-wonen", "Pré Wonen"),
        ("elan-wonen", "Elan Wonen"),
        ("woonopmaat", "Woonopmaat"),
    ):
        text = every_text(books[stem])
        for contact in instance.contacts:
            if contact.role == "landlord" and contact.landlord != landlord:
                assert contact.email not in text and contact.name not in text and contact.phone not in text
        for unit in instance.units:
            if unit.landlord != landlord:
                assert unit.unit_id not in {r["unit_id"] for r in rows(books[stem])}
                assert unit.landlord_reference not in text and unit.street not in text


def test_no_client_fact_beyond_what_the_workbook_showed(proposal, tmp_path):
    """Addresses are of units; client columns are the same four as before."""
    client_columns = KEYS[: KEYS.index("unit_id")]
    assert client_columns == ["client_id", "household_size", "support_intensity", "provider_needed"]
    books = export(TINY, proposal, tmp_path)
    text = every_text(books["woonopmaat"])
    instance = read_instance(TINY)
    for client in instance.clients:
        assert client.source not in text.split()


def test_without_contacts_the_return_line_is_as_before(proposal, tmp_path):
    bare = tmp_path / "bare"
    shutil.copytree(TINY, bare)
    (bare / "contacts.csv").unlink()
    sheet = load_workbook(export(bare, proposal, tmp_path)["pre-wonen"])[REVIEW_SHEET]
    assert sheet["A3"].value == "Return this file by Friday 27 November 2026 to the coordinator."
    assert sheet["A2"].value.startswith("Week ")


def test_the_dutch_workbook_names_the_coordinator(proposal, tmp_path, dutch):
    sheet = load_workbook(export(TINY, proposal, tmp_path)["elan-wonen"]).worksheets[0]
    assert sheet["A3"].value == (
        "Stuur dit bestand uiterlijk vrijdag 27 november 2026 terug naar de coördinator: "
        "Coördinator Zuid-Kennemerland, coordinator@voorbeeld.nl, 023 555 0100."
    )
    assert sheet["A2"].value.startswith(
        "Uw contactpersoon voor deze koppelingen: Team Bijzondere Doelgroepen"
    )
    assert sheet[f"{COLUMN['address']}6"].value == "Adres"


def test_a_changed_address_cell_is_refused_like_any_locked_cell(proposal, tmp_path):
    path = export(TINY, proposal, tmp_path)["woonopmaat"]
    book = load_workbook(path)
    book[REVIEW_SHEET][f"{COLUMN['address']}{FIRST_ROW}"] = "Elders 1, 1000 AA Amsterdam"
    book[REVIEW_SHEET][f"{COLUMN['decision']}{FIRST_ROW}"] = "accept"
    book.save(path)
    _batch, problems = read_workbook(path)
    (problem,) = problems
    assert (problem.row, problem.column) == (FIRST_ROW, COLUMN["address"])
    assert problem.message.startswith("Address changed from")


def test_a_filled_in_workbook_reads_back_with_its_decisions(proposal, tmp_path):
    path = export(TINY, proposal, tmp_path)["woonopmaat"]
    book = load_workbook(path)
    book[REVIEW_SHEET][f"{COLUMN['decision']}{FIRST_ROW}"] = "accept"
    book.save(path)
    batch, problems = read_workbook(path)
    assert problems == []
    assert [(d.client_id, d.unit_id, d.decision) for d in batch.decisions] == [("C03", "U03", "accept")]
    record = load_workbook(path)[META_SHEET]
    header = {row[0]: row[1] for row in record.iter_rows(max_col=2, values_only=True) if row[0]}
    assert header["format_version"] == "4"


def test_a_version_3_layout_is_still_known():
    assert [key for key in KEYS if key not in ("address", "landlord_reference")] == KEYS_V3
    assert "status" in KEYS_V3


def test_a_version_3_workbook_without_addresses_still_imports(proposal, tmp_path):
    """A workbook exported before version 4 (out with a landlord now) imports as before."""
    from matcher.io.files import sha256_bytes
    from matcher.review.workbook import META_COLUMNS_V3, TABLE_MARK, _signed_content

    ledger = str(tmp_path / "ledger.sqlite")
    instance = read_instance(TINY)
    record = proposal_record(instance, read_proposal_folder(proposal), "tiny")
    key = workbook_key(ledger, create=True)
    path = {p.stem: p for p in export_workbooks(instance, record, tmp_path / "books", key)}["woonopmaat"]
    book = load_workbook(path)
    book[REVIEW_SHEET].delete_cols(KEYS.index("address") + 1, 2)
    lines = [
        ["" if v is None else str(v) for v in line] for line in book[META_SHEET].iter_rows(values_only=True)
    ]
    mark = [line[0] for line in lines].index(TABLE_MARK)
    header = {line[0]: line[1] for line in lines[:mark]}
    header["format_version"] = "3"
    table = [line[: len(META_COLUMNS_V3)] for line in lines[mark + 2 :] if any(line)]
    content = _signed_content(header, table)
    header.update(digest=sha256_bytes(content), key_id=key.key_id, signature=key.sign(content))
    del book[META_SHEET]
    meta = book.create_sheet(META_SHEET)
    for name, value in header.items():
        meta.append([name, value])
    meta.append([TABLE_MARK])
    meta.append(list(META_COLUMNS_V3))
    for line in table:
        meta.append(line)
    meta.sheet_state = "veryHidden"
    v3 = {key: chr(ord("A") + position) for position, key in enumerate(KEYS_V3)}
    book[REVIEW_SHEET][f"{v3['decision']}{FIRST_ROW}"] = "accept"
    book.save(path)
    batch, problems = read_workbook(path)
    assert problems == []
    assert [(d.client_id, d.unit_id, d.decision) for d in batch.decisions] == [("C03", "U03", "accept")]
