"""Redaction for sharing an instance with a developer: same structure and solve, no identities."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from fuzzing import tiny_workbook

from matcher.audit.redact import Scrambler, redact_instance
from matcher.cli.main import main
from matcher.io.read import instance_files, read_instance
from matcher.proposal import solve
from models import InvalidInstance
from models.privacy import looks_like_bsn, looks_like_name


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def identities(instance) -> set[str]:
    """Every client, unit, site and landlord id of an instance."""
    return (
        {c.client_id for c in instance.clients}
        | {u.unit_id for u in instance.units}
        | {u.site_id for u in instance.units if u.site_id}
        | {u.landlord for u in instance.units}
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A generated instance of 300 clients and 120 units with declined pairs and sites."""
    from matcher.generate.instance import generate_instance, write_instance

    folder = tmp_path_factory.mktemp("redact") / "generated"
    return write_instance(generate_instance("all", 300, 120, 11, date(2026, 11, 23)), folder)


def test_redacted_instance_gives_the_same_w_and_p(generated, tmp_path):
    """The redacted copy solves to the same priority W and preference P as the original."""
    redact_instance(generated, tmp_path / "shared", key="k")
    original, redacted = solve(read_instance(generated)), solve(read_instance(tmp_path / "shared"))
    assert (redacted.priority, redacted.preference) == (original.priority, original.preference)
    assert len(redacted.chosen) == len(original.chosen)


def test_no_identity_survives_in_any_file(generated, tmp_path):
    """No client, unit, site or landlord id of the original appears anywhere in the copy."""
    redact_instance(generated, tmp_path / "shared", key="k")
    text = "\n".join(file.read_text(encoding="utf-8") for file in (tmp_path / "shared").iterdir())
    leaked = [identity for identity in identities(read_instance(generated)) if identity in text]
    assert leaked == []


def test_structure_is_kept(generated, tmp_path):
    """Same files, same headers, same number of rows, and public place codes unchanged."""
    redact_instance(generated, tmp_path / "shared", key="k")
    shared = tmp_path / "shared"
    assert [f.name for f in instance_files(shared)] == [f.name for f in instance_files(generated)]
    for file in instance_files(generated):
        if file.suffix == ".csv":
            before, after = rows(file), rows(shared / file.name)
            assert after[0] == before[0] and len(after) == len(before)
    for name in ("municipalities.csv", "neighbourhoods.csv", "support_capacity.csv"):
        assert (shared / name).read_text() == (generated / name).read_text()
    before, after = read_instance(generated), read_instance(shared)
    assert [u.neighbourhood_id for u in after.units] == [u.neighbourhood_id for u in before.units]
    assert [c.registered_on for c in after.clients] == [c.registered_on for c in before.clients]
    assert after.policy == before.policy


def test_ids_are_scrambled_consistently_across_files(generated, tmp_path):
    """declined.csv names the same pseudonyms as clients.csv and units.csv, pair for pair."""
    redaction = redact_instance(generated, tmp_path / "shared", key="k")
    before, after = read_instance(generated), read_instance(tmp_path / "shared")
    assert len(before.declined) > 0
    client_map = {b.client_id: a.client_id for b, a in zip(before.clients, after.clients)}
    unit_map = {b.unit_id: a.unit_id for b, a in zip(before.units, after.units)}
    assert [(d.client_id, d.unit_id) for d in after.declined] == [
        (client_map[d.client_id], unit_map[d.unit_id]) for d in before.declined
    ]
    sites = {(b.site_id, a.site_id) for b, a in zip(before.units, after.units) if b.site_id}
    assert len({b for b, _ in sites}) == len({a for _, a in sites}) == len(sites)
    assert redaction.scrambled["client"] == len(before.clients)


def test_same_key_same_pseudonyms_other_key_others(generated, tmp_path):
    """One key gives identical copies; another key gives different pseudonyms."""
    redact_instance(generated, tmp_path / "a", key="week-47")
    redact_instance(generated, tmp_path / "b", key="week-47")
    redact_instance(generated, tmp_path / "c", key="another")
    assert (tmp_path / "a" / "clients.csv").read_bytes() == (tmp_path / "b" / "clients.csv").read_bytes()
    assert (tmp_path / "a" / "clients.csv").read_bytes() != (tmp_path / "c" / "clients.csv").read_bytes()


def test_pseudonyms_are_never_bsn_or_names():
    """Letters-only pseudonyms can never trip the BSN or name checks, and never collide."""
    scramble = Scrambler(b"key")
    made = {scramble("client", f"C-{k:05d}") for k in range(20_000)}
    assert len(made) == 20_000
    assert not any(looks_like_bsn(p) or looks_like_name(p) for p in made)
    assert scramble("client", " C-00001 ") == scramble("client", "C-00001")


def test_bsn_and_names_in_the_source_are_scrambled_away(tiny_copy, tmp_path):
    """An instance refused for a BSN or a name is redacted too, and the copy holds neither."""
    clients = tiny_copy / "clients.csv"
    clients.write_text(clients.read_text().replace("C01,", "123456782,").replace("C02,", "Jan Jansen,"))
    redaction = redact_instance(tiny_copy, tmp_path / "shared", key="k")
    assert redaction.source_problems == 2
    read_instance(tmp_path / "shared")  # the copy is valid: the offending ids are gone
    text = (tmp_path / "shared" / "clients.csv").read_text()
    assert "123456782" not in text and "Jansen" not in text


def test_policy_comments_are_dropped(tiny_copy, tmp_path):
    """Comments in policy.yaml, which could name people, are not copied."""
    policy = tiny_copy / "policy.yaml"
    policy.write_text("# drawn up with Jan Jansen for client C01\n" + policy.read_text())
    redact_instance(tiny_copy, tmp_path / "shared", key="k")
    assert "Jansen" not in (tmp_path / "shared" / "policy.yaml").read_text()
    assert read_instance(tmp_path / "shared").policy == read_instance(tiny_copy).policy


def test_workbook_is_redacted_as_a_workbook(tmp_path):
    """An .xlsx keeps its instance sheets, loses other sheets and its author, and solves the same."""
    from openpyxl import load_workbook

    source = tmp_path / "week.xlsx"
    source.write_bytes(tiny_workbook())
    book = load_workbook(source)
    book.create_sheet("notes").append(["Jan Jansen belt maandag terug"])
    book.properties.creator = "Fatima El Amrani"
    book.save(source)
    redact_instance(source, tmp_path / "shared", key="k")
    copy = tmp_path / "shared" / "week.xlsx"
    redacted = load_workbook(copy)
    assert "notes" not in redacted.sheetnames and redacted.properties.creator == "matcher redact"
    before, after = solve(read_instance(source)), solve(read_instance(copy))
    assert (after.priority, after.preference) == (before.priority, before.preference)
    assert not identities(read_instance(source)) & identities(read_instance(copy))


def test_dutch_excel_csv_is_redacted_in_its_own_form(tiny_copy, tmp_path):
    """A `;`-separated Windows-1252 file keeps its separator and decimal commas."""
    units = tiny_copy / "units.csv"
    # 9, 7 more for the address columns and 1 for young_adults_only (issue 14, item 6)
    separators = units.read_text().splitlines()[0].count(",")
    units.write_bytes(units.read_text().replace(",", ";").replace(";650;", ";650,50;").encode("cp1252"))
    redact_instance(tiny_copy, tmp_path / "shared", key="k")
    text = (tmp_path / "shared" / "units.csv").read_text(encoding="utf-8")
    assert (
        separators == 17
        and text.splitlines()[0].count(";") == separators
        and ";650,50;" in text
        and "Pré Wonen" not in text
    )
    assert read_instance(tmp_path / "shared").units[0].rent == 650.5


def test_existing_target_is_never_overwritten(tiny, tmp_path):
    """A non-empty target folder is refused, so nothing of the coordinator's is lost."""
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        redact_instance(tiny, tmp_path / "shared")
    assert (tmp_path / "shared" / "keep.txt").read_text() == "mine"


def test_not_an_instance_is_refused(tmp_path):
    """A path that is neither a folder nor a workbook is an invalid instance."""
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InvalidInstance):
        redact_instance(tmp_path / "notes.txt", tmp_path / "shared")


def test_cli_redact(tiny, tmp_path):
    """`matcher redact INSTANCE --out DIR --key K` writes the copy and says what it replaced."""
    result = CliRunner().invoke(main, ["redact", str(tiny), "--out", str(tmp_path / "shared"), "--key", "k"])
    assert result.exit_code == 0, result.output
    assert "8 client" in result.output
    assert read_instance(tmp_path / "shared").clients[0].client_id.startswith("C-")


def test_cli_redact_refuses_an_existing_folder(tiny, tmp_path):
    """The CLI exits 1 with a message when the target folder is not empty."""
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "x").write_text("x")
    result = CliRunner().invoke(main, ["redact", str(tiny), "--out", str(tmp_path / "shared")])
    assert result.exit_code == 1 and "not empty" in result.output


def test_a_units_address_is_emptied_and_the_solve_stays_the_same(tmp_path):
    """The bundled Zuid-Kennemerland week has addresses (issue 15): in the redacted copy every
    address column is empty, no street, postcode or BAG id of the source is anywhere, and the
    redacted instance gives the same W and P."""
    source = Path(__file__).resolve().parents[2] / "instances" / "zuid-kennemerland-week"
    original = read_instance(source)
    assert any(unit.street and unit.postcode and unit.bag_id for unit in original.units)
    redact_instance(source, tmp_path / "redacted", key="k")
    redacted = read_instance(tmp_path / "redacted")
    for unit in redacted.units:
        assert (unit.street, unit.house_number, unit.postcode, unit.place) == (None, None, None, None)
        assert (unit.complex_name, unit.landlord_reference, unit.bag_id) == (None, None, None)
    text = "".join(path.read_text(encoding="utf-8") for path in (tmp_path / "redacted").glob("*.csv"))
    for unit in original.units:
        for value in (unit.street, unit.postcode, unit.bag_id, unit.landlord_reference):
            assert not value or value not in text, value
    before, after = solve(original), solve(redacted)
    assert (after.priority, after.preference) == (before.priority, before.preference)
