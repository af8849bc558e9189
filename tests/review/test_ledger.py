"""The decisions ledger: SQLite in WAL, one transaction per import, idempotent, conflicts kept,
killed imports leave no trace, and `apply_ledger` / `solve --ledger` continue the weekly cycle.

Every test that takes the `ledger` fixture runs on SQLite and on PostgreSQL (a fresh database per
test when MATCHER_TEST_POSTGRES names a server; see ledger_backends.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import independent_checker as checker
import pytest
from click.testing import CliRunner
from ledger_backends import dump, tables
from openpyxl import load_workbook

from matcher.cli.main import main
from matcher.io.read import read_instance
from matcher.review.history import weekly_history
from matcher.review.ledger import (
    TABLES,
    Batch,
    Decision,
    apply_ledger,
    describe,
    import_batches,
    key_file,
    ledger_url,
    read_ledger,
    workbook_key,
)
from matcher.review.workbook import FIRST_ROW, KEYS, REVIEW_SHEET
from models import InvalidInstance

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"
WEEK = date(2026, 11, 23)
DECISION = chr(ord("A") + KEYS.index("decision"))
REASON = chr(ord("A") + KEYS.index("reason_code"))


def decide(
    client: str,
    unit: str,
    decision: str,
    party: str = "client",
    reason: str | None = None,
    week: date | None = WEEK,
) -> Decision:
    return Decision(
        client,
        unit,
        party,
        decision,
        reason or ("other" if decision == "decline" else None),
        period_start=week,
    )


def record(ledger: str, *decisions: Decision, correct: bool = False):
    return import_batches(ledger, [Batch("record", "test", decisions=list(decisions))], correct=correct)[0]


def test_plain_path_is_sqlite_in_wal_mode(tmp_path):
    """A plain path becomes an SQLite file in WAL mode with every documented table."""
    ledger = tmp_path / "sub" / "ledger.sqlite"
    record(str(ledger), decide("C01", "U02", "accept"))
    with sqlite3.connect(ledger) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert set(TABLES) <= names
    docs = (ROOT / "docs" / "review-loop.md").read_text()
    assert all(f"`{table}`" in docs for table in TABLES)


def test_a_new_sqlite_ledger_its_journal_and_key_are_owner_only(tmp_path):
    """Finding 13: a new ledger file, its -wal and -shm files and its key are 0600, whatever the umask."""
    ledger = tmp_path / "ledger.sqlite"
    previous = os.umask(0o022)  # the common default, which would make a file world-readable
    try:
        record(str(ledger), decide("C01", "U02", "accept"))
        reader = sqlite3.connect(ledger)  # holds the WAL open, so -wal and -shm are there to look at
        try:
            reader.execute("SELECT COUNT(*) FROM decisions").fetchone()
            record(str(ledger), decide("C02", "U01", "accept"))
            files = [ledger, Path(f"{ledger}-wal"), Path(f"{ledger}-shm"), key_file(str(ledger))]
            modes = {path.name: oct(path.stat().st_mode & 0o777) for path in files if path is not None}
        finally:
            reader.close()
    finally:
        os.umask(previous)
    assert modes == dict.fromkeys(
        ("ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm", "ledger.sqlite.key"), "0o600"
    )


def test_the_signing_key_is_made_with_the_ledger_and_kept_beside_it(ledger):
    """Every new ledger gets one workbook signing key: SQLite in <ledger>.key, PostgreSQL in ledger_meta."""
    record(ledger, decide("C01", "U02", "accept"))
    key = workbook_key(ledger)
    assert workbook_key(ledger, create=True) == key, "made once, then read"
    meta = dict(dump(ledger)["ledger_meta"])
    if key_file(ledger) is not None:
        assert key_file(ledger).read_text().strip() == key.secret.hex()
        assert "workbook_key" not in meta, "an SQLite ledger's copy carries no key"
    else:
        assert meta["workbook_key"] == key.secret.hex()
    assert meta["schema_version"] == "3"


def test_long_ids_names_and_notes_fit_on_every_backend(ledger):
    """PostgreSQL enforces column lengths where SQLite does not: ids, landlords and notes are unbounded."""
    from matcher.review.ledger import ProposalRecord, ProposedPair

    client, unit, landlord = "C" * 200, "U" * 200, "Woningstichting " + "L" * 300
    pair = ProposedPair(client, unit, landlord, "GM0392", "WK039201", "social_rental", "light", 1)
    proposal = ProposalRecord("0123456789abcdef", WEEK, date(2026, 11, 29), "i" * 300, 1, 1, 1, 1, (pair,))
    import_batches(ledger, [Batch("proposal", "p" * 2000, proposals=[proposal])])
    note = "n" * 5000
    result = import_batches(
        ledger, [Batch("record", "test", decisions=[Decision(client, unit, "client", "accept", note=note)])]
    )[0]
    assert result.added == 1
    state = read_ledger(ledger)
    assert state.proposed[0]["landlord"] == landlord and state.decisions[0]["note"] == note


def test_a_nul_character_is_refused_not_a_crash(ledger):
    """A note with a NUL (no PostgreSQL text can hold one) is invalid input naming its column."""
    with pytest.raises(InvalidInstance) as raised:
        record(ledger, Decision("C01", "U02", "client", "accept", note="a\x00b", period_start=WEEK))
    assert [(p.column, "NUL" in p.message) for p in raised.value.problems] == [("note", True)]


def test_urls_pass_through_and_hide_passwords():
    """A database URL (e.g. PostgreSQL) is used as given and reported without its password."""
    url = "postgresql+psycopg://matcher:secret@db.example/ledger"
    assert ledger_url(url) == url
    assert "secret" not in describe(url)
    assert ledger_url("x.sqlite").startswith("sqlite:////")


def test_same_decisions_twice_change_nothing(ledger, tmp_path):
    """Recording the same decisions again leaves every table exactly as it was."""
    first = record(ledger, decide("C01", "U02", "accept"), decide("C02", "U01", "decline", reason="location"))
    assert first.added == 2
    before = dump(ledger)
    again = record(ledger, decide("C01", "U02", "accept"), decide("C02", "U01", "decline", reason="location"))
    assert (again.added, again.unchanged, again.conflicts) == (0, 2, [])
    assert dump(ledger) == before


def test_conflict_is_reported_not_overwritten(ledger, tmp_path):
    """A different decision for a decided key is kept aside as a conflict; the first one stays."""
    record(ledger, decide("C01", "U02", "accept"))
    result = record(ledger, decide("C01", "U02", "decline", reason="location"))
    assert result.added == 0 and len(result.conflicts) == 1
    assert "already 'accept'" in str(result.conflicts[0])
    state = read_ledger(ledger)
    assert [row["decision"] for row in state.decisions] == ["accept"] and state.open_conflicts == 1
    before = dump(ledger)
    record(ledger, decide("C01", "U02", "decline", reason="location"))
    assert dump(ledger) == before, "the same conflict is stored once"


def test_correct_replaces_and_keeps_the_log(ledger, tmp_path):
    """--correct replaces a decision on purpose, logs the old one and resolves its conflicts."""
    record(ledger, decide("C01", "U02", "accept"))
    record(ledger, decide("C01", "U02", "decline", reason="location"))
    result = record(ledger, decide("C01", "U02", "decline", reason="location"), correct=True)
    assert result.corrected == 1
    state = read_ledger(ledger)
    assert [row["decision"] for row in state.decisions] == ["decline"] and state.open_conflicts == 0
    log = dump(ledger)["decision_log"]
    assert [(row[1], row[3], row[5]) for row in sorted(log)] == [
        ("added", "accept", None),
        ("corrected", "decline", "accept"),
    ]


def test_bad_batch_writes_nothing(ledger, tmp_path):
    """One bad decision in an import rolls the whole import back."""
    record(ledger, decide("C01", "U02", "accept"))
    before = dump(ledger)
    with pytest.raises(InvalidInstance):
        record(ledger, decide("C03", "U03", "accept"), decide("C04", "U05", "decline", reason="no_such_code"))
    with pytest.raises(InvalidInstance) as raised:
        record(ledger, decide("C03", "U03", "accept"), decide("C05", "U04", "accept", week=None))
    assert "never proposed" in str(raised.value.problems[0])
    assert dump(ledger) == before


def test_reading_a_missing_ledger_is_invalid_input(ledger):
    """solve --ledger with a ledger that does not exist is reported, not created."""
    with pytest.raises(InvalidInstance) as raised:
        apply_ledger(read_instance(TINY), ledger)
    assert "no ledger here" in str(raised.value.problems[0])
    if key_file(ledger) is not None:
        assert not Path(ledger).exists() and not key_file(ledger).exists()
    else:
        assert tables(ledger) == set(), "not even an empty table was made"


# --- killing an import -------------------------------------------------------------------------


def big_instance(folder: Path, clients: int = 30) -> Path:
    """One landlord, `clients` light clients and as many rooms in a roomy neighbourhood."""
    folder.mkdir(parents=True)
    (folder / "municipalities.csv").write_text(
        "municipality_id,name,region,population\nGM0392,Haarlem,ZK,167636\n"
    )
    (folder / "neighbourhoods.csv").write_text(
        "neighbourhood_id,municipality_id,name,dwellings\nWK039202,GM0392,Kwartier,20000\n"
    )
    (folder / "units.csv").write_text(
        "unit_id,type,landlord,municipality_id,neighbourhood_id,rent,available_from\n"
        + "".join(f"R{k:03d},room,Elan Wonen,GM0392,WK039202,{400 + k},2026-11-01\n" for k in range(clients))
    )
    (folder / "clients.csv").write_text(
        "client_id,source,origin_municipality_id,support_intensity,registered_on\n"
        + "".join(f"K{k:03d},MO,GM0392,light,2026-0{1 + k % 9}-0{1 + k % 9}\n" for k in range(clients))
    )
    (folder / "policy.yaml").write_text("period: {start: 2026-11-23}\n")
    return folder


KILL_DRIVER = """
import pathlib, sys, time
import matcher.review.ledger as ledger
marker = pathlib.Path(sys.argv[1])
original = ledger._write_decision
written = [0]
def slow(*args, **kwargs):
    original(*args, **kwargs)
    written[0] += 1
    if written[0] == 5:  # midway: five decisions written, the transaction still open
        marker.write_text("paused")
        time.sleep(120)
ledger._write_decision = slow
from matcher.cli.main import main
main(sys.argv[2:])
"""


def test_import_killed_midway_leaves_the_ledger_as_before(ledger, tmp_path):
    """A real `review import` killed with SIGKILL mid-transaction leaves the ledger exactly as before."""
    instance = big_instance(tmp_path / "big")
    runner = CliRunner()
    assert runner.invoke(main, ["solve", str(instance), "--out", str(tmp_path / "week")]).exit_code == 0
    assert (
        runner.invoke(
            main,
            [
                "review",
                "export",
                str(instance),
                "--proposal",
                str(tmp_path / "week"),
                "--out",
                str(tmp_path / "books"),
                "--ledger",
                str(ledger),
            ],
        ).exit_code
        == 0
    )
    book_path = tmp_path / "books" / "elan-wonen.xlsx"
    book = load_workbook(book_path)
    sheet = book[REVIEW_SHEET]
    rows = range(FIRST_ROW, sheet.max_row + 1)
    assert len(rows) == 30
    for row in rows:
        sheet[f"{DECISION}{row}"] = "accept" if row % 3 else "decline"
        sheet[f"{REASON}{row}"] = None if row % 3 else "unit_not_available"
    book.save(book_path)
    before = dump(ledger)

    marker = tmp_path / "paused"
    driver = tmp_path / "driver.py"
    driver.write_text(KILL_DRIVER)
    process = subprocess.Popen(
        [
            sys.executable,
            str(driver),
            str(marker),
            "review",
            "import",
            str(book_path),
            "--ledger",
            str(ledger),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the import never reached its midpoint"
            time.sleep(0.05)
        assert dump(ledger) == before, "a reader sees nothing of an open transaction (WAL)"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL

    assert dump(ledger) == before
    if key_file(ledger) is not None:
        with sqlite3.connect(ledger) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    again = runner.invoke(main, ["review", "import", str(book_path), "--ledger", str(ledger)])
    assert again.exit_code == 0, again.output
    assert len(read_ledger(ledger).decisions) == 30


# --- apply_ledger and solve --ledger -----------------------------------------------------------


def test_accepted_match_is_fixed_and_counted(ledger, tmp_path):
    """A match accepted by both parties leaves the pool and uses load, intake and slots."""
    record(
        ledger,
        decide("C03", "U03", "accept"),
        decide("C03", "U03", "accept", party="landlord"),
        decide("C01", "U02", "accept"),
    )  # only the client accepted: still open
    instance, report = apply_ledger(read_instance(TINY), ledger)
    assert "C03" not in {c.client_id for c in instance.clients} and "U03" not in {
        u.unit_id for u in instance.units
    }
    assert "C01" in {c.client_id for c in instance.clients}
    load = {n.neighbourhood_id: n.recent_load for n in instance.neighbourhoods}
    assert load["WK045301"] == 20 + 2  # protected support counts 2
    assert {(s.municipality_id, s.support_intensity): s.slots for s in instance.support_capacity} == {
        ("GM0453", "protected"): 0
    }
    assert report["accepted_fixed"] == [{"client_id": "C03", "unit_id": "U03", "period_start": "2026-11-23"}]
    assert report["slots_used"] == {"GM0453/protected": 1}
    json.dumps(report)


def test_earlier_week_counts_load_but_not_this_weeks_intake(ledger, tmp_path):
    """An acceptance from an earlier week adds load (rolling window) but uses no intake this period."""
    folder = tmp_path / "intake"
    shutil.copytree(TINY, folder)
    text = (folder / "municipalities.csv").read_text().replace("69241,", "69241,2")
    (folder / "municipalities.csv").write_text(text)
    earlier = date(2026, 11, 16)
    record(
        ledger,
        decide("C06", "U06", "accept", week=earlier),
        decide("C06", "U06", "accept", party="landlord", week=earlier),
        decide("C03", "U03", "accept"),
        decide("C03", "U03", "accept", party="landlord"),
    )
    instance, report = apply_ledger(read_instance(folder), ledger)
    assert report["load_added"] == {"WK045301": 2, "WK045302": 2}
    assert {m.municipality_id: m.max_intake for m in instance.municipalities}["GM0453"] == 1
    assert report["intake_used"] == {"GM0453": 1}


def test_decisions_of_later_weeks_are_ignored(ledger, tmp_path):
    """Re-running an earlier week ignores decisions recorded for later weeks."""
    record(ledger, decide("C01", "U02", "decline", reason="location", week=date(2026, 11, 30)))
    instance, report = apply_ledger(read_instance(TINY), ledger)
    assert instance.declined == () and report["decisions_for_later_weeks_ignored"] == 1


@pytest.mark.parametrize(
    "reasons, lapsed",
    [
        (["location", "no_response"], True),
        (["location"], False),
        (["location", "safety"], False),  # a justified decline is not a refusal
        (["unsuitable", "circumstances_changed"], False),
    ],
)
def test_refusal_rule_lapses_urgency(ledger, tmp_path, reasons, lapsed):
    """After max_refusals (2) refusals of suitable offers a client's urgency lapses to normal."""
    units = ["U01", "U02"]
    record(ledger, *[decide("C01", unit, "decline", reason=reason) for unit, reason in zip(units, reasons)])
    instance, report = apply_ledger(read_instance(TINY), ledger)
    urgency = {c.client_id: c.urgency for c in instance.clients}["C01"]
    assert urgency == ("normal" if lapsed else "acute")
    assert report["urgency_lapsed"] == (["C01"] if lapsed else [])
    assert any("C01" in flag for flag in report["flagged_for_coordinator"]) == lapsed


def test_refusal_rule_follows_the_policy(ledger, tmp_path):
    """policy.refusals sets how many refusals and which urgency they lapse to."""
    folder = tmp_path / "policy"
    shutil.copytree(TINY, folder)
    (folder / "policy.yaml").write_text(
        "period: {start: 2026-11-23}\nrefusals: {max_refusals: 1, lapse_to: high}\n"
    )
    record(ledger, decide("C01", "U01", "decline", reason="location"))
    instance, report = apply_ledger(read_instance(folder), ledger)
    assert {c.client_id: c.urgency for c in instance.clients}["C01"] == "high"
    assert report["urgency_lapsed_detail"] == [
        {"client_id": "C01", "from": "acute", "to": "high", "refusals": 1}
    ]


def test_solve_with_ledger_never_proposes_a_declined_pair(ledger, tmp_path):
    """After C01 and the landlord of U02 decline, solve --ledger never proposes C01 -> U02 again."""
    record(ledger, decide("C01", "U02", "decline", party="landlord", reason="unit_not_available"))
    out = tmp_path / "week"
    result = CliRunner().invoke(main, ["solve", str(TINY), "--ledger", str(ledger), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = (out / "proposals.csv").read_text().splitlines()[1:]
    pairs = [tuple(line.split(",")[:2]) for line in lines]
    assert ("C01", "U02") not in pairs and any(client == "C01" for client, _ in pairs)
    assert checker.violations(TINY, pairs) == []
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ledger"]["declined_pairs_added"] == 1


def test_solve_with_ledger_counts_accepted_pairs_against_caps(ledger, tmp_path):
    """An accepted match fills its neighbourhood's cap, so the next run places nobody else there."""
    folder = tmp_path / "cap"
    shutil.copytree(TINY, folder)
    # WK045302 (unit U06) may take load 2; two intensive clients want it
    text = (
        (folder / "neighbourhoods.csv")
        .read_text()
        .replace(
            "WK045302,GM0453,Wijk 02 IJmuiden-Zuid,4186,0,", "WK045302,GM0453,Wijk 02 IJmuiden-Zuid,4186,0,2"
        )
    )
    (folder / "neighbourhoods.csv").write_text(text)
    with open(folder / "units.csv", "a") as units:
        units.write("U07,social_rental,Woonopmaat,GM0453,WK045302,,700,1,false,2026-11-01\n")
    runner = CliRunner()
    free = tmp_path / "free"
    assert runner.invoke(main, ["solve", str(folder), "--out", str(free)]).exit_code == 0
    assert "WK045302" in (free / "proposals.csv").read_text()

    record(ledger, decide("C06", "U06", "accept"), decide("C06", "U06", "accept", party="landlord"))
    out = tmp_path / "week"
    assert (
        runner.invoke(main, ["solve", str(folder), "--ledger", str(ledger), "--out", str(out)]).exit_code == 0
    )
    proposals = (out / "proposals.csv").read_text()
    assert "C06" not in proposals and "U06" not in proposals
    assert "WK045302" not in proposals, "the accepted intensive client used the whole cap"
    # together, the fixed match and the new proposal are a valid allocation of the full instance
    pairs = [tuple(line.split(",")[:2]) for line in proposals.splitlines()[1:]] + [("C06", "U06")]
    assert checker.violations(folder, pairs) == []
    assert json.loads((out / "summary.json").read_text())["ledger"]["load_added"] == {"WK045302": 2}


def test_history_counts_each_week(ledger, tmp_path):
    """history counts proposed, accepted, declined, placed, open and waiting per week."""
    runner = CliRunner()
    week = tmp_path / "week"
    runner.invoke(main, ["solve", str(TINY), "--out", str(week)])
    assert (
        runner.invoke(
            main,
            [
                "review",
                "export",
                str(TINY),
                "--proposal",
                str(week),
                "--out",
                str(tmp_path / "books"),
                "--ledger",
                str(ledger),
            ],
        ).exit_code
        == 0
    )
    record(
        ledger,
        decide("C01", "U02", "accept"),
        decide("C01", "U02", "accept", party="landlord"),
        decide("C02", "U01", "decline", reason="location"),
        decide("C03", "U03", "accept", party="landlord"),
        decide("K09", "R01", "accept", week=date(2026, 11, 30)),
    )
    frame = weekly_history(ledger)
    assert frame.to_dict("records")[0] == {
        "week": "2026-11-23",
        "proposed": 5,
        "accepted": 2,
        "declined": 1,
        "placed": 1,
        "open": 2,
        "waiting": 7,
        "refusals": 1,
    }
    assert frame["week"].tolist() == ["2026-11-23", "2026-11-30"]
