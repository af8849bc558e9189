"""explain's smallest change respects every other rule and the policy (issue 13 item 8): no unit
type the policy does not allow for the client's support, no max rent above the rent limit of
appropriate allocation (policy `affordability`); and the fast re-solve behind the search
(`place_client`, priority and preference levels only) says what the engine's full solve says."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from builders import client, instance, unit
from click.testing import CliRunner

from matcher.cli.main import main
from matcher.generate.instance import generate_instance, write_instance
from matcher.io.read import read_instance
from matcher.proposal import solve
from matcher.review import explain as ex
from models import InvalidInstance, Policy
from models.policy import AFFORDABILITY_2026

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"


def explain_unmatched(week, client_id: str) -> dict:
    """explain_client on the engine's own proposal, the client unmatched in it."""
    matches = solve(week).pairs_chosen()
    assert client_id not in dict(matches)
    return ex.explain_client(week, matches, client_id)


# --- unit types ------------------------------------------------------------------------------------


def test_no_skaeve_huis_for_protected_support():
    """Bug report: a Skaeve Huis was suggested for a client with protected support whose eligible
    types do not allow one. The change would place the client, but the policy forbids it, so it is
    not suggested, and explain says what it left out and why."""
    week = instance(
        clients=[client(client_id="C1", support_intensity="protected", eligible_types="cluster")],
        units=[unit(unit_id="U1", type="skaeve_huis", site_id="SKAEVE-1")],
    )
    result = explain_unmatched(week, "C1")
    cf = result["counterfactual"]
    assert result["excluded_by_rule"] == {"type": 1}
    assert cf["found"] == [] and "smallest" not in cf
    assert cf["withheld"] == [
        "unit type skaeve_huis for C1 (1 unit(s)): the policy does not allow it for protected support "
        "(a Skaeve Huis needs an individual indication in eligible_types)"
    ]
    assert "Not suggested (another rule forbids it): unit type skaeve_huis for C1" in ex.render_client(result)
    # the change itself would have placed C1: only the rule keeps it out
    allowed = week.with_row("clients", 0, eligible_types=("cluster", "skaeve_huis"))
    assert dict(solve(allowed).pairs_chosen()) == {"C1": "U1"}


def test_no_type_beyond_the_policy_without_eligible_types():
    """Intensive support may not have a room by the policy: no room is suggested."""
    week = instance(
        clients=[client(client_id="C1", support_intensity="intensive")],
        units=[unit(unit_id="U1", type="room")],
    )
    cf = explain_unmatched(week, "C1")["counterfactual"]
    assert cf["found"] == [] and [w.split(":")[0] for w in cf["withheld"]] == [
        "unit type room for C1 (1 unit(s))"
    ]


def test_a_type_the_policy_allows_is_still_suggested():
    """eligible_types narrower than the policy's compatibility: a type the policy allows for the
    client's support is suggested, and it places the client (a fresh solve confirms)."""
    week = instance(
        clients=[client(client_id="C1", support_intensity="light", eligible_types="room")],
        units=[unit(unit_id="U1", type="social_rental")],
    )
    cf = explain_unmatched(week, "C1")["counterfactual"]
    assert cf["withheld"] == []
    smallest = cf["smallest"]
    assert smallest["change"] == "allow unit type social_rental for C1 (now room; 1 unit(s))"
    assert smallest["unit_id"] == "U1"
    changed = week.with_row("clients", 0, eligible_types=("room", "social_rental"))
    assert dict(solve(changed).pairs_chosen()) == {"C1": "U1"}


# --- rent --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "household, rents, suggested, withheld",
    [
        # one or two persons: the lower limit, EUR 713.02
        (
            1,
            [700.0],
            "max rent of C1 €700 instead of €600 (makes U1 eligible; within the rent limit €713.02 "
            "for a household of 1)",
            None,
        ),
        (
            2,
            [720.0],
            None,
            "a max rent of €720 or more for C1: above the rent limit €713.02 for a household of 2",
        ),
        (
            1,
            [700.0, 750.0],
            "max rent of C1 €700 instead of €600 (makes U1 eligible; within the rent limit "
            "€713.02 for a household of 1)",
            "a max rent of €750 or more for C1",
        ),
        # three or more: the higher limit, EUR 764.14
        (
            3,
            [750.0],
            "max rent of C1 €750 instead of €600 (makes U1 eligible; within the rent limit €764.14 "
            "for a household of 3)",
            None,
        ),
        (
            5,
            [770.0],
            None,
            "a max rent of €770 or more for C1: above the rent limit €764.14 for a household of 5",
        ),
    ],
    ids=["one-person-within", "two-persons-above", "cheapest-within", "three-within", "five-above"],
)
def test_max_rent_only_up_to_the_rent_limit(household, rents, suggested, withheld):
    """A higher max rent is suggested only up to the passend-toewijzen limit for the household size."""
    week = instance(
        clients=[client(client_id="C1", household_size=household, max_rent=600)],
        units=[unit(unit_id=f"U{k + 1}", rent=rent, max_household=5) for k, rent in enumerate(rents)],
    )
    cf = explain_unmatched(week, "C1")["counterfactual"]
    rent_found = [found["change"] for found in cf["found"] if found["rule"] == "rent"]
    assert rent_found == ([suggested] if suggested else [])
    if suggested:
        assert cf["smallest"]["change"] == suggested and cf["smallest"]["unit_id"] == "U1"
    assert [w for w in cf["withheld"] if w.startswith("a max rent")] == (
        [next(w for w in cf["withheld"] if w.startswith(withheld))] if withheld else []
    )
    for found in cf["found"]:  # whatever else is suggested, never a rent above the limit
        assert "max rent" not in found["change"] or found["change"] == suggested


def test_affordability_limits_come_from_the_policy(tmp_path):
    """policy.yaml `affordability.rent_limits` sets the limits (the last for larger households);
    an unknown key or a negative limit is refused naming it; the solved instance keeps them."""
    assert (
        Policy(period={"start": "2026-11-23"}).affordability.rent_limits
        == AFFORDABILITY_2026
        == (
            713.02,
            713.02,
            764.14,
        )
    )
    folder = tmp_path / "instance"
    shutil.copytree(TINY, folder)
    policy = folder / "policy.yaml"
    policy.write_text("period: {start: 2026-11-23}\naffordability: {rent_limits: [600, 650.5]}\n")
    limits = read_instance(folder).policy.affordability
    assert [limits.limit_for(size) for size in (1, 2, 3)] == [600, 650.5, 650.5]
    out = tmp_path / "week"
    assert CliRunner().invoke(main, ["solve", str(folder), "--out", str(out)]).exit_code == 0
    assert read_instance(out / "solved-instance").policy.affordability.rent_limits == (600, 650.5)
    for text, column in (
        ("affordability: {rent_limit: [600]}\n", "affordability.rent_limit"),
        ("affordability: {rent_limits: [-1]}\n", "affordability.rent_limits"),
        ("affordability: {rent_limits: []}\n", "affordability.rent_limits"),
    ):
        policy.write_text("period: {start: 2026-11-23}\n" + text)
        with pytest.raises(InvalidInstance) as refused:
            read_instance(folder)
        assert [p.column for p in refused.value.problems] == [column], text


# --- the fast re-solve agrees with the engine ---------------------------------------------------------


@pytest.fixture(scope="module")
def strict_week(tmp_path_factory) -> Path:
    """A generated region, 60 clients × 40 units, with the strict origin rule."""
    folder = tmp_path_factory.mktemp("strict") / "week"
    write_instance(generate_instance("zuid-kennemerland", 60, 40, 11), folder)
    policy = folder / "policy.yaml"
    policy.write_text(policy.read_text().replace("origin_rule: prefer", "origin_rule: strict"))
    return folder


def test_place_client_says_what_a_full_solve_says(strict_week):
    """For every change explain would try for unmatched clients: when no optimal W-and-P allocation
    places the client, neither does the engine; when every one does, so does the engine, with the
    same W. (The engine's full solve, every level, is the judge.)"""
    week = read_instance(strict_week)
    proposal = solve(week)
    matches = proposal.pairs_chosen()
    ctx = ex.Context.of(week, matches)
    unmatched = sorted(set(ctx.arrays.client_ids) - set(dict(matches)))
    compared = screened_pairs = 0
    for who in unmatched[:6]:
        client_index = int(list(ctx.arrays.client_ids).index(who))
        passes = ctx.client_passes(client_index)
        eligible = ex.np.logical_and.reduce([passes[rule] for rule in ex.RULES])
        order = sorted(ex.np.flatnonzero(eligible), key=lambda u: (-ctx.score(client_index, int(u))[0], u))
        changes = sorted(
            ex.capacity_changes(ctx, client_index, order)
            + ex.eligibility_changes(ctx, client_index, passes)
            + ex.supply_changes(ctx, client_index, order),
            key=lambda change: change.order,
        )
        for change in changes[:5]:
            changed = change.apply(week)
            full = solve(changed)
            placed = dict(full.pairs_chosen())
            can = ex.place_client(changed, who, matches, proposal.priority)
            must = ex.place_client(changed, who, matches, proposal.priority, favour=False)
            prices = ex._prices(week, who, matches, ex.SolveSettings())
            assert prices is not None
            read = ex.Changed.of(changed, who)
            possible, only = ex._screen(read, prices, matches)
            if not possible:  # ruled out by the prices: never placeable
                assert not can.placed and who not in placed, change.message
            else:  # the pairs the screen leaves out change nothing
                for favour in (True, False):
                    whole = ex.place_client(changed, who, matches, proposal.priority, favour=favour)
                    small = ex.place_client(
                        changed, who, matches, proposal.priority, favour=favour, changed=read, only=only
                    )
                    assert (small.placed, small.priority) == (whole.placed, whole.priority), change.message
                screened_pairs += int((~only).sum())
            if not can.placed:
                assert who not in placed, change.message
            if must.placed:
                assert who in placed and must.priority == full.priority, change.message
            assert can.priority == full.priority if can.placed else True
            compared += 1
    assert compared >= 10 and screened_pairs > 0


def test_the_search_is_bounded(strict_week):
    """--max-resolves bounds the changes tried; 0 tries none."""
    week = read_instance(strict_week)
    matches = solve(week).pairs_chosen()
    unmatched = sorted({c.client_id for c in week.clients} - set(dict(matches)))
    for limit in (0, 2):
        result = ex.explain_client(week, matches, unmatched[0], max_resolves=limit)
        assert result["counterfactual"]["resolves"] <= limit


def test_a_tie_is_decided_by_the_engine_itself():
    """C2 and C3 are alike (same w, same p) and both wait behind C1 for U1. One more unit like U1
    places one of them, but which is a tie of W and P: the engine's full solve decides, and only
    for the one it places is the change reported (verified by re-solving every level)."""
    week = instance(
        clients=[
            client(client_id="C1", urgency="high"),
            client(client_id="C2"),
            client(client_id="C3"),
        ],
        units=[unit(unit_id="U1")],
    )
    matches = solve(week).pairs_chosen()
    assert matches == [("C1", "U1")]
    found = {who: ex.explain_client(week, matches, who)["counterfactual"]["found"] for who in ("C2", "C3")}
    extra = ex.supply_changes(ex.Context.of(week, matches), 1, [0])[0].apply(week)
    engine = dict(solve(extra).pairs_chosen())
    placed = [who for who in ("C2", "C3") if who in engine]
    assert len(placed) == 1
    winner, loser = placed[0], ({"C2", "C3"} - set(placed)).pop()
    supply = [f for f in found[winner] if f["kind"] == "supply"]
    assert (
        supply
        and supply[0]["unit_id"] == engine[winner]
        and supply[0]["verified_by"] == "re-solving every level"
    )
    assert not [f for f in found[loser] if f["kind"] == "supply"]


def test_screening_by_prices_changes_nothing_but_the_work(strict_week):
    """Ruling changes out by dual prices, and leaving out the pairs no optimal allocation can use,
    before solving them gives the same answer."""
    week = read_instance(strict_week)
    matches = solve(week).pairs_chosen()
    unmatched = sorted({c.client_id for c in week.clients} - set(dict(matches)))
    screened = 0
    for who in unmatched[:8]:
        fast = ex.explain_client(week, matches, who, max_resolves=40)["counterfactual"]
        slow = ex.explain_client(week, matches, who, max_resolves=40, screen=False)["counterfactual"]

        # the same changes, placing the client with the same W and leaving out the same clients;
        # the unit may be another of equal score (a tie the engine breaks by spreading)
        def same(found: list[dict]) -> list[dict]:
            return [{key: value for key, value in f.items() if key != "unit_id"} for f in found]

        assert same(fast["found"]) == same(slow["found"]) and fast["tried"] == slow["tried"], who
        assert fast["resolves"] <= slow["resolves"] + 1  # the prices are one LP
        screened += fast["screened_out"]
    assert screened > 0
