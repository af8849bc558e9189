"""Check a (hand-edited) proposal against every rule of an allocation, and price it.

`check_proposal` lists each violation under the rule's name, the same names the test suite's
independent checker uses:
`unknown_id`, `one_unit_per_client`, `one_client_per_unit`, `eligibility:<rule>` (type, size,
rent, access, timing, safety, origin_rule, history), `neighbourhood_cap`, `municipality_intake`
and `support_slots`. It then compares the proposal's priority W and preference P with the optimum
for the same instance: the one a run folder's summary.json proved (`RunBounds`, when the proposal
is checked against the instance that run solved), else the one a fresh solve finds.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matcher.i18n import N_, _, language
from matcher.io.headers import internal_name
from matcher.io.run_folder import RunBounds
from matcher.rules.arrays import Arrays
from matcher.rules.capacity import LIMIT_BOOK, over_limits
from matcher.rules.eligibility import (
    RULE_BOOK,
    RULE_BY_NAME,
    RULE_FUNCTIONS,
    RULES,
    ClientSets,
    Eligibility,
    rule_name,
)
from matcher.solver.settings import SolveSettings
from models import Instance, InvalidInstance, Problem

RULE_TEXT = {
    "unknown_id": "every client and unit must exist in the instance",
    "one_unit_per_client": "each client gets at most one unit",
    "one_client_per_unit": "each unit goes to at most one client",
    **{f"eligibility:{rule.name}": rule.text for rule in RULE_BOOK},
    **{limit.name: limit.text for limit in LIMIT_BOOK},
}


@dataclass(frozen=True)
class Violation:
    """One broken rule: its name, what happened, and where in the proposal file."""

    rule: str
    message: str
    rows: tuple[int, ...] = ()

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}{self.where()}"

    def where(self) -> str:
        """The rows in the proposal file, in the user's language ("" without rows)."""
        if not self.rows:
            return ""
        rows = ", ".join(map(str, self.rows))
        return _(" (rows {rows})", rows=rows) if len(self.rows) > 1 else _(" (row {rows})", rows=rows)


@dataclass
class CheckReport:
    """The verdict on a proposal: violations, and W and P against the optimum."""

    instance: str
    proposal: str
    pairs: int
    violations: list[Violation] = field(default_factory=list)
    priority: int = 0
    preference: int = 0
    optimum_priority: int | None = None
    optimum_preference: int | None = None
    optimum_proven: bool | None = None
    optimum_source: str | None = None  # "run" (the run folder's summary) or "solve" (solved afresh)
    optimum_bounds: tuple[float, float] | None = None  # the run's proven upper bounds on W and P
    optimum_kept: bool = False  # the run kept communicated matches: P is the best while keeping them
    notes: list[str] = field(default_factory=list)  # what the coordinator should know (warnings)

    @property
    def valid(self) -> bool:
        return not self.violations

    def rules_broken(self) -> list[str]:
        """The distinct rule names broken, in the order of RULE_TEXT."""
        names = {v.rule for v in self.violations}
        return [rule for rule in RULE_TEXT if rule in names]

    def to_dict(self) -> dict:
        return {
            "instance": self.instance,
            "proposal": self.proposal,
            "pairs": self.pairs,
            "valid": self.valid,
            "rules_broken": self.rules_broken(),
            "violations": [asdict(v) | {"rows": list(v.rows)} for v in self.violations],
            "W": self.priority,
            "P": self.preference,
            "W_optimum": self.optimum_priority,
            "P_optimum": self.optimum_preference,
            "W_loss": None if self.optimum_priority is None else self.optimum_priority - self.priority,
            "P_loss": None if self.optimum_preference is None else self.optimum_preference - self.preference,
            "optimum_proven": self.optimum_proven,
            "optimum_source": self.optimum_source,
            "W_bound": None if self.optimum_bounds is None else _whole(self.optimum_bounds[0]),
            "P_bound": None if self.optimum_bounds is None else _whole(self.optimum_bounds[1]),
            "notes": list(self.notes),
        }


def _whole(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


@dataclass(frozen=True)
class ProposedRow:
    """One (client, unit) line of a proposal file, with its spreadsheet row number."""

    client_id: str
    unit_id: str
    row: int


def read_pairs(path: str | Path) -> list[ProposedRow]:
    """The client_id/unit_id pairs of a proposals CSV (or of DIR/proposals.csv)."""
    path = Path(path)
    if path.is_dir():
        path = path / "proposals.csv"
    name = path.name
    if not path.is_file():
        raise InvalidInstance(
            [Problem(file=str(path), message=_("not found: give proposals.csv or its folder"))]
        )
    try:  # the csv module, not pandas: `check` starts faster (issue 17)
        text = path.read_bytes().decode("utf-8-sig")
        try:
            dialect: Any = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        table = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except (UnicodeDecodeError, csv.Error) as error:
        message = _("not a readable CSV file ({error}); save it as CSV UTF-8", error=error.__class__.__name__)
        raise InvalidInstance([Problem(file=name, message=message)]) from None
    if not table:
        message = _("not a readable CSV file ({error}); save it as CSV UTF-8", error="EmptyDataError")
        raise InvalidInstance([Problem(file=name, message=message)])
    header = [internal_name(cell.strip()) for cell in table[0]]  # either language's headers
    missing = [c for c in ("client_id", "unit_id") if c not in header]
    if missing:
        raise InvalidInstance(
            [
                Problem(
                    file=name, row=1, column=c, message=_("missing required column: add it to the header row")
                )
                for c in missing
            ]
        )
    at_client, at_unit = header.index("client_id"), header.index("unit_id")
    cells = [
        (row[at_client] if at_client < len(row) else "", row[at_unit] if at_unit < len(row) else "")
        for row in table[1:]
    ]
    rows, problems = [], []
    for number, (client, unit) in enumerate(cells, start=2):
        client, unit = client.strip(), unit.strip()
        if not client and not unit:
            continue
        for column, value in (("client_id", client), ("unit_id", unit)):
            if not value:
                problems.append(
                    Problem(file=name, row=number, column=column, message=_("required: fill in this cell"))
                )
        if client and unit:
            rows.append(ProposedRow(client, unit, number))
    if problems:
        raise InvalidInstance(problems)
    return rows


def _rows_of(rows: Iterable[ProposedRow]) -> tuple[int, ...]:
    return tuple(sorted(r.row for r in rows))


def _broken_eligibility(
    instance: Instance, arrays: Arrays, sets: ClientSets, pairs: list[tuple[int, int]]
) -> dict[tuple[int, int], list[str]]:
    """Per (client index, unit index): the eligibility rules the pair breaks."""
    origin_rule = instance.policy.origin_rule
    units_of: dict[int, list[int]] = defaultdict(list)
    for client, unit in pairs:
        units_of[client].append(unit)
    broken: dict[tuple[int, int], list[str]] = {}
    for client, units in units_of.items():
        block = slice(client, client + 1)
        passes = {rule: RULE_FUNCTIONS[rule](arrays, sets, block, origin_rule)[0] for rule in RULES}
        for unit in units:
            broken[(client, unit)] = [rule for rule in RULES if not passes[rule][unit]]
    return broken


def rule_violations(
    instance: Instance, rows: list[ProposedRow], rules: Eligibility | None = None
) -> list[Violation]:
    """Every rule the listed pairs break, each named by its rule."""
    rules = rules or Eligibility(instance)
    arrays, sets = rules.arrays, rules.sets
    c_index = {c: k for k, c in enumerate(arrays.client_ids)}
    u_index = {u: k for k, u in enumerate(arrays.unit_ids)}
    found: list[Violation] = []

    for row in rows:
        if row.client_id not in c_index:
            found.append(
                Violation(
                    "unknown_id",
                    _("client {client} is not in clients.csv", client=repr(row.client_id)),
                    (row.row,),
                )
            )
        if row.unit_id not in u_index:
            found.append(
                Violation(
                    "unknown_id", _("unit {unit} is not in units.csv", unit=repr(row.unit_id)), (row.row,)
                )
            )
    for client, count in sorted(Counter(r.client_id for r in rows).items()):
        if count > 1:
            found.append(
                Violation(
                    "one_unit_per_client",
                    _("client {client} appears in {count} pairs", client=client, count=count),
                    _rows_of(r for r in rows if r.client_id == client),
                )
            )
    for unit, count in sorted(Counter(r.unit_id for r in rows).items()):
        if count > 1:
            found.append(
                Violation(
                    "one_client_per_unit",
                    _("unit {unit} appears in {count} pairs", unit=unit, count=count),
                    _rows_of(r for r in rows if r.unit_id == unit),
                )
            )

    known = [r for r in rows if r.client_id in c_index and r.unit_id in u_index]
    index_pairs = [(c_index[r.client_id], u_index[r.unit_id]) for r in known]
    broken = _broken_eligibility(instance, arrays, sets, index_pairs)
    for row, pair in zip(known, index_pairs):
        for rule in broken[pair]:
            message = _eligibility_message(instance, arrays, rule, *pair)
            found.append(Violation(f"eligibility:{rule}", message, (row.row,)))

    found += _capacity_violations(arrays, known, index_pairs)
    return found


def _eligibility_message(instance: Instance, arrays: Arrays, rule: str, client: int, unit: int) -> str:
    c, u = instance.clients[client], instance.units[unit]
    detail = RULE_BY_NAME[rule].violation(instance, client, unit)
    return _(
        "client {client} may not get unit {unit}: {detail}", client=c.client_id, unit=u.unit_id, detail=detail
    )


def _capacity_violations(
    arrays: Arrays, known: list[ProposedRow], pairs: list[tuple[int, int]]
) -> list[Violation]:
    """Every cap, intake and slot limit the pairs break together (matcher.rules.capacity)."""
    clients = np.array([client for client, _ in pairs], dtype=np.int64)
    units = np.array([unit for _, unit in pairs], dtype=np.int64)
    return [
        Violation(over.limit, over.message(arrays), tuple(sorted(known[k].row for k in over.positions)))
        for over in over_limits(arrays, clients, units)
    ]


def objective(rules: Eligibility, rows: list[ProposedRow]) -> tuple[int, int]:
    """(W, P) over the known pairs: W over distinct clients, P over distinct pairs, each pair's
    p as the solve scores it (`Eligibility.preference`: municipality, permanent home, staying)."""
    arrays = rules.arrays
    c_index = {c: k for k, c in enumerate(arrays.client_ids)}
    u_index = {u: k for k, u in enumerate(arrays.unit_ids)}
    pairs = {
        (c_index[r.client_id], u_index[r.unit_id])
        for r in rows
        if r.client_id in c_index and r.unit_id in u_index
    }
    weight = sum(int(arrays.client_weight[c]) for c in {c for c, _ in pairs})
    score = sum(rules.preference(c, u) for c, u in pairs)
    return weight, score


def check_proposal(
    instance: Instance,
    rows: list[ProposedRow],
    settings: SolveSettings | None = None,
    instance_name: str = "",
    proposal_name: str = "",
    optimum: bool = True,
    bounds: RunBounds | None = None,
) -> CheckReport:
    """Every violation of `rows`, and its W and P against the optimum.

    `bounds`: what the run that solved this very instance proved (its summary.json, see
    `matcher.io.run_folder`); then nothing is solved again. Without them the optimum is solved
    afresh (with `settings`)."""
    rules = Eligibility(instance)
    report = CheckReport(instance=instance_name, proposal=proposal_name, pairs=len(rows))
    report.violations = rule_violations(instance, rows, rules)
    report.priority, report.preference = objective(rules, rows)
    if optimum and bounds is not None:
        report.optimum_priority, report.optimum_preference = bounds.priority, bounds.preference
        report.optimum_proven = bounds.proven
        report.optimum_source = "run"
        report.optimum_bounds = (bounds.priority_bound, bounds.preference_bound)
        report.optimum_kept = bounds.kept
    elif optimum:
        from matcher.proposal import solve

        best = solve(instance, settings)
        report.optimum_priority, report.optimum_preference = best.priority, best.preference
        report.optimum_proven = best.proven_optimal
        report.optimum_source = "solve"
    return report


def render(report: CheckReport) -> str:
    """The report as a coordinator reads it, in the user's language."""
    lines = [_("Note: {note}", note=note) for note in report.notes]
    lines.append(
        _(
            "Checked {count} matches in {proposal} against {instance}.",
            count=report.pairs,
            proposal=report.proposal,
            instance=report.instance,
        )
        if report.pairs != 1
        else _(
            "Checked {count} match in {proposal} against {instance}.",
            count=report.pairs,
            proposal=report.proposal,
            instance=report.instance,
        )
    )
    if report.valid:
        lines.append(_("VALID: the proposal breaks no rule."))
    else:
        lines.append(
            _(
                "NOT VALID: {violations} violation(s) of {rules} rule(s).",
                violations=len(report.violations),
                rules=len(report.rules_broken()),
            )
        )
        for rule in report.rules_broken():
            lines.append(f"  {shown_rule(rule)} — {_(RULE_TEXT[rule])}")
            for violation in report.violations:
                if violation.rule == rule:
                    lines.append(f"    - {violation.message}{violation.where()}")
    lines.append(
        _(
            "Priority W {priority}, preference P {preference}.",
            priority=report.priority,
            preference=report.preference,
        )
    )
    if report.optimum_priority is not None and report.optimum_preference is not None:  # set together
        w_loss = report.optimum_priority - report.priority
        p_loss = report.optimum_preference - report.preference
        against = _AGAINST[(report.optimum_source == "run", bool(report.optimum_proven))]
        lines.append(
            _(
                against,
                W=report.optimum_priority,
                P=report.optimum_preference,
                w_loss=_loss(w_loss, "W"),
                p_loss=_loss(p_loss, "P"),
            )
        )
        if report.optimum_source == "run":
            lines.append(_from_run(report))
        if w_loss < 0:
            lines.append(_("A W above the optimum is only possible by breaking rules."))
    return "\n".join(lines)


_AGAINST = {  # (taken from the run, proven optimal): the verdict line
    (False, True): N_("Against the proven optimum (W {W}, P {P}): {w_loss}, {p_loss}."),
    (False, False): N_("Against the best found (not proven optimal) (W {W}, P {P}): {w_loss}, {p_loss}."),
    (True, True): N_("Against the run's proven optimum (W {W}, P {P}): {w_loss}, {p_loss}."),
    (True, False): N_(
        "Against the run's best found (not proven optimal) (W {W}, P {P}): {w_loss}, {p_loss}."
    ),
}


_LABEL = {  # the names of the rules that are not eligibility rules, as a coordinator reads them
    "unknown_id": N_("unknown id"),
    "one_unit_per_client": N_("one unit per client"),
    "one_client_per_unit": N_("one client per unit"),
    "neighbourhood_cap": N_("neighbourhood cap"),
    "municipality_intake": N_("municipality intake"),
    "support_slots": N_("support slots"),
    "municipality_agreement": N_("municipality agreement"),
    "landlord_agreement": N_("corporation agreement"),
    "provider_slots": N_("care provider slots"),
}


def shown_rule(rule: str) -> str:
    """A broken rule's name: the code in English (as the JSON and the English output always had
    it); in Dutch an eligibility rule's `label` (`rule_name`) and the others' `_LABEL`."""
    if language() == "en":
        return rule
    if rule.startswith("eligibility:"):
        return rule_name(rule.removeprefix("eligibility:"))
    return _(_LABEL[rule]) if rule in _LABEL else rule


def _from_run(report: CheckReport) -> str:
    """Where the optimum came from when it was not solved again."""
    text = _("Taken from the run's summary.json (the same instance, not solved again)")
    if report.optimum_bounds is not None and not report.optimum_proven:
        w_bound, p_bound = (_whole(bound) for bound in report.optimum_bounds)
        text += _(
            "; the run proved no allocation exceeds W {w_bound}, and at that W P {p_bound}",
            w_bound=w_bound,
            p_bound=p_bound,
        )
    if report.optimum_kept:
        text += _(
            "; the run kept matches already communicated, so its P is the best while keeping "
            "them (its W is the optimum all the same)"
        )
    return text + "."


def _loss(loss: int, name: str) -> str:
    if loss > 0:
        return _("loses {loss} {name}", loss=loss, name=name)
    if loss < 0:
        return _("{loss} {name} above the optimum", loss=-loss, name=name)
    return _("no {name} lost", name=name)


def to_json(report: CheckReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)


__all__ = [
    "RULE_TEXT",
    "CheckReport",
    "ProposedRow",
    "Violation",
    "check_proposal",
    "read_pairs",
    "render",
    "rule_violations",
    "to_json",
]
