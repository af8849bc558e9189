"""Tests for the CBS-based instance generator (matcher.generate.instance, matcher.cli.generate)."""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from matcher.cli.generate import generate
from matcher.generate.instance import (
    CBS_DIR,
    GENERATOR_MARK,
    INSTANCE_FILES,
    default_policy,
    generate_instance,
    load_cbs,
    region_data,
    skaeve_sites_for,
    write_instance,
)
from matcher.generate.regions import REGION_NAMES, REGIONS, regions_for
from matcher.io.read import read_instance
from models.unit import HOME_COLUMNS

INSTANCES = Path(__file__).resolve().parents[2] / "instances"
COMMITTED = [INSTANCES / f"{key}-{size}" for key in REGIONS for size in ("week", "year")]


@pytest.fixture(scope="module")
def big() -> dict:
    """One large instance over all four regions, for checking distributions."""
    return generate_instance("all", 3000, 2400, seed=7)


def _files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in INSTANCE_FILES}


def _without_addresses(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files with the optional columns the generator does not make taken out (units.csv's
    address columns and tenancy, clients.csv's current_unit_id): a committed example may have
    been given them by hand (zuid-kennemerland-week, issues 14 and 15); every other byte must
    still be the generator's. The target-group columns (issue 14, item 6) are taken out on both
    sides: the generator makes them, the year examples predate them
    (tests/generate/test_generated_target_groups.py holds the week examples' to the generator's)."""
    later = {  # issue 14: tenancy, current_unit_id, provider (item 5), target groups (item 6)
        "units.csv": {*HOME_COLUMNS, "tenancy", "young_adults_only"},
        "clients.csv": {"current_unit_id", "provider", "target_groups", "shares_home_with"},
    }
    changed = {}
    for name, columns in later.items():
        rows = list(csv.reader(io.StringIO(files[name].decode("utf-8"))))
        keep = [k for k, column in enumerate(rows[0]) if column not in columns]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([[row[k] for k in keep] for row in rows])
        changed[name] = buffer.getvalue().encode("utf-8")
    return {**files, **changed}


def _close_to_shares(observed: pd.Series, expected: pd.Series, sigmas: float = 4) -> bool:
    """True when each observed share is within `sigmas` binomial standard errors of the expected."""
    expected = expected / expected.sum()
    total = observed.sum()
    shares = observed.reindex(expected.index, fill_value=0) / total
    error = (expected * (1 - expected) / total) ** 0.5
    return bool(((shares - expected).abs() <= sigmas * error + 1e-9).all())


def _split(cell: object) -> list[str]:
    return [] if cell is None or pd.isna(cell) else str(cell).split(";")


# --- validity and reproducibility -----------------------------------------------------------------


@pytest.mark.parametrize("region", REGION_NAMES)
@pytest.mark.parametrize("seed", [1, 2])
def test_generated_instances_validate(tmp_path: Path, region: str, seed: int) -> None:
    """A generated weekly instance of any region passes the project's reader without problems."""
    folder = write_instance(generate_instance(region, 45, 30, seed), tmp_path / "instance")
    instance = read_instance(folder)
    assert len(instance.clients) == 45 and len(instance.units) == 30


def test_year_instance_validates(tmp_path: Path) -> None:
    """A year-long instance (364-day period) passes the reader and keeps its period."""
    folder = write_instance(
        generate_instance("flevoland", 120, 90, 3, date(2027, 1, 4), days=364), tmp_path / "year"
    )
    instance = read_instance(folder)
    assert instance.policy.period.days == 364 and instance.policy.period.start == date(2027, 1, 4)


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    """Two runs with the same arguments write byte-identical files; another seed differs."""
    first = write_instance(generate_instance("all", 60, 40, 11), tmp_path / "a")
    second = write_instance(generate_instance("all", 60, 40, 11), tmp_path / "b")
    other = write_instance(generate_instance("all", 60, 40, 12), tmp_path / "c")
    assert _files(first) == _files(second)
    assert _files(first)["clients.csv"] != _files(other)["clients.csv"]


@pytest.mark.parametrize("folder", COMMITTED, ids=lambda p: p.name)
def test_committed_instances_validate_and_match_their_command(tmp_path: Path, folder: Path) -> None:
    """Each committed example passes the reader and is exactly what its recorded command writes."""
    read_instance(folder)
    header = (folder / "policy.yaml").read_text(encoding="utf-8").splitlines()[0]
    found = re.search(r"region (\S+), (\d+) clients, (\d+) units, seed (\d+), week (\S+), (\d+) days", header)
    assert found, f"{folder.name}/policy.yaml lacks the generator header"
    region, clients, units, seed, week, days = found.groups()
    again = write_instance(
        generate_instance(region, int(clients), int(units), int(seed), date.fromisoformat(week), int(days)),
        tmp_path / "again",
    )
    assert _without_version(_without_addresses(_files(again))) == _without_version(
        _without_addresses(_files(folder))
    )


def _without_version(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files with the version in policy.yaml's header left out: the header records which
    version of `matcher generate` wrote the file (0.1.0 for the committed examples), and a later
    version writes its own; every other byte must be the same."""
    policy = re.sub(
        rb"^# generated by matcher generate [^:\s]+:",
        b"# generated by matcher generate:",
        files["policy.yaml"],
    )
    return {**files, "policy.yaml": policy}


def test_committed_instances_cover_every_region() -> None:
    """Each region has a weekly (30–80 clients) and a year-size (300–600 clients) example."""
    for folder in COMMITTED:
        clients = len(pd.read_csv(folder / "clients.csv"))
        units = len(pd.read_csv(folder / "units.csv"))
        if folder.name.endswith("-week"):
            assert 30 <= clients <= 80 and 20 <= units <= 60, folder.name
        else:
            assert 300 <= clients <= 600 and 200 <= units <= 400, folder.name


# --- writing safely -------------------------------------------------------------------------------


def test_write_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    """An existing folder with someone else's files is never overwritten."""
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        write_instance(generate_instance("west-friesland", 10, 8, 1), tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_write_replaces_its_own_folder_and_leaves_no_temporaries(tmp_path: Path) -> None:
    """Regenerating into a generated folder replaces it and leaves no staging folders behind."""
    out = tmp_path / "inst"
    write_instance(generate_instance("west-friesland", 10, 8, 1), out)
    write_instance(generate_instance("west-friesland", 12, 8, 2), out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inst"]
    assert len(pd.read_csv(out / "clients.csv")) == 12
    assert (out / "policy.yaml").read_text(encoding="utf-8").startswith(GENERATOR_MARK)


def test_policy_spells_out_every_default(tmp_path: Path) -> None:
    """policy.yaml holds the period and every default of the spec, so a reader sees all rules."""
    out = write_instance(generate_instance("flevoland", 10, 8, 1), tmp_path / "inst")
    policy = yaml.safe_load((out / "policy.yaml").read_text(encoding="utf-8"))
    assert policy == default_policy(date(2026, 11, 23), 7)
    assert set(policy) == {
        "period",
        "origin_rule",
        "compatibility",
        "spreading",
        "priority",
        "preference",
    }


# --- the command line -----------------------------------------------------------------------------


def test_cli_writes_a_valid_instance(tmp_path: Path) -> None:
    """`matcher generate` with the documented options writes a folder the reader accepts."""
    result = CliRunner().invoke(
        generate,
        [
            "--region",
            "west-brabant-west",
            "--clients",
            "30",
            "--units",
            "20",
            "--seed",
            "5",
            "--out",
            str(tmp_path / "o"),
            "--week",
            "2026-12-07",
        ],
    )
    assert result.exit_code == 0, result.output
    assert read_instance(tmp_path / "o").policy.period.start == date(2026, 12, 7)


def test_cli_rejects_unknown_region_and_foreign_folder(tmp_path: Path) -> None:
    """An unknown region and a non-empty foreign --out folder both fail with a clear message."""
    runner = CliRunner()
    bad = runner.invoke(
        generate,
        [
            "--region",
            "utrecht",
            "--clients",
            "3",
            "--units",
            "3",
            "--seed",
            "1",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert bad.exit_code != 0 and "utrecht" in bad.output
    (tmp_path / "x.csv").write_text("a\n")
    foreign = runner.invoke(
        generate,
        [
            "--region",
            "flevoland",
            "--clients",
            "3",
            "--units",
            "3",
            "--seed",
            "1",
            "--out",
            str(tmp_path),
        ],
    )
    assert foreign.exit_code != 0 and "not made by" in foreign.output


# --- real places ----------------------------------------------------------------------------------


def test_places_are_the_real_cbs_ones(big: dict) -> None:
    """Municipalities and wijken carry CBS codes, names, population, dwellings and region label."""
    municipalities, wijken = load_cbs(CBS_DIR)
    got = big["municipalities"].set_index("municipality_id")
    cbs = municipalities.set_index("gm_code")
    assert sorted(got.index) == sorted(cbs.index) and len(got) == 28
    assert (got["name"] == cbs.loc[got.index, "gm_name"]).all()
    assert (got["population"] == cbs.loc[got.index, "population_2024"]).all()
    assert (got["region"] == cbs.loc[got.index, "region"]).all()
    hoods = big["neighbourhoods"].set_index("neighbourhood_id")
    assert len(hoods) == 287
    assert (hoods["dwellings"] == wijken.set_index("wk_code").loc[hoods.index, "dwellings_2024"]).all()


def test_caps_mostly_derived_and_recent_load_up_to_half(big: dict) -> None:
    """At most 10% of wijken get an explicit (lower) cap; recent load stays within half the cap."""
    hoods = big["neighbourhoods"]
    derived = hoods["dwellings"] * 5 // 1000
    explicit = hoods["cap"].notna()
    assert explicit.mean() <= 0.10
    assert (hoods.loc[explicit, "cap"] <= derived[explicit]).all()
    effective = hoods["cap"].fillna(derived)
    assert (hoods["recent_load"] <= effective // 2).all()


def test_ids_are_pseudonyms_never_nine_digits(big: dict) -> None:
    """Client and unit ids follow C-/U-<region code>-<number> and never look like a BSN."""
    assert big["clients"]["client_id"].str.fullmatch(r"C-(WF|ZK|FL|WBW)-\d{4}").all()
    assert big["units"]["unit_id"].str.fullmatch(r"U-(WF|ZK|FL|WBW)-\d{4}").all()


# --- units ----------------------------------------------------------------------------------------


def test_units_follow_social_stock(big: dict) -> None:
    """Per region, single (non-site) units follow social stock, within sampling error."""
    units = big["units"][big["units"]["type"].isin(["social_rental", "room"])]
    cbs = load_cbs(CBS_DIR)
    for region in regions_for("all"):
        stock = region_data(region, cbs).municipalities["social_stock"]
        counts = units.loc[units["municipality_id"].isin(stock.index), "municipality_id"].value_counts()
        assert _close_to_shares(counts, stock), region.key


def test_unit_mix_rents_and_sites(big: dict) -> None:
    """Type shares, rent bands and site sizes stay within the ranges in instances/README.md."""
    units = big["units"]
    share = units["type"].value_counts(normalize=True)
    assert 0.60 <= share["social_rental"] <= 0.75
    assert 0.08 <= share["room"] <= 0.16 and 0.13 <= share["cluster"] <= 0.22
    bands = {
        "social_rental": (430, 925),
        "room": (340, 515),
        "cluster": (460, 735),
        "skaeve_huis": (440, 565),
    }
    for unit_type, (low, high) in bands.items():
        rents = units.loc[units["type"] == unit_type, "rent"]
        assert rents.between(low, high).all(), unit_type
    sites = units[units["type"] == "cluster"].groupby("site_id").size()
    assert sites.between(3, 8).all()
    skaeve = units[units["type"] == "skaeve_huis"].groupby("site_id")
    assert skaeve.size().between(5, 6).all()
    assert (skaeve["neighbourhood_id"].nunique() == 1).all() and (skaeve["landlord"].nunique() == 1).all()
    assert units["site_id"].isna().sum() == (units["type"].isin(["social_rental", "room"])).sum()


def test_skaeve_sites_per_region() -> None:
    """Instances get one Skaeve Huse site from 20 units and one more per 150 units."""
    assert [skaeve_sites_for(n) for n in (5, 19, 20, 60, 149, 150, 300, 400)] == [
        0,
        0,
        1,
        1,
        1,
        2,
        3,
        3,
    ]
    week = generate_instance("zuid-kennemerland", 60, 45, 4)
    assert week["units"].loc[week["units"]["type"] == "skaeve_huis", "site_id"].nunique() == 1


def test_landlords_are_the_regions_own(big: dict) -> None:
    """Every unit's landlord is one listed for its municipality in matcher.generate.regions."""
    allowed = {code: set(names) for region in REGIONS.values() for code, names in region.landlords.items()}
    units = big["units"]
    assert all(landlord in allowed[m] for m, landlord in zip(units["municipality_id"], units["landlord"]))


# --- clients --------------------------------------------------------------------------------------


def test_source_mix_within_documented_ranges(big: dict) -> None:
    """BW and MO are each 30–40% of clients, VO and jeugd each 10–20%."""
    share = big["clients"]["source"].value_counts(normalize=True)
    assert 0.30 <= share["BW"] <= 0.40 and 0.30 <= share["MO"] <= 0.40
    assert 0.10 <= share["VO"] <= 0.20 and 0.10 <= share["jeugd"] <= 0.20


def test_origins_follow_population(big: dict) -> None:
    """Per region, clients' origins follow population over municipalities, within sampling error."""
    clients = big["clients"]
    municipalities = big["municipalities"].set_index("municipality_id")
    for region, group in municipalities.groupby("region"):
        counts = clients.loc[clients["origin_municipality_id"].isin(group.index), "origin_municipality_id"]
        assert _close_to_shares(counts.value_counts(), group["population"].astype(float)), region


def test_most_shelter_clients_stay_in_the_central_municipality(big: dict) -> None:
    """At least 80% of MO clients and every VO client stay in a shelter municipality now."""
    shelters = {code for region in REGIONS.values() for code in region.shelter_municipalities}
    clients = big["clients"]
    in_shelter = clients["current_municipality_id"].isin(shelters)
    assert in_shelter[clients["source"] == "MO"].mean() >= 0.80
    vo = clients[clients["source"] == "VO"]
    fallback = vo["origin_municipality_id"].isin(shelters)  # fled from the only shelter town
    assert (in_shelter[vo.index] | fallback).all()


def test_women_leaving_a_shelter_always_have_a_safety_exclusion(big: dict) -> None:
    """Every VO client excludes a municipality: never where she stays, never one she prefers."""
    vo = big["clients"][big["clients"]["source"] == "VO"]
    assert len(vo) > 100
    for _, client in vo.iterrows():
        excluded = _split(client["excluded_municipalities"])
        assert excluded and client["current_municipality_id"] not in excluded
        assert not set(excluded) & set(_split(client["preferred_municipalities"]))
    assert (vo["current_municipality_id"] != vo["origin_municipality_id"]).all()


def test_only_a_few_mo_clients_may_take_a_skaeve_huis(big: dict) -> None:
    """Clients listing skaeve_huis are MO, intensive, single, and about as many as Skaeve Huse."""
    clients = big["clients"]
    skaeve = clients[clients["eligible_types"].notna()]
    assert (skaeve["eligible_types"] == "skaeve_huis").all()
    assert (skaeve["source"] == "MO").all() and (skaeve["support_intensity"] == "intensive").all()
    assert (skaeve["household_size"] == 1).all()
    units = (big["units"]["type"] == "skaeve_huis").sum()
    assert 0.8 * units - 4 <= len(skaeve) <= 1.3 * units + 4


def test_household_size_rent_limit_and_urgency(big: dict) -> None:
    """Household sizes, affordable rents and urgency shares stay within the documented ranges."""
    clients = big["clients"]
    size = clients.groupby("source")["household_size"].mean()
    assert size["BW"] <= 1.1 and size["jeugd"] <= 1.1 and 1.4 <= size["VO"] <= 1.8
    assert clients["household_size"].max() <= 4
    limits = {527.20, 732.96, 782.03}
    assert clients["max_rent"].dropna().round(2).isin(limits).all()
    assert 0.05 <= clients["max_rent"].isna().mean() <= 0.15
    family = clients["household_size"] >= 3
    assert (clients.loc[family, "max_rent"].dropna() == 782.03).all()
    urgent = clients.groupby("source")["urgency"].apply(lambda u: (u != "normal").mean())
    assert 0.12 <= urgent["BW"] <= 0.28 and 0.45 <= urgent["VO"] <= 0.75


def test_waiting_times_weeks_to_months(big: dict) -> None:
    """Median wait since the priority decision is 8–20 weeks; at most 15% waited over a year."""
    start = pd.Timestamp(date(2026, 11, 23))
    weeks = (start - pd.to_datetime(big["clients"]["registered_on"])).dt.days / 7
    assert (weeks >= 0).all() and weeks.max() <= 156
    assert 8 <= weeks.median() <= 20 and (weeks > 52).mean() <= 0.15


def test_support_capacity_rows_and_declines(big: dict) -> None:
    """Slots exist only for ambulant, intensive and protected support; declines name real pairs."""
    slots = big["support_capacity"]
    assert set(slots["support_intensity"]) <= {"ambulant", "intensive", "protected"}
    assert (slots["slots"] >= 0).all() and not slots.duplicated(
        ["municipality_id", "support_intensity"]
    ).any()
    declined = big["declined"]
    assert 0 < len(declined) <= 0.05 * len(big["clients"])
    assert declined["client_id"].isin(big["clients"]["client_id"]).all()
    assert declined["unit_id"].isin(big["units"]["unit_id"]).all()
    assert set(declined["declined_by"]) <= {"client", "landlord"}


def test_max_intake_near_fair_share(big: dict) -> None:
    """Where set (3 in 4 municipalities), max_intake is 1.2–1.8× the fair share of units."""
    municipalities = big["municipalities"].set_index("municipality_id")
    units_in = big["units"]["municipality_id"].map(municipalities["region"]).value_counts()
    agreed = municipalities["max_intake"].notna()
    assert 0.5 <= agreed.mean() <= 0.95
    for code, row in municipalities[agreed].iterrows():
        region = municipalities[municipalities["region"] == row["region"]]
        fair = units_in[row["region"]] * row["population"] / region["population"].sum()
        assert max(1, math.ceil(1.2 * fair)) <= row["max_intake"] <= max(1, math.ceil(1.8 * fair)), code


def test_the_generated_columns_are_fields_of_the_models_in_their_order():
    """The generator writes a fixed set of columns; each is a field of the domain model, in the
    model's (the spec's) order, so an optional column added to a model later never breaks it."""
    from matcher.generate.instance import CLIENT_COLUMNS, UNIT_COLUMNS
    from models import Client, Unit

    for columns, model in ((UNIT_COLUMNS, Unit), (CLIENT_COLUMNS, Client)):
        fields = list(model.model_fields)
        assert set(columns) <= set(fields)
        assert columns == [name for name in fields if name in columns]
        left_out = [name for name in fields if name not in columns]
        assert all(not model.model_fields[name].is_required() for name in left_out), left_out
