"""The landlord workbook in Dutch (the default) and in English, and the import of either (issue 15).

A workbook is written in the user's language: sheet names, headers, instructions, the Decision
drop-down, Status, Support provider needed and the codes sheet. Whatever language the workbook is
in, and whatever language the coordinator runs `matcher` in, the import reads it: an English
workbook exported before the switch to Dutch still imports, and a Dutch one imports with --lang en.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from matcher.cli.main import main
from matcher.i18n import set_language
from matcher.io.read import read_instance
from matcher.review.ledger import LANDLORD_REASONS, read_ledger, workbook_key
from matcher.review.reasons import BOOK, table
from matcher.review.workbook import (
    FIRST_ROW,
    HEADER_ROW,
    KEYS,
    META_SHEET,
    export_workbooks,
    proposal_record,
    read_proposal_folder,
    read_workbook,
)

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"
COLUMN = {key: chr(ord("A") + position) for position, key in enumerate(KEYS)}


@pytest.fixture
def language():
    """Set the language for one test; back to MATCHER_LANG / the default afterwards."""
    yield set_language
    set_language(None)


@pytest.fixture(scope="module")
def proposal(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("proposal") / "week"
    result = CliRunner().invoke(main, ["--lang", "en", "solve", str(TINY), "--out", str(out)])
    set_language(None)
    assert result.exit_code == 0, result.output
    return out


def export(proposal: Path, folder: Path, lang: str) -> dict[str, Path]:
    """Workbooks for the tiny proposal written in `lang`, signed by a new ledger's key in `folder`."""
    set_language(lang)
    try:
        instance = read_instance(TINY)
        record = proposal_record(instance, read_proposal_folder(proposal), "tiny")
        key = workbook_key(str(folder / "ledger.sqlite"), create=True)
        paths = export_workbooks(instance, record, folder / f"books-{lang}", key)
    finally:
        set_language(None)
    return {path.stem: path for path in paths}


def fill(path: Path, cells: dict[str, object]) -> None:
    book = load_workbook(path)
    sheet = book.worksheets[0]
    for ref, value in cells.items():
        sheet[ref] = value
    book.save(path)


def test_the_workbook_is_dutch_by_default(proposal, tmp_path, language):
    """Sheet names, headers, instructions, drop-down words, Status and the codes sheet in Dutch."""
    book = load_workbook(export(proposal, tmp_path, "nl")["woonopmaat"])
    assert book.sheetnames == ["Beoordeling", "Redencodes", META_SHEET]
    sheet = book["Beoordeling"]
    headers = [sheet.cell(row=HEADER_ROW, column=c).value for c in range(1, len(KEYS) + 1)]
    assert headers == [
        "Cliënt (pseudoniem)",
        "Grootte huishouden",
        "Zwaarte begeleiding",
        "Zorgaanbieder nodig",
        "Woning",
        "Adres",
        "Uw referentie",
        "Huur (EUR / maand)",
        "Verhuizen vanaf",
        "Status",
        "Beslissing",
        "Redencode (bij afwijzen)",
        "Toelichting",
    ]
    assert sheet["A1"].value == "Voorgestelde koppelingen voor Woonopmaat"
    assert (
        "Week 23 nov 2026 – 29 nov 2026" in sheet["A2"].value
        and "3 koppelingen: 3 nieuw, 0 eerder gestuurd" in sheet["A2"].value
    )
    assert sheet["A2"].value.startswith(
        "Uw contactpersoon voor deze koppelingen: Woonconsulent Woonopmaat, "
        "woonconsulent.woonopmaat@example.org, 0255 555 013\n"
    )
    assert sheet["A3"].value == (
        "Stuur dit bestand uiterlijk vrijdag 27 november 2026 terug naar de coördinator: "
        "Coördinator Zuid-Kennemerland, coordinator@voorbeeld.nl, 023 555 0100."
    )
    assert "Kies per koppeling accepteren of afwijzen onder Beslissing" in sheet["A4"].value
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    last = sheet.max_row
    assert lists[f"{COLUMN['decision']}{FIRST_ROW}:{COLUMN['decision']}{last}"] == '"accepteren,afwijzen"'
    assert lists[f"{COLUMN['reason_code']}{FIRST_ROW}:{COLUMN['reason_code']}{last}"] == (
        '"' + ",".join(LANDLORD_REASONS) + '"'
    )
    rows = range(FIRST_ROW, last + 1)
    assert {sheet[f"{COLUMN['status']}{n}"].value for n in rows} == {"nieuw"}
    assert {sheet[f"{COLUMN['provider_needed']}{n}"].value for n in rows} <= {"ja", "nee"}
    codes = list(book["Redencodes"].iter_rows(values_only=True))
    assert codes[0] == (
        "Redencode",
        "Omschrijving",
        "Gebruik deze als",
        "Een afwijzing hiermee sluit uit, voor deze cliënt",
    )
    assert codes[4][:2] == ("neighbourhood_situation", "Situatie in de buurt")
    assert codes[4][3] == "elke woning van hetzelfde complex, 13 weken lang"
    meta = {row[0]: row[1] for row in book[META_SHEET].iter_rows(values_only=True) if row and row[0]}
    assert meta["language"] == "nl"


def test_the_workbook_is_english_with_lang_en(proposal, tmp_path):
    book = load_workbook(export(proposal, tmp_path, "en")["woonopmaat"])
    assert book.sheetnames == ["Review", "Reason codes", META_SHEET]
    assert book["Review"][f"{COLUMN['decision']}{HEADER_ROW}"].value == "Decision"
    assert book["Review"]["A3"].value == (
        "Return this file by Friday 27 November 2026 to the coordinator: "
        "Coördinator Zuid-Kennemerland, coordinator@voorbeeld.nl, 023 555 0100."
    )
    meta = {row[0]: row[1] for row in book[META_SHEET].iter_rows(values_only=True) if row and row[0]}
    assert meta["language"] == "en"


DUTCH_FILLED = {
    f"{COLUMN['decision']}{FIRST_ROW}": "accepteren",
    f"{COLUMN['decision']}{FIRST_ROW + 1}": "Afwijzen",
    f"{COLUMN['reason_code']}{FIRST_ROW + 1}": "support_not_arranged",
    f"{COLUMN['decision']}{FIRST_ROW + 2}": "afwijzen",
    f"{COLUMN['reason_code']}{FIRST_ROW + 2}": "Woning niet beschikbaar",  # a label, read as its code
}
ENGLISH_FILLED = {
    f"{COLUMN['decision']}{FIRST_ROW}": "accept",
    f"{COLUMN['decision']}{FIRST_ROW + 1}": "Decline",
    f"{COLUMN['reason_code']}{FIRST_ROW + 1}": "support_not_arranged",
    f"{COLUMN['decision']}{FIRST_ROW + 2}": "decline",
    f"{COLUMN['reason_code']}{FIRST_ROW + 2}": "Unit not available",
}
EXPECTED = [
    ("C03", "U03", "accept", None),
    ("C04", "U05", "decline", "support_not_arranged"),
    ("C06", "U06", "decline", "unit_not_available"),
]


@pytest.mark.parametrize("written", ["nl", "en"])
@pytest.mark.parametrize("read_in", ["nl", "en"])
@pytest.mark.parametrize("filled", [DUTCH_FILLED, ENGLISH_FILLED], ids=["dutch-words", "english-words"])
def test_either_language_imports_in_either_language(proposal, tmp_path, language, written, read_in, filled):
    """A workbook written in Dutch or English, filled in with either language's words, imports
    the same decisions whatever language the coordinator runs matcher in."""
    path = export(proposal, tmp_path, written)["woonopmaat"]
    fill(path, filled)
    language(read_in)
    batch, problems = read_workbook(path)
    assert problems == []
    assert [(d.client_id, d.unit_id, d.decision, d.reason_code) for d in batch.decisions] == EXPECTED
    assert {d.period_start for d in batch.decisions} == {date(2026, 11, 23)}


def test_problems_are_told_in_dutch(proposal, tmp_path, language):
    path = export(proposal, tmp_path, "nl")["woonopmaat"]
    fill(
        path,
        {
            f"{COLUMN['decision']}{FIRST_ROW}": "misschien",
            f"{COLUMN['decision']}{FIRST_ROW + 1}": "afwijzen",
            f"{COLUMN['rent']}{FIRST_ROW + 2}": 1.0,
        },
    )
    language("nl")
    _batch, problems = read_workbook(path)
    messages = {(p.file, p.row, p.column): p.message for p in problems}
    assert messages == {
        ("woonopmaat.xlsx [Beoordeling]", FIRST_ROW + 2, COLUMN["rent"]): "Huur (EUR / maand) gewijzigd van "
        "'800' in '1': deze kolom is vergrendeld, gebruik de werkmap zoals die is verstuurd",
        ("woonopmaat.xlsx [Beoordeling]", FIRST_ROW, COLUMN["decision"]): "'misschien' is geen beslissing: "
        "kies accepteren of afwijzen",
        (
            "woonopmaat.xlsx [Beoordeling]",
            FIRST_ROW + 1,
            COLUMN["reason_code"],
        ): "bij afwijzen hoort een redencode",
    }


def test_a_changed_header_is_refused_in_either_language_it_is_read(proposal, tmp_path, language):
    """A header may read in either language; anything else is refused."""
    path = export(proposal, tmp_path, "nl")["woonopmaat"]
    fill(path, {f"{COLUMN['note']}{HEADER_ROW}": "Note", f"{COLUMN['decision']}{FIRST_ROW}": "accepteren"})
    assert read_workbook(path)[1] == []  # the English header of the same column
    fill(path, {f"{COLUMN['note']}{HEADER_ROW}": "Opmerking"})
    language("en")
    problems = read_workbook(path)[1]
    assert [(p.row, p.column) for p in problems] == [(HEADER_ROW, COLUMN["note"])]
    assert "it must read 'Note'" in problems[0].message


def cli(*args: object, code: int = 0) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    set_language(None)
    assert result.exit_code == code, (result.output, result.exception)
    assert "Traceback" not in result.output
    return result.output


def test_a_dutch_reexport_shows_the_decision_in_dutch_and_takes_it_back_unchanged(
    proposal, tmp_path, monkeypatch
):
    """Week exported in English, filled in English, imported in Dutch; re-exported in Dutch, the
    decided row shows `accepteren` / `besloten op …`, locked, and comes back unchanged."""
    monkeypatch.delenv("MATCHER_LANG", raising=False)
    ledger = tmp_path / "ledger.sqlite"
    books = tmp_path / "books"
    cli("--lang", "en", "review", "export", TINY, "--proposal", proposal, "--out", books, "--ledger", ledger)
    fill(books / "woonopmaat.xlsx", {f"{COLUMN['decision']}{FIRST_ROW}": "accept"})
    out = cli("review", "import", books / "woonopmaat.xlsx", "--ledger", ledger)
    assert [(r["client_id"], r["decision"]) for r in read_ledger(ledger).decisions] == [("C03", "accept")]
    again = tmp_path / "again"
    out = cli("review", "export", TINY, "--proposal", proposal, "--out", again, "--ledger", ledger)
    day = read_ledger(ledger).decisions[0]["recorded_at"].date().isoformat()
    sheet = load_workbook(again / "woonopmaat.xlsx")["Beoordeling"]
    assert sheet[f"{COLUMN['status']}{FIRST_ROW}"].value == f"besloten op {day}"
    assert sheet[f"{COLUMN['decision']}{FIRST_ROW}"].value == "accepteren"
    assert sheet[f"{COLUMN['decision']}{FIRST_ROW}"].protection.locked
    assert sheet[f"{COLUMN['status']}{FIRST_ROW + 1}"].value == "eerder gestuurd"
    fill(
        again / "woonopmaat.xlsx",
        {
            f"{COLUMN['decision']}{FIRST_ROW + 1}": "afwijzen",
            f"{COLUMN['reason_code']}{FIRST_ROW + 1}": "other",
        },
    )
    out = cli("--lang", "en", "review", "import", again / "woonopmaat.xlsx", "--ledger", ledger)
    assert "1 row(s) decided earlier came back unchanged" in out
    assert sorted((r["client_id"], r["decision"]) for r in read_ledger(ledger).decisions) == [
        ("C03", "accept"),
        ("C04", "decline"),
    ]
    # the decided row changed (in the other language's word for another decision): refused in Dutch
    fill(again / "woonopmaat.xlsx", {f"{COLUMN['decision']}{FIRST_ROW}": "decline"})
    out = cli("review", "import", again / "woonopmaat.xlsx", "--ledger", ledger, code=2)
    assert (
        f"Beslissing gewijzigd van 'accepteren' in 'decline': over deze koppeling is op {day} besloten" in out
    )
    assert "Zet 'accepteren' terug" in out


def test_the_documented_reason_tables_match_the_book_in_both_languages(language):
    """docs/review-loop.md shows each party's codes in English and in Dutch, as reasons.py renders them."""
    docs = (ROOT / "docs" / "review-loop.md").read_text(encoding="utf-8")
    for lang in ("en", "nl"):
        language(lang)
        for party in BOOK:
            assert table(party) in docs, (lang, party)
