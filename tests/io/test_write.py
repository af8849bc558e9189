"""write_proposal (matcher.io.write) on the tiny instance: the files of the set, the hashes in
summary.json, the solved instance it keeps, replacing a set, kept.csv only with `keep`, and
unused_units.csv with its counts (spreadsheet-safe like every CSV)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest

from matcher.io.atomic import MANIFEST, verify_set
from matcher.io.read import read_instance
from matcher.io.write import KEPT, SOLVED_INSTANCE, UNUSED, write_proposal
from matcher.proposal import Proposal
from matcher.week import solve_week

TABLES = [
    "municipalities.csv",
    "neighbourhoods.csv",
    "units.csv",
    "clients.csv",
    "support_capacity.csv",
    "contacts.csv",
    "other_placements.csv",  # tiny's two rows that do not count this week
    "agreements.csv",  # Velsen's and Pré Wonen's agreements (issue 14)
    "provider_capacity.csv",
    "policy.yaml",
]
ALLOCATION = [("C01", "U02"), ("C02", "U01"), ("C03", "U03"), ("C06", "U06"), ("C04", "U05")]


def rows(file: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(file.read_text(encoding="utf-8"))))


def files_of_set(out: Path) -> set[str]:
    """Every file name of the set, solved-instance files as `solved-instance/<name>`."""
    names = {p.name for p in out.iterdir() if p.exists() and not p.name.startswith(".") and p.is_file()}
    return names | {f"{SOLVED_INSTANCE}/{p.name}" for p in (out / SOLVED_INSTANCE).iterdir()}


@pytest.fixture
def written(tiny, tmp_path):
    instance = read_instance(tiny)
    summary = write_proposal(solve_week(instance), tiny, tmp_path / "run")
    return instance, summary, tmp_path / "run"


def test_the_files_of_the_set_exist(written):
    """proposals.csv, unmatched.csv, unused_units.csv, summary.json and the eight files of the
    solved tiny instance (tiny's declined.csv has no rows, so none is written); no kept.csv
    without `keep`."""
    _, _, out = written
    assert files_of_set(out) == {
        "proposals.csv",
        "unmatched.csv",
        UNUSED,
        "summary.json",
        MANIFEST,
        *(f"{SOLVED_INSTANCE}/{name}" for name in TABLES),
    }
    assert not any(p.is_symlink() for p in out.rglob("*"))  # plain files only (issue 15)
    assert not (out / KEPT).exists() and not (out / KEPT).is_symlink()  # no link left pointing at nothing


def test_proposals_and_unmatched_are_the_readme_answer(written):
    """The README's five matches, highest w first, and the three unmatched with their reasons."""
    _, summary, out = written
    proposals = rows(out / "proposals.csv")
    assert [(r["client_id"], r["unit_id"]) for r in proposals] == ALLOCATION
    assert [r["priority_weight"] for r in proposals] == ["226", "158", "152", "112", "103"]
    assert [(r["client_id"], r["reason"]) for r in rows(out / "unmatched.csv")] == [
        ("C05", "capacity_full"),
        ("C07", "no_eligible_unit"),
        ("C08", "outranked"),
    ]
    assert (summary["objective"]["W"], summary["objective"]["P"]) == (751, 120)
    assert summary["counts"]["unmatched_by_reason"] == {
        "no_eligible_unit": 1,
        "capacity_full": 1,
        "outranked": 1,
        "not_chosen": 0,
    }


def test_unused_units_is_the_one_unit_behind_the_full_cap(written):
    """Six units, five proposed: U04 (a room of Woonopmaat in IJmuiden-Noord) is left. C03
    (protected, load 2) used the wijk's room 2 (cap ⌊4574 × 5 / 1000⌋ = 22, recent load 20), and
    C05 (light, w 104), the one client eligible for it, is 1 short. summary.json counts it."""
    _, summary, out = written
    assert rows(out / UNUSED) == [
        {
            "unit_id": "U04",
            "landlord": "Woonopmaat",
            "municipality_id": "GM0453",
            "neighbourhood_id": "WK045301",
            "unit_type": "room",
            "reason": "capacity_full",
            "detail": "cap of WK045301 full (2 of 2 load added this period), 1 short for C05 (w 104), "
            "the highest-priority eligible client left unmatched; 1 eligible client left unmatched, "
            "0 placed elsewhere",
        }
    ]
    assert summary["counts"]["unused"] == 1
    assert summary["counts"]["unused_by_reason"] == {
        "capacity_full": 1,
        "eligible_clients_placed": 0,
        "no_eligible_client": 0,
        "not_chosen": 0,
    }
    assert {"unmatched_reasons", "unused_units"} <= set(summary["seconds"])


def test_unused_units_csv_holds_no_formula(tiny, tmp_path, monkeypatch):
    """A formula-like landlord or detail reaching unused_units.csv is written inert (a leading ')."""
    unused = Proposal.unused_table

    def poisoned(self):
        table = unused(self)
        landlord, detail = list(table["landlord"]), list(table["detail"])
        landlord[0], detail[0] = '=HYPERLINK("http://x")', "@SUM(1)"
        return table.assign(landlord=landlord, detail=detail)

    monkeypatch.setattr(Proposal, "unused_table", poisoned)
    write_proposal(solve_week(read_instance(tiny)), tiny, tmp_path / "run")
    row = rows(tmp_path / "run" / UNUSED)[0]
    assert (row["landlord"], row["detail"]) == ('\'=HYPERLINK("http://x")', "'@SUM(1)")


def test_summary_holds_the_sha256_of_every_other_file(written):
    """summary["outputs"] names every file of the set but summary.json and the manifest, each with
    the sha256 of the bytes on disk; summary.json on disk is the returned summary; the manifest
    lists every file but itself, summary.json included, and says the set is complete."""
    _, summary, out = written
    others = files_of_set(out) - {"summary.json", MANIFEST}
    assert set(summary["outputs"]) == others
    for name in others:
        assert summary["outputs"][name] == hashlib.sha256((out / name).read_bytes()).hexdigest(), name
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == summary
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["state"] == "complete"
    assert set(manifest["files"]) == others | {"summary.json"}
    assert verify_set(out).state == "complete"


def test_summary_records_the_input_files(written, tiny):
    """summary["inputs"] holds the sha256 of each input file of the tiny folder."""
    _, summary, _ = written
    for name, digest in summary["inputs"].items():
        assert digest == hashlib.sha256((tiny / name).read_bytes()).hexdigest()
    assert {"clients.csv", "units.csv", "policy.yaml"} <= set(summary["inputs"])


def test_the_solved_instance_reads_back_equal(written):
    """Without a ledger the instance solved is the input: solved-instance/ reads back equal."""
    instance, _, out = written
    assert read_instance(out / SOLVED_INSTANCE) == instance


def test_kept_csv_only_when_keep_was_given(tiny, tmp_path):
    """keep=[C01 → U06]: kept.csv holds that match and is hashed in outputs; the continuity report
    says it was kept (it costs no priority: C06 takes U02 instead, W stays 751)."""
    out = tmp_path / "run"
    summary = write_proposal(solve_week(read_instance(tiny), keep=[("C01", "U06")]), tiny, out)
    assert rows(out / KEPT) == [{"client_id": "C01", "unit_id": "U06"}]
    assert summary["outputs"][KEPT] == hashlib.sha256((out / KEPT).read_bytes()).hexdigest()
    assert summary["continuity"]["kept"] == 1 and summary["continuity"]["withdrawn"] == []
    assert ("C01", "U06") in {(r["client_id"], r["unit_id"]) for r in rows(out / "proposals.csv")}
    assert summary["objective"]["W"] == 751


def test_a_second_write_replaces_the_set(tiny, tmp_path):
    """First with keep (C01 → U06, kept.csv), then without: proposals.csv is the README's again,
    summary.json's hashes match the new files, and kept.csv is gone from the set."""
    out = tmp_path / "run"
    instance = read_instance(tiny)
    first = write_proposal(solve_week(instance, keep=[("C01", "U06")]), tiny, out)
    second = write_proposal(solve_week(instance), tiny, out)
    assert first["outputs"]["proposals.csv"] != second["outputs"]["proposals.csv"]
    assert [(r["client_id"], r["unit_id"]) for r in rows(out / "proposals.csv")] == ALLOCATION
    assert KEPT not in second["outputs"] and "continuity" not in second
    assert not (out / KEPT).exists() and not (out / KEPT).is_symlink()  # no link left pointing at nothing
    for name, digest in second["outputs"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == second


def test_extra_sections_go_into_the_summary(tiny, tmp_path):
    """`extra` sections are added to summary.json beside the standard ones."""
    summary = write_proposal(
        solve_week(read_instance(tiny)), tiny, tmp_path / "run", extra={"note": {"by": "test"}}
    )
    assert summary["note"] == {"by": "test"}
    assert json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))["note"] == {
        "by": "test"
    }
