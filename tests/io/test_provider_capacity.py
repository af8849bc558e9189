"""Reading care providers (issue 14, item 5): clients.csv's optional `provider` and the optional
provider_capacity.csv. Organisation names are accepted (the reader's personal-data checks stay:
an e-mail address or a postcode with a house number is refused); a municipality of
provider_capacity.csv must exist, a (provider, municipality) pair has one row, slots are whole
numbers ≥ 0; each problem names file, row and column."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from matcher.io.read import read_instance
from matcher.io.write_instance import instance_files_bytes
from models import InvalidInstance

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"
PROVIDERS = ["Leger des Heils", "HVO-Querido", "Kenter Jeugdhulp", "GGZ inGeest", "Brijder", "Parnassia"]


def copy(tmp_path: Path, providers: list[str] | None = None, capacity: str | None = None) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    if providers is not None:
        clients = pd.read_csv(folder / "clients.csv", dtype=str, keep_default_na=False)
        clients["provider"] = [providers[k % len(providers)] for k in range(len(clients))]
        clients.to_csv(folder / "clients.csv", index=False)
    if capacity is not None:
        (folder / "provider_capacity.csv").write_text(capacity, encoding="utf-8")
    return folder


def problems(folder: Path) -> list[tuple[str, int | None, str | None, str]]:
    with pytest.raises(InvalidInstance) as raised:
        read_instance(folder)
    return [(p.file, p.row, p.column, p.message) for p in raised.value.problems]


def test_organisation_names_are_accepted_as_providers(tmp_path):
    folder = copy(
        tmp_path,
        PROVIDERS,
        "provider,municipality_id,slots\nLeger des Heils,GM0392,3\nHVO-Querido,GM0392,0\n",
    )
    instance = read_instance(folder)
    assert {c.provider for c in instance.clients} == set(PROVIDERS)
    assert [(s.provider, s.municipality_id, s.slots) for s in instance.provider_capacity] == [
        ("Leger des Heils", "GM0392", 3),
        ("HVO-Querido", "GM0392", 0),
    ]


def test_a_provider_no_client_names_is_fine(tmp_path):
    folder = copy(tmp_path, capacity="provider,municipality_id,slots\nBrijder,GM0392,2\n")
    assert read_instance(folder).provider_capacity[0].provider == "Brijder"


def test_personal_data_in_provider_is_still_refused(tmp_path):
    folder = copy(tmp_path, ["j.jansen@example.nl"])
    found = problems(folder)
    assert found and all(f == "clients.csv" and c == "provider" for f, _, c, _ in found)
    assert all("j.jansen" not in message for *_, message in found)


def test_unknown_municipality(tmp_path):
    folder = copy(tmp_path, capacity="provider,municipality_id,slots\nLeger des Heils,GM9999,3\n")
    assert problems(folder) == [
        (
            "provider_capacity.csv",
            2,
            "municipality_id",
            "unknown municipality 'GM9999': add it to municipalities.csv or correct the id",
        )
    ]


def test_duplicate_row(tmp_path):
    folder = copy(
        tmp_path,
        capacity="provider,municipality_id,slots\nHVO-Querido,GM0392,3\nBrijder,GM0392,1\nHVO-Querido,GM0392,1\n",
    )
    assert problems(folder) == [
        (
            "provider_capacity.csv",
            4,
            "municipality_id",
            "second row for provider 'HVO-Querido' in 'GM0392': keep one row per provider and municipality",
        )
    ]


def test_negative_slots(tmp_path):
    folder = copy(tmp_path, capacity="provider,municipality_id,slots\nBrijder,GM0392,-1\n")
    ((file, row, column, message),) = problems(folder)
    assert (file, row, column) == ("provider_capacity.csv", 2, "slots")
    assert "0" in message


def test_dutch_messages(tmp_path, dutch):
    folder = copy(tmp_path, capacity="provider,municipality_id,slots\nBrijder,GM0392,1\nBrijder,GM0392,2\n")
    ((_, _, _, message),) = problems(folder)
    assert message.startswith("tweede rij voor zorgaanbieder")


def test_written_back_equal_and_without_the_column_when_unused(tmp_path):
    """The solved instance a run keeps writes provider and provider_capacity.csv back; an instance
    without providers is written as before (no provider column, no file)."""
    tiny = read_instance(TINY)
    plain = tiny.model_copy(
        update={
            "clients": tuple(c.model_copy(update={"provider": None}) for c in tiny.clients),
            "provider_capacity": (),
        }
    )
    files = instance_files_bytes(plain)
    assert "provider_capacity.csv" not in files
    assert b"provider" not in files["clients.csv"].splitlines()[0]
    instance = read_instance(copy(tmp_path, PROVIDERS, "provider,municipality_id,slots\nBrijder,GM0392,2\n"))
    out = tmp_path / "back"
    out.mkdir()
    for name, data in instance_files_bytes(instance).items():
        (out / name).write_bytes(data)
    assert read_instance(out) == instance
