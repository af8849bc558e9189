"""`matcher check`: every rule flagged on purpose-built bad proposals, W and P against the optimum."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import independent_checker as checker
import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.io.read import read_instance
from matcher.review.check import RULE_TEXT, ProposedRow, check_proposal, read_pairs, rule_violations
from models import InvalidInstance

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"


def variant(
    tmp_path: Path, name: str, append: dict[str, list[str]] | None = None, policy: str | None = None
) -> Path:
    """A copy of instances/tiny with rows appended to some files and, optionally, another policy."""
    folder = tmp_path / name
    shutil.copytree(TINY, folder)
    for file, lines in (append or {}).items():
        with open(folder / file, "a", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in lines))
    if policy is not None:
        (folder / "policy.yaml").write_text(policy, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def bad_instances(tmp_path_factory) -> dict[str, Path]:
    """Variants of tiny in which each rule can be broken by one or two pairs."""
    root = tmp_path_factory.mktemp("check")
    return {
        "base": variant(
            root,
            "base",
            {
                "units.csv": ["U07,social_rental,Elan Wonen,GM0392,WK039202,,600,1,true,2026-12-10"],
                "declined.csv": ["C01,U02,client"],
            },
        ),
        "strict": variant(
            root, "strict", policy="period: {start: 2026-11-23, days: 7}\norigin_rule: strict\n"
        ),
        "intake": variant(root, "intake", policy="period: {start: 2026-11-23}\n"),
        "slots": variant(root, "slots", {"support_capacity.csv": ["GM0392,intensive,0"]}),
        # target groups (issue 14, item 6): U08 a jongerenwoning, U09 a room, both in
        # Haarlemmerhoutkwartier (room 31); C09 (BW, ambulant, no young adult) is in Housing First
        "groups": variant(
            root,
            "groups",
            {
                "units.csv": [
                    _row("units.csv", unit_id="U08", young_adults_only="true"),
                    _row("units.csv", unit_id="U09", type="room"),
                ],
                "clients.csv": [_row("clients.csv")],
            },
        ),
    }


def _row(file: str, **cells: str) -> str:
    """A row of tiny's `file` by its header, the other columns empty: in units.csv a social-rental
    home of Pré Wonen in WK039202 for one, 600 a month, available; in clients.csv C09, an ambulant
    BW client from Haarlem in Housing First, ready. `cells` change it."""
    header = (TINY / file).read_text(encoding="utf-8").splitlines()[0].split(",")
    base = {
        "units.csv": {
            "type": "social_rental",
            "landlord": "Pré Wonen",
            "municipality_id": "GM0392",
            "neighbourhood_id": "WK039202",
            "rent": "600",
            "max_household": "1",
            "available_from": "2026-11-01",
        },
        "clients.csv": {
            "client_id": "C09",
            "source": "BW",
            "origin_municipality_id": "GM0392",
            "support_intensity": "ambulant",
            "registered_on": "2026-11-01",
            "target_groups": "housing_first",
        },
    }[file]
    return ",".join((base | cells).get(column, "") for column in header)


# (rule, instance variant, pairs): each proposal breaks exactly that rule
BAD = [
    ("unknown_id", "base", [("C99", "U01")]),
    ("one_unit_per_client", "base", [("C02", "U01"), ("C02", "U02")]),
    ("one_client_per_unit", "base", [("C02", "U02"), ("C08", "U02")]),
    ("eligibility:type", "base", [("C03", "U02")]),
    ("eligibility:size", "base", [("C07", "U02")]),
    ("eligibility:rent", "base", [("C05", "U01")]),
    ("eligibility:access", "base", [("C08", "U03")]),
    ("eligibility:timing", "base", [("C01", "U07")]),
    ("eligibility:safety", "base", [("C02", "U04")]),
    ("eligibility:origin_rule", "strict", [("C06", "U02")]),
    ("eligibility:history", "base", [("C01", "U02")]),
    ("neighbourhood_cap", "base", [("C03", "U03"), ("C05", "U04")]),
    ("support_slots", "slots", [("C01", "U02")]),
    ("eligibility:young_adults_home", "groups", [("C09", "U08")]),
    ("eligibility:housing_first", "groups", [("C09", "U09")]),
]


def _write(tmp_path: Path, pairs: list[tuple[str, str]], name: str = "edited.csv") -> Path:
    path = tmp_path / name
    path.write_text(
        "client_id,unit_id,note\n" + "".join(f"{c},{u},hand edit\n" for c, u in pairs), encoding="utf-8"
    )
    return path


@pytest.mark.parametrize("rule, which, pairs", BAD, ids=[case[0] for case in BAD])
def test_each_rule_is_flagged_by_name(rule, which, pairs, bad_instances, tmp_path):
    """A proposal built to break one rule is flagged for exactly that rule, as the independent checker says."""
    folder = bad_instances[which]
    rows = read_pairs(_write(tmp_path, pairs))
    found = rule_violations(read_instance(folder), rows)
    assert {v.rule for v in found} == {rule}
    independent = {message.split(": ")[0] for message in checker.violations(folder, pairs)}
    assert independent == {rule}


def test_municipality_intake_is_flagged(tmp_path):
    """Two placements in a municipality with max_intake 1 break municipality_intake."""
    folder = variant(tmp_path, "intake")
    text = (folder / "municipalities.csv").read_text().replace("167636,", "167636,1")
    (folder / "municipalities.csv").write_text(text)
    pairs = [("C01", "U02"), ("C02", "U01")]
    found = rule_violations(read_instance(folder), read_pairs(_write(tmp_path, pairs)))
    assert {v.rule for v in found} == {"municipality_intake"}
    assert {m.split(": ")[0] for m in checker.violations(folder, pairs)} == {"municipality_intake"}


def test_every_rule_has_a_bad_proposal():
    """The bad proposals above (plus the intake test) cover every rule check knows."""
    # open_neighbourhood needs a closed neighbourhood, which tiny has not: tests/test_rule_open_neighbourhood.py;
    # occupied needs a client living in an offered unit: tests/rules/test_tenancy_rules.py
    # shared_home: tests/rules/test_shared_home.py; the agreements' maxima: tests/rules/test_agreements.py;
    # provider_slots: tests/rules/test_provider_slots.py (each against the independent checker)
    elsewhere = {
        "municipality_intake",
        "eligibility:open_neighbourhood",
        "eligibility:occupied",
        "eligibility:shared_home",
        "municipality_agreement",
        "landlord_agreement",
        "provider_slots",
    }
    assert {rule for rule, _, _ in BAD} | elsewhere == set(RULE_TEXT)


def test_violation_names_the_csv_rows(bad_instances, tmp_path):
    """Each violation points at the rows of the proposal file that cause it."""
    rows = read_pairs(_write(tmp_path, [("C02", "U01"), ("C03", "U03"), ("C05", "U04")]))
    found = rule_violations(read_instance(bad_instances["base"]), rows)
    assert [(v.rule, v.rows) for v in found] == [("neighbourhood_cap", (3, 4))]


def test_engine_proposal_is_valid_and_loses_nothing(tmp_path):
    """The engine's own proposal passes and loses no W or P against the optimum."""
    out = tmp_path / "proposal"
    assert CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out)]).exit_code == 0
    report = check_proposal(read_instance(TINY), read_pairs(out))
    assert report.valid
    assert (report.priority, report.preference) == (report.optimum_priority, report.optimum_preference)
    assert checker.violations(TINY, [(r.client_id, r.unit_id) for r in read_pairs(out)]) == []


def test_hand_edit_reports_w_and_p_lost(tmp_path):
    """Dropping C01 from the optimum keeps the proposal valid but loses C01's w and p."""
    out = tmp_path / "proposal"
    CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out)])
    rows = [r for r in read_pairs(out) if r.client_id != "C01"]
    report = check_proposal(read_instance(TINY), rows).to_dict()
    assert report["valid"] and report["W_loss"] == 226 and report["P_loss"] == 30
    w, p = checker.objective(TINY, [(r.client_id, r.unit_id) for r in rows])
    assert (report["W"], report["P"]) == (w, p)


def test_cli_exit_codes(bad_instances, tmp_path):
    """check exits 0 for a valid proposal, 1 when a rule is broken and 2 for an unreadable file."""
    runner = CliRunner()
    base = str(bad_instances["base"])
    good = runner.invoke(main, ["check", base, str(_write(tmp_path, [("C02", "U01")], "good.csv"))])
    assert good.exit_code == 0 and "VALID" in good.output and "loses" in good.output
    bad = runner.invoke(main, ["check", base, str(_write(tmp_path, [("C03", "U02")], "bad.csv")), "--json"])
    assert bad.exit_code == 1
    assert json.loads(bad.output)["rules_broken"] == ["eligibility:type"]
    broken = tmp_path / "broken.csv"
    broken.write_text("client,unit\nC01,U02\n")
    invalid = runner.invoke(main, ["check", base, str(broken)])
    assert invalid.exit_code == 2 and "client_id" in invalid.output + (invalid.stderr or "")
    assert "Traceback" not in invalid.output


def test_read_pairs_rejects_half_filled_rows(tmp_path):
    """A row with a client but no unit is reported with its row and column."""
    path = tmp_path / "half.csv"
    path.write_text("client_id,unit_id\nC01,U02\nC02,\n\n")
    with pytest.raises(InvalidInstance) as raised:
        read_pairs(path)
    assert [(p.row, p.column) for p in raised.value.problems] == [(3, "unit_id")]


def test_duplicate_pair_breaks_both_one_per_rules(bad_instances):
    """The same pair listed twice breaks one_unit_per_client and one_client_per_unit."""
    rows = [ProposedRow("C08", "U02", 2), ProposedRow("C08", "U02", 3)]
    found = rule_violations(read_instance(bad_instances["base"]), rows)
    assert {v.rule for v in found} == {"one_unit_per_client", "one_client_per_unit"}
