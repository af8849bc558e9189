"""Two weeks of the real weekly loop on the tiny instance, recorded in one ledger (issue 15).

Week 1 (23 November 2026) is the tiny instance with a ceiling of 2 for Haarlem; its proposal
(instances/tiny/README.md) is C01→U02, C02→U01, C03→U03, C06→U06, C04→U05. Both sides accept
C01→U02, C02→U01 and C04→U05 (housed in week 1); C06 declines U06; Woonopmaat accepts C03→U03.

Week 2 (30 November) adds C09 (MO, from Velsen, social rental only, registered 28 November) and a
ceiling of 2 for Velsen too. `solve --ledger` holds C03→U03 and offers U06 to C09; C03 accepts
(housed in week 2). C05 (cap full), C06 (its units declined or taken), C07 (household of 4) and
C08 (step-free within rent) wait on.

The run folders stay where they were written (absolute paths), so the monitor finds each week's
solved instance. Every ledger test runs on SQLite and, with MATCHER_TEST_POSTGRES, on PostgreSQL.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.i18n import set_language

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "review"))

from ledger_backends import BACKENDS, NO_POSTGRES, POSTGRES, fresh_ledger

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"
WEEK1, WEEK2 = "2026-11-23", "2026-11-30"
C09 = "C09,MO,GM0453,,light,1,,false,social_rental,,,,normal,2026-11-28,\n"


def run(*args: object, code: int = 0) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result.output


def week_instance(folder: Path, start: str, ceilings: dict[str, int], new_client: str = "") -> Path:
    """The tiny instance for another week, with max_intake ceilings and perhaps one more client."""
    shutil.copytree(TINY, folder)
    policy = folder / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("start: 2026-11-23", f"start: {start}"))
    municipalities = folder / "municipalities.csv"
    lines = municipalities.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines[1:], start=1):
        code = line.split(",")[0]
        if code in ceilings:
            lines[number] = line + str(ceilings[code])
    municipalities.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if new_client:
        with (folder / "clients.csv").open("a", encoding="utf-8") as file:
            file.write(new_client)
    return folder


def decisions(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    lines = ["client_id,unit_id,decision,reason_code,decided_by"] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=BACKENDS)
def two_weeks(request, tmp_path_factory) -> dict:
    """The ledger, run folders and week instances of the two weeks (module docstring)."""
    if request.param == "postgresql" and not POSTGRES:
        pytest.skip(NO_POSTGRES)
    tmp = tmp_path_factory.mktemp(f"monitor-{request.param}")
    with fresh_ledger(request.param, tmp) as ledger:
        week1 = week_instance(tmp / "instance-1", WEEK1, {"GM0392": 2})
        run("--lang", "en", "solve", week1, "--out", tmp / "w1")
        run(
            "--lang",
            "en",
            "review",
            "export",
            week1,
            "--proposal",
            tmp / "w1",
            "--out",
            tmp / "books1",
            "--ledger",
            ledger,
        )
        first = [
            ("C01", "U02", "accept", "", "client"),
            ("C01", "U02", "accept", "", "landlord"),
            ("C02", "U01", "accept", "", "client"),
            ("C02", "U01", "accept", "", "landlord"),
            ("C04", "U05", "accept", "", "client"),
            ("C04", "U05", "accept", "", "landlord"),
            ("C06", "U06", "decline", "other", "client"),
            ("C03", "U03", "accept", "", "landlord"),
        ]
        run("record", "--ledger", ledger, "--file", decisions(tmp / "week1.csv", first))
        week2 = week_instance(tmp / "instance-2", WEEK2, {"GM0392": 2, "GM0453": 2}, C09)
        run("--lang", "en", "solve", week2, "--ledger", ledger, "--out", tmp / "w2")
        run(
            "--lang",
            "en",
            "review",
            "export",
            week2,
            "--proposal",
            tmp / "w2",
            "--out",
            tmp / "books2",
            "--ledger",
            ledger,
        )
        run("record", "--ledger", ledger, "--client", "C03", "--unit", "U03", "--decision", "accept")
        yield {"tmp": tmp, "ledger": ledger, "week1": week1, "week2": week2, "backend": request.param}
    set_language(None)


@pytest.fixture
def restore_language():
    yield
    set_language(None)
