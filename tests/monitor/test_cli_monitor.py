"""`matcher monitor` run as a coordinator runs it: the workbook, the page, the terminal table,
both languages, periods and bad input (conftest.py tells the two weeks' story)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from click.testing import CliRunner
from openpyxl import load_workbook

from matcher.cli.main import main
from matcher.monitor.page import page_html
from matcher.monitor.report import monitor_of
from matcher.monitor.workbook import FIRST_ROW, workbook_bytes

DUTCH_SHEETS = [
    "Kerncijfers",
    "Per week",
    "Per gemeente",
    "Per corporatie",
    "Per doelgroep",
    "Herkomst",
    "Afspraken",
    "Leegstand",
    "Tekort",
    "Koppelingen",
    "Definities",
]
ENGLISH_SHEETS = [
    "Headline figures",
    "Per week",
    "Per gemeente",
    "Per corporatie",
    "Per doelgroep",
    "Origin",
    "Agreements",
    "Vacancy",
    "Shortfall",
    "Koppelingen",
    "Definitions",
]
CLIENT_ID = re.compile(r"\bC0\d\b")


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def rows(sheet) -> list[list[object]]:
    return [list(row) for row in sheet.iter_rows(min_row=FIRST_ROW + 1, values_only=True)]


def headline(sheet) -> dict[str, object]:
    return {str(name): value for name, value in rows(sheet)}


def test_the_dutch_workbook_page_and_table(two_weeks, tmp_path, restore_language):
    """Dutch by default: sheets, columns and figures; the page holds its pictures and names no client."""
    out = tmp_path / "monitor"
    result = invoke("--lang", "nl", "monitor", "--ledger", two_weeks["ledger"], "--out", out)
    assert result.exit_code == 0, result.output
    assert "doorstroom (gehuisvest)" in result.output and "nog wachtend aan het eind" in result.output
    book = load_workbook(out / "monitor.xlsx")
    assert book.sheetnames == DUTCH_SHEETS
    figures = headline(book["Kerncijfers"])
    assert figures["instroom"] == 6 and figures["doorstroom (gehuisvest)"] == 4
    assert figures["uitstroom naar een eigen woning"] == 4 and figures["nog wachtend aan het eind"] == 5
    assert figures["aandeel in de gemeente van herkomst"] == "50%"
    gemeenten = book["Per gemeente"]
    assert [cell.value for cell in gemeenten[FIRST_ROW]][:3] == [
        "gemeente",
        "naam",
        "gehuisvest in deze gemeente",
    ]
    assert [row[:8] for row in rows(gemeenten)] == [
        ["GM0392", "Haarlem", 2, 1, 2, 2, 4, 2],
        ["GM0453", "Velsen", 2, 1, 2, 3, 2, 1],
    ]
    assert sorted(rows(book["Per corporatie"])) == [
        ["Elan Wonen", 1, 0, 0],
        ["Pré Wonen", 1, 0, 0],
        ["Woonopmaat", 2, 1, 29],
    ]
    assert rows(book["Per doelgroep"]) == [
        ["BW", 2, 1, 0, 2],
        ["MO", 3, 2, 2, 1],
        ["VO", 1, 1, 0, 1],
        ["jeugd", 0, 0, 0, 1],
    ]
    assert rows(book["Tekort"])[0][:2] == ["elk woningtype", "GM0392"]
    page = (out / "monitor.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="nl">' in page
    assert page.count("data:image/png;base64,") == 2
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert not CLIENT_ID.search(page), "aggregates only: no client id on the page"
    assert "Monitor van de voorrangsregeling" in page and "Definities" in page


def test_english_with_lang_en(two_weeks, tmp_path, restore_language):
    """--lang en: English sheets, headings and table."""
    out = tmp_path / "monitor"
    result = invoke("--lang", "en", "monitor", "--ledger", two_weeks["ledger"], "--out", out)
    assert result.exit_code == 0, result.output
    assert "doorstroom (housed)" in result.output
    book = load_workbook(out / "monitor.xlsx")
    assert book.sheetnames == ENGLISH_SHEETS
    assert headline(book["Headline figures"])["still waiting at the end"] == 5
    assert '<html lang="en">' in (out / "monitor.html").read_text(encoding="utf-8")


def test_the_period_options(two_weeks, tmp_path, restore_language):
    """--from/--to choose the weeks: week 2 alone has 1 in and 1 housed."""
    out = tmp_path / "week2"
    result = invoke(
        "--lang",
        "en",
        "monitor",
        "--ledger",
        two_weeks["ledger"],
        "--from",
        "2026-11-30",
        "--to",
        "2026-12-06",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    figures = headline(load_workbook(out / "monitor.xlsx")["Headline figures"])
    assert (figures["instroom"], figures["doorstroom (housed)"], figures["weeks in the period"]) == (1, 1, 1)


def test_an_empty_period_writes_an_empty_monitor(two_weeks, tmp_path, restore_language):
    """A period without weeks: exit 0, zeros, and the page says so."""
    out = tmp_path / "empty"
    result = invoke(
        "--lang",
        "en",
        "monitor",
        "--ledger",
        two_weeks["ledger"],
        "--from",
        "2027-01-04",
        "--to",
        "2027-01-10",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    assert "The ledger holds no week in this period." in result.output
    figures = headline(load_workbook(out / "monitor.xlsx")["Headline figures"])
    assert figures["doorstroom (housed)"] == 0 and figures["still waiting at the end"] == "–"
    assert "The ledger holds no week in this period." in (out / "monitor.html").read_text(encoding="utf-8")


def test_bad_dates_are_refused_with_exit_2(two_weeks, tmp_path, restore_language):
    """A date that is not YYYY-MM-DD, or --from after --to: a clear message, exit 2, nothing written."""
    out = tmp_path / "bad"
    result = invoke(
        "--lang", "nl", "monitor", "--ledger", two_weeks["ledger"], "--from", "23-11-2026", "--out", out
    )
    assert result.exit_code == 2
    assert "--from '23-11-2026' is geen datum: schrijf hem als JJJJ-MM-DD" in result.output
    result = invoke(
        "--lang", "en", "monitor", "--ledger", two_weeks["ledger"], "--to", "2026-02-30", "--out", out
    )
    assert result.exit_code == 2 and "--to '2026-02-30' is not a date" in result.output
    result = invoke(
        "--lang",
        "en",
        "monitor",
        "--ledger",
        two_weeks["ledger"],
        "--from",
        "2026-12-01",
        "--to",
        "2026-11-01",
        "--out",
        out,
    )
    assert result.exit_code == 2 and "--from 2026-12-01 is after --to 2026-11-01" in result.output
    assert not out.exists()
    assert "Traceback" not in result.output


def test_a_missing_ledger_or_two_instances_of_one_week(two_weeks, tmp_path, restore_language):
    """No ledger there, or two --instance folders of the same week: exit 2 with what to do."""
    result = invoke(
        "--lang", "en", "monitor", "--ledger", tmp_path / "none.sqlite", "--out", tmp_path / "out"
    )
    assert (
        result.exit_code == 2
        and "cannot read the ledger" in result.output
        and "no ledger here" in result.output
    )
    week = two_weeks["week1"]
    result = invoke(
        "--lang",
        "en",
        "monitor",
        "--ledger",
        two_weeks["ledger"],
        "--instance",
        week,
        "--instance",
        week,
        "--out",
        tmp_path / "out",
    )
    assert result.exit_code == 2 and "give one instance per week" in result.output


def test_text_that_looks_like_a_formula_stays_text(two_weeks):
    """A gemeente name beginning with '=' is written as text, never as a live formula; escaped on the page."""
    found = monitor_of(two_weeks["ledger"])
    found = replace(found, municipality_names={"GM0392": '=HYPERLINK("x")', "GM0453": "<b>Velsen</b>"})
    from io import BytesIO

    sheet = load_workbook(BytesIO(workbook_bytes(found)))["Per gemeente"]
    cell = sheet.cell(row=FIRST_ROW + 1, column=2)
    assert cell.value == '\'=HYPERLINK("x")' and cell.data_type == "s"
    page = page_html(found)
    assert "<b>Velsen</b>" not in page and "&lt;b&gt;Velsen&lt;/b&gt;" in page


def test_the_monitor_reads_the_ledger_without_changing_it(two_weeks, tmp_path):
    """Read only: the ledger's rows are the same before and after."""
    from ledger_backends import dump

    before = dump(two_weeks["ledger"])
    monitor_of(two_weeks["ledger"], date(2026, 11, 23), date(2026, 12, 6))
    assert dump(two_weeks["ledger"]) == before
