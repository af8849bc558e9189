"""The provider export (warm hand-over; issue 14, item 5): `matcher review provider` writes, for
one care provider, only its clients whose move is confirmed (accepted by client and landlord in
the ledger), with Dutch headers, safe against formula injection, as CSV or .xlsx; an unknown
provider is refused with the known ones listed; no confirmed move gives headers only."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from matcher.cli.main import main

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"
LDH, HVO = "Leger des Heils", "HVO-Querido"


def invoke(*args: object, code: int = 0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def week(tmp_path) -> dict:
    """tiny with every client's provider (Leger des Heils for C01–C04, HVO-Querido for the rest),
    Woonopmaat's contact a phone number only (a cell that begins with `+`), solved and exported to
    a ledger; then two matches of each provider decided."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    clients = pd.read_csv(folder / "clients.csv", dtype=str, keep_default_na=False)
    clients["provider"] = [LDH if k < 4 else HVO for k in range(len(clients))]
    clients.to_csv(folder / "clients.csv", index=False)
    contacts = pd.read_csv(folder / "contacts.csv", dtype=str, keep_default_na=False)
    woonopmaat = contacts["landlord"] == "Woonopmaat"
    contacts.loc[woonopmaat, ["name", "email", "phone"]] = ["", "", "+31 255 555 013"]
    contacts.to_csv(folder / "contacts.csv", index=False)
    proposal, ledger = tmp_path / "proposal", tmp_path / "ledger.sqlite"
    invoke("solve", folder, "--out", proposal)
    invoke(
        "review", "export", folder, "--proposal", proposal, "--out", tmp_path / "books", "--ledger", ledger
    )
    matches = pd.read_csv(proposal / "proposals.csv", dtype=str, keep_default_na=False)
    pairs = list(zip(matches.iloc[:, 0], matches.iloc[:, 1]))
    provider = dict(zip(clients["client_id"], clients["provider"]))
    return {"folder": folder, "ledger": ledger, "pairs": pairs, "provider": provider}


def decide(week: dict, client: str, unit: str, landlord: str = "accept", by_client: str = "accept") -> None:
    invoke("record", "--ledger", week["ledger"], "--client", client, "--unit", unit, "--decision", by_client)
    invoke(
        "record",
        "--ledger",
        week["ledger"],
        "--client",
        client,
        "--unit",
        unit,
        "--decision",
        landlord,
        "--by",
        "landlord",
        *(["--reason", "other"] if landlord == "decline" else []),
    )


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_only_that_providers_confirmed_moves(week, tmp_path, dutch):
    """Of the proposed matches: every Leger des Heils match but the last confirmed by both, the
    last accepted by the client only (not confirmed); every HVO-Querido match confirmed. The
    export of Leger des Heils holds exactly its confirmed ones, Dutch headers, Dutch words."""
    ldh = [pair for pair in week["pairs"] if week["provider"][pair[0]] == LDH]
    hvo = [pair for pair in week["pairs"] if week["provider"][pair[0]] == HVO]
    assert len(ldh) >= 2 and hvo, week["pairs"]
    for client, unit in ldh[:-1] + hvo:
        decide(week, client, unit)
    invoke(
        "record",
        "--ledger",
        week["ledger"],
        "--client",
        ldh[-1][0],
        "--unit",
        ldh[-1][1],
        "--decision",
        "accept",
    )
    out = tmp_path / "ldh.csv"
    result = invoke(
        "review", "provider", week["folder"], "--ledger", week["ledger"], "--provider", LDH, "--out", out
    )
    assert "bevestigde verhuizing" in result.output
    found = rows(out)
    assert {(r["cliënt"], r["woning"]) for r in found} == set(ldh[:-1])
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith(
        "cliënt,woning,straat,huisnummer,postcode,woonplaats,naam gemeente,naam wijk,corporatie"
    )
    assert "verhuisdatum" in header and "begeleiding" in header and "huurcontract" in header
    clients = dict(zip(*_table(week["folder"], "clients")))
    units = dict(zip(*_table(week["folder"], "units")))
    for r in found:
        assert r["begeleiding"] in {"licht", "ambulant", "intensief", "beschermd"}
        assert r["huurcontract"] in {"vaste huur", "tijdelijk, voor de duur van het begeleidingstraject"}
        assert r["contactpersoon coördinator"].startswith("Coördinator Zuid-Kennemerland")
        # the later of the unit's available_from and the client's ready_from
        ready, available = clients[r["cliënt"]]["ready_from"], units[r["woning"]]["available_from"]
        assert r["verhuisdatum"] == max(ready, available)
    # formula-injection safe: Woonopmaat's phone-only contact begins with `+`
    woonopmaat = [r for r in found if r["corporatie"] == "Woonopmaat"]
    for r in woonopmaat:
        assert r["contactpersoon corporatie"] == "'+31 255 555 013"


def _table(folder: Path, name: str):
    frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
    return frame.iloc[:, 0], frame.to_dict("records")


def test_xlsx_in_english(week, tmp_path):
    hvo = [pair for pair in week["pairs"] if week["provider"][pair[0]] == HVO]
    for client, unit in hvo:
        decide(week, client, unit)
    out = tmp_path / "hvo.xlsx"
    invoke(
        "review",
        "provider",
        week["folder"],
        "--ledger",
        week["ledger"],
        "--provider",
        f" {HVO} ",
        "--out",
        out,
    )
    sheet = load_workbook(out).active
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert table[0][:2] == ["client_id", "unit_id"] and "moving_date" in table[0]
    assert {(row[0], row[1]) for row in table[1:]} == set(hvo)
    assert all(
        row[table[0].index("support_intensity")] in {"light", "ambulant", "intensive", "protected"}
        for row in table[1:]
    )


def test_no_confirmed_move_gives_headers_only(week, tmp_path, dutch):
    ldh = [pair for pair in week["pairs"] if week["provider"][pair[0]] == LDH]
    decide(week, *ldh[0], landlord="decline")  # declined by the landlord: not a move
    out = tmp_path / "none.csv"
    result = invoke(
        "review", "provider", week["folder"], "--ledger", week["ledger"], "--provider", LDH, "--out", out
    )
    assert "geen bevestigde verhuizingen" in result.output
    assert rows(out) == []
    assert out.read_text(encoding="utf-8").startswith("cliënt,woning")


@pytest.mark.parametrize(
    ("language", "words"), [("nl", "onbekende zorgaanbieder"), ("en", "unknown care provider")]
)
def test_an_unknown_provider_lists_the_known_ones(week, tmp_path, monkeypatch, language, words):
    monkeypatch.setenv("MATCHER_LANG", language)
    out = tmp_path / "x.csv"
    result = invoke(
        "review",
        "provider",
        week["folder"],
        "--ledger",
        week["ledger"],
        "--provider",
        "Leger des heils",
        "--out",
        out,
        code=2,
    )
    assert words in result.output
    assert f"{HVO}, {LDH}" in result.output
    assert not out.exists()


def test_a_cell_that_begins_like_a_formula_is_neutralised(week, tmp_path):
    """Woonopmaat's contact is a phone number only, `+31 255 555 013`: written as text (`'+31…`)
    in the CSV and as a text cell in the workbook, never as a formula."""
    woonopmaat = [pair for pair in week["pairs"] if pair[1] in {"U03", "U04", "U05", "U06"}]
    assert woonopmaat, week["pairs"]
    client, unit = woonopmaat[0]
    decide(week, client, unit)
    provider = week["provider"][client]
    out = tmp_path / "w.csv"
    invoke(
        "review", "provider", week["folder"], "--ledger", week["ledger"], "--provider", provider, "--out", out
    )
    (row,) = rows(out)
    assert row["landlord_contact"] == "'+31 255 555 013"
    book = tmp_path / "w.xlsx"
    invoke(
        "review",
        "provider",
        week["folder"],
        "--ledger",
        week["ledger"],
        "--provider",
        provider,
        "--out",
        book,
    )
    sheet = load_workbook(book).active
    cells = {cell.value: cell.data_type for cell in sheet[2]}
    assert all(kind != "f" for kind in cells.values())
