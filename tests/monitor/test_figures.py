"""The monitoring figures of the two tiny weeks, each checked by hand (conftest.py tells the story)."""

from __future__ import annotations

import shutil
from datetime import date

from matcher.io.read import read_instance
from matcher.monitor.agreements import Agreement, Placed, period_totals, realisation
from matcher.monitor.report import monitor_of
from matcher.monitor.sources import run_folder

WEEK1, WEEK2 = date(2026, 11, 23), date(2026, 11, 30)


def test_the_whole_run(two_weeks):
    """Over both weeks: 6 in, 4 housed (2 in their gemeente of origin), 5 still waiting."""
    found = monitor_of(two_weeks["ledger"])
    assert (found.start, found.end) == (WEEK1, date(2026, 12, 6))
    assert [(w.start, w.proposed, w.instroom, w.housed, w.waiting) for w in found.weeks] == [
        (WEEK1, 5, 5, 3, 5),
        (WEEK2, 2, 1, 1, 5),
    ]
    assert found.instroom == 6 and found.instroom_by_source == {"BW": 2, "MO": 3, "VO": 1}
    assert sorted((p.client_id, p.unit_id, p.week) for p in found.housed) == [
        ("C01", "U02", WEEK1),
        ("C02", "U01", WEEK1),
        ("C03", "U03", WEEK2),
        ("C04", "U05", WEEK1),
    ]
    assert found.doorstroom == 4 and (found.in_origin, found.origin_known) == (2, 4)
    assert found.origin_share == 0.5
    assert found.left_without_home == 0
    assert (found.waiting, found.waiting_from, found.waiting_week) == (5, "pool", WEEK2)
    assert found.waiting_by_origin == {"GM0392": 2, "GM0453": 3}
    assert found.waiting_by_source == {"BW": 2, "MO": 1, "VO": 1, "jeugd": 1}
    assert found.states == {"offered": 1, "accepted": 0, "housed": 4, "declined": 1, "withdrawn": 0}


def test_placements_per_gemeente_corporatie_and_doelgroep(two_weeks):
    """Haarlem 2 (C01 from Haarlem, C02 from Velsen), Velsen 2 (C04 from Velsen, C03 from Haarlem)."""
    found = monitor_of(two_weeks["ledger"])
    by = {(p.municipality_id, p.landlord, p.source, p.in_origin) for p in found.housed}
    assert by == {
        ("GM0392", "Elan Wonen", "MO", True),
        ("GM0392", "Pré Wonen", "VO", False),
        ("GM0453", "Woonopmaat", "MO", True),
        ("GM0453", "Woonopmaat", "BW", False),
    }


def test_a_period_of_one_week(two_weeks):
    """Week 1 alone: 5 in, 3 housed; week 2 alone: C09 in, C03 housed, C06-C09 and C05 waiting."""
    first = monitor_of(two_weeks["ledger"], WEEK1, date(2026, 11, 29))
    assert (first.instroom, first.doorstroom, first.waiting, len(first.weeks)) == (5, 3, 5, 1)
    assert first.left_without_home is None, "no week before week 1 with a known pool"
    second = monitor_of(two_weeks["ledger"], WEEK2, date(2026, 12, 6))
    assert (second.instroom, second.doorstroom, second.waiting) == (1, 1, 5)
    assert [p.client_id for p in second.housed] == ["C03"] and second.in_origin == 0
    assert second.left_without_home == 0
    assert (first.run_folders_sought, second.run_folders_sought) == (1, 2), "the week before is read, no more"
    assert second.states["housed"] == 1 and second.states["offered"] == 1


def test_an_empty_period(two_weeks):
    """A period after the last week: no weeks, nothing counted, nothing waiting known."""
    found = monitor_of(two_weeks["ledger"], date(2027, 1, 4), date(2027, 1, 10))
    assert found.empty and found.instroom == 0 and found.doorstroom == 0
    assert found.waiting is None and found.shortfall == () and found.agreements == ()


def test_the_ceilings_are_realised_week_by_week_and_added_up(two_weeks):
    """Haarlem: ceiling 2 in both weeks, 2 housed in week 1; Velsen: ceiling 2 in week 2, 1 housed."""
    found = monitor_of(two_weeks["ledger"])
    weekly = [
        (r.agreement.who, r.agreement.start, r.agreement.maximum, r.placed) for r in found.weekly_agreements
    ]
    assert weekly == [("GM0392", WEEK1, 2, 2), ("GM0392", WEEK2, 2, 0), ("GM0453", WEEK2, 2, 1)]
    totals = [
        (r.agreement.who, r.agreement.maximum, r.agreement.weeks, r.placed, r.status)
        for r in found.agreements
    ]
    assert totals == [("GM0392", 4, 2, 2, "within"), ("GM0453", 2, 1, 1, "within")]


def test_yearly_agreements_count_the_typed_and_the_housed_once(two_weeks):
    """tiny's agreements.csv: Velsen 15 before the ledger, + C04 -> U05 (week 1) and C03 -> U03
    (week 2) = 17; Pré Wonen 9 + C02 -> U01 = 10. The same from the run folders' solved instances
    (whose placed_so_far already holds the ledger's earlier weeks) and from the instances as given
    (the 26-week example found the first counted twice)."""
    from matcher.monitor import sources as monitor_sources

    found = monitor_of(two_weeks["ledger"])
    expected = [("GM0453", 20, 30, 17, "below minimum"), ("Pré Wonen", 10, None, 10, "within")]

    def rows(monitor) -> list:
        return [
            (r.agreement.who, r.agreement.minimum, r.agreement.maximum, r.placed, r.status)
            for r in monitor.yearly_agreements
        ]

    assert rows(found) == expected
    assert {w.pool_from for w in found_weeks(two_weeks)} == {monitor_sources.POOL_SOLVED}
    given = monitor_of(
        two_weeks["ledger"], instances=[read_instance(two_weeks["week1"]), read_instance(two_weeks["week2"])]
    )
    assert rows(given) == expected


def found_weeks(two_weeks) -> list:
    from matcher.monitor.sources import gather

    return list(gather(two_weeks["ledger"]).weeks)


def test_realisation_takes_any_agreement():
    """A yearly minimum and maximum per corporatie or gemeente: counted the same way."""
    placements = [
        Placed("GM0392", "Elan Wonen", WEEK1),
        Placed("GM0392", "Pré Wonen", WEEK2),
        Placed("GM0453", "Elan Wonen", date(2027, 1, 4)),
    ]
    year = [
        Agreement("Elan Wonen", "corporatie", date(2026, 1, 1), date(2026, 12, 31), minimum=2),
        Agreement("GM0392", "gemeente", date(2026, 1, 1), date(2026, 12, 31), minimum=1, maximum=1),
        Agreement("GM0453", "gemeente", date(2026, 1, 1), date(2026, 12, 31), minimum=0, maximum=3),
    ]
    rows = realisation(year, placements)
    assert [(r.placed, r.status) for r in rows] == [(1, "below minimum"), (2, "above maximum"), (0, "within")]
    assert rows[2].share_of_maximum == 0
    weekly = realisation([Agreement("GM0392", "gemeente", WEEK1, date(2026, 11, 29), maximum=1)], placements)
    assert [(r.agreement.maximum, r.placed) for r in period_totals(weekly, WEEK1, WEEK2)] == [(1, 1)]


def test_vacancy_days(two_weeks):
    """U03 empty 23-29 Nov (housed in week 2), U04 never offered (14 days), U06 offered, empty from
    its available_from 29 Nov to the end (8 days)."""
    found = monitor_of(two_weeks["ledger"])
    assert [(v.unit_id, v.offered, v.let, v.days) for v in found.vacancies] == [
        ("U03", True, True, 7),
        ("U04", False, False, 14),
        ("U06", True, False, 8),
    ]
    assert found.vacancy_days == 29 and found.offered_not_let == 1
    first = monitor_of(two_weeks["ledger"], WEEK1, date(2026, 11, 29))
    assert [(v.unit_id, v.days) for v in first.vacancies] == [("U03", 7), ("U04", 7), ("U06", 1)]
    assert first.offered_not_let == 2, "U03 was housed only in week 2"


def test_the_shortfall(two_weeks):
    """C06 (its units declined or housed), C07 (household of 4), C08 (step-free within rent): no unit fits."""
    found = monitor_of(two_weeks["ledger"])
    assert [
        (s.unit_types, s.municipality_id, s.support_intensity, s.household_size, s.clients, s.needed_from)
        for s in found.shortfall
    ] == [
        ("any", "GM0392", "ambulant", 1, 1, date(2026, 11, 23)),
        ("any", "GM0453", "intensive", 1, 1, date(2026, 8, 31)),
        ("any", "GM0453", "light", 4, 1, date(2026, 11, 16)),
    ]
    assert found.shortfall_clients == 3


def test_without_run_folders_the_given_instances_give_the_same_figures(two_weeks, tmp_path):
    """The run folders gone: the ledger alone still counts; with --instance the pools come back."""
    copy = tmp_path / "ledger"
    if two_weeks["backend"] == "sqlite":
        copy.mkdir()
        shutil.copy(two_weeks["ledger"], copy / "ledger.sqlite")
        ledger = str(copy / "ledger.sqlite")
    else:
        ledger = two_weeks["ledger"]
    moved = tmp_path / "moved"
    moved.mkdir()
    for week in ("w1", "w2"):
        shutil.move(two_weeks["tmp"] / week, moved / week)
    try:
        alone = monitor_of(ledger)
        assert alone.pools_known == 0 and alone.run_folders == 0
        assert (alone.instroom, alone.doorstroom, alone.waiting, alone.waiting_from) == (6, 4, 5, "ledger")
        assert alone.origin_known == 0 and alone.instroom_by_source == {"": 6}
        assert alone.shortfall == () and alone.agreements == ()
        given = [read_instance(two_weeks["week1"]), read_instance(two_weeks["week2"])]
        back = monitor_of(ledger, instances=given)
        assert back.pools_known == 2 and back.run_folders == 0
        assert (back.waiting, back.in_origin, back.origin_known, back.shortfall_clients) == (5, 2, 4, 3)
        assert [(r.agreement.who, r.agreement.maximum, r.placed) for r in back.agreements] == [
            ("GM0392", 4, 2),
            ("GM0453", 2, 1),
        ]
    finally:
        for week in ("w1", "w2"):
            shutil.move(moved / week, two_weeks["tmp"] / week)


def test_a_run_folder_is_found_from_the_ledgers_folder_and_only_unchanged(two_weeks, tmp_path):
    """A relative recorded path is tried beside the ledger; a rewritten proposals.csv is not taken."""
    (tmp_path / "run").mkdir()
    shutil.copy(two_weeks["tmp"] / "w1" / "proposals.csv", tmp_path / "run" / "proposals.csv")
    ledger = tmp_path / "ledger.sqlite"
    from matcher.io.files import sha256_file

    proposal = sha256_file(tmp_path / "run" / "proposals.csv")[:16]
    assert run_folder("run/proposals.csv", proposal, ledger) == tmp_path / "run"
    assert run_folder("run/proposals.csv", "0" * 16, ledger) is None
    assert run_folder("elsewhere/proposals.csv", proposal, ledger) is None
