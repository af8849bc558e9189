"""Read a run folder written by `matcher solve`, and trust only what it can prove.

A run folder holds proposals.csv, unmatched.csv, unused_units.csv, summary.json,
`solved-instance/` (the instance the engine really solved, after the decisions ledger), with
`--keep-proposal` kept.csv, and manifest.json (`matcher.io.atomic`). First of all the set must be
complete (`verify_set`): a folder a run was killed while writing — some files new, some old — is
refused with "holds an incomplete set of outputs: run solve again", never read as a mix. A folder
of an older version (no manifest.json; its files links into `.matcher-runs`) is read as before.
summary.json records the sha256 of every input file (`inputs`), of every other file of the
folder (`outputs`) and of its own reproducible content (`summary_sha256`). `read_run_folder`
checks all of them before anything is used:

- summary.json must be what `matcher solve` writes (`load_summary`, shared with `matcher audit`)
  and its digest must match: an edited summary is refused (its bounds could be anything);
- the solved instance and kept.csv must have their recorded sha256: otherwise the folder no
  longer holds what the run solved, and is refused;
- proposals.csv may differ: that is a coordinator's hand edit, which `check` and `explain` are
  for. It is then read as a hand-edited proposal (`proposals_edited`), and the run's own
  proposal is no longer known;
- unmatched.csv may differ (no command here reads it): noted, not refused.

What the folder then gives: the solved instance, the proposal pairs, the run's objective and its
proven bounds (`RunBounds`, so `check` and `explain` need not solve again), the ledger section of
the summary, and which files of a given INSTANCE differ from the ones the run read
(`differing_inputs`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeGuard

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator

from matcher.i18n import N_, _, language
from matcher.io.atomic import MANIFEST, verify_set
from matcher.io.files import DIGEST, sha256_file, summary_digest
from models import Instance, InvalidInstance, Problem

SUMMARY = "summary.json"
PROPOSALS = "proposals.csv"
UNMATCHED = "unmatched.csv"
SOLVED_INSTANCE = "solved-instance"  # the folder names of a run (matcher.io.write writes them)
KEPT = "kept.csv"
MAX_SUMMARY_BYTES = 64 * 2**20  # a national week's summary is a few MB
MAX_NAMES = 5  # differing files named in one message before "and N more"


class RunFolderRefused(InvalidInstance):
    """A folder that is not, or no longer, what `matcher solve` wrote: the problem says what to do."""


# --- what a summary.json written by `matcher solve` looks like ---------------------------------------

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _sha256(value: str) -> str:
    if not _SHA256.fullmatch(value):
        raise ValueError(_("is not a sha256 (64 hexadecimal digits)"))
    return value


def _file_name(value: str) -> str:
    if not value or value in (".", "..") or "/" in value or "\\" in value or "\x00" in value:
        raise ValueError(_("{value} is not the name of a file", value=repr(value)))
    return value


def _output_name(value: str) -> str:
    """A file of the run's set: a name, or one folder level (`solved-instance/clients.csv`)."""
    parts = value.split("/")
    try:
        if len(parts) > 2:
            raise ValueError
        for part in parts:
            _file_name(part)
    except ValueError:
        raise ValueError(
            _("{value} is not the name of a file of the run's folder", value=repr(value))
        ) from None
    return value


Sha256 = Annotated[StrictStr, AfterValidator(_sha256)]
InputName = Annotated[StrictStr, AfterValidator(_file_name)]
OutputName = Annotated[StrictStr, AfterValidator(_output_name)]


class RecordedSummary(BaseModel):
    """The keys the readers rely on, with the types `matcher solve` writes; others pass through."""

    model_config = ConfigDict(extra="allow")

    settings: dict[str, Any]
    policy: dict[str, Any]
    inputs: dict[InputName, Sha256] = Field(min_length=1)
    outputs: dict[OutputName, Sha256] = Field(min_length=1)
    instance: StrictStr | None = None
    versions: dict[str, StrictStr] | None = None
    seconds: dict[str, Any] | None = None
    ledger: dict[str, Any] | None = None
    continuity: dict[str, Any] | None = None
    summary_sha256: Sha256 | None = None

    @field_validator(
        "instance", "versions", "seconds", "ledger", "continuity", "summary_sha256", mode="before"
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError(_("matcher solve never writes null here"))
        return value


def load_summary(out_dir: Path) -> tuple[dict[str, Any], str]:
    """summary.json as `matcher solve` writes it, or the reason it cannot be used ("" when fine).

    Its digest is not checked here (`summary_edited` does that), so `matcher audit` can report an
    edited summary as differing rather than refuse it."""
    file = Path(out_dir) / SUMMARY
    if not file.is_file():
        return {}, _(
            "no {summary} in {folder}: give a folder written by `matcher solve`",
            summary=SUMMARY,
            folder=out_dir,
        )
    if file.stat().st_size > MAX_SUMMARY_BYTES:
        return (
            {},
            _(
                "{summary} is larger than {size} MiB: not one `matcher solve` wrote",
                summary=SUMMARY,
                size=MAX_SUMMARY_BYTES // 2**20,
            ),
        )
    try:
        summary = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as error:  # JSON, UTF-8, a 5000-digit number, deep nesting
        return {}, _(
            "{summary} is not valid JSON ({error}): it was damaged or edited",
            summary=SUMMARY,
            error=_json_error(error),
        )
    if not isinstance(summary, dict):
        return {}, _("{summary} is not a JSON object: it was damaged or edited", summary=SUMMARY)
    missing = [key for key in ("settings", "inputs", "policy", "outputs") if key not in summary]
    if missing:
        return {}, _(
            "{summary} lacks {keys}: written by an older version, or edited",
            summary=SUMMARY,
            keys=", ".join(missing),
        )
    try:
        RecordedSummary.model_validate(summary)
    except ValidationError as error:
        problems = "; ".join(_problem(detail) for detail in error.errors()[:5])
        if error.error_count() > 5:
            return {}, _(
                "{summary} is not what `matcher solve` writes: {problems} (and {more} more); it was "
                "damaged or edited",
                summary=SUMMARY,
                problems=problems,
                more=error.error_count() - 5,
            )
        return {}, _(
            "{summary} is not what `matcher solve` writes: {problems}; it was damaged or edited",
            summary=SUMMARY,
            problems=problems,
        )
    return summary, ""


def _json_error(error: Exception) -> str:
    """Why summary.json did not parse: in English Python's own words (as always); in other
    languages where (line, column) or what kind of damage, since Python's words are English only."""
    if language() == "en":
        return str(error)[:200]
    if isinstance(error, json.JSONDecodeError):
        return _("line {line}, column {column}", line=error.lineno, column=error.colno)
    if isinstance(error, UnicodeDecodeError):
        return _("not UTF-8 text")
    if isinstance(error, RecursionError):
        return _("nested too deeply")
    return _("a value that cannot be read")


# what pydantic found wrong, by its error type, in a coordinator's words (`_problem`, not English)
_PROBLEM_WORDS = {
    "missing": N_("is missing"),
    "string_type": N_("should be text"),
    "dict_type": N_("should be an object of names and values"),
    "too_short": N_("should not be empty"),
}


def _problem(detail: Any) -> str:
    """One validation problem of summary.json: where, what was found, what was expected."""
    parts = [str(part) for part in detail["loc"] if not str(part).startswith("function-")]
    found = detail.get("input")
    shown = "null" if found is None else json.dumps(found, default=str)[:60]
    message = str(detail["msg"]).removeprefix("Value error, ")
    if language() != "en" and detail.get("type") != "value_error":  # our own errors are translated
        message = _(
            _PROBLEM_WORDS.get(str(detail.get("type")), N_("is not what `matcher solve` writes here"))
        )
    if len(parts) > 1 and parts[-1] == "[key]" and "[key]" not in parts[:-1]:
        return _(
            "{where} (a name) is {shown}: {message}", where=".".join(parts[:-1]), shown=shown, message=message
        )
    where = ".".join(parts).replace(".[key]", " (a name)")
    return _("{where} is {shown}: {message}", where=where, shown=shown, message=message)


def summary_edited(summary: dict[str, Any]) -> bool:
    """Whether summary.json was changed after the run: its digest no longer matches (a summary
    without a digest, from an older version, cannot tell and counts as unchanged)."""
    recorded = summary.get(DIGEST)
    return recorded is not None and summary_digest(summary) != recorded


def differing_inputs(instance_path: str | Path, summary: dict[str, Any]) -> list[str]:
    """How the files of the instance at `instance_path` differ from the ones the run read, one
    phrase per file ("clients.csv differs", "declined.csv is missing", "x.csv was not part of the
    run"); empty when they are the very same files."""
    from matcher.io.read import instance_files

    recorded = summary["inputs"]
    present = {file.name: sha256_file(file) for file in instance_files(instance_path)}
    differences = [
        _("{name} differs", name=name)
        for name in sorted(set(recorded) & set(present))
        if recorded[name] != present[name]
    ]
    differences += [_("{name} is missing", name=name) for name in sorted(set(recorded) - set(present))]
    differences += [
        _("{name} was not part of the run", name=name) for name in sorted(set(present) - set(recorded))
    ]
    return differences


def listed(phrases: list[str]) -> str:
    """Phrases joined by "; ", at most MAX_NAMES of them and "and N more"."""
    shown = "; ".join(phrases[:MAX_NAMES])
    if len(phrases) <= MAX_NAMES:
        return shown
    return _("{phrases}; and {count} more", phrases=shown, count=len(phrases) - MAX_NAMES)


# --- the run folder ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunBounds:
    """The run's objective and what it proved: W and P of its proposal and their upper bounds.

    `proven`: both levels were solved to proven optimality, so W and P are the optimum of the
    solved instance. `kept`: the run kept matches already communicated (`--keep-proposal`): W is
    still the optimum, P the best among the allocations that keep the most of them."""

    priority: int
    priority_bound: float
    preference: int
    preference_bound: float
    proven: bool
    kept: bool


@dataclass(frozen=True)
class RunFolder:
    """A run folder whose summary, solved instance and kept matches were checked against their
    recorded sha256 (`read_run_folder`)."""

    path: Path
    summary: dict[str, Any]
    proposals_edited: bool = False  # proposals.csv is not the one the run wrote (a hand edit)
    notes: tuple[str, ...] = ()  # what a coordinator should know (an older summary, an edited file)

    @property
    def proposals_file(self) -> Path:
        return self.path / PROPOSALS

    @property
    def has_solved_instance(self) -> bool:
        """Whether the folder keeps the instance the run solved (every run since `solved-instance/`
        was introduced)."""
        return any(name.startswith(f"{SOLVED_INSTANCE}/") for name in self.summary["outputs"])

    @property
    def solved_path(self) -> Path:
        return self.path / SOLVED_INSTANCE

    def solved_instance(self) -> Instance:
        """The instance the run solved (after the ledger), as the folder keeps it."""
        from matcher.io.read import read_instance

        if not self.has_solved_instance:
            raise _no_solved_instance(self.path)
        return read_instance(self.solved_path)

    def pairs(self) -> list[tuple[str, str]]:
        """The (client_id, unit_id) pairs of proposals.csv, in file order (headers in either language)."""
        from matcher.io.headers import header

        text = self.proposals_file.read_text(encoding="utf-8-sig")
        rows = _internal_rows(text)
        if rows.fieldnames is None or not {"client_id", "unit_id"} <= set(rows.fieldnames):
            raise RunFolderRefused(
                [
                    Problem(
                        file=str(self.proposals_file),
                        row=1,
                        message=_(
                            "needs the columns {client} and {unit}: give the file `matcher solve` wrote",
                            client=header("client_id"),
                            unit=header("unit_id"),
                        ),
                    )
                ]
            )
        return [
            (row["client_id"].strip(), row["unit_id"].strip())
            for row in rows
            if (row["client_id"] or "").strip() or (row["unit_id"] or "").strip()
        ]

    def kept_pairs(self) -> list[tuple[str, str]] | None:
        """The matches already communicated that the run kept where it could (kept.csv), or None
        when the run kept none."""
        if KEPT not in self.summary["outputs"]:
            return None
        from matcher.io.headers import header

        rows = _internal_rows((self.path / KEPT).read_text(encoding="utf-8-sig"))
        if rows.fieldnames is None or not {"client_id", "unit_id"} <= set(rows.fieldnames):
            raise RunFolderRefused(
                [
                    Problem(
                        file=str(self.path / KEPT),
                        row=1,
                        message=_(
                            "needs the columns {client} and {unit}: give the file `matcher solve` wrote",
                            client=header("client_id"),
                            unit=header("unit_id"),
                        ),
                    )
                ]
            )
        return [(row["client_id"], row["unit_id"]) for row in rows]

    @property
    def ledger(self) -> dict[str, Any] | None:
        """The summary's `ledger` section: what the decisions ledger changed (None without one)."""
        section = self.summary.get("ledger")
        return section if isinstance(section, dict) else None

    def bounds(self) -> RunBounds | None:
        """The run's W and P and their bounds, or None when the summary does not hold them as
        `matcher solve` writes them."""
        objective = self.summary.get("objective")
        if not isinstance(objective, dict):
            return None
        w, w_bound, p, p_bound = (objective.get(key) for key in ("W", "W_bound", "P", "P_bound"))
        if not (
            _whole(w) and _whole(p) and _number(w_bound) and _number(p_bound)
        ):  # as matcher solve writes them
            return None
        proven = self.summary.get("proven_optimal") is True and w >= w_bound and p >= p_bound
        return RunBounds(w, float(w_bound), p, float(p_bound), proven, "continuity" in self.summary)

    def differing_inputs(self, instance_path: str | Path) -> list[str]:
        """How the instance at `instance_path` differs from the one the run read (see the module
        function); empty when it is the same."""
        return differing_inputs(instance_path, self.summary)


def _no_solved_instance(folder: Path) -> RunFolderRefused:
    """A run folder of an older version, which keeps no solved instance, asked for one."""
    return _refuse(
        folder,
        _(
            "this run folder keeps no {solved}/ (written by an older version): give the INSTANCE it was "
            "made from (and --ledger, if it was made with one)",
            solved=SOLVED_INSTANCE,
        ),
    )


@dataclass
class RunInstance:
    """The instance a command works on for a run folder, and what the coordinator should know.

    `instance` is None only for a folder of an older version that keeps no solved instance: then
    the caller reads INSTANCE (with --ledger) itself, as before run folders kept it."""

    run: RunFolder
    instance: Instance | None
    bounds: RunBounds | None  # the run's proven W and P, when `instance` is the one it solved
    name: str  # how to name the instance in a report
    notes: list[str]


def instance_of_run(
    run: RunFolder, instance_path: Path | None, ledger: str | None, verb: str = "used"
) -> RunInstance:
    """The instance to check or explain a run folder against: always the instance the run solved
    (`solved-instance/`, the ledger applied as it was then), so its bounds hold and no ledger is
    needed. INSTANCE, when given, is compared with the files the run read and any difference is
    named in a note; --ledger is not applied again (noted). `verb` completes "… against"."""
    notes = list(run.notes)
    if not run.has_solved_instance:
        if instance_path is None:
            raise _no_solved_instance(run.path)
        same = not run.differing_inputs(instance_path) and "ledger" not in run.summary and not ledger
        return RunInstance(run, None, run.bounds() if same else None, instance_path.name, notes)
    where = f"{run.path.name}/{SOLVED_INSTANCE}"
    if instance_path is not None:
        differences = run.differing_inputs(instance_path)
        if differences:
            notes.append(
                _(
                    _OTHER_INSTANCE.get(verb, _OTHER_INSTANCE["used"]),
                    instance=instance_path,
                    differences=listed(differences),
                    where=where,
                )
            )
    if ledger:
        notes.append(
            _(
                "--ledger is not applied: the run folder keeps the instance it solved ({where}), with the "
                "ledger's decisions as they were at the run",
                where=where,
            )
            if "ledger" in run.summary
            else _(
                "--ledger is not applied: the run folder keeps the instance it solved ({where}), and the "
                "run was made without a ledger",
                where=where,
            )
        )
    return RunInstance(
        run,
        run.solved_instance(),
        run.bounds(),
        _("{where} (the instance the run solved)", where=where),
        notes,
    )


# a note per verb of `instance_of_run` (whole sentences, so each language orders its own words)
_OTHER_INSTANCE = {
    "used": N_(
        "{instance} is not the instance this run read ({differences}); used against the instance the "
        "run solved ({where}), which is what was solved"
    ),
    "checked": N_(
        "{instance} is not the instance this run read ({differences}); checked against the instance "
        "the run solved ({where}), which is what was solved"
    ),
    "explained": N_(
        "{instance} is not the instance this run read ({differences}); explained against the instance "
        "the run solved ({where}), which is what was solved"
    ),
}


def _internal_rows(text: str) -> csv.DictReader[str]:
    """A CSV reader of `text` whose field names are the internal ones, whatever the language of the
    headers (`matcher.io.headers.internal_columns`)."""
    import pandas as pd

    from matcher.io.headers import internal_columns

    rows = csv.DictReader(io.StringIO(text))
    if rows.fieldnames is not None:
        rows.fieldnames = [
            str(name) for name in internal_columns(pd.DataFrame(columns=rows.fieldnames)).columns
        ]
    return rows


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_run_folder(path: str | Path) -> bool:
    """Whether `path` is a folder with a summary.json or a manifest.json: a folder `matcher solve`
    wrote (or claims to), complete or not."""
    path = Path(path)
    return path.is_dir() and ((path / SUMMARY).is_file() or (path / MANIFEST).is_file())


def _refuse(folder: Path, message: str) -> RunFolderRefused:
    return RunFolderRefused([Problem(file=str(folder), message=message)])


def read_run_folder(path: str | Path) -> RunFolder:
    """The run folder at `path`, checked against its summary; raises `RunFolderRefused` saying what
    is wrong and what to do (see the module's docstring for what is checked)."""
    folder = Path(path)
    check = verify_set(folder)
    if not check.ok:  # killed while being written: some files new, some old
        raise _refuse(folder, check.message)
    summary, refusal = load_summary(folder)
    if refusal:
        raise _refuse(
            folder,
            _(
                "{refusal}; to use this folder, solve the week again (`matcher solve INSTANCE --out DIR`, "
                "with the same --ledger)",
                refusal=refusal,
            ),
        )
    if summary_edited(summary):
        raise _refuse(
            folder,
            _(
                "{summary} was edited after the run (its content no longer has the {digest} the run "
                "recorded), so its results and bounds cannot be trusted: solve the week again (`matcher "
                "solve INSTANCE --out DIR`, with the same --ledger)",
                summary=SUMMARY,
                digest=DIGEST,
            ),
        )
    notes = []
    if DIGEST not in summary:
        notes.append(
            _(
                "{summary} records no {digest} (written by an older version): an edit to it cannot be detected",
                summary=SUMMARY,
                digest=DIGEST,
            )
        )
    recorded: dict[str, str] = summary["outputs"]
    changed = [
        name
        for name in sorted(recorded)
        if not (folder / name).is_file() or sha256_file(folder / name) != recorded[name]
    ]
    solved = folder / SOLVED_INSTANCE
    if any(name.startswith(f"{SOLVED_INSTANCE}/") for name in recorded) and solved.is_dir():
        from matcher.io.read import instance_files

        changed += [
            f"{SOLVED_INSTANCE}/{file.name}"
            for file in instance_files(solved)
            if f"{SOLVED_INSTANCE}/{file.name}" not in recorded
        ]
    broken = [name for name in changed if name not in (PROPOSALS, UNMATCHED)]
    if broken:
        raise _refuse(
            folder,
            _(
                "{changes} since the run wrote {summary}: the folder no longer holds what the run solved. "
                "Solve the week again (`matcher solve INSTANCE --out DIR`, with the same --ledger); to "
                "check a hand-edited proposal, edit only {proposals} (or give your CSV file with the "
                "INSTANCE)",
                changes=listed([_("{name} changed", name=name) for name in broken]),
                summary=SUMMARY,
                proposals=PROPOSALS,
            ),
        )
    edited = PROPOSALS in changed
    if edited:
        notes.append(
            _(
                "{proposals} was edited after the run (its sha256 differs from the one summary.json "
                "records): it is read as a hand-edited proposal",
                proposals=PROPOSALS,
            )
        )
    if UNMATCHED in changed:
        notes.append(_("{unmatched} was changed after the run; it is not used here", unmatched=UNMATCHED))
    return RunFolder(folder, summary, edited, tuple(notes))


__all__ = [
    "KEPT",
    "SOLVED_INSTANCE",
    "RecordedSummary",
    "RunBounds",
    "RunFolder",
    "RunFolderRefused",
    "RunInstance",
    "differing_inputs",
    "instance_of_run",
    "is_run_folder",
    "load_summary",
    "read_run_folder",
    "summary_edited",
]
