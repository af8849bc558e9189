"""A Dutch coordinator meets no English in a run folder's refusals or in why a kept match moved.

`read_run_folder` (matcher/io/run_folder.py) refuses a folder that is not what `matcher solve`
wrote, naming the file and saying what to do; `why_moved` (matcher/week.py) says why a match kept
stable last time is no longer proposed, naming a broken rule by its Dutch label (`rule_name`).
English stays byte for byte what it was; an audit repeats `why_moved` in the run's own language."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from support.commands import invoke

from matcher.i18n import set_language
from matcher.io import run_folder as rf
from matcher.io.files import summary_digest
from matcher.io.read import read_instance
from matcher.proposal import Proposal, solve
from matcher.rules.eligibility import RULE_BOOK, rule_name
from matcher.week import _broken_rule, read_matches, why_moved

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"

# English words of these messages that no Dutch sentence holds (commands in backticks, file names
# and the folder's path are taken out first: `matcher solve`, summary_sha256, solved-instance/;
# "solve" and "object" are left out: the Dutch says "draai solve opnieuw" and "JSON-object")
ENGLISH = re.compile(
    r"\b(the|was|edited|changed|since|again|give|folder|keeps|needs|columns|written|older|"
    r"version|damaged|lacks|not|valid|more|and|wrote|holds|what|line|column|longer|trusted|cannot|"
    r"went|priority|higher|stays|empty|unmatched|proposed|rules|allow|match|pool|found|missing|"
    r"differs|part|text|should|name)\b"
)


def english_in(text: str, folder: Path | None = None) -> list[str]:
    """The English words of `text`, once commands, file names and the folder are taken out."""
    if folder is not None:
        text = text.replace(str(folder), "MAP")
    text = re.sub(r"`[^`]*`", "", text)
    text = re.sub(r"[\w./-]+\.(csv|json|yaml)\b|solved-instance/|summary_sha256", "", text)
    return ENGLISH.findall(text)


def rewrite_summary(folder: Path, change) -> None:
    """Change summary.json and record its digest again (so only the change is wrong)."""
    summary = json.loads((folder / "summary.json").read_text())
    change(summary)
    summary["summary_sha256"] = summary_digest(summary)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2))


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> Path:
    """The tiny week solved by `matcher solve` (a run folder)."""
    out = tmp_path_factory.mktemp("run-folder-dutch") / "week"
    invoke("--lang", "en", "solve", TINY, "--out", out)
    return out


@pytest.fixture
def folder(week, tmp_path) -> Path:
    """A private copy of the run folder, to tamper with."""
    return Path(shutil.copytree(week, tmp_path / "week"))


def refusal(folder: Path) -> str:
    """The one problem `read_run_folder` refuses `folder` with; it is about the folder."""
    with pytest.raises(rf.RunFolderRefused) as refused:
        rf.read_run_folder(folder)
    problems = refused.value.problems
    assert len(problems) == 1 and problems[0].file == str(folder)
    return problems[0].message


def _older(folder: Path) -> None:
    """As a run of an older version wrote it: no solved-instance/."""
    shutil.rmtree(folder / "solved-instance")
    rewrite_summary(
        folder, lambda s: s.update(outputs={k: v for k, v in s["outputs"].items() if "/" not in k})
    )


# --- the refusals of read_run_folder, in Dutch -------------------------------------------------------

AGAIN = "bereken de week opnieuw"
SUMMARY_CASES = [
    (
        lambda f: (f / "summary.json").unlink(),
        "geen summary.json in MAP: geef een map die `matcher solve` heeft geschreven",
    ),
    (
        lambda f: (f / "summary.json").write_text("{"),
        "summary.json is geen geldige JSON (regel 1, kolom 2): het bestand is beschadigd of bewerkt",
    ),
    (
        lambda f: (f / "summary.json").write_bytes(b'{"a": "\xff"}'),
        "summary.json is geen geldige JSON (geen UTF-8-tekst): het bestand is beschadigd of bewerkt",
    ),
    (
        lambda f: (f / "summary.json").write_text("[]"),
        "summary.json is geen JSON-object: het bestand is beschadigd of bewerkt",
    ),
    (
        lambda f: rewrite_summary(f, lambda s: s.pop("policy")),
        "in summary.json ontbreekt policy: geschreven door een oudere versie, of bewerkt",
    ),
    (
        lambda f: rewrite_summary(f, lambda s: s["inputs"].update({"clients.csv": "abc"})),
        'summary.json is niet wat `matcher solve` schrijft: inputs.clients.csv is "abc": is geen sha256 '
        "(64 hexadecimale tekens); het bestand is beschadigd of bewerkt",
    ),
    (
        lambda f: rewrite_summary(f, lambda s: s["inputs"].update({"a/b.csv": "0" * 64})),
        'summary.json is niet wat `matcher solve` schrijft: inputs.a/b.csv (een naam) is "a/b.csv": '
        "'a/b.csv' is geen bestandsnaam; het bestand is beschadigd of bewerkt",
    ),
    (
        lambda f: rewrite_summary(f, lambda s: s.update(settings="x", instance=None, ledger=[])),
        'summary.json is niet wat `matcher solve` schrijft: settings is "x": moet een object met namen '
        "en waarden zijn; instance is null: matcher solve schrijft hier nooit null; ledger is []: moet "
        "een object met namen en waarden zijn; het bestand is beschadigd of bewerkt",
    ),
    (
        lambda f: rewrite_summary(f, lambda s: s.update(inputs={f"{k}.csv": "x" for k in range(7)})),
        "(en nog 2); het bestand is beschadigd of bewerkt",
    ),
]


@pytest.mark.parametrize("tamper, dutch_reason", SUMMARY_CASES)
def test_a_summary_that_cannot_be_used_is_refused_in_dutch(folder, dutch, tamper, dutch_reason):
    """Every reason summary.json cannot be used names it, then says to solve the week again."""
    tamper(folder)
    message = refusal(folder).replace(str(folder), "MAP")
    assert dutch_reason in message
    assert message.endswith(
        "; bereken de week opnieuw om deze map te kunnen gebruiken (`matcher solve INSTANCE --out DIR`, "
        "met dezelfde --ledger)"
    )
    assert english_in(message) == [], message


def test_a_summary_too_large_is_refused_in_dutch(folder, dutch, monkeypatch):
    monkeypatch.setattr(rf, "MAX_SUMMARY_BYTES", 2**20)
    (folder / "summary.json").write_text(" " * (2**20 + 1))
    message = refusal(folder)
    assert message.startswith("summary.json is groter dan 1 MiB: zo een schrijft `matcher solve` niet")
    assert AGAIN in message and english_in(message) == [], message


def test_an_edited_summary_is_refused_in_dutch(folder, dutch):
    """summary.json whose digest no longer matches: named, and what to do."""
    text = (folder / "summary.json").read_text()
    (folder / "summary.json").write_text(text.replace('"W": 751', '"W": 900'))
    message = refusal(folder)
    assert message == (
        "summary.json is na de run bewerkt (de inhoud heeft niet meer de summary_sha256 die de run "
        "vastlegde), dus de uitkomsten en grenzen erin zijn niet te vertrouwen: bereken de week opnieuw "
        "(`matcher solve INSTANCE --out DIR`, met dezelfde --ledger)"
    )
    assert "summary.json was edited" not in message and english_in(message) == []


def test_files_changed_since_the_run_are_refused_in_dutch(folder, dutch):
    """A changed file of the solved instance is named; the advice is a whole Dutch sentence."""
    clients = folder / "solved-instance" / "clients.csv"
    clients.write_text(clients.read_text().replace("acute", "high"))
    message = refusal(folder)
    assert message == (
        "solved-instance/clients.csv is gewijzigd sinds de run summary.json schreef: de map bevat niet "
        "meer wat de run doorrekende. Bereken de week opnieuw (`matcher solve INSTANCE --out DIR`, met "
        "dezelfde --ledger); om een met de hand aangepast voorstel te controleren: bewerk alleen "
        "proposals.csv (of geef het eigen CSV-bestand samen met de INSTANCE)"
    )
    assert "changed since" not in message and english_in(message) == []


def test_many_changed_files_are_counted_in_dutch(folder, dutch):
    """Beyond five changed files the rest is counted ("en nog 2"), in Dutch."""
    solved = sorted((folder / "solved-instance").iterdir())[:7]
    for file in solved:
        file.unlink()
    message = refusal(folder)
    assert message.startswith(f"solved-instance/{solved[0].name} is gewijzigd; ")
    assert "; en nog 2 sinds de run summary.json schreef" in message
    assert english_in(message) == [], message


def test_an_incomplete_set_is_refused_in_dutch(folder, dutch):
    """A damaged manifest (verify_set, matcher/io/atomic.py) says so in Dutch, naming it."""
    (folder / "manifest.json").write_text("{")
    message = refusal(folder)
    assert "manifest.json is beschadigd of bewerkt" in message and "draai solve opnieuw" in message
    assert english_in(message, folder) == [], message


def test_check_refuses_the_folder_in_dutch(folder, dutch):
    """What `matcher check` prints for an edited summary: the Dutch sentence, no English of it."""
    text = (folder / "summary.json").read_text()
    (folder / "summary.json").write_text(text.replace('"W": 751', '"W": 900'))
    output = invoke("check", folder, code=2)
    assert "summary.json is na de run bewerkt" in output and AGAIN in output
    assert "was edited" not in output and "solve the week again" not in output


def test_an_older_folder_asks_for_the_instance_in_dutch(folder, dutch):
    """A folder without solved-instance/: both ways to ask for it say what to give, in Dutch."""
    _older(folder)
    run = rf.read_run_folder(folder)
    expected = (
        "deze uitvoermap bewaart geen solved-instance/ (geschreven door een oudere versie): geef de "
        "INSTANCE waaruit hij is gemaakt (en --ledger, als hij met een beslissingenlogboek is gemaakt)"
    )
    for ask in (run.solved_instance, lambda: rf.instance_of_run(run, None, None)):
        with pytest.raises(rf.RunFolderRefused) as refused:
            ask()
        assert [(p.file, p.message) for p in refused.value.problems] == [(str(folder), expected)]


def test_proposals_without_their_columns_in_dutch(folder, dutch):
    """A proposals.csv without its id columns is refused naming the Dutch headers."""
    proposals = folder / "proposals.csv"
    lines = proposals.read_text(encoding="utf-8-sig").splitlines()
    proposals.write_text("\n".join(["a,b", *lines[1:]]) + "\n")
    run = rf.read_run_folder(folder)
    assert run.proposals_edited
    with pytest.raises(rf.RunFolderRefused) as refused:
        run.pairs()
    problem = refused.value.problems[0]
    assert problem.file == str(proposals) and problem.row == 1
    assert problem.message == (
        "heeft de kolommen cliënt en woning nodig: geef het bestand dat `matcher solve` schreef"
    )


def test_a_differing_instance_is_named_in_dutch(folder, tmp_path, dutch):
    """The note on a differing INSTANCE lists its files in Dutch."""
    rewrite_summary(folder, lambda s: s["inputs"].pop("agreements.csv"))  # as if the run had none
    other = Path(shutil.copytree(TINY, tmp_path / "other"))
    (other / "clients.csv").write_text((other / "clients.csv").read_text().replace("acute", "high"))
    (other / "declined.csv").unlink()
    run = rf.read_run_folder(folder)
    assert run.differing_inputs(other) == [
        "clients.csv verschilt",
        "declined.csv ontbreekt",
        "agreements.csv hoorde niet bij de run",
    ]
    note = rf.instance_of_run(run, other, None, "checked").notes[-1]
    assert note.startswith(f"{other} is niet de instantie die deze run las (clients.csv verschilt; ")
    assert english_in(note, other) == [], note
    assert rf.listed([f"{k}.csv verschilt" for k in range(7)]).endswith("; 4.csv verschilt; en nog 2")


# --- English stays what it was ----------------------------------------------------------------------


def test_the_refusals_in_english_are_unchanged(folder):
    """The English sentences, byte for byte as before they were translated."""
    clients = folder / "solved-instance" / "clients.csv"
    clients.write_text(clients.read_text().replace("acute", "high"))
    assert refusal(folder) == (
        "solved-instance/clients.csv changed since the run wrote summary.json: the folder no longer "
        "holds what the run solved. Solve the week again (`matcher solve INSTANCE --out DIR`, with the "
        "same --ledger); to check a hand-edited proposal, edit only proposals.csv (or give your CSV "
        "file with the INSTANCE)"
    )
    (folder / "summary.json").write_text("[]")
    assert refusal(folder) == (
        "summary.json is not a JSON object: it was damaged or edited; to use this folder, solve the "
        "week again (`matcher solve INSTANCE --out DIR`, with the same --ledger)"
    )
    (folder / "summary.json").write_text("{")
    assert refusal(folder).startswith(
        "summary.json is not valid JSON (Expecting property name enclosed in double quotes: line 1 "
        "column 2 (char 1)): it was damaged or edited"
    )


def test_summary_problems_in_english_are_unchanged(folder):
    rewrite_summary(
        folder,
        lambda s: s.update(settings="x", inputs={"a/b.csv": "0" * 64, **{f"{k}.csv": "x" for k in range(6)}}),
    )
    assert refusal(folder) == (
        'summary.json is not what `matcher solve` writes: settings is "x": Input should be a valid '
        "dictionary; inputs.a/b.csv (a name) is \"a/b.csv\": 'a/b.csv' is not the name of a file; "
        'inputs.0.csv is "x": is not a sha256 (64 hexadecimal digits); inputs.1.csv is "x": is not a '
        'sha256 (64 hexadecimal digits); inputs.2.csv is "x": is not a sha256 (64 hexadecimal digits) '
        "(and 3 more); it was damaged or edited; to use this folder, solve the week again (`matcher "
        "solve INSTANCE --out DIR`, with the same --ledger)"
    )


# --- why a kept match moved ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proposal() -> Proposal:
    """The tiny week: C01 → U02, C02 → U01, C03 → U03, C04 → U05, C06 → U06; U04 stays empty."""
    return solve(read_instance(TINY))


# (client, unit, the reason in Dutch, in English): one row per reason `why_moved` gives for a
# pair of the tiny week; the rules' own reasons are tested below
REASONS = [
    (
        "C99",
        "U01",
        "de cliënt of de woning zit niet meer in de pool van deze week",
        "the client or the unit is no longer in this week's pool",
    ),
    (
        "C08",
        "U01",
        "U01 ging naar C02, prioriteit 158 (hoger dan die van C08, 100); C08 heeft nu geen koppeling",
        "U01 went to C02, priority 158 (higher than C08's 100); C08 is now unmatched",
    ),
    (
        "C06",
        "U03",
        "U03 ging naar C03, prioriteit 152 (hoger dan die van C06, 112); C06 krijgt nu U06 voorgesteld",
        "U03 went to C03, priority 152 (higher than C06's 112); C06 is now proposed U06",
    ),
    (
        "C05",
        "U04",
        "U04 blijft leeg: een plafond, instroomgrens of grens aan begeleidingsplaatsen is vol met de "
        "andere vastgehouden koppelingen; C05 heeft nu geen koppeling",
        "U04 stays empty: a cap, intake or support-slot limit is full with the other held matches; C05 "
        "is now unmatched",
    ),
    # C01 (priority 226) is proposed U02 and U01 went to C02 (158): had C01 held U01, the reason is
    # not priority, and the sentence must not say the taker's is higher (decision 119)
    (
        "C01",
        "U01",
        "U01 ging naar C02, prioriteit 158, niet hoger dan die van C01 (226): al geaccepteerde of "
        "gecommuniceerde koppelingen gaan vóór prioriteit, en ze passen niet allemaal samen; C01 krijgt "
        "nu U02 voorgesteld",
        "U01 went to C02, priority 158, not higher than C01's 226: matches already accepted or "
        "communicated are kept before priority counts, and not all of them fit together; C01 is now "
        "proposed U02",
    ),
]


def test_why_moved_in_dutch_for_each_reason(proposal, dutch):
    """Each reason in Dutch, with the ids it is about."""
    for client_id, unit_id, dutch_reason, _english in REASONS:
        assert why_moved(proposal, client_id, unit_id) == dutch_reason


def test_a_broken_rule_is_named_by_its_dutch_label(proposal, dutch):
    """The rules no longer allow the match: the rule by its Dutch name, never its code."""
    size = why_moved(proposal, "C07", "U01")  # a household of four, a unit for one
    assert size == (
        "de regels staan deze koppeling niet meer toe: huishoudgrootte: huishouden van 4, de woning is "
        "voor hoogstens 1"
    )
    safety = why_moved(proposal, "C02", "U03")  # C02 fled Velsen
    assert safety.startswith(f"de regels staan deze koppeling niet meer toe: {rule_name('safety')}: ")
    assert rule_name("safety") == "veiligheid"
    codes = {rule.name for rule in RULE_BOOK if rule.name != rule_name(rule.name)}
    for text in (size, safety):
        assert not codes & set(re.findall(r"[\w_]+", text)), text
        assert english_in(text) == [], text
    clients, units = list(proposal.arrays.client_ids), list(proposal.arrays.unit_ids)
    alone = _broken_rule(proposal, clients.index("C01"), units.index("U02"))  # no rule broken
    assert alone == (
        "de regels staan deze koppeling niet meer toe: een plafond, instroomgrens of grens aan "
        "begeleidingsplaatsen heeft er op zichzelf al geen ruimte voor"
    )


def test_why_moved_in_english_is_unchanged(proposal):
    """The English reasons, byte for byte as before they were translated (rule codes kept), but
    for the one that claimed a higher priority the taker did not have."""
    assert why_moved(proposal, "C07", "U01") == (
        "the rules no longer allow this match: size: household of 4, unit takes 1"
    )
    for client_id, unit_id, _dutch, english_reason in REASONS:
        assert why_moved(proposal, client_id, unit_id) == english_reason
    lower = why_moved(proposal, "C01", "U01")
    assert "higher than" not in lower.replace("not higher than", "")


def test_matches_not_found_in_dutch(tmp_path, dutch):
    """read_matches names the missing file and what it needs, one whole Dutch sentence per purpose."""
    from models import InvalidInstance

    for purpose, who in (("--keep-proposal", "--keep-proposal"), ("the audit", "de audit")):
        with pytest.raises(InvalidInstance) as refused:
            read_matches(tmp_path / "kept.csv", purpose)
        problem = refused.value.problems[0]
        assert problem.file == str(tmp_path / "kept.csv")
        assert problem.message == (
            f"niet gevonden: {who} heeft een map nodig die `matcher solve` heeft geschreven"
        )
    (tmp_path / "kept.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InvalidInstance) as refused:
        read_matches(tmp_path / "kept.csv", "the audit")
    assert {p.message for p in refused.value.problems} == {
        "verplichte kolom ontbreekt: geef het bestand dat `matcher solve` schreef"
    }


# --- the week's report in Dutch, and its audit in either language --------------------------------------


@pytest.fixture(scope="module")
def kept_week(tmp_path_factory) -> Path:
    """A Dutch week that kept C08 → U01 from an earlier proposal, which it cannot keep."""
    root = tmp_path_factory.mktemp("kept-dutch")
    earlier = root / "earlier"
    earlier.mkdir()
    (earlier / "proposals.csv").write_text("client_id,unit_id\nC08,U01\n")
    out = root / "week"
    output = invoke("--lang", "nl", "solve", TINY, "--keep-proposal", earlier, "--out", out)
    (root / "solve-output.txt").write_text(output)  # the week's report, as the terminal showed it
    return out


def test_a_dutch_week_reports_why_a_match_moved_in_dutch(kept_week, dutch):
    summary = json.loads((kept_week / "summary.json").read_text())
    assert summary["language"] == "nl"
    assert summary["continuity"]["why_moved"] == {
        "C08->U01": "U01 ging naar C02, prioriteit 158 (hoger dan die van C08, 100); C08 heeft nu geen "
        "koppeling"
    }
    shown = (kept_week.parent / "solve-output.txt").read_text()  # matcher/cli/week_report.py
    assert "verplaatst: C08 → U01: U01 ging naar C02, prioriteit 158" in shown, shown
    output = invoke("report", kept_week, "--out", kept_week.parent / "report.html")
    page = (kept_week.parent / "report.html").read_text()
    assert "Verplaatst: C08 → U01: U01 ging naar C02" in page, output


def test_a_dutch_week_audits_in_english_and_an_earlier_english_reason_too(kept_week, tmp_path):
    """The audit repeats why_moved in the run's language, whatever --lang; a run of an earlier
    version recorded it in English in a Dutch run, and still audits."""
    from matcher import audit_proposal

    set_language("en")
    report = audit_proposal(kept_week, TINY)
    assert report.status == "confirmed", report
    earlier = Path(shutil.copytree(kept_week, tmp_path / "earlier"))
    rewrite_summary(
        earlier,
        lambda s: s["continuity"].update(
            why_moved={
                "C08->U01": "U01 went to C02, priority 158 (higher than C08's 100); C08 is now unmatched"
            }
        ),
    )
    set_language("nl")
    report = audit_proposal(earlier, TINY)
    assert report.status == "confirmed", report
    rewrite_summary(earlier, lambda s: s["continuity"].update(why_moved={"C08->U01": "something else"}))
    assert audit_proposal(earlier, TINY).status == "differs"
