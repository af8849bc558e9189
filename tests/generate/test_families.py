"""The generator's benchmark families (matcher.generate.instance.FAMILIES, `matcher generate
--family`): each one valid, reproducible, and harder in exactly the way it claims; `plain` is the
generator's week, byte for byte."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from matcher.cli.generate import generate
from matcher.generate.instance import (
    FAMILIES,
    IDENTICAL_CLIENTS_PER_TEMPLATE,
    IDENTICAL_UNITS_PER_TEMPLATE,
    INSTANCE_FILES,
    generate_instance,
    write_instance,
)
from matcher.io.read import read_instance
from matcher.rules.eligibility import Eligibility

START = date(2026, 11, 23)


def _files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in INSTANCE_FILES}


def _split(cell: object) -> list[str]:
    return (
        []
        if cell is None or (isinstance(cell, float) and math.isnan(cell)) or pd.isna(cell)
        else str(cell).split(";")
    )


@pytest.fixture(scope="module")
def tables() -> dict[str, dict]:
    return {family: generate_instance("zuid-kennemerland", 300, 200, 5, family=family) for family in FAMILIES}


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_validates_and_is_reproducible(tmp_path: Path, family: str) -> None:
    """Each family passes the reader; the same seed writes the same bytes, another seed differs."""
    first = write_instance(generate_instance("all", 80, 50, 3, family=family), tmp_path / "a")
    second = write_instance(generate_instance("all", 80, 50, 3, family=family), tmp_path / "b")
    other = write_instance(generate_instance("all", 80, 50, 4, family=family), tmp_path / "c")
    instance = read_instance(first)
    assert len(instance.clients) == 80 and len(instance.units) == 50
    assert _files(first) == _files(second)
    assert _files(first)["clients.csv"] != _files(other)["clients.csv"]
    header = (first / "policy.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert ("family" in header) == (family != "plain")


def test_plain_is_the_generators_week(tmp_path: Path) -> None:
    """family='plain' changes nothing: the committed instances stay what their command writes."""
    default = write_instance(generate_instance("west-friesland", 40, 25, 7), tmp_path / "default")
    plain = write_instance(generate_instance("west-friesland", 40, 25, 7, family="plain"), tmp_path / "plain")
    assert _files(default) == _files(plain)


def test_an_unknown_family_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown family"):
        generate_instance("west-friesland", 10, 8, 1, family="hard")


def test_tight_puts_most_wijken_just_below_their_cap(tables: dict) -> None:
    """Most wijken (≥ 70 %) start with recent load within 2 of their cap; nothing else changes."""
    plain, tight = tables["plain"], tables["tight"]
    wijken = tight["neighbourhoods"]
    derived = np.floor(wijken["dwellings"].astype(float) * 5 / 1000)
    cap = wijken["cap"].astype("Float64").fillna(pd.Series(derived)).astype(float)
    room = cap - wijken["recent_load"].astype(float)
    assert ((room >= 0) & (room <= 2)).mean() >= 0.7
    for name in ("units", "clients", "support_capacity", "declined", "municipalities"):
        pd.testing.assert_frame_equal(tight[name], plain[name])


def test_strict_has_every_hard_rule_at_once(tables: dict) -> None:
    """Origin rule strict; 20–40 % more clients with exclusions; declines of every scope, some with
    scope_id spelled out, some lapsed, some still holding; slots for most municipality ×
    intensity pairs; intake ceilings in most municipalities."""
    plain, strict = tables["plain"], tables["strict"]
    assert strict["policy"]["origin_rule"] == "strict"
    excluded = (
        strict["clients"]["excluded_municipalities"].notna()
        | strict["clients"]["excluded_neighbourhoods"].notna()
    )
    before = (
        plain["clients"]["excluded_municipalities"].notna()
        | plain["clients"]["excluded_neighbourhoods"].notna()
    )
    assert 0.15 <= (excluded & ~before).mean() <= 0.45
    # the exclusions strict adds never take away a client's municipality of origin (a woman
    # leaving a shelter may exclude hers already in the plain week)
    for (_, client), (_, was) in zip(strict["clients"].iterrows(), plain["clients"].iterrows()):
        added = set(_split(client["excluded_municipalities"])) - set(_split(was["excluded_municipalities"]))
        assert client["origin_municipality_id"] not in added
    declined = strict["declined"]
    assert set(declined["scope"]) == {"unit", "site", "neighbourhood", "landlord", "municipality"}
    assert declined["scope_id"].notna().any() and declined["scope_id"].isna().any()
    until = declined["until"].dropna()
    assert (until < START).any() and (until >= START).any() and declined["until"].isna().any()
    slots = strict["support_capacity"]
    municipalities = strict["units"]["municipality_id"].nunique()
    assert len(slots) >= 0.7 * municipalities * 4
    intake = strict["municipalities"]["max_intake"]
    assert intake.notna().mean() >= 0.75


def test_strict_weeks_are_much_narrower_than_plain_ones(tmp_path: Path, tables: dict) -> None:
    """The rules bite: a strict week has far fewer eligible pairs than the plain week it came from."""
    counts = {}
    for family in ("plain", "strict"):
        folder = write_instance(tables[family], tmp_path / family)
        counts[family] = len(Eligibility(read_instance(folder)).pairs)
    assert counts["strict"] < 0.5 * counts["plain"]


def test_identical_copies_a_few_templates(tables: dict) -> None:
    """Clients and units come from one template per 25 clients and per 12 units (ids kept)."""
    identical = tables["identical"]
    clients, units = identical["clients"], identical["units"]
    client_rows = clients.drop(columns="client_id").astype(str).drop_duplicates()
    unit_rows = units.drop(columns="unit_id").astype(str).drop_duplicates()
    assert len(client_rows) <= math.ceil(len(clients) / IDENTICAL_CLIENTS_PER_TEMPLATE)
    assert len(unit_rows) <= math.ceil(len(units) / IDENTICAL_UNITS_PER_TEMPLATE)
    assert clients["client_id"].is_unique and units["unit_id"].is_unique
    assert list(clients["client_id"]) == list(tables["plain"]["clients"]["client_id"])


def test_cli_writes_a_family(tmp_path: Path) -> None:
    """`matcher generate --family strict` writes that family's instance."""
    out = tmp_path / "strict"
    result = CliRunner().invoke(
        generate,
        [
            "--region",
            "flevoland",
            "--clients",
            "30",
            "--units",
            "20",
            "--seed",
            "2",
            "--out",
            str(out),
            "--family",
            "strict",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "family strict" in result.output
    assert _files(out) == _files(
        write_instance(generate_instance("flevoland", 30, 20, 2, family="strict"), tmp_path / "again")
    )
    assert read_instance(out).policy.origin_rule == "strict"
