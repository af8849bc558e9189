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
Safety exclusions and earlier declines are never relaxed, and no change is suggested that another
rule or the policy forbids: a unit type only when the policy's compatibility allows it for the
client's support intensity (so never a Skaeve Huis, which needs an individual indication in
eligible_types), a higher max rent only up to the rent limit of appropriate allocation for the
household size (`policy.affordability`). What was left out for that reason is listed.

Every sentence is in the user's language (`matcher.i18n`: Dutch by default, matcher/locale/nl/
review.po; English with `--lang en`, exactly as before). The JSON keeps its keys and codes (rule
names, statuses, urgency, unit types, support intensities, the preference labels `why` and
`why_score`, `provider_needed`) in every language; its sentences (`why_not`, `unmatched_reason`,
`change`, `withheld`, `note`, `verified_by`) are in the user's language, as the text is.

Each change is applied to a copy of the instance and only its priority and preference levels are
solved again (`place_client`), on the independent part of the instance that holds the client:
whether a client is placed is decided by W (and, between allocations of equal W, by P);
spreading and fair shares only choose between allocations of the same W and P. A change is
reported only when every allocation with the highest W, and at that W the highest P, places the
client (two exact re-solves, the client last and first in ties); in a tie the engine's full solve
decides. When the proposal is a run's own proven optimum (a run folder), that run is the baseline
and nothing is solved before the first change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from matcher.i18n import N_, _, language
from matcher.io.headers import match_label, support_word
from matcher.io.headers import unit_type_word as type_word
from matcher.rules.arrays import Arrays
from matcher.rules.capacity import LIMIT_BY_NAME, Limit, PairLimits, Remaining, full_limits
from matcher.rules.eligibility import RULE_BOOK, RULE_FUNCTIONS, RULES, ClientSets, Eligibility, rule_name
from matcher.solver.settings import SolveSettings
from models import Instance, InvalidInstance, Problem, Unit
from models.fields import INTENSITIES

if TYPE_CHECKING:  # the solver (and OR-Tools) is loaded only when a change is tried
    from matcher.proposal import Proposal
    from matcher.solver.formulation import Candidates

Match = tuple[str, str]

RULE_WORDS = {rule.name: rule.words for rule in RULE_BOOK}
NEVER_RELAXED = tuple(rule.name for rule in RULE_BOOK if not rule.relaxable)
_BLOCK_CELLS = 4_000_000
# above this many candidate pairs a change is re-solved on the client's independent part only
PART_PAIRS = 20_000
# from this many candidate pairs on, a change is first re-solved for W alone (`smallest_change`):
# about a fifth less work per change at 2,000 × 1,200; below, every level solves as fast, and W
# alone (many ties) can need a MIP that loads scipy.optimize (0.7 s of a 300 × 200 command)
PRIORITY_FIRST_PAIRS = 100_000


# --- words -------------------------------------------------------------------------------------

# English shows the codes as it always did (rule names, unit types, support intensities, urgency);
# Dutch shows words (matcher/locale/nl/review.po). Rule names (`rule_name`, matcher.rules.eligibility),
# unit types and intensities (`type_word`, `support_word`, matcher.io.headers) and the limits
# (matcher.rules.capacity) have one home each, shared with the weekly files. The JSON keeps the codes
# in every language.
URGENCY_LABELS = {"normal": N_("normal"), "high": N_("high"), "acute": N_("acute")}
SCORE_LABELS = {"elsewhere": N_("elsewhere")}  # the others: matcher.io.headers.match_label
ANSWERS = {"yes": N_("yes"), "no": N_("no")}  # provider_needed
NOT_IN_INSTANCE = {
    "client": N_(
        "client {value!r} is not in the instance: give the instance (and --ledger) the proposal was made from"
    ),
    "unit": N_(
        "unit {value!r} is not in the instance: give the instance (and --ledger) the proposal was made from"
    ),
}
NO_SUCH = {
    "client": N_("no client {value!r} in this instance"),
    "unit": N_("no unit {value!r} in this instance"),
}


def rule_words(rule: str) -> str:
    """Why a rule excludes (`Rule.words`), in the user's language."""
    return _(RULE_WORDS[rule])


def urgency_word(code: str) -> str:
    return _(URGENCY_LABELS[code]) if code in URGENCY_LABELS else code


def score_words(label: str) -> str:
    """Why a pair scores its preference (`ClientSets.score_label`), in the user's language."""
    return _(SCORE_LABELS[label]) if label in SCORE_LABELS else match_label(label)


def answer_word(code: str) -> str:
    return _(ANSWERS[code]) if code in ANSWERS else code


def euro(amount: float) -> str:
    """`€700` in English (as always), `€ 713,02` in Dutch."""
    return f"€{amount:g}" if language() == "en" else "€ " + f"{amount:g}".replace(".", ",")


def counted(count: int, one: str, many: str, **fields: object) -> str:
    """`one` or `many` (messages marked N_) in the user's language, with {count} and `fields`."""
    return _(one if count == 1 else many, count=count, **fields)


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
    rules: Eligibility | None = None  # the rules read once, reused by the search (`Changed.of`)

    @classmethod
    def of(cls, instance: Instance, matches: list[tuple[str, str]]) -> Context:
        rules = Eligibility(instance)
        arrays, sets = rules.arrays, rules.sets
        c_index = {c: k for k, c in enumerate(arrays.client_ids)}
        u_index = {u: k for k, u in enumerate(arrays.unit_ids)}
        problems = [
            Problem(file="proposals.csv", message=_(NOT_IN_INSTANCE[kind], value=value))
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
        return cls(instance, arrays, sets, placed, {u: c for c, u in placed.items()}, remaining, rules)

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
        return f"{a.client_ids[client]} (w {a.client_weight[client]}, {urgency_word(URGENCY_WORD[a.client_urgency[client]])})"

    def score(self, client: int, unit: int) -> tuple[int, str]:
        """p(c, u) as the solve scores it (municipality, permanent home, staying) and why."""
        from matcher.rules.objectives import pair_preference

        municipality = self.arrays.unit_municipality[unit]
        p = pair_preference(
            self.arrays, self.instance.policy, self.sets.score, np.array([client]), np.array([unit])
        )
        return int(p[0]), str(self.sets.score_label[client, municipality])


URGENCY_WORD = ("normal", "high", "acute")


def _index(ids: np.ndarray, value: str, kind: str) -> int:
    where = np.flatnonzero(ids == value)
    if not len(where):
        raise InvalidInstance(
            [Problem(file=f"{kind}s.csv", column=f"{kind}_id", message=_(NO_SUCH[kind], value=value))]
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
    *,
    baseline_priority: int | None = None,
    keep: list[Match] | None = None,
    ledger: dict | None = None,
    screen: bool = True,
) -> dict:
    """Everything a coordinator needs to understand one client's outcome (JSON-able).

    `baseline_priority`: `matches` are a run's own proposal, proven optimal with this W, so the
    search for the smallest change starts from it instead of solving the instance first. `keep`:
    the matches that run kept (`--keep-proposal`). `ledger`: the run's summary section `ledger`
    (what the decisions changed: refusals, lapsed urgency). `screen`: rule changes out by dual
    prices before solving them (the same answer, faster; see `smallest_change`)."""
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
    result |= _refusals(ledger, client_id, instance.policy.refusals.max_refusals)
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
            ctx, client, passes, eligible, order, settings, max_resolves, baseline_priority, keep, screen
        )
    return result


def _refusals(ledger: dict | None, client_id: str, max_refusals: int) -> dict:
    """What the decisions ledger did to this client's urgency (from the run's summary)."""
    if not isinstance(ledger, dict):
        return {}
    details = ledger.get("urgency_lapsed_detail")
    for entry in details if isinstance(details, list) else []:
        if isinstance(entry, dict) and entry.get("client_id") == client_id:
            return {
                "urgency_lapsed": {
                    "from": str(entry.get("from")),
                    "to": str(entry.get("to")),
                    "refusals": entry.get("refusals"),
                }
            }
    counts = ledger.get("refusals")
    count = counts.get(client_id) if isinstance(counts, dict) else None
    if isinstance(count, int) and not isinstance(count, bool) and count > 0:
        return {"refusals": {"count": count, "max_refusals": max_refusals}}
    return {}


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
        entry["why_not"] = _("taken by {client}", client=ctx.client_label(holder))
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
        entry["why_not"] = _(
            "free and within every limit: this proposal is not the optimum "
            "(hand-edited, kept or time-limited)"
        )
    elif score < own_score:
        entry["why_not"] = _(
            "fits, but scores lower for this client (p {score} < {own}: {label})",
            score=score,
            own=own_score,
            label=score_words(label),
        )
    elif score == own_score:
        entry["why_not"] = _(
            "equally preferred (p {score}); the tie went to the chosen unit by spreading "
            "(lower neighbourhood utilisation), fair share and a fixed order",
            score=score,
        )
    else:
        entry["why_not"] = _(
            "free, fits and scores higher (p {score} > {own}): this proposal is not "
            "the optimum here (hand-edited, kept or time-limited)",
            score=score,
            own=own_score,
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
        return _(
            "no eligible unit: none of the {total} units passes every rule; most excluded by "
            "{rule} ({count} units: {words})",
            total=a.n_units,
            rule=rule_name(top),
            count=count,
            words=rule_words(top),
        )
    takers = [ctx.holder[u] for u in order if u in ctx.holder]
    if len(takers) == len(order):
        higher = all(a.client_weight[t] >= a.client_weight[client] for t in takers)
        names = ", ".join(ctx.client_label(t) for t in takers[:4])
        more = _(" and more") if len(takers) > 4 else ""
        if higher:
            return _(
                "outranked: all {count} eligible unit(s) went to higher-priority clients {clients}{more}",
                count=len(order),
                clients=names,
                more=more,
            )
        return _(
            "outranked: all {count} eligible unit(s) went to clients {clients}{more}",
            count=len(order),
            clients=names,
            more=more,
        )
    free = [u for u in order if u not in ctx.holder]
    limits = Counter(limit["text"] for u in free for limit in ctx.full_limits(client, u))
    if limits:
        text = "; ".join(limits)
        return _(
            "capacity full: {count} eligible unit(s) are free but lie where a limit is full: {limits}",
            count=len(free),
            limits=text,
        ) + (_("; the other {count} went to other clients", count=len(takers)) if takers else "")
    return _("eligible units are free and within limits: this proposal is not the optimum for this client")


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
        message = limit.relax(ctx.instance, ctx.arrays, key, need)[0]
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


def eligibility_changes(
    ctx: Context, client: int, passes: dict[str, np.ndarray], withheld: list[str] | None = None
) -> list[Change]:
    """Relax one rule for this client (or one unit) where only that rule stands in the way.

    Never what another rule or the policy forbids (each such change is described in `withheld`):
    a unit type the policy's compatibility does not allow for the client's support intensity, or
    a max rent above the rent limit for the household size (`policy.affordability`)."""
    a, instance = ctx.arrays, ctx.instance
    c = instance.clients[client]
    withheld = [] if withheld is None else withheld
    failing = np.sum([~passes[rule] for rule in RULES], axis=0) if a.n_units else np.zeros(0, int)
    only = {rule: [int(u) for u in np.flatnonzero(~passes[rule] & (failing == 1))] for rule in RULES}

    def best_first(units: list[int]) -> list[int]:
        return sorted(units, key=lambda u: (-ctx.score(client, u)[0], a.unit_ids[u]))

    changes: list[Change] = []
    if only["rent"]:
        limit = instance.policy.affordability.limit_for(c.household_size)
        affordable = [u for u in only["rent"] if instance.units[u].rent <= limit]
        household = _("a household of {size}", size=c.household_size)
        if affordable:
            rent = min(instance.units[u].rent for u in affordable)
            opened = ", ".join(a.unit_ids[u] for u in affordable if instance.units[u].rent == rent)
            changes.append(
                Change(
                    (1, 0, rent - (c.max_rent or 0)),
                    "eligibility",
                    "rent",
                    _(
                        "max rent of {client} {rent} instead of {old} (makes {units} eligible; within "
                        "the rent limit {limit} for {household})",
                        client=c.client_id,
                        rent=euro(rent),
                        old=euro(c.max_rent or 0),
                        units=opened,
                        limit=euro(limit),
                        household=household,
                    ),
                    _edit("clients", client, max_rent=rent),
                )
            )
        if len(affordable) < len(only["rent"]):
            cheapest = min(instance.units[u].rent for u in only["rent"] if u not in affordable)
            withheld.append(
                _(
                    "a max rent of {rent} or more for {client}: above the rent limit {limit} for "
                    "{household} (passend toewijzen, policy.yaml `affordability`)",
                    rent=euro(cheapest),
                    client=c.client_id,
                    limit=euro(limit),
                    household=household,
                )
            )
    if only["type"]:
        allowed = tuple(
            c.eligible_types
            if c.eligible_types is not None
            else instance.policy.compatibility[c.support_intensity]
        )
        compatible = instance.policy.compatibility[c.support_intensity]
        for unit_type, count in Counter(instance.units[u].type for u in only["type"]).most_common():
            if unit_type not in compatible:
                withheld.append(
                    _(
                        "unit type {type} for {client} ({count} unit(s)): the policy does not allow it "
                        "for {support} support",
                        type=type_word(unit_type),
                        client=c.client_id,
                        count=count,
                        support=support_word(c.support_intensity),
                    )
                    + (
                        _(" (a Skaeve Huis needs an individual indication in eligible_types)")
                        if unit_type == "skaeve_huis"
                        else ""
                    )
                )
                continue
            changes.append(
                Change(
                    (1, 1, -count, unit_type),
                    "eligibility",
                    "type",
                    _(
                        "allow unit type {type} for {client} (now {allowed}; {count} unit(s))",
                        type=type_word(unit_type),
                        client=c.client_id,
                        allowed=", ".join(type_word(t) for t in allowed) or _("none"),
                        count=count,
                    ),
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
                    _(
                        "add {name} ({municipality}) to the preferred municipalities of {client}",
                        name=m.name,
                        municipality=m.municipality_id,
                        client=c.client_id,
                    ),
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
                _(
                    "{client} ready to move by {end} (now from {ready})",
                    client=c.client_id,
                    end=end,
                    ready=c.ready_from,
                ),
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
                    _(
                        "{unit} available by {end} (now from {available})",
                        unit=u.unit_id,
                        end=end,
                        available=u.available_from,
                    ),
                    _edit("units", unit, available_from=end),
                )
            )
    for unit in best_first(only["access"])[:2]:
        changes.append(
            Change(
                (2, 1, str(a.unit_ids[unit])),
                "eligibility",
                "access",
                _("{unit} made step-free (accessible)", unit=a.unit_ids[unit]),
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
                _(
                    "{unit} for a household of {size} (now at most {most})",
                    unit=u.unit_id,
                    size=c.household_size,
                    most=u.max_household,
                ),
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
                _(
                    "one more unit like {unit} ({type} in {place}, {neighbourhood}, rent {rent})",
                    unit=u.unit_id,
                    type=type_word(u.type),
                    place=place,
                    neighbourhood=u.neighbourhood_id,
                    rent=euro(u.rent),
                ),
                _with_unit(extra),
            )
        )
    return changes


def _with_unit(extra: Unit) -> Callable[[Instance], Instance]:
    """A change that adds the unit `extra` to an instance."""

    def apply(instance: Instance) -> Instance:
        return instance.model_copy(update={"units": instance.units + (extra,)})

    return apply


@dataclass(frozen=True)
class Changed:
    """An instance after one change, as the search reads it once for the screen and the re-solves:
    in id order, with its arrays and candidate pairs, and the client's index."""

    instance: Instance
    arrays: Arrays
    candidates: Candidates
    client: int

    @classmethod
    def of(cls, instance: Instance, client_id: str, rules: Eligibility | None = None) -> Changed:
        """`rules`: the rules of `instance` already read (`Context.rules`), used when the
        instance is in id order already (a run's solved instance is), else read again."""
        from matcher.proposal import in_id_order
        from matcher.solver.formulation import candidate_pairs

        ordered = in_id_order(instance)
        if rules is None or rules.instance is not instance or not _same_rows(ordered, instance):
            rules = Eligibility(ordered)
        client = int(np.flatnonzero(rules.arrays.client_ids == client_id)[0])
        return cls(ordered, rules.arrays, candidate_pairs(rules.arrays, rules.pairs), client)


def _same_rows(ordered: Instance, instance: Instance) -> bool:
    """Whether `ordered` (`in_id_order(instance)`) holds every table's rows in `instance`'s order."""
    return all(
        len(getattr(ordered, table)) == len(getattr(instance, table))
        and all(a is b for a, b in zip(getattr(ordered, table), getattr(instance, table)))
        for table in ("municipalities", "neighbourhoods", "units", "clients", "support_capacity", "declined")
    )


@dataclass(frozen=True)
class Placement:
    """The answer of `place_client`: is the client placed, in which unit, who would then be left
    out (against the start), and the allocation's W."""

    placed: bool
    unit_id: str | None
    displaced: list[str]
    priority: int


def place_client(
    instance: Instance,
    client_id: str,
    start: list[Match],
    start_priority: int,
    settings: SolveSettings | None = None,
    keep: list[Match] | None = None,
    favour: bool = True,
    *,
    changed: Changed | None = None,
    only: np.ndarray | None = None,
    levels: bool = True,
) -> Placement:
    """Is `client_id` placed by an optimal allocation of `instance` (the engine's priority and
    preference levels, and with `keep` continuity between them, as one exact lexicographic integer
    objective, solved by the engine's level steps)?

    The client is the last tie-break: with `favour` an allocation that places them wins a tie, so
    "not placed" means no optimal allocation places them; without, one that leaves them out wins,
    so "placed" means every optimal allocation does (whatever the later tie-breaks choose).

    `start` is an optimal allocation of the instance before the change (the run's proposal, or a
    fresh solve) with W `start_priority`. Every change explain tries only relaxes a rule, so it
    stays feasible and is where the solver starts. Above PART_PAIRS candidate pairs only the
    independent part of the instance that holds the client is solved again (no row links it to
    the rest, and every change lies in it); elsewhere `start` stays as it is. Spreading and fair
    shares are not solved: they only choose between allocations of the same W and P.

    `changed`: the instance already read (`Changed.of`); `only`: a mask of its candidate pairs
    outside which no allocation with the highest W can lie (`_screen`), the others left out.
    Without `levels` only W is solved (2·W ± [the client]): with `favour`, "not placed" then means
    no allocation with the highest W places the client, so no optimal one does either."""
    from matcher.solver.backend import Clock
    from matcher.solver.formulation import build_formulation
    from matcher.solver.greedy import greedy_allocation, priority_order
    from matcher.solver.level_steps import Level, optimise
    from matcher.solver.unit_classes import class_pairs, interchangeable_units, spread_over_units, to_classes

    settings = settings or SolveSettings()
    changed = changed or Changed.of(instance, client_id)
    arrays, candidates, client = changed.arrays, changed.candidates, changed.client
    if only is not None:
        candidates = candidates.take(only)
    if not (candidates.client == client).any():
        return Placement(False, None, [], start_priority)
    begin = _positions_of(arrays, candidates, start)
    if not _feasible(arrays, candidates, begin):  # never for a relaxed optimum; a guard all the same
        begin = greedy_allocation(arrays, candidates, priority_order(arrays))
    kept = _positions_of(arrays, candidates, keep) if keep else None
    classes = interchangeable_units(arrays, candidates, alone=() if kept is None else candidates.unit[kept])
    per_class = class_pairs(candidates, classes)
    formulation = build_formulation(arrays, per_class, classes.capacity)
    begin_classes = to_classes(begin, candidates, per_class, classes)
    kept_classes = None if kept is None else to_classes(kept, candidates, per_class, classes)
    objective = _objective(per_class, kept_classes, client, favour, levels)
    if len(per_class) > PART_PAIRS:
        part = next(p for p in formulation.components(1) if (per_class.client[p] == client).any())
        sub, _ = formulation.subset(part)
    else:  # small: the whole instance is solved faster than its parts are found
        part, sub = np.arange(len(per_class)), formulation
    in_part = np.zeros(len(per_class), dtype=bool)
    in_part[part] = True
    local = objective[part]
    level = Level(local, True, True, lambda chosen: int(local[chosen].sum()))
    outcome = optimise(
        sub, level, np.flatnonzero(np.isin(part, begin_classes)), settings, Clock(settings.time_limit)
    )
    chosen = np.sort(np.r_[begin_classes[~in_part[begin_classes]], part[outcome.chosen]])
    units = spread_over_units(chosen, per_class, candidates, classes)
    placed = {
        str(arrays.client_ids[c]): str(arrays.unit_ids[u])
        for c, u in zip(candidates.client[units], candidates.unit[units])
    }
    weight = dict(zip(arrays.client_ids.tolist(), arrays.client_weight.tolist()))
    before = {c for c, _ in start if c in weight}
    return Placement(
        client_id in placed,
        placed.get(client_id),
        sorted(before - set(placed)),
        start_priority
        + sum(weight[c] for c in set(placed) - before)
        - sum(weight[c] for c in before - set(placed)),
    )


def _objective(
    per_class: Candidates, kept: np.ndarray | None, client: int, favour: bool, levels: bool = True
) -> np.ndarray:
    """((W·R_K + K)·R_P + P)·2 ± [the client]: lexicographic in W, continuity, P, then the client
    placed (`favour`) or not, as exact integers (each radix above the range of what follows); W and
    the client alone (2·W ± [the client]) without `levels`, or when the levels would leave exact
    double precision (never at a region's size)."""
    weight = per_class.weight.astype(np.int64)
    preference = per_class.preference.astype(np.int64)
    mine = (per_class.client == client).astype(np.int64) * (1 if favour else -1)
    continuity = np.zeros(len(weight), dtype=np.int64)
    if kept is not None:
        continuity[kept] = 1

    def upper(values: np.ndarray) -> int:  # no allocation scores more: each client's best, summed
        best = np.zeros(int(per_class.client.max(initial=-1)) + 1, dtype=np.int64)
        np.maximum.at(best, per_class.client, values)
        return int(best.sum())

    radix_p, radix_k = upper(preference) + 1, upper(continuity) + 1
    if levels and 2.0 * (upper(weight) + 1) * radix_k * radix_p < 2.0**50:
        return ((weight * radix_k + continuity) * radix_p + preference) * 2 + mine
    return weight * 2 + mine


def _positions_of(arrays: Arrays, candidates: Candidates, matches: list[Match] | None) -> np.ndarray:
    """Candidate positions of (client_id, unit_id) matches, sorted; a match that is no candidate
    is left out."""
    c_index = {str(c): k for k, c in enumerate(arrays.client_ids)}
    u_index = {str(u): k for k, u in enumerate(arrays.unit_ids)}
    n_units = max(arrays.n_units, 1)
    wanted = np.array(
        [c_index[c] * n_units + u_index[u] for c, u in matches or () if c in c_index and u in u_index],
        dtype=np.int64,
    )
    keys = candidates.client.astype(np.int64) * n_units + candidates.unit.astype(np.int64)
    order = np.argsort(keys, kind="stable")
    at = np.searchsorted(keys[order], wanted)
    hit = at < len(order)
    hit[hit] = keys[order][at[hit]] == wanted[hit]
    return np.sort(order[at[hit]])


def _feasible(arrays: Arrays, candidates: Candidates, positions: np.ndarray) -> bool:
    """Whether the candidate pairs at `positions` form an allocation: each client and unit once,
    every cap, intake and slot limit kept."""
    from matcher.rules.capacity import over_limits

    client = candidates.client[positions]
    unit = candidates.unit[positions]
    return (
        len(np.unique(client)) == len(client)
        and len(np.unique(unit)) == len(unit)
        and not over_limits(arrays, client, unit)
    )


@dataclass(frozen=True)
class Prices:
    """Dual prices of the priority level on the unchanged instance, with the client favoured in
    ties (objective 2·W + [the client]): per unit and per limit key (`_prices`). Any prices ≥ 0
    give an upper bound on that objective (a Lagrangian bound), so a change can be ruled out
    without solving it (`_screen`)."""

    client_id: str
    unit: dict[str, float]  # unit id -> price of its one-client row (its class's, for a class)
    limits: tuple[np.ndarray, ...]  # per LIMIT_BOOK: price per key
    pairs: np.ndarray  # the candidate pairs before the change: client index · n_units + unit index
    unit_index: dict[str, int]  # unit id -> index before the change


def _prices(
    instance: Instance,
    client_id: str,
    start: list[Match],
    settings: SolveSettings,
    base: Changed | None = None,
) -> Prices | None:
    """One LP of the priority level (2·W + [the client], unit classes, by column generation from
    `start`) and its dual prices; None when the LP has no answer (a time limit). `base`: the
    instance already read (`Changed.of(instance, client_id)`)."""
    from matcher.proposal import in_id_order
    from matcher.rules.capacity import LIMIT_BOOK
    from matcher.solver import lp_model
    from matcher.solver.backend import Clock
    from matcher.solver.column_generation import priced_lp, seed_columns
    from matcher.solver.formulation import build_formulation, candidate_pairs
    from matcher.solver.unit_classes import class_pairs, interchangeable_units, to_classes

    if base is None:
        instance = in_id_order(instance)
        rules = Eligibility(instance)
        arrays = rules.arrays
        candidates = candidate_pairs(arrays, rules.pairs)
    else:
        arrays, candidates = base.arrays, base.candidates
    classes = interchangeable_units(arrays, candidates)
    per_class = class_pairs(candidates, classes)
    formulation = build_formulation(arrays, per_class, classes.capacity)
    client = int(np.flatnonzero(arrays.client_ids == client_id)[0])
    objective = 2.0 * per_class.weight + (per_class.client == client)
    begin = to_classes(_positions_of(arrays, candidates, start), candidates, per_class, classes)
    clock = Clock(settings.time_limit)
    lp = priced_lp(
        formulation,
        objective,
        [],
        seed_columns(formulation, objective, begin),
        clock,
        clock.expired,
    )
    if lp.status != lp_model.SolveStatus.OPTIMAL:
        return None
    duals = np.maximum(lp.duals, 0.0)  # prices of "at most" rows; any value ≥ 0 bounds
    by_class = np.zeros(arrays.n_units)
    limits = tuple(np.zeros(len(limit.allowed(arrays))) for limit in LIMIT_BOOK)
    names = [limit.name for limit in LIMIT_BOOK]
    row = 0
    for block in formulation.blocks:  # each row's pairs share its key: read it off its first pair
        matrix = block.matrix.tocsr()
        first = matrix.indices[matrix.indptr[:-1]]
        price = duals[row : row + len(block)]
        row += len(block)
        if block.rule == "one_client_per_unit":
            by_class[per_class.unit[first]] = price
        elif block.rule in names:  # a client's own row stays in the bound (each client once)
            limit = LIMIT_BOOK[names.index(block.rule)]
            limits[names.index(block.rule)][
                limit.keys(arrays, per_class.client[first], per_class.unit[first])
            ] = price
    representative = classes.representative
    unit_ids = [str(u) for u in arrays.unit_ids]
    return Prices(
        client_id,
        {
            unit: float(by_class[representative[k]]) if representative[k] >= 0 else 0.0
            for k, unit in enumerate(unit_ids)
        },
        limits,
        np.sort(candidates.client.astype(np.int64) * max(arrays.n_units, 1) + candidates.unit),
        {unit: k for k, unit in enumerate(unit_ids)},
    )


def _screen(
    changed: Changed, prices: Prices, start: list[Match], quick: bool = True
) -> tuple[bool, np.ndarray]:
    """Can an allocation of the changed instance with the highest W place the client, and which of
    its candidate pairs can any allocation with the highest W use? Exact: (False, …) only when
    none places the client, and the mask keeps every pair such an allocation can use.

    Let W_low be what `start` (still feasible: every change relaxes) reaches with the
    priority-order greedy adding clients; the highest W is at least W_low. The prices give, for
    any allocation A, 2·W(A) + [A places the client] ≤ Σ unit prices + Σ limit prices ·
    allowance + Σ over A's clients of their pair's reduced score (a Lagrangian bound, valid for
    any prices ≥ 0). So an allocation placing the client with the highest W needs the bound with
    the client forced (their best reduced score, even below 0) to reach 2·W_low + 1, and a pair
    can be in an allocation with W ≥ W_low only when the bound with that pair in place reaches
    2·W_low. The units the change gave new pairs are priced afresh first (the price that
    minimises the bound for that unit alone). With `quick` the change is first tried against
    `start`'s own W, and the greedy runs only when that does not rule it out (the same answer:
    the greedy only raises W_low)."""
    from matcher.rules.capacity import LIMIT_BOOK, UNLIMITED
    from matcher.solver.greedy import priority_order

    a, candidates, client = changed.arrays, changed.candidates, changed.client
    everything = np.ones(len(candidates), dtype=bool)
    price = np.array([prices.unit.get(str(u), 0.0) for u in a.unit_ids])
    limits = PairLimits.of(a, candidates.client, candidates.unit)
    reduced = 2.0 * candidates.weight + (candidates.client == client) - price[candidates.unit]
    allowance = 0.0
    for k, limit in enumerate(LIMIT_BOOK):
        keys, amounts, by_key = limits.keys[k], limits.amounts[k], prices.limits[k]
        limited = keys >= 0
        reduced[limited] -= amounts[limited] * by_key[keys[limited]]
        allowed = limit.allowed(a)
        finite = allowed != UNLIMITED
        allowance += float((by_key[finite] * allowed[finite]).sum())
    before = np.array([prices.unit_index.get(str(u), -1) for u in a.unit_ids], dtype=np.int64)
    keys_before = (
        candidates.client.astype(np.int64) * max(len(prices.unit_index), 1) + before[candidates.unit]
    )
    known = before[candidates.unit] >= 0
    if len(prices.pairs):
        at = np.minimum(np.searchsorted(prices.pairs, keys_before), len(prices.pairs) - 1)
        known &= prices.pairs[at] == keys_before
    else:
        known[:] = False
    for unit in np.unique(candidates.unit[~known]):
        on = candidates.unit == unit
        elsewhere = np.full(a.n_clients, -np.inf)
        np.maximum.at(elsewhere, candidates.client[~on], reduced[~on])
        floor = np.maximum(elsewhere, 0.0)
        floor[client] = elsewhere[client]  # the client is placed: no floor at 0
        excess = np.sort(reduced[on] + price[unit] - floor[candidates.client[on]])[::-1]
        fresh = max(0.0, float(excess[1])) if len(excess) > 1 else 0.0
        reduced[on] += price[unit] - fresh
        price[unit] = fresh
    best = np.full(a.n_clients, -np.inf)
    np.maximum.at(best, candidates.client, reduced)
    if not np.isfinite(best[client]):
        return False, everything  # no pair at all for the client
    floor = np.maximum(best, 0.0)
    free = float(price.sum()) + allowance + float(floor.sum())  # the bound, nobody forced
    forced = free - floor[client] + best[client]
    begin = _positions_of(a, candidates, start)
    if quick and _ruled_out(forced, 2.0 * int(candidates.weight[begin].sum())):
        # already below `start`'s own W (which the greedy only raises): the same verdict as
        # after the greedy, which at a region's size costs more than the rest of the screen
        return False, everything
    low = 2.0 * _greedy_priority(a, candidates, begin, priority_order(a), limits)
    if _ruled_out(forced, low):
        return False, everything
    slack = 1e-6 * max(1.0, low)
    return True, free - floor[candidates.client] + reduced >= low - slack


def _ruled_out(forced: float, low: float) -> bool:
    """Whether the bound with the client forced in (`forced`, on 2·W + [the client]) stays below
    what an allocation without them reaches (2·W of a known allocation, `low`), with a relative
    tolerance for the LP's floating point. Monotone in `low`: ruled out for a lower `low` is
    ruled out for every higher one."""
    return forced < low + 1 - 1e-6 * max(1.0, low)


def _greedy_priority(
    arrays: Arrays,
    candidates: Candidates,
    start: np.ndarray,
    order: np.ndarray,
    limits: PairLimits | None = None,
    prune: bool = True,
) -> int:
    """W of `start` completed by the priority-order greedy (each client not placed takes the first
    unit that is free and within every limit): an allocation's W, so a lower bound on the best.

    `limits`: the candidates' PairLimits, when already known. With `prune`, only the pairs that
    fit on top of `start` are walked: units are only taken and limits only used up as the greedy
    goes on (no amount is negative), so a pair that does not fit at the start never fits later,
    and each client still takes the same first pair that fits (the same W, with less work)."""
    remaining = Remaining.after(arrays, candidates.client[start], candidates.unit[start])
    taken = np.zeros(arrays.n_units, dtype=bool)
    taken[candidates.unit[start]] = True
    placed = np.zeros(arrays.n_clients, dtype=bool)
    placed[candidates.client[start]] = True
    total = int(candidates.weight[start].sum())
    if limits is None:
        limits = PairLimits.of(arrays, candidates.client, candidates.unit)
    if prune and all((amounts >= 0).all() for amounts in limits.amounts):
        walked = np.flatnonzero(~placed[candidates.client] & ~taken[candidates.unit] & remaining.fits(limits))
    else:
        walked = np.arange(len(candidates))
    sort = walked[np.lexsort((candidates.unit[walked], candidates.client[walked]))]
    client, unit, limits = candidates.client[sort], candidates.unit[sort], limits.take(sort)
    bounds = np.searchsorted(client, np.arange(arrays.n_clients + 1))
    for c in order:
        if placed[c] or bounds[c] == bounds[c + 1]:
            continue
        window = slice(bounds[c], bounds[c + 1])
        fits = ~taken[unit[window]] & remaining.fits(limits, window)
        if fits.any():
            k = bounds[c] + int(np.argmax(fits))
            taken[unit[k]] = True
            remaining.take_one(limits, k)
            total += int(arrays.client_weight[c])
    return total


def solve_fully(instance: Instance, settings: SolveSettings | None, keep: list[Match] | None) -> Proposal:
    """The engine's own solve, every level."""
    from matcher.proposal import solve

    return solve(instance, settings, keep=keep)


def smallest_change(
    ctx: Context,
    client: int,
    passes: dict,
    eligible: np.ndarray,
    order: list,
    settings: SolveSettings | None,
    max_resolves: int,
    baseline_priority: int | None = None,
    keep: list[Match] | None = None,
    screen: bool = True,
) -> dict:
    """Try single changes, smallest first; report those that place the client (`place_client`).

    The baseline is the proposal itself when it is a run's proven optimum (`baseline_priority`
    given), else a fresh solve (which may already place the client: then that is the answer).
    With `screen`, one LP of the unchanged instance prices units and limits (`_prices`), and a
    change those prices prove cannot place the client is ruled out without solving it
    (`_screen`: exact, it only saves work; it also leaves out every pair no allocation with the
    highest W can use, so the re-solves are small). Any other change is re-solved (`place_client`, the
    client favoured in ties): when no optimal allocation places the client, the change is not it.
    With `screen`, from PRIORITY_FIRST_PAIRS candidate pairs on, that re-solve first solves W alone: when
    no allocation with the highest W places the client, no optimal one does and the change is not
    it; only when one does are the preference levels solved too (the two count as one re-solve, so
    what is tried and found is the same as without the screen).
    When one does, it is re-solved once more with the client last in ties: placed then means every
    optimal allocation places them, so the engine does; otherwise (a tie in W and P, rare) the
    engine's full solve decides. The work is bounded whatever the instance and deterministic: at
    most `max_resolves` counted re-solves (the prices LP counts as one, and so does a change's
    W-alone solve with its every-level one), and the search stops at three changes found (the
    first found is the smallest)."""
    client_id = str(ctx.arrays.client_ids[client])
    report: dict = {
        "never_relaxed": {rule: int((~passes[rule]).sum()) for rule in NEVER_RELAXED},
        "tried": 0,  # changes looked at
        "screened_out": 0,  # of those, ruled out by the prices without solving
        "resolves": 0,  # LPs and solves run (at most max_resolves, then the search stops)
        "found": [],
        "withheld": [],
    }
    if baseline_priority is None:
        baseline = solve_fully(ctx.instance, settings, keep)
        start = baseline.pairs_chosen()
        baseline_priority = baseline.priority
        fresh = dict(start)
        if client_id in fresh:
            report["fresh_solve_places_client"] = fresh[client_id]
            report["note"] = _(
                "no change needed: solving this instance afresh places {client} in {unit} "
                "(the proposal differs from a fresh solve)",
                client=client_id,
                unit=fresh[client_id],
            )
            return report
    else:
        start = [(str(ctx.arrays.client_ids[c]), str(ctx.arrays.unit_ids[u])) for c, u in ctx.placed.items()]
    changes = sorted(
        capacity_changes(ctx, client, order)
        + eligibility_changes(ctx, client, passes, report["withheld"])
        + supply_changes(ctx, client, order),
        key=lambda change: change.order,
    )
    prices: Prices | None = None
    priority_first = screen
    for change in changes:
        if report["resolves"] >= max_resolves or len(report["found"]) >= 3:
            break
        report["tried"] += 1
        instance = change.apply(ctx.instance)
        changed = Changed.of(instance, client_id)
        only = None
        if screen:
            if prices is None:
                report["resolves"] += 1
                base = Changed.of(ctx.instance, client_id, ctx.rules)
                prices = _prices(ctx.instance, client_id, start, settings or SolveSettings(), base)
                screen = prices is not None
            if prices is not None:
                possible, only = _screen(changed, prices, start)
                if not possible:
                    report["screened_out"] += 1
                    continue
        report["resolves"] += 1
        if (
            priority_first
            and len(changed.candidates) >= PRIORITY_FIRST_PAIRS
            and not place_client(
                instance,
                client_id,
                start,
                baseline_priority,
                settings,
                keep,
                changed=changed,
                only=only,
                levels=False,
            ).placed
        ):  # no allocation with the highest W places the client: no optimal one does
            continue
        can = place_client(
            instance, client_id, start, baseline_priority, settings, keep, changed=changed, only=only
        )
        if not can.placed:  # no optimal allocation places the client: the engine would not
            continue
        report["resolves"] += 1
        found = place_client(
            instance, client_id, start, baseline_priority, settings, keep, False, changed=changed, only=only
        )
        if found.placed:
            verified = _("re-solving W and P")
        else:  # a tie of W and P: only the engine's later tie-breaks can tell
            report["resolves"] += 1
            proposal = solve_fully(instance, settings, keep)
            placed = dict(proposal.pairs_chosen())
            if client_id not in placed:
                continue
            found = Placement(
                True, placed[client_id], sorted({c for c, _ in start} - set(placed)), proposal.priority
            )
            verified = _("re-solving every level")
        report["found"].append(
            {
                "kind": change.kind,
                "rule": change.rule,
                "change": change.message,
                "unit_id": found.unit_id,
                "displaced": found.displaced,
                "W_before": baseline_priority,
                "W_after": found.priority,
                "verified_by": verified,
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
# as the landlord workbook has them (matcher.review.workbook PROVIDER_NOT_NEEDED and move_in_from,
# the moving date being the latest of available_from, ready_from and the period start); kept here
# so the landlord's view does not load the workbook module (openpyxl, the ledger: 0.4 s of a 1 s
# command), and held equal to the workbook's by tests/review/test_explain_run_folder.py
PROVIDER_NOT_NEEDED = ("light",)
CIRCUMSTANCE_RULES = tuple(rule for rule in RULES if rule not in UNIT_RULES)  # coordinator only
CIRCUMSTANCES = N_("their own circumstances, which only the coordinator can discuss")


def explain_unit(instance: Instance, matches: list[tuple[str, str]], unit_id: str) -> dict:
    """A landlord's view of one unit: how many clients may have it, who it is proposed for (with
    what the landlord workbook shows of them) and, in general terms, why not the others."""
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
            "move_in_from": max(
                day
                for day in (
                    instance.units[unit].available_from,
                    client.ready_from,
                    instance.policy.period.start,
                )
                if day
            ).isoformat(),
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
        else _("a support-slot limit of the municipality is full")
        for limit in ctx.full_limits(client, unit, freed)
    ]


def _candidate(ctx: Context, client: int, unit: int, holder: int | None) -> dict:
    """Why another eligible client does not have the unit, in the landlord's terms."""
    a = ctx.arrays
    entry = {"client_id": str(a.client_ids[client])}
    if client in ctx.placed:
        entry["status"] = "placed_elsewhere"
        entry["why_not"] = _("proposed for another unit")
        return entry
    freed = (holder, unit) if holder is not None else None
    full = _landlord_limits(ctx, client, unit, freed)
    if full:
        entry["status"] = "limit_full"
        entry["why_not"] = "; ".join(dict.fromkeys(full))
    elif holder is not None:
        entry["status"] = "not_chosen"
        entry["why_not"] = _(
            "the proposal gives this unit to {client} under the scheme's rules; "
            "the coordinator can explain the choice",
            client=a.client_ids[holder],
        )
    else:
        entry["status"] = "not_chosen"
        entry["why_not"] = _(
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
            return _(
                "no client passes every rule for this unit; most excluded by {rule} "
                "({count} of {total} clients: {words})",
                rule=rule_name(top),
                count=counts[top],
                total=a.n_clients,
                words=rule_words(top),
            ) + (
                _("; {count} more by {circumstances}", count=rest, circumstances=_(CIRCUMSTANCES))
                if rest
                else ""
            )
        return _(
            "no client passes every rule for this unit: all {total} are excluded by {circumstances}",
            total=a.n_clients,
            circumstances=_(CIRCUMSTANCES),
        )
    elsewhere = [c for c in candidates if c in ctx.placed]
    if len(elsewhere) == len(candidates):
        return _("all {count} eligible client(s) were proposed for other units", count=len(candidates))
    blocked = Counter(
        text for c in candidates if c not in ctx.placed for text in _landlord_limits(ctx, int(c), unit)
    )
    if blocked:
        return _("eligible clients are waiting, but a limit is full: {limits}", limits="; ".join(blocked))
    return _("eligible clients are waiting and the limits allow it: this proposal is not the optimum here")


# --- text --------------------------------------------------------------------------------------


def render_client(result: dict) -> str:
    """The client explanation as plain text, in the user's language."""
    weeks = result["weeks_waited"]
    header = counted(
        weeks,
        N_(
            "Client {client}: {urgency} urgency, waited {count} week, priority w {weight}, {support} support."
        ),
        N_(
            "Client {client}: {urgency} urgency, waited {count} weeks, priority w {weight}, {support} support."
        ),
        client=result["client_id"],
        urgency=urgency_word(result["urgency"]),
        weight=result["priority_weight"],
        support=support_word(result["support_intensity"]),
    )
    lines = [header]
    lapsed, refusals = result.get("urgency_lapsed"), result.get("refusals")
    if lapsed:
        lines.append(
            _(
                "Urgency lapsed from {before} to {after} after {refusals} refusals of suitable offers (the "
                "refusal rule, policy.yaml `refusals`; see the ledger).",
                before=urgency_word(lapsed["from"]),
                after=urgency_word(lapsed["to"]),
                refusals=lapsed["refusals"],
            )
        )
    elif refusals:
        lines.append(
            counted(
                refusals["count"],
                N_("{count} refusal of suitable offers recorded in the ledger (urgency lapses at {limit})."),
                N_("{count} refusals of suitable offers recorded in the ledger (urgency lapses at {limit})."),
                limit=refusals["max_refusals"],
            )
        )
    lines.append(
        _(
            "Eligible units: {eligible} of {total}.",
            eligible=result["units_eligible"],
            total=result["units_total"],
        )
    )
    lines += _excluded_lines(
        result["excluded_by_rule"],
        N_("{rule}: excludes {count} unit ({words})"),
        N_("{rule}: excludes {count} units ({words})"),
    )
    if result["matched"]:
        unit = result["unit"]
        lines.append(
            _(
                "MATCHED to {unit} ({type}, {municipality}, {neighbourhood}, rent {rent}): {why} "
                "(preference p {score}).",
                unit=unit["unit_id"],
                type=type_word(unit["type"]),
                municipality=unit["municipality"],
                neighbourhood=unit["neighbourhood_id"],
                rent=euro(unit["rent"]),
                why=score_words(unit["why"]),
                score=unit["preference_score"],
            )
        )
        if result["alternatives"]:
            lines.append(_("Next-best alternatives and why each was not chosen:"))
            for alt in result["alternatives"]:
                lines.append(
                    f"  - {alt['unit_id']} (p {alt['preference_score']}, {score_words(alt['why_score'])}): "
                    f"{alt['why_not']}"
                )
        else:
            lines.append(_("No other unit was eligible."))
        return "\n".join(lines)
    lines.append(_("NOT MATCHED — {reason}.", reason=result["unmatched_reason"]))
    for alt in result.get("eligible_units", []):
        lines.append(f"  - {alt['unit_id']} (p {alt['preference_score']}): {alt['why_not']}")
    cf = result.get("counterfactual")
    if cf:
        lines += _counterfactual_lines(result["client_id"], cf)
    return "\n".join(lines)


def _counterfactual_lines(client_id: str, cf: dict) -> list[str]:
    """The search for the smallest change (`smallest_change`'s report) as lines of text."""
    lines = []
    if cf.get("note"):
        lines.append(_sentence(cf["note"]) + ".")
    elif cf.get("smallest"):
        best = cf["smallest"]
        verified = _("verified by {how}", how=best.get("verified_by") or _("re-solving"))
        if best["displaced"]:
            verified += "; " + _("{clients} would then be unmatched", clients=", ".join(best["displaced"]))
        lines.append(
            _(
                "Smallest change that places {client}: {change} → placed in {unit}",
                client=client_id,
                change=best["change"],
                unit=best["unit_id"],
            )
            + f" ({verified})."
        )
        for other in cf["found"][1:]:
            pushed = (
                " (" + _("{clients} would then be unmatched", clients=", ".join(other["displaced"])) + ")"
                if other["displaced"]
                else ""
            )
            lines.append(
                "  "
                + _("also works: {change} → {unit}", change=other["change"], unit=other["unit_id"])
                + pushed
            )
    else:
        lines.append(
            _(
                "No single change among the {tried} tried places {client}.",
                tried=cf["tried"],
                client=client_id,
            )
        )
    untried = cf.get("candidates", 0) - cf["tried"]
    if untried > 0 and not cf.get("note"):
        lines.append(
            counted(
                untried,
                N_(
                    "{count} more change not tried: the search stops after {resolves} re-solves (--max-resolves)."
                ),
                N_(
                    "{count} more changes not tried: the search stops after {resolves} re-solves (--max-resolves)."
                ),
                resolves=cf["resolves"],
            )
        )
    never = ", ".join(
        f"{rule_name(rule)} ({counted(count, N_('{count} unit'), N_('{count} units'))})"
        for rule, count in cf["never_relaxed"].items()
        if count
    )
    if never:
        lines.append(_("Never relaxed: {rules}.", rules=never))
    for withheld in cf.get("withheld", []):
        lines.append(_("Not suggested (another rule forbids it): {change}.", change=withheld))
    return lines


def _excluded_lines(excluded_by_rule: dict[str, int], one: str, many: str) -> list[str]:
    """One line per rule that excludes someone or something, with how many and why."""
    return [
        "  - " + counted(count, one, many, rule=rule_name(rule), words=rule_words(rule))
        for rule, count in excluded_by_rule.items()
    ]


def _sentence(text: str) -> str:
    """`text` with a capital first letter and the rest exactly as it is (ids keep their case)."""
    return text[:1].upper() + text[1:]


def render_unit(result: dict) -> str:
    """The unit explanation (landlord's view) as plain text: what the landlord workbook shows, in
    the user's language."""
    unit = result["unit"]
    lines = [
        _(
            "Unit {unit} ({type}, {landlord}, {municipality}, {neighbourhood}, rent {rent}, household up to "
            "{size}, {access}, available from {available}).",
            unit=unit["unit_id"],
            type=type_word(unit["type"]),
            landlord=unit["landlord"],
            municipality=unit["municipality"],
            neighbourhood=unit["neighbourhood_id"],
            rent=euro(unit["rent"]),
            size=unit["max_household"],
            access=_("step-free") if unit["accessible"] else _("not step-free"),
            available=unit["available_from"],
        )
    ]
    lines.append(
        _(
            "Eligible clients: {eligible} of {total}.",
            eligible=result["clients_eligible"],
            total=result["clients_total"],
        )
    )
    lines += _excluded_lines(
        result["excluded_by_rule"],
        N_("{rule}: excludes {count} client ({words})"),
        N_("{rule}: excludes {count} clients ({words})"),
    )
    if result["excluded_by_circumstances"]:
        lines.append(
            "  - "
            + counted(
                result["excluded_by_circumstances"],
                N_("{count} more client excluded by {circumstances}"),
                N_("{count} more clients excluded by {circumstances}"),
                circumstances=_(CIRCUMSTANCES),
            )
        )
    if result["matched"]:
        c = result["client"]
        lines.append(
            _(
                "PROPOSED for {client}: household of {size}, {support} support, support provider needed: "
                "{needed}, moving in from {moving}.",
                client=c["client_id"],
                size=c["household_size"],
                support=support_word(c["support_intensity"]),
                needed=answer_word(c["provider_needed"]),
                moving=c["move_in_from"],
            )
        )
    else:
        lines.append(_("NOT PROPOSED — {reason}.", reason=result["unmatched_reason"]))
    if result["other_candidates"]:
        lines.append(_("Other eligible clients:"))
        for other in result["other_candidates"]:
            lines.append(f"  - {other['client_id']}: {other['why_not']}")
    return "\n".join(lines)
