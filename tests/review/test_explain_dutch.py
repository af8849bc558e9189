"""`matcher explain` speaks Dutch, the product's default (matcher/i18n.py, decision 91): every
sentence of a client's and a unit's explanation, the smallest change, the limits, the errors and
the help, with ids exactly as written. English (`--lang en`) is what it always was
(tests/review/test_explain*.py assert it), and the JSON keeps its keys and codes in both.

The tiny instance is checked by hand (instances/tiny, the policy's defaults): WK045301 has
4574 dwellings, so its cap is floor(4574 × 5 / 1000) = 22, minus recent load 20 leaves room 2,
which C03 (protected, load 2) fills in U03; light C05 (max rent 500, so only U04 at 450 is
affordable and not a Skaeve Huis) needs one more, so raising the cap by one (22 → 23) places C05 in
U04. C01 (acute, registered 2026-05-25: 26 weeks before 2026-11-23, intensive support) may not
have the room U04 nor the Skaeve Huis U05 (policy compatibility), nor U04 as no young adult."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import independent_checker as checker
import pytest
from builders import client, instance, unit
from commands import help_of, invoke

from matcher.generate.instance import generate_instance, write_instance
from matcher.i18n import catalogue, set_language
from matcher.io.read import read_instance
from matcher.proposal import in_id_order, solve
from matcher.review import explain as ex
from matcher.rules.eligibility import RULE_BOOK, RULES, rule_name

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"

# English words of explain's sentences that no Dutch sentence holds (Dutch "in", "of" (or), "week",
# "ambulant" and the column names in parentheses, e.g. (accessible), eligible_types, are left out)
ENGLISH = re.compile(
    r"\b(the|units?|clients?|support|higher|excludes?|excluded|eligible|full|free|taken|household|"
    r"available|ready|more|allow|add|made|instead|within|limit|cap|intake|slots?|agreement|reached|"
    r"left|proposal|scores?|fits?|preferred|elsewhere|step-free|suggested|relaxed|verified|"
    r"re-solv\w*|and|for|by|to|no|none|one|two|three|urgency|waited|weeks|priority|matched|proposed|"
    r"other|would|then|unmatched|change|tried|search|stops|rent|type|size|access|timing|safety|"
    r"history|origin_rule|open_neighbourhood|young_adults_home|social_rental|room|cluster|skaeve_huis|"
    r"light|intensive|protected|normal|high|acute|yes|MATCHED|PROPOSED|Client|Unit|Eligible|Never|"
    r"Not|Smallest|Next-best|also|works)\b"
)


def english_in(text: str) -> list[str]:
    """The lines of `text` with an English word (the word marked)."""
    return [
        ENGLISH.sub(lambda m: f"[{m.group(0)}]", line) for line in text.splitlines() if ENGLISH.search(line)
    ]


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> Path:
    """The tiny week solved by `matcher solve` (a run folder)."""
    out = tmp_path_factory.mktemp("explain-dutch") / "week"
    invoke("solve", TINY, "--out", out)
    return out


def copy_tiny(tmp_path: Path, name: str, file: str, old: str, new: str) -> Path:
    """A copy of the tiny instance with one fragment of one file replaced."""
    folder = tmp_path / name
    shutil.copytree(TINY, folder)
    text = (folder / file).read_text(encoding="utf-8")
    assert old in text, (file, old)
    (folder / file).write_text(text.replace(old, new), encoding="utf-8")
    return folder


def unmatched_in(folder: Path, client_id: str) -> dict:
    """explain_client on the engine's own proposal of `folder`, the client unmatched in it."""
    week = read_instance(folder)
    proposal = solve(week)
    assert client_id not in dict(proposal.pairs_chosen())
    return ex.explain_client(week, proposal.pairs_chosen(), client_id)


# --- the three hand-checked cases, through the command ----------------------------------------------


def test_a_matched_client_in_dutch(week, dutch):
    assert invoke("explain", "--proposal", week, "--client", "C01") == (
        "Cliënt C01: urgentie acuut, 26 weken gewacht, prioriteit w 226, begeleiding intensief.\n"
        "Passende woningen: 4 van 6.\n"
        "  - woningtype: sluit 2 woningen uit (het woningtype past niet bij de begeleiding die nodig is)\n"
        "  - jongerenwoning: sluit 1 woning uit (een woning alleen voor jongeren (jongerencontract))\n"
        "GEKOPPELD aan U02 (sociale huurwoning, Haarlem (GM0392), WK039202, huur € 700): gemeente van "
        "herkomst (voorkeur p 30).\n"
        "De beste andere woningen en waarom elk niet gekozen is:\n"
        "  - U01 (p 30, gemeente van herkomst): gaat naar C02 (w 158, hoog)\n"
        "  - U03 (p 0, elders): gaat naar C03 (w 152, normaal)\n"
        "  - U06 (p 0, elders): gaat naar C06 (w 112, normaal)\n"
    )


def test_an_unmatched_client_and_the_smallest_change_in_dutch(week, dutch):
    """C05's cap is full; one more in WK045301's cap places C05 in U04 (hand-checked above); a max
    rent of €800 (U06) is above the rent limit for one person, and a Skaeve Huis is not for light
    support, so neither is suggested."""
    assert invoke("explain", "--proposal", week, "--client", "C05") == (
        "Cliënt C05: urgentie normaal, 4 weken gewacht, prioriteit w 104, begeleiding licht.\n"
        "Passende woningen: 1 van 6.\n"
        "  - woningtype: sluit 1 woning uit (het woningtype past niet bij de begeleiding die nodig is)\n"
        "  - huur: sluit 4 woningen uit (huur boven het maximum van de cliënt)\n"
        "NIET GEKOPPELD — capaciteit vol: 1 passende woning(en) zijn vrij, maar liggen waar een grens vol "
        "is: wijkplafond van WK045301 vol (2 van 2 belasting erbij in deze periode).\n"
        "  - U04 (p 0): wijkplafond van WK045301 vol (2 van 2 belasting erbij in deze periode)\n"
        "Kleinste wijziging die C05 koppelt: wijkplafond van WK045301 (Wijk 01 IJmuiden-Noord) één hoger "
        "(22 → 23) → gekoppeld aan U04 (gecontroleerd door opnieuw berekenen van W en P).\n"
        "Niet aangeraden (een andere regel verbiedt het): een maximale huur van € 800 of meer voor C05: "
        "boven de huurgrens € 713,02 voor een huishouden van 1 (passend toewijzen, policy.yaml "
        "`affordability`).\n"
        "Niet aangeraden (een andere regel verbiedt het): woningtype Skaeve Huis voor C05 (1 woning(en)): "
        "het beleid staat dat niet toe bij begeleiding licht (een Skaeve Huis vraagt een individuele "
        "indicatie in eligible_types).\n"
    )


def test_a_client_without_eligible_unit_in_dutch(week, dutch):
    """C07 (household of 4, excluded from Velsen): every unit takes at most 2, so size excludes all
    6 and safety the 4 in Velsen, which is never relaxed."""
    text = invoke("explain", "--proposal", week, "--client", "C07")
    assert (
        "NIET GEKOPPELD — geen passende woning: geen van de 6 woningen voldoet aan elke regel; de meeste "
        "uitgesloten door huishoudgrootte (6 woningen: het huishouden past er niet in).\n" in text
    )
    assert (
        "Kleinste wijziging die C07 koppelt: U02 geschikt voor een huishouden van 4 (nu hoogstens 2)" in text
    )
    assert "Nooit versoepeld: veiligheid (4 woningen), jongerenwoning (1 woning).\n" in text
    assert english_in(text) == []


def test_a_unit_in_dutch(week, dutch):
    """U04 (a room for young adults in WK045301): only C05 (light, jeugd) may have it, and the cap
    stops C05; U03 went to C03, two more clients are left out by their own circumstances."""
    assert invoke("explain", "--proposal", week, "--unit", "U04") == (
        "Woning U04 (kamer, Woonopmaat, Velsen (GM0453), WK045301, huur € 450, huishouden tot 1, niet "
        "traploos toegankelijk, beschikbaar vanaf 2026-11-20).\n"
        "Passende cliënten: 1 van 8.\n"
        "  - woningtype: sluit 4 cliënten uit (het woningtype past niet bij de begeleiding die nodig is)\n"
        "  - huishoudgrootte: sluit 1 cliënt uit (het huishouden past er niet in)\n"
        "  - nog 2 cliënten uitgesloten door eigen omstandigheden, die alleen de coördinator kan bespreken\n"
        "NIET VOORGESTELD — er wachten passende cliënten, maar een grens is vol: wijkplafond van WK045301 "
        "vol (2 van 2 belasting erbij in deze periode).\n"
        "Andere passende cliënten:\n"
        "  - C05: wijkplafond van WK045301 vol (2 van 2 belasting erbij in deze periode)\n"
    )
    held = invoke("explain", "--proposal", week, "--unit", "U03")
    assert (
        "VOORGESTELD voor C03: huishouden van 1, begeleiding beschermd, zorgaanbieder nodig: ja, "
        "verhuizing vanaf 2026-11-23.\n" in held
    )
    assert "  - C01: voorgesteld voor een andere woning\n" in held
    assert english_in(held) == []


def test_refusals_and_lapsed_urgency_in_dutch(tmp_path, dutch):
    """A ledger in which acute C01 refused two suitable offers the week before (the refusal rule,
    max_refusals 2, lapses C01's urgency to normal) and C05 one: both are said in Dutch."""
    ledger, out = tmp_path / "ledger.sqlite", tmp_path / "week"
    for who, offered in (("C01", "U01"), ("C01", "U02"), ("C05", "U04")):
        invoke(
            "record",
            "--ledger",
            ledger,
            "--client",
            who,
            "--unit",
            offered,
            "--decision",
            "decline",
            "--reason",
            "location",
            "--week",
            "2026-11-16",
        )
    invoke("solve", TINY, "--ledger", ledger, "--out", out)
    lapsed = invoke("explain", "--proposal", out, "--client", "C01")
    assert lapsed.startswith("Cliënt C01: urgentie normaal, 26 weken gewacht, prioriteit w 126")
    assert (
        "Urgentie vervallen van acuut naar normaal na 2 weigeringen van een passend aanbod (de "
        "weigeringsregel, policy.yaml `refusals`; zie het beslissingenlogboek).\n" in lapsed
    )
    once = invoke("explain", "--proposal", out, "--client", "C05")
    assert (
        "1 weigering van een passend aanbod vastgelegd in het beslissingenlogboek (de urgentie vervalt bij 2).\n"
        in once
    )
    assert english_in(lapsed) == [] and english_in(once) == []


# --- every kind of change and limit -------------------------------------------------------------------


def test_slots_and_intake_in_dutch(tmp_path, dutch):
    """Velsen with no intensive slots: C06 needs one more (0 → 1); Velsen's intake at 2: one of its
    three clients needs it one higher (2 → 3). A fresh solve of the changed files confirms each."""
    slots = tmp_path / "slots"
    shutil.copytree(TINY, slots)
    with open(slots / "support_capacity.csv", "a", encoding="utf-8") as file:
        file.write("GM0453,intensive,0\n")
    result = unmatched_in(slots, "C06")
    assert "begeleidingsplaatsen (intensief) in Velsen vol (0 van 0)" in result["unmatched_reason"]
    assert (
        result["counterfactual"]["smallest"]["change"]
        == "één begeleidingsplaats (intensief) meer in Velsen (0 → 1)"
    )
    intake = copy_tiny(tmp_path, "intake", "municipalities.csv", "69241,", "69241,2")
    left_out = [
        c for c in ("C03", "C04", "C06") if c not in dict(solve(read_instance(intake)).pairs_chosen())
    ]
    result = unmatched_in(intake, left_out[0])
    assert "instroomplafond van Velsen vol (2 van 2)" in result["unmatched_reason"]
    assert (
        result["counterfactual"]["smallest"]["change"]
        == "instroomplafond van Velsen (GM0453) één hoger (2 → 3)"
    )
    for text in (ex.render_client(result), ex.render_client(unmatched_in(slots, "C06"))):
        assert english_in(text) == []


def test_an_agreement_in_dutch(tmp_path, dutch):
    """Velsen's agreement with room for one more placement (maximum 16, 15 placed so far): C06 is
    left out behind C03 and C04; one higher (16 → 17) places C06, as a fresh solve confirms."""
    folder = copy_tiny(tmp_path, "agreement", "agreements.csv", "2026-12-31,20,30,15", "2026-12-31,0,16,15")
    result = unmatched_in(folder, "C06")
    assert (
        "maximum van afspraak PA-2026-VEL bereikt (1 van de 1 die deze periode over waren)"
        in (result["unmatched_reason"])
    )
    smallest = result["counterfactual"]["smallest"]
    assert smallest["change"] == "maximum van afspraak PA-2026-VEL (GM0453) één hoger (16 → 17)"
    raised = copy_tiny(tmp_path, "raised", "agreements.csv", "2026-12-31,20,30,15", "2026-12-31,0,17,15")
    after = solve(read_instance(raised)).pairs_chosen()
    assert ("C06", smallest["unit_id"]) in after and checker.violations(raised, after) == []
    assert english_in(ex.render_client(result)) == []


def test_changes_of_the_client_and_the_units_in_dutch(dutch):
    """A unit type the policy allows is suggested in Dutch words; one it forbids is withheld."""
    allowed = instance(
        clients=[client(client_id="C1", support_intensity="light", eligible_types="room")],
        units=[unit(unit_id="U1", type="social_rental")],
    )
    result = ex.explain_client(allowed, [], "C1")
    assert result["counterfactual"]["smallest"]["change"] == (
        "woningtype sociale huurwoning toestaan voor C1 (nu kamer; 1 woning(en))"
    )
    forbidden = instance(
        clients=[client(client_id="C1", support_intensity="protected", eligible_types="cluster")],
        units=[unit(unit_id="U1", type="skaeve_huis", site_id="SKAEVE-1")],
    )
    result = ex.explain_client(forbidden, [], "C1")
    assert result["counterfactual"]["withheld"] == [
        "woningtype Skaeve Huis voor C1 (1 woning(en)): het beleid staat dat niet toe bij begeleiding "
        "beschermd (een Skaeve Huis vraagt een individuele indicatie in eligible_types)"
    ]
    assert english_in(ex.render_client(result)) == []


def test_no_english_in_any_explanation_of_a_generated_week(tmp_path, dutch):
    """Every client and unit of tiny and of a generated week (strict origin rule: many exclusions,
    slots and intakes nearly everywhere), and every change the search could try for each unmatched
    client, in Dutch: no English word."""
    write_instance(generate_instance("zuid-kennemerland", 60, 40, 3, family="strict"), tmp_path / "strict")
    for week in (read_instance(TINY), in_id_order(read_instance(tmp_path / "strict"))):
        proposal = solve(week)
        pairs = proposal.pairs_chosen()
        texts = []
        unmatched = [c.client_id for c in week.clients if c.client_id not in dict(pairs)]
        for c in week.clients:
            deep = c.client_id in unmatched[:4]
            result = ex.explain_client(
                week,
                pairs,
                c.client_id,
                max_resolves=3,
                counterfactual=deep,
                baseline_priority=proposal.priority,
            )
            texts.append(ex.render_client(result))
        for u in week.units:
            texts.append(ex.render_unit(ex.explain_unit(week, pairs, u.unit_id)))
        ctx = ex.Context.of(week, pairs)
        for client_id in unmatched:
            at = list(ctx.arrays.client_ids).index(client_id)
            passes = ctx.client_passes(at)
            order = [u for u in range(ctx.arrays.n_units) if all(passes[rule][u] for rule in RULES)]
            withheld: list[str] = []
            changes = (
                ex.capacity_changes(ctx, at, order)
                + ex.eligibility_changes(ctx, at, passes, withheld)
                + ex.supply_changes(ctx, at, order)
            )
            texts += [change.message for change in changes] + withheld
        found = [line for text in texts for line in english_in(text)]
        assert found == [], "\n".join(found[:20])


# --- the JSON, the rules, the command -----------------------------------------------------------------

CODES = (
    "urgency",
    "support_intensity",
    "status",
    "rule",
    "kind",
    "type",
    "why",
    "why_score",
    "provider_needed",
)


def same_shape(english, dutch, path: str = "", key: str = "") -> None:
    """Both have the same keys (in order) and list lengths, and the same codes and numbers; only
    sentences (strings under any other key) may differ."""
    assert type(english) is type(dutch), path
    if isinstance(english, dict):
        assert list(english) == list(dutch), path
        for name in english:
            same_shape(english[name], dutch[name], f"{path}.{name}", name)
    elif isinstance(english, list):
        assert len(english) == len(dutch), path
        for k, (one, other) in enumerate(zip(english, dutch)):
            same_shape(one, other, f"{path}[{k}]", key)
    elif not isinstance(english, str) or key in CODES:
        assert english == dutch, path


def test_the_json_keeps_its_keys_and_codes(week):
    """--json in Dutch has the English JSON's keys, codes and numbers; only its sentences differ."""
    for what in (("--client", "C01"), ("--client", "C05"), ("--client", "C07"), ("--unit", "U04")):
        english = json.loads(invoke("--lang", "en", "explain", "--proposal", week, *what, "--json"))
        dutch = json.loads(invoke("--lang", "nl", "explain", "--proposal", week, *what, "--json"))
        same_shape(english, dutch)
        assert json.dumps(english) != json.dumps(dutch)  # the sentences are translated
    set_language(None)


def test_every_rule_has_its_dutch_name_and_words(dutch):
    """The per-rule lines name each rule in Dutch and say in Dutch why it excludes; the names are
    the rule book's own (`rule_name`, matcher.rules.eligibility), which the weekly files use too."""
    dutch_words = catalogue("nl")
    for rule in RULE_BOOK:
        assert rule.words in dutch_words, rule.name
        assert rule.label in dutch_words, rule.name
        assert rule_name(rule.name) == dutch_words[rule.label] != rule.name, rule.name
    set_language("en")
    assert [rule_name(rule) for rule in RULES] == list(RULES)  # English keeps the codes


def test_the_help_of_explain_and_monitor_in_dutch():
    """The help of explain and monitor is Dutch by default, English with MATCHER_LANG=en."""
    explain_help, monitor_help = help_of("explain"), help_of("monitor")
    for words in (
        "Waarom een cliënt deze woning kreeg",
        "leg de uitkomst voor deze cliënt uit",
        "leg de uitkomst voor deze woning uit",
        "hoogstens zoveel herberekeningen",
    ):
        assert words in explain_help
    for words in (
        "Instroom, doorstroom, uitstroom, nog wachtend",
        "eerste dag van de periode",
        "de instantie van een week",
    ):
        assert words in monitor_help
    english = re.compile(
        r"explain this|most re-solves|still waiting|first day|last day|a week's instance|folder for"
    )
    assert not english.search(explain_help) and not english.search(monitor_help)
    assert "explain this client's outcome" in help_of("explain", lang="en")
    assert "first day of the period (YYYY-MM-DD)" in help_of("monitor", lang="en")


def test_errors_in_dutch(week, dutch):
    both = invoke("explain", "--proposal", week, "--client", "C01", "--unit", "U01", code=2)
    assert "geef precies één van --client ID of --unit ID" in both
    assert "geen cliënt 'C99' in deze instantie" in invoke(
        "explain", "--proposal", week, "--client", "C99", code=2
    )
    plain = week.parent / "plain"
    plain.mkdir(exist_ok=True)
    shutil.copy(week / "proposals.csv", plain / "proposals.csv")
    assert "is geen map die `matcher solve` schreef" in invoke(
        "explain", "--proposal", plain, "--client", "C01", code=2
    )
