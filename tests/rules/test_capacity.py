"""The three capacity rules of matcher.rules.capacity (neighbourhood cap, municipal intake, support
slots): for each, a case that fits and one that does not, through every entry point of the book
(`fits_alone`, `Remaining`, `full_limits` with `Full.words`, `over_limits` with `Over.message`);
the pair load written twice (`pair_load`, `load_of`) agrees with itself; and `over_limits` agrees
with the independent checker on random instances.

The hand-made instances (numbers worked out in each builder's docstring) use the default policy
unless said otherwise: load weights light/ambulant 1, intensive/protected 2, Skaeve Huis exempt,
period starting 2026-11-23.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
from builders import client, instance, unit
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from independent_checker import violations
from strategies import instances, write_instance

from matcher.io.read import read_instance
from matcher.rules.arrays import build_arrays
from matcher.rules.capacity import (
    LIMIT_BY_NAME,
    Full,
    PairLimits,
    Remaining,
    fits_alone,
    full_limits,
    load_of,
    over_limits,
    pair_load,
)
from matcher.rules.eligibility import Eligibility
from models import Municipality, Neighbourhood, Policy
from models.fields import INTENSITIES, UNIT_TYPES

HAARLEM = Municipality(municipality_id="GM0392", name="Haarlem", region="ZK", population=160000)
HOORN = Municipality(municipality_id="GM0405", name="Hoorn", region="WF", population=75000)


def fits(arrays, pairs: list[tuple[int, int]]) -> list[bool]:
    """fits_alone for (client index, unit index) pairs, as plain bools."""
    clients, units = np.array([c for c, _ in pairs]), np.array([u for _, u in pairs])
    return fits_alone(arrays, clients, units).tolist()


def remaining_fits(arrays, placed: list[tuple[int, int]], pairs: list[tuple[int, int]]) -> list[bool]:
    """Which `pairs` each still fit once `placed` are placed."""
    remaining = Remaining.after(
        arrays,
        np.array([c for c, _ in placed], dtype=np.int64),
        np.array([u for _, u in placed], dtype=np.int64),
    )
    limits = PairLimits.of(arrays, np.array([c for c, _ in pairs]), np.array([u for _, u in pairs]))
    return remaining.fits(limits).tolist()


def after(arrays, placed: list[tuple[int, int]]) -> Remaining:
    return Remaining.after(
        arrays,
        np.array([c for c, _ in placed], dtype=np.int64),
        np.array([u for _, u in placed], dtype=np.int64),
    )


def over(arrays, pairs: list[tuple[int, int]]):
    return over_limits(
        arrays,
        np.array([c for c, _ in pairs], dtype=np.int64),
        np.array([u for _, u in pairs], dtype=np.int64),
    )


# --- neighbourhood cap --------------------------------------------------------------------------


def cap_world():
    """Oude Stad (Haarlem): cap cell 4.5, recent load 1.2 → room ⌊3.3⌋ = 3.
    Binnenstad (Hoorn): 1000 dwellings → cap ⌊1000 × 5 / 1000⌋ = 5, recent load 3.5 → room ⌊1.5⌋ = 1.

    Clients 0 C1 intensive (load 2), 1 C2 intensive (2), 2 C3 light (1), 3 C4 light, Skaeve Huis only.
    Units 0 U1, 1 U2, 2 U3 social rental in Oude Stad; 3 U4 Skaeve Huis in Binnenstad (exempt: load
    0); 4 U5 social rental in Binnenstad.
    """
    neighbourhoods = [
        Neighbourhood(
            neighbourhood_id="WK039201",
            municipality_id="GM0392",
            name="Oude Stad",
            dwellings=1000,
            cap=4.5,
            recent_load=1.2,
        ),
        Neighbourhood(
            neighbourhood_id="WK040501",
            municipality_id="GM0405",
            name="Binnenstad",
            dwellings=1000,
            recent_load=3.5,
        ),
    ]
    clients = [
        client(client_id="C1", support_intensity="intensive"),
        client(client_id="C2", support_intensity="intensive"),
        client(client_id="C3"),
        client(client_id="C4", eligible_types="skaeve_huis"),
    ]
    units = [
        unit(unit_id="U1"),
        unit(unit_id="U2"),
        unit(unit_id="U3"),
        unit(
            unit_id="U4",
            type="skaeve_huis",
            site_id="SKAEVE-HOORN",
            municipality_id="GM0405",
            neighbourhood_id="WK040501",
        ),
        unit(unit_id="U5", municipality_id="GM0405", neighbourhood_id="WK040501"),
    ]
    return build_arrays(instance(clients, units, neighbourhoods=neighbourhoods))


def test_cap_room_is_floor_of_cap_minus_recent_load():
    """Rooms 3 (⌊4.5 − 1.2⌋) and 1 (⌊5 − 3.5⌋), as the docstring of cap_world works out."""
    arrays = cap_world()
    assert arrays.neighbourhood_room.tolist() == [3, 1]
    assert arrays.neighbourhood_cap.tolist() == [4.5, 5.0]


def test_cap_fits_alone():
    """Intensive (2) fits in room 3 but not in room 1; light (1) fits in room 1; the Skaeve Huis
    adds no load and always fits."""
    arrays = cap_world()
    assert fits(arrays, [(0, 0), (0, 4), (2, 4), (3, 3)]) == [True, False, True, True]


def test_cap_remaining_after_an_allocation():
    """After C1 (2) in Oude Stad 1 of room 3 is left: a second intensive (2) no longer fits, a
    light client (1) does; Binnenstad is untouched (room 1)."""
    arrays = cap_world()
    assert remaining_fits(arrays, [(0, 0)], [(1, 1), (2, 1), (2, 4)]) == [False, True, True]
    assert after(arrays, [(0, 0)]).left[0].tolist() == [1, 1]


def test_cap_full_limits_and_words():
    """C1 (2) and C3 (1) fill Oude Stad (3 of 3). C2 (2) on U2: full, need 2 − 0 = 2. Freeing C3
    (1) first: still full, used 3, freed 1, need 2 − 0 − 1 = 1; unmatched.csv counts the
    allocation's own 3, explain counts after freeing (2). Freeing C1 (2) makes room: nothing full."""
    arrays = cap_world()
    remaining = after(arrays, [(0, 0), (2, 2)])
    assert full_limits(arrays, remaining, 1, 1) == [
        Full("neighbourhood_cap", 0, used=3, allowed=3, freed=0, need=2)
    ]
    [full] = full_limits(arrays, remaining, 1, 1, freed=(2, 2))
    assert full == Full("neighbourhood_cap", 0, used=3, allowed=3, freed=1, need=1)
    assert full.ident(arrays) == "WK039201"
    assert full.words(arrays) == "cap of WK039201 full (3 of 3 load added this period)"
    assert (
        full.words(arrays, lambda m: ["Haarlem", "Hoorn"][m])
        == "cap of WK039201 full (2 of 3 load added this period)"
    )
    assert full_limits(arrays, remaining, 1, 1, freed=(0, 0)) == []
    # satisfying: the Skaeve Huis is exempt, and Binnenstad (room 1) still takes a light client
    assert full_limits(arrays, remaining, 3, 3) == []
    assert full_limits(arrays, remaining, 2, 4) == []


def test_cap_over_limits_and_message():
    """C1 (2) + C3 (1) = 3 ≤ 3 is fine (the Skaeve Huis adds nothing); C1 + C2 = 4 > 3 breaks the
    cap of Oude Stad, and the message shows the cap cell and recent load as written."""
    arrays = cap_world()
    assert over(arrays, [(0, 0), (2, 1), (3, 3)]) == []
    [broken] = over(arrays, [(0, 0), (1, 1), (3, 3)])
    assert (broken.limit, broken.key, broken.used, broken.allowed) == ("neighbourhood_cap", 0, 4, 3)
    assert broken.positions.tolist() == [0, 1]
    assert broken.message(arrays) == "WK039201 gets load 4 but has room for 3 (cap 4.5, recent load 1.2)"


# --- municipal intake ----------------------------------------------------------------------------


def intake_world():
    """Haarlem max_intake 2, Hoorn max_intake 0. Three light clients C1–C3 (0–2); units 0 U1,
    1 U2, 2 U3 in Haarlem, 3 U4 in Hoorn. Caps are roomy (5 each)."""
    municipalities = [
        HAARLEM.model_copy(update={"max_intake": 2}),
        HOORN.model_copy(update={"max_intake": 0}),
    ]
    clients = [client(client_id=f"C{k}") for k in range(1, 4)]
    units = [
        unit(unit_id="U1"),
        unit(unit_id="U2"),
        unit(unit_id="U3"),
        unit(unit_id="U4", municipality_id="GM0405", neighbourhood_id="WK040501"),
    ]
    return build_arrays(instance(clients, units, municipalities=municipalities))


def test_intake_fits_alone():
    """A unit in Haarlem (intake 2) fits on its own; one in Hoorn (intake 0) never does."""
    arrays = intake_world()
    assert arrays.municipality_max_intake.tolist() == [2, 0]
    assert fits(arrays, [(0, 0), (0, 3)]) == [True, False]


def test_intake_remaining_after_an_allocation():
    """One placement in Haarlem leaves one: a second fits. Two leave none: a third does not."""
    arrays = intake_world()
    assert remaining_fits(arrays, [(0, 0)], [(1, 1)]) == [True]
    assert remaining_fits(arrays, [(0, 0), (1, 1)], [(2, 2)]) == [False]


def test_intake_full_limits_and_words():
    """Haarlem full with C1, C2: C3 on U3 needs 1 more. Freeing C1 (also Haarlem) makes room;
    freeing nothing: unmatched.csv says only the allowed number, explain names the municipality
    and counts 2 of 2."""
    arrays = intake_world()
    remaining = after(arrays, [(0, 0), (1, 1)])
    [full] = full_limits(arrays, remaining, 2, 2)
    assert full == Full("municipality_intake", 0, used=2, allowed=2, freed=0, need=1)
    assert full.words(arrays) == "intake of GM0392 full (2)"
    assert full.words(arrays, lambda m: ["Haarlem", "Hoorn"][m]) == "intake of Haarlem full (2 of 2)"
    assert full_limits(arrays, remaining, 2, 2, freed=(0, 0)) == []
    # with one placement only, C3 still fits
    assert full_limits(arrays, after(arrays, [(0, 0)]), 2, 2) == []


def test_intake_over_limits_and_message():
    """Two placements in Haarlem are allowed, three are not; one in Hoorn breaks intake 0."""
    arrays = intake_world()
    assert over(arrays, [(0, 0), (1, 1)]) == []
    [haarlem] = over(arrays, [(0, 0), (1, 1), (2, 2)])
    assert (haarlem.limit, haarlem.key, haarlem.used, haarlem.allowed) == ("municipality_intake", 0, 3, 2)
    assert haarlem.message(arrays) == "GM0392 gets 3 placements, max_intake 2"
    [hoorn] = over(arrays, [(0, 3)])
    assert hoorn.message(arrays) == "GM0405 gets 1 placements, max_intake 0"


# --- support slots -------------------------------------------------------------------------------


def slot_world():
    """Support capacity: Haarlem intensive 1, Hoorn light 0 (ambulant has no row: no limit).
    Clients 0 C1 intensive, 1 C2 intensive, 2 C3 light, 3 C4 ambulant. Units 0 U1, 1 U2, 2 U3 in
    Haarlem, 3 U4, 4 U5 in Hoorn. Caps are roomy (5 each)."""
    clients = [
        client(client_id="C1", support_intensity="intensive"),
        client(client_id="C2", support_intensity="intensive"),
        client(client_id="C3"),
        client(client_id="C4", support_intensity="ambulant"),
    ]
    units = [
        unit(unit_id="U1"),
        unit(unit_id="U2"),
        unit(unit_id="U3"),
        unit(unit_id="U4", municipality_id="GM0405", neighbourhood_id="WK040501"),
        unit(unit_id="U5", municipality_id="GM0405", neighbourhood_id="WK040501"),
    ]
    return build_arrays(
        instance(
            clients,
            units,
            support_capacity=[
                {"municipality_id": "GM0392", "support_intensity": "intensive", "slots": 1},
                {"municipality_id": "GM0405", "support_intensity": "light", "slots": 0},
            ],
        )
    )


def test_slots_fits_alone():
    """Intensive in Haarlem (1 slot) fits; light in Hoorn (0 slots) never does; ambulant in Hoorn
    has no row and fits."""
    arrays = slot_world()
    assert arrays.slots == {(0, INTENSITIES.index("intensive")): 1, (1, INTENSITIES.index("light")): 0}
    assert fits(arrays, [(0, 0), (2, 3), (3, 3)]) == [True, False, True]


def test_slots_remaining_after_an_allocation():
    """C1 takes Haarlem's intensive slot: C2 (intensive) no longer fits there, C3 (light) does."""
    arrays = slot_world()
    assert remaining_fits(arrays, [(0, 0)], [(1, 1), (2, 1)]) == [False, True]


def test_slots_full_limits_and_words():
    """C1 in Haarlem uses the one intensive slot: C2 on U2 needs one more. Freeing C3 (light, an
    other key) gives nothing back; freeing C1 gives the slot back."""
    arrays = slot_world()
    remaining = after(arrays, [(0, 0), (2, 2)])
    [full] = full_limits(arrays, remaining, 1, 1, freed=(2, 2))
    key = 0 * len(INTENSITIES) + INTENSITIES.index("intensive")
    assert full == Full("support_slots", key, used=1, allowed=1, freed=0, need=1)
    assert full.ident(arrays) == "GM0392/intensive"
    assert full.words(arrays) == "intensive support slots in GM0392 full (1)"
    assert (
        full.words(arrays, lambda m: ["Haarlem", "Hoorn"][m])
        == "intensive support slots in Haarlem full (1 of 1)"
    )
    assert full_limits(arrays, remaining, 1, 1, freed=(0, 0)) == []
    assert full_limits(arrays, remaining, 3, 4) == []  # ambulant in Hoorn: no row


def test_slots_over_limits_and_message():
    """One intensive client in Haarlem is fine, two are not; light clients there are free."""
    arrays = slot_world()
    assert over(arrays, [(0, 0), (2, 1)]) == []
    [broken] = over(arrays, [(0, 0), (1, 1), (2, 2)])
    assert (broken.limit, broken.used, broken.allowed) == ("support_slots", 2, 1)
    assert broken.positions.tolist() == [0, 1]
    assert broken.message(arrays) == "GM0392 gets 2 intensive clients, slots 1"


def test_every_limit_broken_at_once_is_listed_by_limit_then_key():
    """Three limits over at once come back in book order: cap, intake, slots."""
    municipalities = [HAARLEM.model_copy(update={"max_intake": 1}), HOORN]
    neighbourhoods = [
        Neighbourhood(
            neighbourhood_id="WK039201", municipality_id="GM0392", name="Oude Stad", dwellings=1000, cap=3
        ),
        Neighbourhood(
            neighbourhood_id="WK040501", municipality_id="GM0405", name="Binnenstad", dwellings=1000
        ),
    ]
    inst = instance(
        [
            client(client_id="C1", support_intensity="intensive"),
            client(client_id="C2", support_intensity="intensive"),
        ],
        [unit(unit_id="U1"), unit(unit_id="U2")],
        municipalities=municipalities,
        neighbourhoods=neighbourhoods,
        support_capacity=[{"municipality_id": "GM0392", "support_intensity": "intensive", "slots": 1}],
    )
    arrays = build_arrays(inst)
    found = over(arrays, [(0, 0), (1, 1)])
    assert [(o.limit, o.used, o.allowed) for o in found] == [
        ("neighbourhood_cap", 4, 3),
        ("municipality_intake", 2, 1),
        ("support_slots", 2, 1),
    ]


# --- the pair load, written once for arrays and once for domain objects --------------------------


def test_pair_load_and_load_of_agree_on_every_intensity_and_type():
    """With load weights light 0, ambulant 1, intensive 2, protected 3 and rooms and Skaeve Huse
    exempt: the load of each of the 16 (intensity, type) combinations is the same both ways, and
    the exempt types carry 0."""
    policy = Policy(
        period={"start": "2026-11-23"},
        spreading={"load_weight": {"light": 0, "protected": 3}, "exempt_types": ["room", "skaeve_huis"]},
    )
    clients = [client(client_id=f"C{k}", support_intensity=s) for k, s in enumerate(INTENSITIES)]
    units = [
        unit(unit_id=f"U{k}", type=t, site_id="S" if t in ("cluster", "skaeve_huis") else None)
        for k, t in enumerate(UNIT_TYPES)
    ]
    arrays = build_arrays(instance(clients, units, policy=policy))
    c, u = np.meshgrid(np.arange(len(INTENSITIES)), np.arange(len(UNIT_TYPES)), indexing="ij")
    loads = pair_load(arrays, c.ravel(), u.ravel()).reshape(c.shape)
    expected = {"light": 0, "ambulant": 1, "intensive": 2, "protected": 3}
    for i, intensity in enumerate(INTENSITIES):
        for t, unit_type in enumerate(UNIT_TYPES):
            assert loads[i, t] == load_of(policy, intensity, unit_type)
            exempt = unit_type in ("room", "skaeve_huis")
            assert loads[i, t] == (0 if exempt else expected[intensity]), (intensity, unit_type)


def test_pair_load_default_policy():
    """Default policy: intensive in social rental 2, light 1, a Skaeve Huis 0."""
    policy = Policy(period={"start": "2026-11-23"})
    assert (
        load_of(policy, "intensive", "social_rental"),
        load_of(policy, "light", "cluster"),
        load_of(policy, "protected", "skaeve_huis"),
    ) == (2, 1, 0)


def test_zero_weight_pairs_are_never_stopped_by_a_cap():
    """A light client weighs 0 here: it fits in a neighbourhood with cap 0 and adds nothing."""
    policy = Policy(period={"start": "2026-11-23"}, spreading={"load_weight": {"light": 0}})
    neighbourhoods = [
        Neighbourhood(
            neighbourhood_id="WK039201", municipality_id="GM0392", name="Oude Stad", dwellings=1000, cap=0
        )
    ]
    arrays = build_arrays(
        instance([client()], [unit()], policy=policy, neighbourhoods=neighbourhoods, municipalities=[HAARLEM])
    )
    assert fits(arrays, [(0, 0)]) == [True]
    assert over(arrays, [(0, 0)]) == []
    assert full_limits(arrays, after(arrays, [(0, 0)]), 0, 0) == []


# --- agreement with the independent checker ------------------------------------------------------

CAPACITY_RULES = tuple(LIMIT_BY_NAME)  # neighbourhood_cap, municipality_intake, support_slots
_CHECKER = re.compile(
    r"^(neighbourhood_cap|municipality_intake|support_slots): (\S+) gets (?:load )?(\d+)"
    r"(?: (\w+) clients)?"
)


def _checker_breaks(folder: Path, pairs: list[tuple[str, str]]) -> set[tuple[str, str, int]]:
    """(rule, key as the engine labels it, used) for every capacity message of the checker."""
    found = set()
    for message in violations(folder, pairs):
        rule = message.split(":", 1)[0]
        if rule not in CAPACITY_RULES:
            continue
        match = _CHECKER.match(message)
        assert match, message
        key = match.group(2) if match.group(4) is None else f"{match.group(2)}/{match.group(4)}"
        found.add((rule, key, int(match.group(3))))
    return found


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.data())
def test_over_limits_agrees_with_the_independent_checker(tables, data):
    """For a random set of eligible pairs with distinct clients and distinct units, over_limits
    is empty exactly when the checker reports no neighbourhood_cap, municipality_intake or
    support_slots violation, and both name the same keys with the same amounts."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_instance(tables, Path(folder))
        rules = Eligibility(read_instance(path))
        arrays, pairs = rules.arrays, rules.pairs
        order = data.draw(st.permutations(range(len(pairs))), label="order")
        wanted = data.draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)), label="wanted")
        used_clients, used_units, chosen = set(), set(), []
        for k in order:
            c, u = int(pairs.client[k]), int(pairs.unit[k])
            if wanted[k] and c not in used_clients and u not in used_units:
                used_clients.add(c)
                used_units.add(u)
                chosen.append((c, u))
        clients = np.array([c for c, _ in chosen], dtype=np.int64)
        units = np.array([u for _, u in chosen], dtype=np.int64)
        engine = {
            (o.limit, LIMIT_BY_NAME[o.limit].label(arrays, o.key), o.used)
            for o in over_limits(arrays, clients, units)
        }
        ids = [(arrays.client_ids[c], arrays.unit_ids[u]) for c, u in chosen]
        checker = _checker_breaks(path, ids)
        event(f"capacity rules broken: {sorted({rule for rule, _, _ in checker}) or 'none'}")
        assert (engine == set()) == (checker == set())
        assert engine == checker
