"""The weekly overview page (matcher/report/overview.py, `matcher report`), read back as a reader
sees it, against the run folder the real `matcher solve` wrote: no browser needed."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
from babel.dates import format_date
from overview_pages import by_id, copy_run, invoke, read_page, rows_of

from matcher.io.headers import internal_columns, reason_code
from matcher.io.run_folder import read_run_folder
from matcher.report.overview import _ledger_name, _level_rows, write_overview
from matcher.review.explain import explain_client

DUTCH_REASONS = {  # as the Dutch unmatched.csv and unused_units.csv have them
    "no_eligible_unit": "geen passende woning",
    "capacity_full": "capaciteit vol",
    "outranked": "voorrang voor hogere prioriteit",
    "no_eligible_client": "geen passende cliënt",
}


def page_of(run: Path, out: Path, **options):
    write_overview(run, out, **options)
    return read_page(out.read_text(encoding="utf-8"))


def output(run: Path, name: str) -> pd.DataFrame:
    """An output table of the run with internal column names, whatever language it was written in."""
    return internal_columns(pd.read_csv(run / name, dtype=str, keep_default_na=False, encoding="utf-8-sig"))


def pairs_of(run: Path) -> list[tuple[str, str]]:
    frame = output(run, "proposals.csv")
    return list(zip(frame["client_id"], frame["unit_id"], strict=True))


def test_every_match_is_listed_with_the_names_of_its_gemeente_and_wijk(tiny_run, tmp_path, dutch):
    """Each row of proposals.csv is one row of the page, with names, type, rent and date from the
    solved instance."""
    page = page_of(tiny_run, tmp_path / "overview.html")
    solved = tiny_run / "solved-instance"
    units = by_id(solved / "units.csv", "unit_id")
    names = {row["municipality_id"]: row["name"] for row in rows_of(solved / "municipalities.csv")}
    wijken = {row["neighbourhood_id"]: row["name"] for row in rows_of(solved / "neighbourhoods.csv")}
    expected = {
        (client, unit, names[units[unit]["municipality_id"]], wijken[units[unit]["neighbourhood_id"]])
        for client, unit in pairs_of(tiny_run)
    }
    records = page.records("Koppelingen (")
    assert {(r["Cliënt"], r["Woning"], r["Gemeente"], r["Wijk"]) for r in records} == expected
    assert len(records) == len(expected) > 0
    for record in records:
        unit = units[record["Woning"]]
        assert record["Huur"] == f"€ {float(unit['rent']):.2f}".replace(".", ",")
        day = pd.Timestamp(unit["available_from"]).date()
        assert record["Beschikbaar vanaf"] == format_date(day, "d MMM y", locale="nl")
    assert {"Weekoverzicht: tiny", "Koppelingen per gemeente", "Koppelingen per corporatie"} <= set(
        page.headings
    )


def test_matches_per_gemeente_and_per_corporatie_add_up(tiny_run, tmp_path, dutch):
    """The count tables hold, per gemeente and per corporatie, the matches, the units offered and
    the units unused, as the run's files have them."""
    page = page_of(tiny_run, tmp_path / "overview.html")
    solved = tiny_run / "solved-instance"
    units = by_id(solved / "units.csv", "unit_id")
    names = {row["municipality_id"]: row["name"] for row in rows_of(solved / "municipalities.csv")}
    matched = [units[unit] for _client, unit in pairs_of(tiny_run)]
    unused = [units[unit] for unit in output(tiny_run, "unused_units.csv")["unit_id"]]
    for heading, name in (
        ("Koppelingen per gemeente", lambda unit: names[unit["municipality_id"]]),
        ("Koppelingen per corporatie", lambda unit: unit["landlord"]),
    ):
        records = page.records(heading)
        first = next(iter(records[0]))
        for record in records[:-1]:
            place = record[first]
            assert int(record["Koppelingen"]) == sum(name(unit) == place for unit in matched)
            assert int(record["Woningen aangeboden"]) == sum(name(unit) == place for unit in units.values())
            assert int(record["Woningen niet gebruikt"]) == sum(name(unit) == place for unit in unused)
        assert records[-1][first] == "Totaal"
        assert int(records[-1]["Koppelingen"]) == len(matched)
        assert int(records[-1]["Woningen aangeboden"]) == len(units)


def test_unmatched_clients_have_their_reason_and_the_smallest_change(tiny_run, tmp_path, dutch):
    """Every client of unmatched.csv, highest priority first, with the reason in Dutch and the
    smallest change the explain engine finds for them."""
    page = page_of(tiny_run, tmp_path / "overview.html")
    unmatched = output(tiny_run, "unmatched.csv")
    records = page.records("Cliënten zonder koppeling")
    assert [r["Cliënt"] for r in records] and {r["Cliënt"] for r in records} == set(unmatched["client_id"])
    reasons = dict(zip(unmatched["client_id"], unmatched["reason"], strict=True))
    run = read_run_folder(tiny_run)
    instance, pairs = run.solved_instance(), pairs_of(tiny_run)
    results = {
        client: explain_client(instance, pairs, client, baseline_priority=run.bounds().priority)
        for client in reasons
    }
    weights = [results[r["Cliënt"]]["priority_weight"] for r in records]
    assert weights == sorted(weights, reverse=True)
    found = 0
    for record in records:
        client = record["Cliënt"]
        assert record["Reden"] == DUTCH_REASONS[reason_code(reasons[client])]
        change = record["Kleinste wijziging die tot een koppeling leidt"]
        smallest = results[client]["counterfactual"].get("smallest")
        if smallest:
            found += 1
            assert change.startswith(smallest["change"]) and f"gekoppeld aan {smallest['unit_id']}" in change
        else:
            assert change.startswith("geen enkele van de")
    assert found >= 1  # tiny's C05 is placed by one cap raised by one


def test_the_search_for_changes_is_limited_by_priority_and_says_so(tiny_run, tmp_path, dutch):
    """With explain_max=1 only the highest-priority unmatched client is searched, and the page says
    how many were."""
    page = page_of(tiny_run, tmp_path / "overview.html", explain_max=1)
    records = page.records("Cliënten zonder koppeling")
    column = "Kleinste wijziging die tot een koppeling leidt"
    searched = [r for r in records if not r[column].startswith("niet gezocht")]
    assert [r["Cliënt"] for r in searched] == [records[0]["Cliënt"]]
    assert f"eerste 1 van de {len(records)} cliënten zonder koppeling" in page.text


def test_unused_units_with_reasons(tiny_run, tmp_path, dutch):
    """Every unit of unused_units.csv is listed with its corporatie, names and reason."""
    page = page_of(tiny_run, tmp_path / "overview.html")
    unused = output(tiny_run, "unused_units.csv")
    records = page.records("Niet gebruikte woningen")
    assert [r["Woning"] for r in records] and {r["Woning"] for r in records} == set(unused["unit_id"])
    for record, (_index, row) in zip(
        records, unused.set_index("unit_id").loc[[r["Woning"] for r in records]].iterrows(), strict=True
    ):
        assert record["Corporatie"] == row["landlord"] and record["Toelichting"] == row["detail"]
        assert record["Reden"] == DUTCH_REASONS[reason_code(row["reason"])]


def test_levels_are_said_in_plain_dutch(tiny_run, tmp_path, dutch):
    """A proven run says so for every level; a level stopped early shows how far it may be off."""
    page = page_of(tiny_run, tmp_path / "overview.html")
    levels = page.records("Hoe goed is dit voorstel?")
    assert [r["Niveau"].split(" (")[0] for r in levels] == [
        "Voorrang",
        "Voorkeur",
        "Afspraken achter op schema",
        "Spreiding over wijken",
        "Eerlijke verdeling over gemeenten",
    ]
    assert {r["Bewijs"] for r in levels} == {"bewezen optimaal"}
    assert "Elk niveau van dit voorstel is bewezen optimaal." in page.text
    sentence, rows = _level_rows(
        {
            "proven_optimal": False,
            "levels": [
                {"name": "priority", "status": "optimal", "value": 700, "bound": 700},
                {"name": "preference", "status": "feasible", "value": 95, "bound": 100},
            ],
        }
    )
    assert "Niet elk niveau is bewezen optimaal" in sentence
    assert rows[1][1] == "goed, niet bewezen optimaal: hoogstens 5% van het best mogelijke af"


def test_english_with_lang_en(tiny_run, tmp_path):
    """`matcher --lang en report` writes the page in English."""
    out = tmp_path / "overview.html"
    result = invoke("--lang", "en", "report", tiny_run, "--out", out)
    assert "Weekly overview written to" in result.output
    page = read_page(out.read_text(encoding="utf-8"))
    assert {"Weekly overview: tiny", "Matches per gemeente", "Unmatched clients (3)"} <= set(page.headings)
    assert "Koppelingen" not in page.text and "Weekoverzicht" not in page.text
    assert {r["Client"] for r in page.records("Matches (")} == {c for c, _u in pairs_of(tiny_run)}
    assert '<html lang="en">' in out.read_text(encoding="utf-8")


def test_dutch_is_the_default_of_the_command(tiny_run, tmp_path, dutch):
    """Without --lang the command and the page speak Dutch; the default file is RUN_DIR/overview.html."""
    run = copy_run(tiny_run, tmp_path / "run")
    result = invoke("report", run)
    assert "Weekoverzicht geschreven naar" in result.output
    assert "Weekoverzicht: tiny" in read_page((run / "overview.html").read_text(encoding="utf-8")).headings


def test_the_page_shows_clients_by_pseudonym_only(tiny_run, tmp_path, dutch):
    """No date, source, urgency or support intensity of a client is on the page: only the id."""
    out = tmp_path / "overview.html"
    page = page_of(tiny_run, out)
    clients = rows_of(tiny_run / "solved-instance" / "clients.csv")
    public = {row["available_from"] for row in rows_of(tiny_run / "solved-instance" / "units.csv")}
    public |= {"2026-11-23", "2026-11-29"}  # the week itself
    for client in clients:
        for column in ("registered_on", "ready_from"):
            if client[column] and client[column] not in public:
                day = pd.Timestamp(client[column]).date()
                for shown in (
                    client[column],
                    format_date(day, "d MMMM y", locale="nl"),
                    format_date(day, "d MMM y", locale="nl"),
                ):
                    assert shown not in page.text, (client["client_id"], column)
    private = {
        client[c] for client in clients for c in ("source", "urgency", "support_intensity") if client[c]
    }
    cells = {cell for rows in page.tables.values() for row in rows for cell in row}
    assert not cells & private
    ids = {client["client_id"] for client in clients}
    shown = {r["Cliënt"] for r in page.records("Koppelingen (")} | {
        r["Cliënt"] for r in page.records("Cliënten zonder")
    }
    assert shown and shown <= ids
    assert "alleen met hun pseudoniem" in page.text


def test_the_ledger_and_earlier_offers_are_shown(ledger_week, tmp_path, dutch):
    """A run with the decisions ledger shows what the ledger did: the decline widened to the wijk
    until its end date, the match held, and the held level among the levels."""
    page = page_of(ledger_week, tmp_path / "overview.html")
    assert "Besluitenregister en eerdere voorstellen" in page.headings
    assert "Afgewezen door C02: elke woning van wijk WK039201 tot en met 23 mei 2027." in page.text
    assert "Vastgehouden (door één kant geaccepteerd): 1: C03 → U03." in page.text
    assert "Besluitenregister ledger.sqlite: 2 besluit(en)" in page.text
    assert str(ledger_week.parent) not in page.text  # the ledger by its name, not its path
    assert page.records("Hoe goed")[0]["Niveau"].startswith("Vastgehouden koppelingen")
    assert {r["Cliënt"] for r in page.records("Koppelingen (")} == {c for c, _u in pairs_of(ledger_week)}


def test_no_ledger_section_without_a_ledger(tiny_run, tmp_path, dutch):
    page = page_of(tiny_run, tmp_path / "overview.html")
    assert "Besluitenregister en eerdere voorstellen" not in page.headings


def test_a_ledger_on_a_server_is_named_without_its_password():
    assert _ledger_name("postgresql+psycopg://planner:secret@db.example/matcher?sslmode=require") == (
        "postgresql+psycopg://db.example/matcher"
    )
    assert _ledger_name("sqlite:////home/someone/regio/ledger.sqlite") == "ledger.sqlite"


def test_output_files_with_dutch_headers_are_read(tiny_run, tmp_path, dutch):
    """proposals.csv and unmatched.csv with Dutch headers, saved again by a Dutch Excel, give the
    same rows; the edited files are noted on the page."""
    run = copy_run(tiny_run, tmp_path / "run")
    dutch_names = {"client_id": "cliënt", "unit_id": "woning", "reason": "reden", "detail": "toelichting"}
    for name in ("proposals.csv", "unmatched.csv"):  # saved by a Dutch Excel: semicolons, a BOM
        frame = output(run, name).rename(columns=dutch_names)
        frame.to_csv(run / name, index=False, sep=";", encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL)
        assert (
            (run / name)
            .read_text(encoding="utf-8-sig")
            .startswith("cliënt;woning" if name == "proposals.csv" else "cliënt;reden")
        )
    page = page_of(run, tmp_path / "overview.html")
    assert {r["Cliënt"] for r in page.records("Koppelingen (")} == {c for c, _u in pairs_of(tiny_run)}
    assert {r["Cliënt"] for r in page.records("Cliënten zonder")} == set(
        output(tiny_run, "unmatched.csv")["client_id"]
    )
    assert "met de hand aangepast voorstel" in page.text  # the run folder's note, in Dutch
    assert "unmatched.csv is na de berekening gewijzigd; het staat hier zoals het nu is." in page.text
    assert "it is not used here" not in page.text  # the run folder's own note does not hold for the page


def test_a_proposal_row_that_is_not_in_the_instance_is_named(tiny_run, tmp_path):
    """A hand-edited proposals.csv naming an unknown unit: exit 2 naming the file and row."""
    run = copy_run(tiny_run, tmp_path / "run")
    frame = output(run, "proposals.csv")
    frame.loc[1, "unit_id"] = "U99"
    frame.to_csv(run / "proposals.csv", index=False)
    result = invoke("report", run, "--out", tmp_path / "overview.html", code=2)
    assert "proposals.csv" in result.output and "row 3" in result.output and "U99" in result.output
    assert not (tmp_path / "overview.html").exists()


def test_a_folder_that_is_no_run_is_refused_clearly(tiny_run, tmp_path):
    """No summary.json, or an edited one: exit 2 with what is wrong, no traceback, no page."""
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke("report", empty, "--out", tmp_path / "a.html", code=2)
    assert "summary.json" in result.output and "matcher solve" in result.output
    edited = copy_run(tiny_run, tmp_path / "edited")
    summary = edited / "summary.json"
    summary.write_text(
        summary.read_text(encoding="utf-8").replace('"instance": "tiny"', '"instance": "other"'),
        encoding="utf-8",
    )
    result = invoke("report", edited, "--out", tmp_path / "b.html", code=2)
    assert "summary.json was edited" in result.output
    assert not (tmp_path / "a.html").exists() and not (tmp_path / "b.html").exists()


def test_pdf_without_a_browser_says_so_and_exits_1(tiny_run, tmp_path, monkeypatch):
    """--pdf where no Chromium is found: the HTML is written, a clear message, exit code 1."""
    import matcher.report.pdf

    monkeypatch.setattr(matcher.report.pdf.shutil, "which", lambda name: None)
    out = tmp_path / "overview.html"
    result = invoke("report", tiny_run, "--out", out, "--pdf", code=1)
    assert "no Chromium found" in result.output and "apt-get install chromium" in result.output
    assert out.is_file() and not out.with_suffix(".pdf").exists()


def test_the_map_is_inline_with_municipality_names(tiny_run, tmp_path, dutch):
    """The page holds the map as inline SVG (nothing from outside), with the municipality names as
    text and the line saying the cells are approximated from CBS wijk centres."""
    out = tmp_path / "overview.html"
    page = page_of(tiny_run, out)
    source = out.read_text(encoding="utf-8")
    assert page.has_svg and {"Haarlem", "Velsen"} <= set(page.svg_texts)
    assert "benaderd vanuit de CBS-wijkmiddelpunten" in page.text
    for outside in ("<link", "<script", "src=", 'href="http', "href='http", "url(http", "@import"):
        assert outside not in source, outside
    assert "@page { size: A4" in source


def test_without_cbs_coordinates_there_is_no_map_and_the_page_says_why(tiny_run, tmp_path, dutch):
    nowhere = tmp_path / "cbs"
    nowhere.mkdir()
    out = tmp_path / "overview.html"
    write_overview(tiny_run, out, cbs_dir=nowhere)
    page = read_page(out.read_text(encoding="utf-8"))
    assert not page.has_svg and "Geen kaart" in page.text


def test_a_run_written_into_its_own_folder_stays_readable(tiny_run, tmp_path):
    """The default overview.html inside the run folder does not make the folder unreadable."""
    run = copy_run(tiny_run, tmp_path / "run")
    write_overview(run)
    write_overview(run)  # a second time reads the folder with the first page in it
    read_run_folder(run)
    shutil.rmtree(run)


def test_the_search_stops_at_its_time_budget_and_says_so(tiny_run, tmp_path, dutch):
    """No client is searched once the time budget is spent; the page says how many were."""
    page = page_of(tiny_run, tmp_path / "overview.html", explain_seconds=0)
    records = page.records("Cliënten zonder koppeling")
    assert records and all(
        r["Kleinste wijziging die tot een koppeling leidt"].startswith("niet gezocht") for r in records
    )
    assert f"eerste 0 van de {len(records)} cliënten zonder koppeling" in page.text


def test_every_ledger_effect_is_put_into_words(dutch):
    """Housed, lapsed urgency, conflicts, accepted twice, released and moved matches each get their
    line, with the numbers and ids of summary.json."""
    from matcher.report.overview import ledger_lines

    lines = ledger_lines(
        {
            "ledger": {
                "source": "/srv/regio/ledger.sqlite",
                "period_start": "2026-11-30",
                "decisions_read": 7,
                "decisions_for_later_weeks_ignored": 2,
                "accepted_fixed": [{"client_id": "C01", "unit_id": "U09", "period_start": "2026-11-23"}],
                "declines_added": [
                    {"client_id": "C02", "unit_id": "U01", "scope": "unit", "scope_id": None, "until": None},
                    {
                        "client_id": "C02",
                        "unit_id": "U01",
                        "scope": "landlord",
                        "scope_id": "Ymere",
                        "until": None,
                    },
                ],
                "declines_not_widened": [],
                "urgency_lapsed_detail": [
                    {"client_id": "C04", "from": "acute", "to": "normal", "refusals": 2}
                ],
                "accepted_ignored": ["C05->U07"],
                "open_conflicts": 1,
            },
            "continuity": {
                "communicated": 4,
                "kept": 2,
                "withdrawn": ["C06->U02"],
                "new": ["C07->U03"],
                "held": ["C08->U04"],
                "released": ["C09->U05"],
                "why_moved": {"C06->U02": "U02 was withdrawn", "C09->U05": "the landlord declined"},
            },
        }
    )
    assert lines == [
        "Besluitenregister ledger.sqlite: 7 besluit(en) tot en met 30 november 2026.",
        "2 besluit(en) voor latere weken niet gebruikt.",
        "Gehuisvest (door beide kanten geaccepteerd, uit de voorrangsregeling): 1: C01 → U09.",
        "Afwijzingen verwerkt: 1.",
        "Afgewezen door C02: elke woning van corporatie Ymere voorgoed.",
        "Urgentie vervallen: C04 van acuut naar normaal na 2 weigeringen van passende aanbiedingen.",
        "Twee keer geaccepteerd (het juiste besluit is gebruikt): C05 → U07.",
        "Tegenstrijdige besluiten wachten: 1 (`matcher status --ledger …` toont ze; `matcher record --correct` "
        "beslist er een).",
        "Vastgehouden (door één kant geaccepteerd): 1: C08 → U04.",
        "Losgelaten: C09 → U05: the landlord declined.",
        "Eerder voorgesteld en nog open: 4; behouden 2, verplaatst 1, nieuw 1.",
        "Verplaatst: C06 → U02: U02 was withdrawn.",
    ]


def test_names_from_the_instance_are_escaped():
    """A name with markup in it is shown as text, never run as HTML."""
    from matcher.report.overview import _table

    html = _table([("corporatie", False)], [["<script>alert(1)</script> & Zn"]])
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Zn" in html


def test_each_agreement_shows_its_progress_on_the_page(tiny_run, tmp_path, dutch):
    """The yearly agreements of the week (tiny: Velsen min 20 / max 30, Pré Wonen min 10) are a
    table on the page with the figures summary.json records: before, this week, due, behind."""
    import json

    page = page_of(tiny_run, tmp_path / "overview.html")
    rows = page.table("Afspraken deze week (2)")
    assert rows[0] == ["Met", "Min / max", "Eerder", "Deze week", "Verwacht", "Achter"]
    summary = json.loads((tiny_run / "summary.json").read_text(encoding="utf-8"))
    shown = {row[0]: row[1:] for row in rows[1:]}
    for agreement in summary["agreements"]:
        kind = "gemeente" if agreement["kind"] == "municipality" else "corporatie"
        cells = shown[f"{kind} {agreement['party_name']}"]
        assert cells[0] == f"{agreement['minimum']} / {agreement['maximum'] or ''}".strip()
        assert cells[1:] == [
            str(agreement["placed_before_this_week"]),
            str(agreement["proposed_this_week"]),
            str(agreement["due_by_end_of_week"]),
            str(agreement["behind_after_this_week"]),
        ]
    assert len(shown) == 2
    late = sum(1 for agreement in summary["agreements"] if agreement["behind_after_this_week"])
    assert late == 1  # Velsen: 15 before + 3 this week of the 19 due
    assert "1 afspraak/afspraken achter op schema na het voorstel van deze week." in page.text
