"""contacts.csv (issue 15): staff contacts of the corporations and the coordinator, the one file
where names, e-mail addresses and phone numbers are accepted."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.io.read import instance_files, read_instance
from matcher.io.run_folder import SOLVED_INSTANCE
from models import Contact, InvalidInstance, Problem
from models.contact import coordinator_contact, landlord_contact

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"
HEADER = "role,landlord,name,email,phone\n"


def problems_of(folder: Path) -> list[Problem]:
    try:
        read_instance(folder)
    except InvalidInstance as invalid:
        return invalid.problems
    return []


def contacts(folder: Path, *lines: str) -> None:
    (folder / "contacts.csv").write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")


def test_tiny_has_a_coordinator_and_a_contact_per_landlord():
    instance = read_instance(TINY)
    coordinator = coordinator_contact(instance.contacts, "Pré Wonen")
    assert coordinator is not None
    assert (coordinator.name, coordinator.email, coordinator.phone) == (
        "Coördinator Zuid-Kennemerland",
        "coordinator@voorbeeld.nl",
        "023 555 0100",
    )
    own = landlord_contact(instance.contacts, "Woonopmaat")
    assert own is not None and own.email == "woonconsulent.woonopmaat@example.org"
    assert {c.landlord for c in instance.contacts if c.role == "landlord"} == {
        u.landlord for u in instance.units
    }


def test_without_contacts_csv_the_instance_has_none(tiny_copy):
    (tiny_copy / "contacts.csv").unlink()
    assert read_instance(tiny_copy).contacts == ()


@pytest.mark.parametrize(
    ("word", "role"),
    [
        ("landlord", "landlord"),
        ("corporatie", "landlord"),
        ("Corporatie", "landlord"),
        ("coordinator", "coordinator"),
        ("coördinator", "coordinator"),
        ("Coördinator", "coordinator"),
    ],
)
def test_roles_in_english_and_dutch(tiny_copy, word, role):
    landlord = "Pré Wonen" if role == "landlord" else ""
    contacts(tiny_copy, f"{word},{landlord},Team Verhuur,verhuur@voorbeeld.nl,")
    (contact,) = read_instance(tiny_copy).contacts
    assert contact.role == role


def test_a_landlord_contact_names_a_landlord_as_units_csv_writes_it(tiny_copy):
    """Another spelling of a landlord of units.csv is refused (a typo would leave that
    corporation's workbook without its contact); a landlord with no unit this week is accepted (a
    standing list names corporations without a vacancy this week)."""
    contacts(
        tiny_copy,
        "coordinator,,Coördinator,coordinator@voorbeeld.nl,",
        "landlord,Pre Wonen,Team,t@voorbeeld.nl,",
    )
    (problem,) = problems_of(tiny_copy)
    assert (problem.file, problem.row, problem.column) == ("contacts.csv", 3, "landlord")
    assert problem.message == (
        "units.csv writes landlord 'P… W…' (masked personal data) differently: write the landlord "
        "exactly as units.csv does (spelling, accents, spaces)"
    )
    contacts(tiny_copy, "landlord,WBV,Team,t@voorbeeld.nl,", "landlord,PRÉ  WONEN,Team,t@voorbeeld.nl,")
    (problem,) = problems_of(tiny_copy)
    assert (problem.row, problem.column) == (3, "landlord")
    contacts(tiny_copy, "landlord,Woningbedrijf Velsen,Team,t@voorbeeld.nl,")
    assert [c.landlord for c in read_instance(tiny_copy).contacts] == ["Woningbedrijf Velsen"]


def test_a_landlord_contact_without_its_landlord_is_refused(tiny_copy):
    contacts(tiny_copy, "landlord,,Team Verhuur,verhuur@voorbeeld.nl,")
    (problem,) = problems_of(tiny_copy)
    assert (problem.file, problem.row) == ("contacts.csv", 2)
    assert problem.message.startswith("landlord is required for a landlord's contact")


@pytest.mark.parametrize(
    ("line", "column", "start"),
    [
        ("beheerder,,Team,t@voorbeeld.nl,", "role", "must be one of: 'landlord' or 'coordinator'"),
        ("coordinator,,Team,coordinator-at-voorbeeld.nl,", "email", "not an e-mail address"),
        ("coordinator,,Team,,bel maar", "phone", "not a phone number"),
        ("coordinator,,Team,,12", "phone", "not a phone number"),
        ("coordinator,,,,", None, "a contact needs a name, an e-mail address or a phone number"),
        ("coordinator,,=HYPERLINK(1),,", "name", "begins with '='"),
    ],
)
def test_a_bad_contact_is_refused_naming_row_and_column(tiny_copy, line, column, start):
    contacts(tiny_copy, line)
    (problem,) = problems_of(tiny_copy)
    assert (problem.file, problem.row, problem.column) == ("contacts.csv", 2, column)
    assert problem.message.startswith(start), problem.message


def test_a_phone_number_kept_as_text_by_a_spreadsheet_is_read_without_its_apostrophe(tiny_copy):
    contacts(tiny_copy, "coordinator,,Team,,'+31 23 555 0100")
    assert read_instance(tiny_copy).contacts[0].phone == "+31 23 555 0100"


def test_staff_names_emails_and_phones_are_accepted_only_in_contacts(tiny_copy):
    contacts(tiny_copy, "coordinator,,Ilse Zwanenburg,ilse.zwanenburg@voorbeeld.nl,06-12345678")
    (contact,) = read_instance(tiny_copy).contacts
    assert contact.name == "Ilse Zwanenburg" and contact.phone == "06-12345678"
    text = (
        (tiny_copy / "clients.csv")
        .read_text(encoding="utf-8")
        .replace("C01,", "ilse.zwanenburg@voorbeeld.nl,", 1)
    )
    (tiny_copy / "clients.csv").write_text(text, encoding="utf-8")
    (problem,) = problems_of(tiny_copy)
    assert (problem.file, problem.column) == ("clients.csv", "client_id")
    assert "looks like an e-mail address" in problem.message and "zwanenburg" not in problem.message


def test_the_coordinator_named_for_a_landlord_comes_first():
    everyone = Contact(role="coordinator", name="Coördinator regio")
    theirs = Contact(role="coordinator", landlord="Ymere", email="ymere@voorbeeld.nl")
    assert coordinator_contact((everyone, theirs), "Ymere") == theirs
    assert coordinator_contact((everyone, theirs), "Pré Wonen") == everyone
    assert coordinator_contact((theirs,), "Pré Wonen") is None


def test_contacts_csv_is_no_input_of_the_solve_but_is_kept_in_the_solved_instance(tmp_path):
    """Not among the hashed inputs (the solve never reads it; a redacted copy leaves it out), but
    solved-instance/ keeps it, so `review export` and `report` on the run folder have it."""
    assert "contacts.csv" not in [f.name for f in instance_files(TINY)]
    out = tmp_path / "week"
    result = CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    kept = out / SOLVED_INSTANCE / "contacts.csv"
    assert kept.is_file()
    assert read_instance(out / SOLVED_INSTANCE).contacts == read_instance(TINY).contacts
    assert read_instance(out / SOLVED_INSTANCE).units == read_instance(TINY).units


def test_a_run_with_a_ledger_keeps_the_contacts_in_its_solved_instance(tmp_path):
    """`solve --ledger` solves the instance after the ledger (apply_ledger builds a new one): the
    contacts go with it into solved-instance/, so next week's workbooks still name the people."""
    ledger, out = tmp_path / "ledger.sqlite", tmp_path / "week"
    first = CliRunner().invoke(main, ["solve", str(TINY), "--out", str(tmp_path / "w0")])
    assert first.exit_code == 0, first.output
    exported = CliRunner().invoke(
        main,
        ["review", "export", str(TINY), "--proposal", str(tmp_path / "w0"), "--out", str(tmp_path / "b"),
         "--ledger", str(ledger)],
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output
    result = CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out), "--ledger", str(ledger)])
    assert result.exit_code == 0, result.output
    assert read_instance(out / SOLVED_INSTANCE).contacts == read_instance(TINY).contacts != ()


def test_a_contact_of_a_landlord_whose_units_all_left_is_not_written(tmp_path):
    from matcher.io.write import with_known_contacts

    instance = read_instance(TINY)
    without = instance.model_copy(
        update={"units": tuple(u for u in instance.units if u.landlord != "Pré Wonen")}
    )
    kept = with_known_contacts(without).contacts
    assert [c.landlord for c in kept] == [None, "Elan Wonen", "Woonopmaat"]


def test_contacts_in_a_workbook_sheet(tmp_path):
    """An .xlsx instance may have a sheet `contacts` like the other tables."""
    from fuzzing import tiny_workbook
    from openpyxl import load_workbook

    path = tmp_path / "week.xlsx"
    path.write_bytes(tiny_workbook())
    assert read_instance(path).contacts == ()
    book = load_workbook(path)
    sheet = book.create_sheet("contacts")
    for row in csv.reader(io.StringIO((TINY / "contacts.csv").read_text(encoding="utf-8"))):
        sheet.append(row)
    book.save(path)
    assert read_instance(path).contacts == read_instance(TINY).contacts


def test_a_copy_of_contacts_csv_beside_it_is_refused(tiny_copy):
    """`contacts (1).csv` is not skipped silently, as for every file the engine reads."""
    (tiny_copy / "contacts (1).csv").write_text((tiny_copy / "contacts.csv").read_text(encoding="utf-8"))
    (problem,) = problems_of(tiny_copy)
    assert problem.file == "contacts (1).csv" and "contacts.csv" in problem.message


def test_a_redacted_copy_leaves_the_contacts_out(tiny, tmp_path):
    """Staff names are not part of what a developer gets; the copy still reads."""
    from matcher.audit.redact import redact_instance

    redact_instance(tiny, tmp_path / "shared", key="k")
    assert not (tmp_path / "shared" / "contacts.csv").exists()
    assert read_instance(tmp_path / "shared").contacts == ()


def test_no_message_repeats_a_contact_landlord_that_looks_like_personal_data(tiny_copy):
    # a name is accepted here (contacts.csv holds names; corporations' names read as names)
    for value in ("111.222.333", "06-12345678"):
        contacts(tiny_copy, f"landlord,{value},Team,t@voorbeeld.nl,")
        (problem,) = problems_of(tiny_copy)
        assert (problem.file, problem.row, problem.column) == ("contacts.csv", 2, "landlord")
        assert value not in problem.message and "masked personal data" in problem.message
