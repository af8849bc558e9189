"""Explain one client's or one unit's outcome in a proposal, in words a coordinator can act on.

For a client: how many units were eligible and how many each rule excluded; when matched, why
this unit and why not the next-best ones (taken by whom, or which cap, intake or slot limit was
full); when unmatched, the smallest single change that would place them, found by re-solving
the instance with that one rule relaxed.

Candidate changes, smallest first:
1. capacity: one neighbourhood cap, municipal intake or support-slot limit raised by just enough;
2. this client's own eligibility: a higher max rent, one more unit type, one more preferred
   municipality, being ready by the end of the period;
3. one unit's attributes: available in time, step-free, or taking a larger household;
4. supply: one more unit like the best one the client is eligible for.
Safety exclusions and earlier declines are never relaxed. Each change is applied to a copy of
the instance and solved afresh; only changes that really place the client are reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from matcher.rules.arrays import Arrays
from matcher.rules.capacity import LIMIT_BY_NAME, Limit, Remaining, full_limits
from matcher.rules.eligibility import RULE_BOOK, RULE_FUNCTIONS, RULES, ClientSets, Eligibility
from matcher.solver.settings import SolveSettings
from models import Instance, InvalidInstance, Problem, Unit
from models.fields import INTENSITIES

RULE_WORDS = {rule.name: rule.words for rule in RULE_BOOK}
NEVER_RELAXED = tuple(rule.name for rule in RULE_BOOK if not rule.relaxable)
_BLOCK_CELLS = 4_000_000


# --- shared context ----------------------------------------------------------------------------


@dataclass
class Context:
    """The instance as arrays, and who holds what in the proposal being explained."""

    instance: Instance
    arrays: Arrays
    sets: ClientSets
    placed: dict[int, int]  # client index -> unit index
    holder: dict[int, int]  # unit index -> client index
    remaining: Remaining  # what every cap, intake and slot limit still allows

    @classmethod
    def of(cls, instance: Instance, matches: list[tuple[str, str]]) -> Context:
        rules = Eligibility(instance)
        arrays, sets = rules.arrays, rules.sets
        c_index = {c: k for k, c in enumerate(arrays.client_ids)}
        u_index = {u: k for k, u in enumerate(arrays.unit_ids)}
        problems = [
            Problem(
                file="proposals.csv",
                message=f"{kind} {value!r} is not in the instance: "
                "give the instance (and --ledger) the proposal was made from",
            )
            for client, unit in matches
            for kind, value, known in (("client", client, c_index), ("unit", unit, u_index))
            if value not in known
        ]
        if problems:
            raise InvalidInstance(problems)
        placed = {c_index[c]: u_index[u] for c, u in matches}
        remaining = Remaining.after(
            arrays, np.array(list(placed), dtype=np.int64), np.array(list(placed.values()), dtype=np.int64)
        )
        return cls(instance, arrays, sets, placed, {u: c for c, u in placed.items()}, remaining)

    def client_passes(self, client: int) -> dict[str, np.ndarray]:
        """Per rule: which units the rule allows for this client."""
        block = slice(client, client + 1)
        return {
            rule: RULE_FUNCTIONS[rule](self.arrays, self.sets, block, self.instance.policy.origin_rule)[0]
            for rule in RULES
        }

    def unit_passes(self, unit: int) -> dict[str, np.ndarray]:
        """Per rule: which clients the rule allows for this unit."""
        a = self.arrays
        size = max(1, _BLOCK_CELLS // max(1, a.n_units))
        columns: dict[str, list[np.ndarray]] = {rule: [] for rule in RULES}
        origin_rule = self.instance.policy.origin_rule
        for start in range(0, a.n_clients, size):
            block = slice(start, min(a.n_clients, start + size))
            for rule in RULES:
                columns[rule].append(RULE_FUNCTIONS[rule](a, self.sets, block, origin_rule)[:, unit])
        return {
            rule: np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
            for rule, parts in columns.items()
        }

    def full_limits(self, client: int, unit: int, freed: tuple[int, int] | None = None) -> list[dict]:
        """The limits that stop `client` from taking `unit` on top of the proposal.

        `freed` is a (client, unit) pair taken out first, e.g. the client's own current match.
        """
        a = self.arrays
        return [
            {
                "limit": full.limit,
                "id": full.ident(a),
                "key": full.key,
                "need": full.need,
                "text": full.words(a, self.municipality_name),
            }
            for full in full_limits(a, self.remaining, client, unit, freed)
        ]

    def municipality_name(self, municipality: int) -> str:
        return self.instance.municipalities[municipality].name

    def client_label(self, client: int) -> str:
        a = self.arrays
        return (
            f"{a.client_ids[client]} (w {a.client_weight[client]}, {URGENCY_WORD[a.client_urgency[client]]})"
        )

    def score(self, client: int, unit: int) -> tuple[int, str]:
        municipality = self.arrays.unit_municipality[unit]
        return int(self.sets.score[client, municipality]), str(self.sets.score_label[client, municipality])


URGENCY_WORD = ("normal", "high", "acute")


def _index(ids: np.ndarray, value: str, kind: str) -> int:
    where = np.flatnonzero(ids == value)
    if not len(where):
        raise InvalidInstance(
            [
                Problem(
                    file=f"{kind}s.csv", column=f"{kind}_id", message=f"no {kind} {value!r} in this instance"
                )
            ]
        )
    return int(where[0])


# --- one client --------------------------------------------------------------------------------


def explain_client(
    instance: Instance,
    matches: list[tuple[str, str]],
    client_id: str,
    settings: SolveSettings | None = None,
    max_resolves: int = 12,
    counterfactual: bool = True,
) -> dict:
    """Everything a coordinator needs to understand one client's outcome (JSON-able)."""
    ctx = Context.of(instance, matches)
    a = ctx.arrays
    client = _index(a.client_ids, client_id, "client")
    passes = ctx.client_passes(client)
    eligible = np.logical_and.reduce([passes[rule] for rule in RULES]) if a.n_units else np.zeros(0, bool)
    result: dict = {
        "client_id": client_id,
        "urgency": URGENCY_WORD[a.client_urgency[client]],
        "weeks_waited": int(a.client_weeks[client]),
        "priority_weight": int(a.client_weight[client]),
        "support_intensity": INTENSITIES[a.client_intensity[client]],
        "units_total": a.n_units,
        "units_eligible": int(eligible.sum()),
        "excluded_by_rule": {rule: int((~passes[rule]).sum()) for rule in RULES if (~passes[rule]).any()},
        "matched": client in ctx.placed,
    }
    order = sorted(np.flatnonzero(eligible), key=lambda u: (-ctx.score(client, int(u))[0], a.unit_ids[u]))
    if client in ctx.placed:
        unit = ctx.placed[client]
        score, label = ctx.score(client, unit)
        result["unit"] = _unit_facts(ctx, unit) | {"preference_score": score, "why": label}
        result["alternatives"] = [_alternative(ctx, client, int(u), score) for u in order if u != unit][:5]
        return result
    result["eligible_units"] = [_alternative(ctx, client, int(u), None) for u in order][:8]
    result["unmatched_reason"] = _unmatched_reason(ctx, client, passes, eligible, order)
    if counterfactual:
        result["counterfactual"] = smallest_change(
            ctx, client, passes, eligible, order, settings, max_resolves
        )
    return result


def _unit_facts(ctx: Context, unit: int) -> dict:
    u = ctx.instance.units[unit]
    return {
        "unit_id": u.unit_id,
        "type": u.type,
        "landlord": u.landlord,
        "municipality": f"{ctx.municipality_name(int(ctx.arrays.unit_municipality[unit]))} ({u.municipality_id})",
        "neighbourhood_id": u.neighbourhood_id,
        "rent": u.rent,
    }


def _alternative(ctx: Context, client: int, unit: int, own_score: int | None) -> dict:
    """Why `client` does not have `unit` in this proposal."""
    a = ctx.arrays
    score, label = ctx.score(client, unit)
    entry = {"unit_id": str(a.unit_ids[unit]), "preference_score": score, "why_score": label}
    holder = ctx.holder.get(unit)
    if holder is not None:
        entry["status"] = "taken"
        entry["taken_by"] = str(a.client_ids[holder])
        entry["why_not"] = f"taken by {ctx.client_label(holder)}"
        return entry
    own = ctx.placed.get(client)
    freed = (client, own) if own is not None else None
    full = ctx.full_limits(client, unit, freed)
    if full:
        entry["status"] = "limit_full"
        entry["why_not"] = "; ".join(limit["text"] for limit in full)
        return entry
    entry["status"] = "free"
    if own_score is None:
        entry["why_not"] = (
            "free and within every limit: this proposal is not the optimum "
            "(hand-edited, kept or time-limited)"
        )
    elif score < own_score:
        entry["why_not"] = f"fits, but scores lower for this client (p {score} < {own_score}: {label})"
    elif score == own_score:
        entry["why_not"] = (
            f"equally preferred (p {score}); the tie went to the chosen unit by spreading "
            "(lower neighbourhood utilisation), fair share and a fixed order"
        )
    else:
        entry["why_not"] = (
            f"free, fits and scores higher (p {score} > {own_score}): this proposal is not "
            "the optimum here (hand-edited, kept or time-limited)"
        )
    return entry


def _most_excluding(passes: dict) -> tuple[str, int]:
    """The rule that fails most often in `passes`, and how often (first in RULES on a tie)."""
    counts = {rule: int((~passes[rule]).sum()) for rule in RULES}
    top = max(RULES, key=lambda rule: counts[rule])
    return top, counts[top]


def _unmatched_reason(ctx: Context, client: int, passes: dict, eligible: np.ndarray, order: list) -> str:
    a = ctx.arrays
    if not eligible.any():
        top, count = _most_excluding(passes)
        return (
            f"no eligible unit: none of the {a.n_units} units passes every rule; most excluded by "
            f"{top} ({count} units: {RULE_WORDS[top]})"
        )
    takers = [ctx.holder[u] for u in order if u in ctx.holder]
    if len(takers) == len(order):
        higher = all(a.client_weight[t] >= a.client_weight[client] for t in takers)
        names = ", ".join(ctx.client_label(t) for t in takers[:4])
        return (
            f"outranked: all {len(order)} eligible unit(s) went to "
            f"{'higher-priority ' if higher else ''}clients {names}{' and more' if len(takers) > 4 else ''}"
        )
    free = [u for u in order if u not in ctx.holder]
    limits = Counter(limit["text"] for u in free for limit in ctx.full_limits(client, u))
    if limits:
        text = "; ".join(limits)
        return (
            f"capacity full: {len(free)} eligible unit(s) are free but lie where a limit is full: {text}"
            + (f"; the other {len(takers)} went to other clients" if takers else "")
        )
    return "eligible units are free and within limits: this proposal is not the optimum for this client"


# --- the smallest change -----------------------------------------------------------------------


@dataclass
class Change:
    """One single-rule relaxation, with a sort key (smaller is a smaller change)."""

    order: tuple
    kind: str
    rule: str
    message: str
    apply: Callable[[Instance], Instance]


def _edit(table: str, position: int, **update: object) -> Callable[[Instance], Instance]:
    """A change that sets fields of one row of one table (clients, units, …) of an instance."""

    def apply(instance: Instance) -> Instance:
        return instance.with_row(table, position, **update)

    return apply


def capacity_changes(ctx: Context, client: int, order: list) -> list[Change]:
    """Raise one full cap, intake or slot limit behind the client's eligible units just enough
    (each limit's own relaxation in matcher.rules.capacity)."""
    needs: dict[tuple[str, int], int] = {}
    units_behind: Counter = Counter()
    idents: dict[tuple[str, int], str] = {}
    for unit in order:
        for full in ctx.full_limits(client, int(unit)):
            limit_key = (full["limit"], full["key"])
            needs[limit_key] = max(needs.get(limit_key, 0), full["need"])
            units_behind[limit_key] += 1
            idents[limit_key] = full["id"]
    changes = []
    for (name, key), need in needs.items():
        limit = LIMIT_BY_NAME[name]
        message, _ = limit.relax(ctx.instance, ctx.arrays, key, need)
        changes.append(
            Change(
                (0, need, limit.rank, -units_behind[(name, key)], idents[(name, key)]),
                "capacity",
                name,
                message,
                _relaxed(limit, ctx.arrays, key, need),
            )
        )
    return changes


def _relaxed(limit: Limit, arrays: Arrays, key: int, need: int) -> Callable[[Instance], Instance]:
    """A change that raises one limit (`key` of `limit`) by `need`."""

    def apply(instance: Instance) -> Instance:
        return limit.relax(instance, arrays, key, need)[1]

    return apply


def eligibility_changes(ctx: Context, client: int, passes: dict[str, np.ndarray]) -> list[Change]:
    """Relax one rule for this client (or one unit) where only that rule stands in the way."""
    a, instance = ctx.arrays, ctx.instance
    c = instance.clients[client]
    failing = np.sum([~passes[rule] for rule in RULES], axis=0) if a.n_units else np.zeros(0, int)
    only = {rule: [int(u) for u in np.flatnonzero(~passes[rule] & (failing == 1))] for rule in RULES}

    def best_first(units: list[int]) -> list[int]:
        return sorted(units, key=lambda u: (-ctx.score(client, u)[0], a.unit_ids[u]))

    changes: list[Change] = []
    if only["rent"]:
        rent = min(instance.units[u].rent for u in only["rent"])
        opened = ", ".join(a.unit_ids[u] for u in only["rent"] if instance.units[u].rent == rent)
        changes.append(
            Change(
                (1, 0, rent - (c.max_rent or 0)),
                "eligibility",
                "rent",
                f"max rent of {c.client_id} €{rent:g} instead of €{c.max_rent:g} (makes {opened} eligible)",
                _edit("clients", client, max_rent=rent),
            )
        )
    if only["type"]:
        allowed = tuple(
            c.eligible_types
            if c.eligible_types is not None
            else instance.policy.compatibility[c.support_intensity]
        )
        for unit_type, count in Counter(instance.units[u].type for u in only["type"]).most_common():
            changes.append(
                Change(
                    (1, 1, -count, unit_type),
                    "eligibility",
                    "type",
                    f"allow unit type {unit_type} for {c.client_id} "
                    f"(now {', '.join(allowed)}; {count} unit(s))",
                    _edit("clients", client, eligible_types=allowed + (unit_type,)),
                )
            )
    if only["origin_rule"]:
        municipalities = Counter(int(a.unit_municipality[u]) for u in only["origin_rule"])
        for municipality, count in municipalities.most_common(2):
            m = instance.municipalities[municipality]
            changes.append(
                Change(
                    (1, 2, -count, m.municipality_id),
                    "eligibility",
                    "origin_rule",
                    f"add {m.name} ({m.municipality_id}) to the preferred municipalities of {c.client_id}",
                    _edit(
                        "clients",
                        client,
                        preferred_municipalities=(tuple(c.preferred_municipalities) + (m.municipality_id,)),
                    ),
                )
            )
    end = instance.policy.period.end
    if only["timing"] and not a.client_ready[client] and any(a.unit_available[u] for u in only["timing"]):
        changes.append(
            Change(
                (1, 3, 0),
                "eligibility",
                "timing",
                f"{c.client_id} ready to move by {end} (now from {c.ready_from})",
                _edit("clients", client, ready_from=end),
            )
        )
    if only["timing"] and a.client_ready[client]:
        for unit in best_first(only["timing"])[:2]:
            u = instance.units[unit]
            changes.append(
                Change(
                    (2, 0, (u.available_from - end).days, u.unit_id),
                    "eligibility",
                    "timing",
                    f"{u.unit_id} available by {end} (now from {u.available_from})",
                    _edit("units", unit, available_from=end),
                )
            )
    for unit in best_first(only["access"])[:2]:
        changes.append(
            Change(
                (2, 1, str(a.unit_ids[unit])),
                "eligibility",
                "access",
                f"{a.unit_ids[unit]} made step-free (accessible)",
                _edit("units", unit, accessible=True),
            )
        )
    for unit in best_first(only["size"])[:2]:
        u = instance.units[unit]
        changes.append(
            Change(
                (2, 2, c.household_size - u.max_household, u.unit_id),
                "eligibility",
                "size",
                f"{u.unit_id} for a household of {c.household_size} (now at most {u.max_household})",
                _edit("units", unit, max_household=c.household_size),
            )
        )
    return changes


def supply_changes(ctx: Context, client: int, order: list) -> list[Change]:
    """One more unit like the best the client is eligible for (outside a full neighbourhood first)."""
    a, instance = ctx.arrays, ctx.instance
    ids = {u.unit_id for u in instance.units}
    ranked = sorted(
        order, key=lambda u: (bool(ctx.full_limits(client, int(u))), -ctx.score(client, u)[0], a.unit_ids[u])
    )
    changes: list[Change] = []
    for unit in ranked[:2]:
        u = instance.units[int(unit)]
        new_id, number = f"{u.unit_id}-extra", 2
        while new_id in ids:
            new_id, number = f"{u.unit_id}-extra{number}", number + 1
        extra = u.model_copy(update={"unit_id": new_id})
        place = ctx.municipality_name(int(a.unit_municipality[unit]))
        changes.append(
            Change(
                (3, len(changes)),
                "supply",
                "units",
                f"one more unit like {u.unit_id} ({u.type} in {place}, {u.neighbourhood_id}, "
                f"rent €{u.rent:g})",
                _with_unit(extra),
            )
        )
    return changes


def _with_unit(extra: Unit) -> Callable[[Instance], Instance]:
    """A change that adds the unit `extra` to an instance."""

    def apply(instance: Instance) -> Instance:
        return instance.model_copy(update={"units": instance.units + (extra,)})

    return apply


def smallest_change(
    ctx: Context,
    client: int,
    passes: dict,
    eligible: np.ndarray,
    order: list,
    settings: SolveSettings | None,
    max_resolves: int,
) -> dict:
    """Try single changes, smallest first, re-solving each; report those that place the client."""
    from matcher.proposal import solve

    client_id = str(ctx.arrays.client_ids[client])
    baseline = solve(ctx.instance, settings)
    fresh = dict(baseline.pairs_chosen())
    report: dict = {
        "never_relaxed": {rule: int((~passes[rule]).sum()) for rule in NEVER_RELAXED},
        "tried": 0,
        "found": [],
    }
    if client_id in fresh:
        report["fresh_solve_places_client"] = fresh[client_id]
        report["note"] = (
            f"no change needed: solving this instance afresh places {client_id} in "
            f"{fresh[client_id]} (the proposal differs from a fresh solve)"
        )
        return report
    changes = sorted(
        capacity_changes(ctx, client, order)
        + eligibility_changes(ctx, client, passes)
        + supply_changes(ctx, client, order),
        key=lambda change: change.order,
    )
    baseline_placed = set(fresh)
    for change in changes:
        if report["tried"] >= max_resolves or len(report["found"]) >= 3:
            break
        report["tried"] += 1
        changed = change.apply(ctx.instance)
        proposal = solve(changed, settings)
        placed = dict(proposal.pairs_chosen())
        if client_id not in placed:
            continue
        report["found"].append(
            {
                "kind": change.kind,
                "rule": change.rule,
                "change": change.message,
                "unit_id": placed[client_id],
                "displaced": sorted(baseline_placed - set(placed)),
                "W_before": baseline.priority,
                "W_after": proposal.priority,
            }
        )
    report["candidates"] = len(changes)
    if report["found"]:
        report["smallest"] = report["found"][0]
    return report


# --- one unit: the landlord's view -----------------------------------------------------------------

# A landlord sees what the landlord workbook shows (matcher/review/workbook.py COLUMNS): the
# proposed client's pseudonym, household size, support intensity, whether a support provider is
# needed and the moving date — never urgency, priority weight, waiting time, source, preferences,
# origin, exclusions, accessibility needs or earlier declines. Counts per rule are shown only for
# the rules decided by the unit's own facts; the others are one count of "own circumstances".
UNIT_RULES = ("type", "size", "rent", "timing", "open_neighbourhood")
CIRCUMSTANCE_RULES = tuple(rule for rule in RULES if rule not in UNIT_RULES)  # coordinator only
CIRCUMSTANCES = "their own circumstances, which only the coordinator can discuss"


def explain_unit(instance: Instance, matches: list[tuple[str, str]], unit_id: str) -> dict:
    """A landlord's view of one unit: how many clients may have it, who it is proposed for (with
    what the landlord workbook shows of them) and, in general terms, why not the others."""
    from matcher.review.workbook import PROVIDER_NOT_NEEDED, move_in_from

    ctx = Context.of(instance, matches)
    a = ctx.arrays
    unit = _index(a.unit_ids, unit_id, "unit")
    passes = ctx.unit_passes(unit)
    eligible = np.logical_and.reduce([passes[rule] for rule in RULES]) if a.n_clients else np.zeros(0, bool)
    unit_ok = (
        np.logical_and.reduce([passes[rule] for rule in UNIT_RULES]) if a.n_clients else np.zeros(0, bool)
    )
    result: dict = {
        "unit": _unit_facts(ctx, unit)
        | {
            "max_household": instance.units[unit].max_household,
            "accessible": instance.units[unit].accessible,
            "available_from": instance.units[unit].available_from.isoformat(),
        },
        "clients_total": a.n_clients,
        "clients_eligible": int(eligible.sum()),
        "excluded_by_rule": {
            rule: int((~passes[rule]).sum()) for rule in UNIT_RULES if (~passes[rule]).any()
        },
        "excluded_by_circumstances": int((unit_ok & ~eligible).sum()),
        "matched": unit in ctx.holder,
    }
    candidates = sorted(np.flatnonzero(eligible), key=lambda c: a.client_ids[c])
    holder = ctx.holder.get(unit)
    if holder is not None:
        client = instance.clients[holder]
        result["client"] = {
            "client_id": client.client_id,
            "household_size": client.household_size,
            "support_intensity": client.support_intensity,
            "provider_needed": "no" if client.support_intensity in PROVIDER_NOT_NEEDED else "yes",
            "move_in_from": move_in_from(instance, client.client_id, unit_id).isoformat(),
        }
    result["other_candidates"] = [_candidate(ctx, int(c), unit, holder) for c in candidates if c != holder][
        :6
    ]
    if holder is None:
        result["unmatched_reason"] = _unit_unmatched_reason(ctx, unit, passes, unit_ok, eligible, candidates)
    return result


def _landlord_limits(ctx: Context, client: int, unit: int, freed: tuple[int, int] | None = None) -> list[str]:
    """The full limits in a landlord's words: the unit's neighbourhood cap and municipality intake
    as they are; a support-slot limit without the client's support intensity."""
    return [
        limit["text"]
        if limit["limit"] != "support_slots"
        else "a support-slot limit of the municipality is full"
        for limit in ctx.full_limits(client, unit, freed)
    ]


def _candidate(ctx: Context, client: int, unit: int, holder: int | None) -> dict:
    """Why another eligible client does not have the unit, in the landlord's terms."""
    a = ctx.arrays
    entry = {"client_id": str(a.client_ids[client])}
    if client in ctx.placed:
        entry["status"] = "placed_elsewhere"
        entry["why_not"] = "proposed for another unit"
        return entry
    freed = (holder, unit) if holder is not None else None
    full = _landlord_limits(ctx, client, unit, freed)
    if full:
        entry["status"] = "limit_full"
        entry["why_not"] = "; ".join(dict.fromkeys(full))
    elif holder is not None:
        entry["status"] = "not_chosen"
        entry["why_not"] = (
            f"the proposal gives this unit to {a.client_ids[holder]} under the scheme's rules; "
            "the coordinator can explain the choice"
        )
    else:
        entry["status"] = "not_chosen"
        entry["why_not"] = (
            "could take it: this proposal is not the optimum here (hand-edited, kept or time-limited)"
        )
    return entry


def _unit_unmatched_reason(
    ctx: Context, unit: int, passes: dict, unit_ok: np.ndarray, eligible: np.ndarray, candidates: list
) -> str:
    a = ctx.arrays
    if not eligible.any():
        counts = {rule: int((~passes[rule]).sum()) for rule in UNIT_RULES}
        top = max(UNIT_RULES, key=lambda rule: counts[rule])
        if counts[top]:
            rest = int(unit_ok.sum())
            return (
                f"no client passes every rule for this unit; most excluded by {top} "
                f"({counts[top]} of {a.n_clients} clients: {RULE_WORDS[top]})"
                + (f"; {rest} more by {CIRCUMSTANCES}" if rest else "")
            )
        return f"no client passes every rule for this unit: all {a.n_clients} are excluded by {CIRCUMSTANCES}"
    elsewhere = [c for c in candidates if c in ctx.placed]
    if len(elsewhere) == len(candidates):
        return f"all {len(candidates)} eligible client(s) were proposed for other units"
    blocked = Counter(
        text for c in candidates if c not in ctx.placed for text in _landlord_limits(ctx, int(c), unit)
    )
    if blocked:
        return "eligible clients are waiting, but a limit is full: " + "; ".join(blocked)
    return "eligible clients are waiting and the limits allow it: this proposal is not the optimum here"


# --- text --------------------------------------------------------------------------------------


def render_client(result: dict) -> str:
    """The client explanation as plain text."""
    weeks = result["weeks_waited"]
    lines = [
        f"Client {result['client_id']}: {result['urgency']} urgency, waited {weeks} week{'s' * (weeks != 1)}, "
        f"priority w {result['priority_weight']}, {result['support_intensity']} support."
    ]
    lines.append(f"Eligible units: {result['units_eligible']} of {result['units_total']}.")
    for rule, count in result["excluded_by_rule"].items():
        lines.append(f"  - {rule}: excludes {count} unit{'s' * (count != 1)} ({RULE_WORDS[rule]})")
    if result["matched"]:
        unit = result["unit"]
        lines.append(
            f"MATCHED to {unit['unit_id']} ({unit['type']}, {unit['municipality']}, "
            f"{unit['neighbourhood_id']}, rent €{unit['rent']:g}): {unit['why']} "
            f"(preference p {unit['preference_score']})."
        )
        if result["alternatives"]:
            lines.append("Next-best alternatives and why each was not chosen:")
            for alt in result["alternatives"]:
                lines.append(
                    f"  - {alt['unit_id']} (p {alt['preference_score']}, {alt['why_score']}): "
                    f"{alt['why_not']}"
                )
        else:
            lines.append("No other unit was eligible.")
        return "\n".join(lines)
    lines.append(f"NOT MATCHED — {result['unmatched_reason']}.")
    for alt in result.get("eligible_units", []):
        lines.append(f"  - {alt['unit_id']} (p {alt['preference_score']}): {alt['why_not']}")
    cf = result.get("counterfactual")
    if cf:
        if cf.get("note"):
            lines.append(cf["note"].capitalize() + ".")
        elif cf.get("smallest"):
            best = cf["smallest"]
            lines.append(
                f"Smallest change that places {result['client_id']}: {best['change']} "
                f"→ placed in {best['unit_id']} (verified by re-solving"
                + (f"; {', '.join(best['displaced'])} would then be unmatched" if best["displaced"] else "")
                + ")."
            )
            for other in cf["found"][1:]:
                pushed = (
                    f" ({', '.join(other['displaced'])} would then be unmatched)"
                    if other["displaced"]
                    else ""
                )
                lines.append(f"  also works: {other['change']} → {other['unit_id']}{pushed}")
        else:
            lines.append(f"No single change among the {cf['tried']} tried places {result['client_id']}.")
        never = ", ".join(
            f"{rule} ({count} unit{'s' * (count != 1)})"
            for rule, count in cf["never_relaxed"].items()
            if count
        )
        if never:
            lines.append(f"Never relaxed: {never}.")
    return "\n".join(lines)


def render_unit(result: dict) -> str:
    """The unit explanation (landlord's view) as plain text: what the landlord workbook shows."""
    unit = result["unit"]
    lines = [
        f"Unit {unit['unit_id']} ({unit['type']}, {unit['landlord']}, {unit['municipality']}, "
        f"{unit['neighbourhood_id']}, rent €{unit['rent']:g}, household up to {unit['max_household']}, "
        f"{'step-free' if unit['accessible'] else 'not step-free'}, available from {unit['available_from']})."
    ]
    lines.append(f"Eligible clients: {result['clients_eligible']} of {result['clients_total']}.")
    for rule, count in result["excluded_by_rule"].items():
        lines.append(f"  - {rule}: excludes {count} client{'s' * (count != 1)} ({RULE_WORDS[rule]})")
    if result["excluded_by_circumstances"]:
        count = result["excluded_by_circumstances"]
        lines.append(f"  - {count} more client{'s' * (count != 1)} excluded by {CIRCUMSTANCES}")
    if result["matched"]:
        c = result["client"]
        lines.append(
            f"PROPOSED for {c['client_id']}: household of {c['household_size']}, {c['support_intensity']} "
            f"support, support provider needed: {c['provider_needed']}, moving in from {c['move_in_from']}."
        )
    else:
        lines.append(f"NOT PROPOSED — {result['unmatched_reason']}.")
    if result["other_candidates"]:
        lines.append("Other eligible clients:")
        for other in result["other_candidates"]:
            lines.append(f"  - {other['client_id']}: {other['why_not']}")
    return "\n".join(lines)
