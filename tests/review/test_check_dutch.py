"""`matcher check` speaks Dutch, the product's default (matcher/i18n.py, decision 91): the help,
the headings, the rule names and sentences, every violation, the verdict against the optimum and
the errors. English (`--lang en`) is what it always was (tests/review/test_check*.py assert it),
and the JSON keeps its keys and codes in both.

The broken proposal is checked by hand on the tiny instance (instances/tiny, the policy's
defaults): the run's own five pairs plus C02 → U02 (C02 and U02 twice) and C04 → U03 (C04 and U03
twice). U03 is a cluster and C04 needs light support, which the policy's compatibility does not
allow; WK045301 (U03's neighbourhood) has cap floor(4574 × 5 / 1000) = 22 minus recent load 20,
room 2, and gets protected C03 (load 2) plus light C04 (load 1) = 3. The independent checker
(tests/reference) finds the same four rules broken; W and P are its objective."""

from __future__ import annotations

import re
from pathlib import Path

import independent_checker as checker
import pytest
from commands import help_of, invoke

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"
EXTRA = [("C02", "U02"), ("C04", "U03")]

# English words of check's sentences that no Dutch sentence holds (ids, W, P, column names in
# parentheses such as max_intake and the rule codes of the JSON are left out)
ENGLISH = re.compile(
    r"\b(Checked|matches|match|against|VALID|NOT|violations?|rules?|Priority|preference|Against|"
    r"proven|optimum's|lost|loses|above|Taken|from|the|run's|solved|again|client|unit|appears|pairs|"
    r"may|not|get|gets|load|has|room|cap|recent|rows?|each|every|at|most|one|suits|support|type|"
    r"neighbourhood|stays|within|minus|give|folder|written|instance|too|Check|against|exit|when|"
    r"breaks|needs|needed)\b"
)


def english_in(text: str) -> list[str]:
    return [line for line in text.splitlines() if ENGLISH.search(line)]


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> Path:
    """The tiny week solved by `matcher solve` (a run folder)."""
    out = tmp_path_factory.mktemp("check-dutch") / "week"
    invoke("--lang", "en", "solve", TINY, "--out", out)
    return out


@pytest.fixture(scope="module")
def broken(week, tmp_path_factory) -> Path:
    """The run's pairs plus a unit given twice and a client on an ineligible unit over its cap."""
    lines = (week / "proposals.csv").read_text(encoding="utf-8").splitlines()
    pairs = [tuple(line.split(",")[:2]) for line in lines[1:]]
    assert pairs == [("C01", "U02"), ("C02", "U01"), ("C03", "U03"), ("C06", "U06"), ("C04", "U05")]
    path = tmp_path_factory.mktemp("check-dutch-broken") / "proposals.csv"
    rows = ["client_id,unit_id"] + [f"{c},{u}" for c, u in pairs + EXTRA]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def pairs_of(path: Path) -> list[tuple[str, str]]:
    return [(line.split(",")[0], line.split(",")[1]) for line in path.read_text().splitlines()[1:]]


VALID_NL = (
    "5 koppelingen in week gecontroleerd tegen week/solved-instance (de instantie die de run doorrekende).\n"
    "GELDIG: het voorstel breekt geen enkele regel.\n"
    "Prioriteit W 751, voorkeur P 120.\n"
    "Tegenover het bewezen optimum van de run (W 751, P 120): geen W verloren, geen P verloren.\n"
    "Overgenomen uit summary.json van de run (dezelfde instantie, niet opnieuw berekend).\n"
)

BROKEN_NL = (
    "7 koppelingen in proposals.csv gecontroleerd tegen tiny.\n"
    "NIET GELDIG: 6 overtreding(en) van 4 regel(s).\n"
    "  één woning per cliënt — elke cliënt krijgt hoogstens één woning\n"
    "    - cliënt C02 staat in 2 koppelingen (rijen 3, 7)\n"
    "    - cliënt C04 staat in 2 koppelingen (rijen 6, 8)\n"
    "  één cliënt per woning — elke woning gaat naar hoogstens één cliënt\n"
    "    - woning U02 staat in 2 koppelingen (rijen 2, 7)\n"
    "    - woning U03 staat in 2 koppelingen (rijen 4, 8)\n"
    "  woningtype — het woningtype past bij de begeleiding van de cliënt (compatibility of "
    "eligible_types)\n"
    "    - cliënt C04 mag woning U03 niet krijgen: een clusterwoning past niet bij begeleiding licht "
    "(toegestaan: Skaeve Huis) (rij 8)\n"
    "  wijkplafond — de belasting die een wijk erbij krijgt blijft binnen het wijkplafond min de "
    "recente belasting\n"
    "    - WK045301 krijgt belasting 3 maar heeft ruimte voor 2 (plafond 22, recente belasting 20) "
    "(rijen 4, 8)\n"
    "Prioriteit W 751, voorkeur P 170.\n"
    "Tegenover het bewezen optimum (W 751, P 120): geen W verloren, 50 P boven het optimum.\n"
)

BROKEN_EN = (
    "Checked 7 matches in proposals.csv against tiny.\n"
    "NOT VALID: 6 violation(s) of 4 rule(s).\n"
    "  one_unit_per_client — each client gets at most one unit\n"
    "    - client C02 appears in 2 pairs (rows 3, 7)\n"
    "    - client C04 appears in 2 pairs (rows 6, 8)\n"
    "  one_client_per_unit — each unit goes to at most one client\n"
    "    - unit U02 appears in 2 pairs (rows 2, 7)\n"
    "    - unit U03 appears in 2 pairs (rows 4, 8)\n"
    "  eligibility:type — the unit's type suits the client's support (compatibility or eligible_types)\n"
    "    - client C04 may not get unit U03: a cluster does not suit light support (allowed: skaeve_huis) "
    "(row 8)\n"
    "  neighbourhood_cap — the load added to a neighbourhood stays within its cap minus recent load\n"
    "    - WK045301 gets load 3 but has room for 2 (cap 22, recent load 20) (rows 4, 8)\n"
    "Priority W 751, preference P 170.\n"
    "Against the proven optimum (W 751, P 120): no W lost, 50 P above the optimum.\n"
)


def test_the_broken_proposal_is_what_the_independent_checker_finds(broken):
    found = {message.split(": ")[0] for message in checker.violations(TINY, pairs_of(broken))}
    assert found == {"one_unit_per_client", "one_client_per_unit", "eligibility:type", "neighbourhood_cap"}
    assert checker.objective(TINY, pairs_of(broken))[0] == 751


def test_a_valid_run_in_dutch(week, dutch):
    text = invoke("check", week)
    assert text == VALID_NL
    # the folder name solved-instance is a file name, not a word
    shown = text.replace("solved-instance", "")
    assert english_in(shown) == []


def test_a_broken_proposal_in_dutch(broken, dutch):
    text = invoke("check", TINY, broken, code=1)
    assert text == BROKEN_NL
    assert english_in(text) == []


def test_english_is_unchanged(week, broken):
    assert invoke("--lang", "en", "check", TINY, broken, code=1) == BROKEN_EN
    assert invoke("--lang", "en", "check", week) == (
        "Checked 5 matches in week against week/solved-instance (the instance the run solved).\n"
        "VALID: the proposal breaks no rule.\n"
        "Priority W 751, preference P 120.\n"
        "Against the run's proven optimum (W 751, P 120): no W lost, no P lost.\n"
        "Taken from the run's summary.json (the same instance, not solved again).\n"
    )


def test_the_json_keeps_its_codes_in_dutch(broken, dutch):
    import json

    data = json.loads(invoke("check", "--json", TINY, broken, code=1))
    assert data["rules_broken"] == [
        "one_unit_per_client",
        "one_client_per_unit",
        "eligibility:type",
        "neighbourhood_cap",
    ]
    assert [v["rule"] for v in data["violations"]][-1] == "neighbourhood_cap"


def test_help_and_errors_in_dutch(broken, dutch, tmp_path):
    help_text = help_of("check")
    assert "Controleer een (met de hand bewerkt) PROPOSAL tegen elke regel" in help_text
    assert "Check a (hand-edited)" not in help_text
    assert "Controleer een (met de hand bewerkt) PROPOSAL" in help_of()
    assert "Check a (hand-edited) PROPOSAL against every rule" in help_of("check", lang="en")
    text = invoke("check", broken, code=2)
    assert "is geen map geschreven door `matcher solve` (er staat geen summary.json in)" in text
    missing = tmp_path / "missing.csv"
    missing.write_text("client_id\nC01\n", encoding="utf-8")
    assert "verplichte kolom ontbreekt: voeg hem toe aan de kopregel" in invoke(
        "check", TINY, missing, code=2
    )
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("client_id,unit_id\nC99,U01\n", encoding="utf-8")
    text = invoke("check", TINY, unknown, code=1)
    assert "  onbekende id — elke cliënt en woning moet in de instantie staan\n" in text
    assert "    - cliënt 'C99' staat niet in clients.csv (rij 2)\n" in text
