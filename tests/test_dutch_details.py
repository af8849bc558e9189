"""The details of unmatched.csv and unused_units.csv speak the user's language (matcher/i18n.py):
rule names are the rule book's own (`rule_name`, matcher.rules.eligibility: the code in English,
a word in Dutch), the limits are capacity's own words (`Full.words`, matcher.rules.capacity), and
a rule's sentence about one client and unit (`Rule.violation`) is translated, the same words
`matcher explain` uses. unused_units.csv's unit types are Dutch words, as in proposals.csv.
English stays what it always was (tests/test_unmatched.py and tests/test_unused_units.py assert it).

The hand-checked instance is tests/test_unmatched.py's three-reasons instance: units U1 (rent
600) and U2 (rent 650), both in Oude Stad (cap ⌊1000 × 5 / 1000⌋ = 5, recent load 4: room 1).
C1 acute light (w 210, max rent 600) takes U1, which fills the room. C2 (w 110, declined U1)
may have only U2, where the cap is full. C3 (household of 3, max rent 620) may have neither unit:
size excludes both, rent excludes U2 (650 > 620). C4 (w 101, max rent 600) may have only U1,
which went to C1. The period is 2026-11-23 to 2026-11-29."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from builders import client, instance, unit
from test_unmatched import three_reasons
from test_unused_units import full_light_slots_week

from matcher.generate.instance import generate_instance, write_instance
from matcher.i18n import set_language
from matcher.io.headers import internal_name, reason_code
from matcher.io.read import read_instance
from matcher.io.write import UNUSED, write_proposal
from matcher.proposal import solve
from matcher.rules.eligibility import RULES
from models.fields import INTENSITIES, UNIT_TYPES

TINY = Path(__file__).resolve().parents[1] / "instances" / "tiny"


def details(inst) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """({client_id: (reason, detail)} of unmatched.csv, {unit_id: (reason, detail)} of
    unused_units.csv) in the language in use."""
    proposal = solve(inst)
    unmatched = {row.client_id: (row.reason, row.detail) for row in proposal.unmatched().itertuples()}
    unused = {row.unit_id: (row.reason, row.detail) for row in proposal.unused().itertuples()}
    return unmatched, unused


# --- hand-checked details, in both languages ------------------------------------------------------


def test_no_eligible_unit_names_the_rules_in_dutch(dutch):
    """C3: size excludes both units, rent one (U2); the rules by their Dutch names."""
    unmatched, _ = details(three_reasons())
    assert unmatched["C3"] == (
        "no_eligible_unit",
        "geen van de 2 woningen past; de meeste uitgesloten door huishoudgrootte (huishoudgrootte sluit "
        "2 uit, huur sluit 1 uit)",
    )
    set_language("en")
    assert details(three_reasons())[0]["C3"][1] == (
        "none of the 2 units is eligible; most excluded by size (size excludes 2, rent excludes 1)"
    )


def test_a_full_neighbourhood_cap_in_dutch(dutch):
    """C2's one eligible unit U2 is free, but C1 used Oude Stad's room (1 of 1); the unit U2 is
    left for the same reason, the cap 1 short for C2's load 1."""
    unmatched, unused = details(three_reasons())
    assert unmatched["C2"] == (
        "capacity_full",
        "1 passende woning, alle waar grenzen vol zijn: wijkplafond van WK039201 vol (1 van 1 belasting "
        "erbij in deze periode) (1 woning)",
    )
    assert unused["U2"] == (
        "capacity_full",
        "wijkplafond van WK039201 vol (1 van 1 belasting erbij in deze periode), 1 tekort voor C2 (w 110), "
        "de passende cliënt met de hoogste prioriteit die niet gekoppeld is; 1 passende cliënt niet "
        "gekoppeld, 0 elders gehuisvest",
    )
    set_language("en")
    unmatched, unused = details(three_reasons())
    assert unmatched["C2"][1] == (
        "1 eligible unit, all where limits are full: cap of WK039201 full (1 of 1 load added this period) "
        "(1 unit)"
    )
    assert unused["U2"][1].startswith("cap of WK039201 full (1 of 1 load added this period), 1 short")


def test_full_support_slots_in_dutch(dutch):
    """Oude Stad with room 1, light slots in Haarlem 1 (tests/test_unused_units.py): C1 acute light
    (w 210) takes U1 and fills both; U2 is left: C2 high intensive (w 160, load 2) is 2 short on
    the cap; C3 normal light (w 110) also meets the full light slots, named with the Dutch word for
    the intensity."""
    inst = full_light_slots_week()
    assert details(inst)[1]["U2"] == (
        "capacity_full",
        "wijkplafond van WK039201 vol (1 van 1 belasting erbij in deze periode), 2 tekort voor C2 (w 160), "
        "de passende cliënt met de hoogste prioriteit die niet gekoppeld is; anderen ook door "
        "begeleidingsplaatsen (licht) in GM0392 vol (1) (1 cliënt); 2 passende cliënten niet gekoppeld, "
        "1 elders gehuisvest",
    )


def test_an_unused_unit_nobody_may_take_says_the_timing_rule_in_dutch(dutch):
    """U9 is available only from 2026-12-14, after the period (ends 2026-11-29): timing excludes all
    four clients, size one (C3); the example is the highest-priority client, C1 (w 210)."""
    inst = three_reasons()
    inst = inst.model_copy(update={"units": (*inst.units, unit(unit_id="U9", available_from="2026-12-14"))})
    assert details(inst)[1]["U9"] == (
        "no_eligible_client",
        "geen van de 4 cliënten past; de meesten uitgesloten door beschikbaarheid (beschikbaarheid sluit 4 "
        "uit, huishoudgrootte sluit 1 uit); voor wie van hen de hoogste prioriteit heeft, C1 (w 210): "
        "woning pas beschikbaar vanaf 2026-12-14 (de periode eindigt op 2026-11-29)",
    )
    set_language("en")
    assert details(inst)[1]["U9"][1] == (
        "none of the 4 clients is eligible; most excluded by timing (timing excludes 4, size excludes 1); "
        "for the highest-priority of them, C1 (w 210): unit available only from 2026-12-14 "
        "(period ends 2026-11-29)"
    )


def test_an_unused_unit_of_the_wrong_type_in_dutch(dutch):
    """A social-rental home and one protected client (w 110), whom the policy's compatibility
    allows only a cluster home: the type rule excludes the one client, said with Dutch words for
    the unit types and the support intensity."""
    inst = instance([client(support_intensity="protected")], [unit(unit_id="U1")])
    assert details(inst)[1]["U1"] == (
        "no_eligible_client",
        "geen van de 1 cliënten past; de meesten uitgesloten door woningtype (woningtype sluit 1 uit); "
        "voor wie van hen de hoogste prioriteit heeft, C1 (w 110): een sociale huurwoning past niet bij "
        "begeleiding beschermd (toegestaan: clusterwoning)",
    )
    set_language("en")
    assert details(inst)[1]["U1"][1].endswith(
        "C1 (w 110): a social_rental does not suit protected support (allowed: cluster)"
    )


# --- whole weeks written in Dutch -----------------------------------------------------------------

# the English words of the details' sentences (rules, limits, counts) and the codes of rules, unit
# types and support intensities, which no Dutch detail holds ("ambulant" is Dutch too)
ENGLISH = re.compile(
    r"\b(units?|clients?|eligible|excludes?|excluded|most|none|full|short|cap|intake|slots?|support|"
    r"agreement|reached|load|added|period|available|ready|only|from|ends|starts|household|takes|"
    r"above|max_rent|step-free|accessible|origin|allow|declined|rules|every|until|lives|stay|"
    r"neighbourhood|placements|went|higher|lower|priority|limits?|left|unmatched|placed|elsewhere|"
    r"others|also|and|the|for|by|not|more|"
    + "|".join(map(re.escape, (*RULES, *UNIT_TYPES, *(i for i in INTENSITIES if i != "ambulant"))))
    + r")\b"
)


def english_in(text: str) -> list[str]:
    """The English words of `text` (an option such as --time-limit left out)."""
    return ENGLISH.findall(re.sub(r"--[\w-]+", "", text))


def written(folder: Path, out: Path, language: str) -> dict[str, list[dict[str, str]]]:
    """unmatched.csv and unused_units.csv of `folder` solved and written in `language`, by their
    internal column names."""
    write_proposal(solve(read_instance(folder)), folder, out, language=language)
    tables = {}
    for name in ("unmatched.csv", UNUSED):
        with (out / name).open(encoding="utf-8-sig", newline="") as file:
            tables[name] = [{internal_name(k): v for k, v in row.items()} for row in csv.DictReader(file)]
    return tables


@pytest.fixture(scope="module")
def strict_week(tmp_path_factory) -> Path:
    """A generated week under the strict origin rule: many exclusions, caps, slots and intakes."""
    folder = tmp_path_factory.mktemp("dutch-details") / "strict"
    write_instance(generate_instance("west-friesland", 60, 40, 3, family="strict"), folder)
    return folder


@pytest.mark.parametrize("week", ["tiny", "strict"])
def test_a_dutch_week_writes_no_rule_code_and_no_english_in_its_details(week, strict_week, tmp_path, dutch):
    folder = TINY if week == "tiny" else strict_week
    dutch_tables = written(folder, tmp_path / "nl", "nl")
    english_tables = written(folder, tmp_path / "en", "en")
    for name, rows in dutch_tables.items():
        found = [(row["detail"], english_in(row["detail"])) for row in rows if english_in(row["detail"])]
        assert found == [], (name, found[:5])
        # the same rows and reasons as the English file, read back from the Dutch words
        english = english_tables[name]
        assert [reason_code(row["reason"]) for row in rows] == [row["reason"] for row in english]
        assert all(row["detail"] != other["detail"] for row, other in zip(rows, english) if other["detail"])
    unused = dutch_tables[UNUSED]
    assert unused and not {row["unit_type"] for row in unused} & set(UNIT_TYPES)
    assert {row["unit_type"] for row in english_tables[UNUSED]} <= set(UNIT_TYPES)
    assert [row["unit_id"] for row in unused] == [row["unit_id"] for row in english_tables[UNUSED]]
