"""Privacy: client ids are pseudonyms, and what the engine prints or writes leaks no more."""

from __future__ import annotations

import os
import stat
from datetime import date

import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.io.atomic import LOCK
from matcher.io.read import read_instance
from matcher.io.write import SOLVED_INSTANCE
from models import InvalidInstance
from models.privacy import BSN_REMOVED, looks_like_bsn, looks_like_name, passes_eleven_test, scrub

PSEUDONYMS = [
    "C01",
    "C-FL-0001",
    "C-ZK-0103",
    "MO-2024-0173",
    "BW123",
    "VO_17",
    "X7K2P9",
    "client-0042",
    "HLM/2025/17",
    "JAN-01",
    "BOS-0001",
    "C-QXWJKTRMABCD",
    "jz 2025 004",
    "A",
    "W12-3",
]
NAMES = [
    "Jan Jansen",
    "jansen",
    "J. Pietersma",
    "J.de Vries",
    "Pietersma, J.",
    "Fatima El Amrani",
    "Mohammed",
    "Anna Smit",
    "Ilse Zwanenburg",
    "van Dijk",
    "de vries",
    "anna-12",
    "Kees",
    "de Boer-Pietersma, A.",
    "Yilmaz",
]


@pytest.mark.parametrize("identifier", PSEUDONYMS)
def test_pseudonym_shapes_are_not_names(identifier):
    """Ids made of codes and numbers, as pseudonym schemes make them, are never flagged."""
    assert not looks_like_name(identifier)


@pytest.mark.parametrize("identifier", NAMES)
def test_names_are_flagged(identifier):
    """Common Dutch names, initials with a surname and particles before a word are flagged."""
    assert looks_like_name(identifier)


def test_generated_pseudonyms_for_every_region_pass():
    """The generator's ids (C-<region>-<number>) pass both checks in every region."""
    from matcher.generate.instance import generate_instance

    clients = generate_instance("all", 200, 20, 3, date(2026, 11, 23))["clients"]
    assert not [c for c in clients["client_id"] if looks_like_name(c) or looks_like_bsn(c)]


def test_eleven_test():
    """The BSN 11-test accepts valid numbers (8 digits padded) and rejects the rest."""
    assert passes_eleven_test("123456782") and passes_eleven_test("11122237")
    assert not passes_eleven_test("123456789") and not passes_eleven_test("000000000")
    assert looks_like_bsn("MO-123456782") and not looks_like_bsn("MO-123456789")


def write_clients(folder, replacements: dict[str, str]) -> None:
    clients = folder / "clients.csv"
    text = clients.read_text()
    for old, new in replacements.items():
        text = text.replace(old, new)
    clients.write_text(text)


def test_reader_refuses_bsn_and_names_as_client_ids(tiny_copy):
    """A BSN or a name as client id is a located problem telling to use the pseudonym."""
    write_clients(tiny_copy, {"C01,": "123456782,", "C02,": "Anna de Vries,"})
    with pytest.raises(InvalidInstance) as invalid:
        read_instance(tiny_copy)
    messages = [str(problem) for problem in invalid.value.problems]
    assert messages == [
        "clients.csv, row 2, column client_id: looks like a citizen service number (BSN), personal data "
        "that would be copied to every output: use a pseudonymous id such as C-0042",
        "clients.csv, row 3, column client_id: looks like a person's name, personal data "
        "that would be copied to every output: use a pseudonymous id such as C-0042",
    ]


def test_no_problem_message_repeats_a_bsn(tiny_copy):
    """Duplicates and references that name a BSN show it masked, since problems get logged."""
    write_clients(tiny_copy, {"C01,": "123456782,", "C02,": "123456782,"})
    (tiny_copy / "declined.csv").write_text("client_id,unit_id,declined_by\n111222333,U01,client\n")
    with pytest.raises(InvalidInstance) as invalid:
        read_instance(tiny_copy)
    text = "\n".join(str(problem) for problem in invalid.value.problems)
    assert "123456782" not in text and "111222333" not in text
    assert "duplicate id '…' (masked personal data)" in text
    assert "unknown client '…' (masked personal data)" in text


def test_cli_output_never_shows_a_bsn(tiny_copy):
    """`matcher validate` on an instance with BSNs prints where they are, not what they are."""
    write_clients(tiny_copy, {"C01,": "123456782,"})
    result = CliRunner().invoke(main, ["validate", str(tiny_copy)])
    assert result.exit_code == 2 and "citizen service number" in result.output
    assert "123456782" not in result.output


def test_scrub_keeps_numbers_that_are_not_bsn():
    """Only digit runs passing the 11-test are removed: counts and codes stay readable."""
    assert (
        scrub("row 123456782 and 123456789, GM0392, 2026") == f"row {BSN_REMOVED} and 123456789, GM0392, 2026"
    )


def test_outputs_are_readable_by_their_owner_only(tiny, tmp_path):
    """Every file of the proposal is readable and writable by the user who ran the engine only
    (0600), and the solved instance's folder can be entered by that user only (0700)."""
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["solve", str(tiny), "--out", str(out)]).exit_code == 0
    files = [path for path in out.rglob("*") if path.is_file() and path.name != LOCK]
    assert any(path.name == "proposals.csv" for path in files)
    for path in files:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    assert stat.S_IMODE(os.stat(out / SOLVED_INSTANCE).st_mode) == 0o700
