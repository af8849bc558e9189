"""`matcher validate` and the reader: every problem at once, each with file, row and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.io.read import read_instance
from models import InvalidInstance


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(path: Path) -> list:
    with pytest.raises(InvalidInstance) as caught:
        read_instance(path)
    return caught.value.problems


def _find(problems, file, row, column):
    return [p for p in problems if p.file == file and p.row == row and p.column == column]


def test_valid_instance_reads(tiny):
    """The tiny instance is valid: 8 clients, 6 units."""
    instance = read_instance(tiny)
    assert (len(instance.clients), len(instance.units)) == (8, 6)


def test_all_problems_are_reported_at_once(tiny_copy):
    """Eight different mistakes in four files come back together, each located exactly."""
    _edit(tiny_copy / "units.csv", "U02,social_rental", "U01,social_rental")  # duplicate id, row 3
    _edit(
        tiny_copy / "units.csv",
        "U04,room,Woonopmaat,GM0453,WK045301",
        "U04,castle,Woonopmaat,GM0453,WK045301",
    )
    _edit(
        tiny_copy / "units.csv",
        "U06,social_rental,Woonopmaat,GM0453,WK045302",
        "U06,social_rental,Woonopmaat,GM0453,WK039202",
    )
    _edit(
        tiny_copy / "clients.csv",
        "C01,MO,GM0392,,intensive,1,,false,,,,,acute,2026-05-25",
        "C01,MO,GM0392,,intensive,1,,false,,,,,acute,25-05-2026",
    )
    _edit(tiny_copy / "clients.csv", "C02,VO,GM0453,GM0392,ambulant", "C02,VO,GM0453,GM0392,very_high")
    _edit(
        tiny_copy / "clients.csv", "C05,jeugd,GM0392,,light,1,500", "C05,jeugd,GM0392,,light,1,five hundred"
    )
    _edit(
        tiny_copy / "clients.csv",
        "C06,BW,GM0453,,intensive,1,,false,,,",
        "C06,BW,GM0453,,intensive,1,,false,,GM9999,",
    )
    _edit(tiny_copy / "neighbourhoods.csv", "WK045309,GM0453", "WK045309,GM0999")
    problems = _problems(tiny_copy)
    assert _find(problems, "units.csv", 3, "unit_id"), "duplicate id"
    assert _find(problems, "units.csv", 5, "type"), "unknown unit type"
    assert _find(problems, "units.csv", 7, "neighbourhood_id"), "neighbourhood outside its municipality"
    assert _find(problems, "clients.csv", 2, "registered_on"), "bad date"
    assert _find(problems, "clients.csv", 3, "support_intensity"), "unknown intensity"
    assert _find(problems, "clients.csv", 6, "max_rent"), "bad number"
    assert _find(problems, "clients.csv", 7, "preferred_municipalities"), "list names unknown id"
    assert _find(problems, "neighbourhoods.csv", 6, "municipality_id"), "unknown municipality"


def test_citizen_service_number_is_refused(tiny_copy):
    """A client_id passing the BSN 11-test is refused with advice to use the pseudonym."""
    _edit(tiny_copy / "clients.csv", "C08,BW", "111222333,BW")
    problems = _problems(tiny_copy)
    found = _find(problems, "clients.csv", 9, "client_id")
    assert found and "citizen service number" in found[0].message


def test_nine_digits_failing_the_eleven_test_are_allowed():
    """A 9-digit number that fails the 11-test is not a BSN."""
    from models.privacy import looks_like_bsn

    assert looks_like_bsn("111222333") and looks_like_bsn("C-123456782")
    assert not looks_like_bsn("123456789") and not looks_like_bsn("C-WF-0001")


def test_missing_file_and_missing_column(tiny_copy):
    """A missing clients.csv and a missing required column are named."""
    (tiny_copy / "clients.csv").unlink()
    _edit(tiny_copy / "units.csv", "unit_id,type,landlord", "unit_id,kind,landlord")
    problems = _problems(tiny_copy)
    assert any(p.file == "clients.csv" and "missing" in p.message for p in problems)
    assert _find(problems, "units.csv", 1, "type")
    assert _find(problems, "units.csv", 1, "kind")  # unknown column


def test_policy_problems_name_the_key(tiny_copy):
    """A bad origin rule in policy.yaml is reported under its key."""
    (tiny_copy / "policy.yaml").write_text("period: {start: 2026-11-23}\norigin_rule: nearest\n")
    problems = _problems(tiny_copy)
    assert any(p.file == "policy.yaml" and p.column == "origin_rule" for p in problems)


def test_cli_validate_exit_codes(tiny, tiny_copy):
    """Exit 0 for a valid instance, 2 with the located problems for an invalid one, no traceback."""
    runner = CliRunner()
    assert runner.invoke(main, ["validate", str(tiny)]).exit_code == 0
    _edit(
        tiny_copy / "units.csv",
        "U03,cluster,Woonopmaat,GM0453,WK045301,IJM-CLUSTER-1",
        "U03,cluster,Woonopmaat,GM0453,WK045301,",
    )
    result = runner.invoke(main, ["validate", str(tiny_copy)])
    assert result.exit_code == 2
    assert "units.csv, row 4" in result.output and "site_id" in result.output
    assert "Traceback" not in result.output


def test_workbook_instance_reads_like_the_folder(tiny, tmp_path):
    """The same instance as one .xlsx workbook (with a policy sheet) gives the same proposal."""
    import pandas as pd
    from openpyxl import Workbook

    from matcher.proposal import solve

    book = Workbook()
    book.remove(book.active)
    for name in ("municipalities", "neighbourhoods", "units", "clients", "support_capacity", "declined"):
        frame = pd.read_csv(tiny / f"{name}.csv", dtype=str, keep_default_na=False)
        sheet = book.create_sheet(name)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append(list(row))
    policy = book.create_sheet("policy")
    policy.append(["key", "value"])
    policy.append(["period.start", "2026-11-23"])
    book.save(tmp_path / "week.xlsx")
    from_book = solve(read_instance(tmp_path / "week.xlsx"))
    from_folder = solve(read_instance(tiny))
    assert from_book.pairs_chosen() == from_folder.pairs_chosen()
