"""The weekly run, end to end: instance → eligible pairs → formulation → lexicographic solve."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from matcher.rules.arrays import Arrays
from matcher.rules.eligibility import ClientSets, Eligibility, Pairs
from matcher.rules.objectives import fair_share_deviation, max_utilisation, total
from matcher.solver.formulation import Candidates, build_formulation, candidate_pairs
from matcher.solver.greedy import greedy_allocation, priority_order
from matcher.solver.levels import Solution, solve_lexicographic
from matcher.solver.progress import Event, report
from matcher.solver.settings import SolveSettings
from matcher.solver.size_guard import TooManyPairs, check_pairs, pair_budget, refuse_counted
from matcher.solver.unit_classes import class_pairs, interchangeable_units, spread_over_units, to_classes
from matcher.table import Table
from matcher.unmatched import unmatched_reasons
from matcher.unused import unused_units
from models import Instance
from models.unit import PROPOSAL_ADDRESS_COLUMNS

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Proposal:
    """The engine's answer for one instance: who gets which unit, how good, and why not others."""

    instance: Instance
    arrays: Arrays
    sets: ClientSets
    pairs: Pairs
    candidates: Candidates
    solution: Solution
    greedy_priority: int
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def chosen(self) -> np.ndarray:
        return self.solution.chosen

    @property
    def priority(self) -> int:
        return total(self.candidates.weight, self.chosen)

    @property
    def preference(self) -> int:
        return total(self.candidates.preference, self.chosen)

    @property
    def max_utilisation(self) -> float:
        c = self.candidates
        return max_utilisation(self.arrays, c.load[self.chosen], c.neighbourhood[self.chosen])

    @property
    def fair_share_deviation(self) -> float:
        return fair_share_deviation(self.arrays, self.candidates.municipality[self.chosen])

    @property
    def proven_optimal(self) -> bool:
        return all(
            level.proven
            for level in self.solution.levels
            if level.name in ("priority", "continuity", "preference")
        )

    def pairs_chosen(self) -> list[tuple[str, str]]:
        """(client_id, unit_id) of every proposed match."""
        c = self.candidates
        return [
            (self.arrays.client_ids[a], self.arrays.unit_ids[b])
            for a, b in zip(c.client[self.chosen], c.unit[self.chosen])
        ]

    def match_table(self) -> Table:
        """The proposals table, highest priority first."""
        a, c, chosen = self.arrays, self.candidates, self.chosen
        units = {u.unit_id: u for u in self.instance.units}
        clients = {client.client_id: client for client in self.instance.clients}
        labels = self.sets.score_label[c.client[chosen], c.municipality[chosen]]
        client_ids = a.client_ids[c.client[chosen]].tolist()
        unit_ids = a.unit_ids[c.unit[chosen]].tolist()
        municipality_ids = a.municipality_ids[c.municipality[chosen]].tolist()
        neighbourhood_ids = a.neighbourhood_ids[c.neighbourhood[chosen]].tolist()
        shown_units = [units[u] for u in unit_ids]
        municipality_names = {m.municipality_id: m.name for m in self.instance.municipalities}
        neighbourhood_names = {n.neighbourhood_id: n.name for n in self.instance.neighbourhoods}
        columns: dict[str, list] = {
            "client_id": client_ids,
            "unit_id": unit_ids,
            "municipality_id": municipality_ids,
            "neighbourhood_id": neighbourhood_ids,
            "landlord": [unit.landlord for unit in shown_units],
            "priority_weight": c.weight[chosen].tolist(),
            "preference_score": c.preference[chosen].tolist(),
            "reason": [_match_reason(label) for label in labels],
            # the names and facts a coordinator reads a match by (issue 15), after the engine's
            "municipality_name": [municipality_names[m] for m in municipality_ids],
            "neighbourhood_name": [neighbourhood_names[n] for n in neighbourhood_ids],
            "unit_type": [unit.type for unit in shown_units],
            "rent": _rents([unit.rent for unit in shown_units]),
            "available_from": [unit.available_from.isoformat() for unit in shown_units],
            "support_intensity": [clients[c].support_intensity for c in client_ids],
        }
        if (a.client_own_unit >= 0).any():
            # omklappen (issue 14): only when a client's current unit is offered this week, so a
            # week without one is written as before
            stays = a.own_pairs(c.client[chosen], c.unit[chosen])
            columns["match_kind"] = ["omklappen" if stay else "" for stay in stays.tolist()]
        if any(client.shares_home_with for client in self.instance.clients):
            # two clients sharing one home: the other one, in the row of the household (issue 14)
            columns["shares_home_with"] = [clients[c].shares_home_with or "" for c in client_ids]
        if any(unit.has_address for unit in self.instance.units):
            # after the engine's columns, so readers selecting by name read it as before (issue 15)
            for column in PROPOSAL_ADDRESS_COLUMNS:
                columns[column] = [getattr(unit, column) or "" for unit in shown_units]
        return Table(columns).sorted_by("priority_weight", "client_id", descending=["priority_weight"])

    def unmatched_table(self) -> Table:
        """One row per unmatched client with an actionable reason, in client id order."""
        table = unmatched_reasons(self.arrays, self.pairs, self.candidates, self.chosen)
        return table.sorted_by("client_id")

    def unused_table(self) -> Table:
        """One row per unit given to no one, in unit id order, with an actionable reason."""
        return unused_units(self.instance, self.arrays, self.sets, self.pairs, self.candidates, self.chosen)

    def matches(self) -> pd.DataFrame:
        """`match_table` as a DataFrame."""
        return self.match_table().frame()

    def unmatched(self) -> pd.DataFrame:
        """`unmatched_table` as a DataFrame."""
        return self.unmatched_table().frame()

    def unused(self) -> pd.DataFrame:
        """`unused_table` as a DataFrame."""
        return self.unused_table().frame()


def _rents(rents: list[float]) -> list[int] | list[float]:
    """The rent column: whole euros as integers (650), unless any rent has cents; then every rent
    is written as a decimal number (650.0, 612.5): one column, one number format, as the tables
    have always been written (audits compare them byte for byte)."""
    if all(float(rent).is_integer() for rent in rents):
        return [int(rent) for rent in rents]
    return [float(rent) for rent in rents]


def _match_reason(label: str) -> str:
    if label == "elsewhere":
        return "elsewhere in the region: no suitable unit in origin or preferred municipalities"
    return label


def candidate_positions(arrays: Arrays, candidates: Candidates, matches: list[tuple[str, str]]) -> np.ndarray:
    """Positions of (client_id, unit_id) matches among the candidates; unknown ones are skipped."""
    index = {
        (arrays.client_ids[a], arrays.unit_ids[b]): k
        for k, (a, b) in enumerate(zip(candidates.client, candidates.unit))
    }
    return np.array(sorted(index[m] for m in matches if m in index), dtype=np.int64)


def in_id_order(instance: Instance) -> Instance:
    """The same instance with the rows of every table in id order.

    Every tie-break of the engine (equal scores, interchangeable units, the greedy's order)
    follows the order of the arrays; solving the rows in id order makes the proposal the same
    however a coordinator sorted the sheets (decision 30).
    """
    return instance.model_copy(
        update={
            "municipalities": tuple(sorted(instance.municipalities, key=lambda m: m.municipality_id)),
            "neighbourhoods": tuple(sorted(instance.neighbourhoods, key=lambda n: n.neighbourhood_id)),
            "units": tuple(sorted(instance.units, key=lambda u: u.unit_id)),
            "clients": tuple(sorted(instance.clients, key=lambda c: c.client_id)),
            "support_capacity": tuple(
                sorted(instance.support_capacity, key=lambda s: (s.municipality_id, s.support_intensity))
            ),
            "declined": tuple(
                sorted(instance.declined, key=lambda d: (d.client_id, d.unit_id, d.declined_by))
            ),
        }
    )


def solve(
    instance: Instance,
    settings: SolveSettings | None = None,
    keep: list[tuple[str, str]] | None = None,
    hold: list[tuple[str, str]] | None = None,
    rules: Eligibility | None = None,
) -> Proposal:
    """Solve one instance under the region's policy and return the proposal.

    The rows are solved in id order (`in_id_order`), so the proposal does not depend on the order
    of the input files. `hold` names matches one side already accepted, `keep` matches already
    communicated (client_id, unit_id): they stay as the `held` and `continuity` levels before W
    say (see `solve_lexicographic`). `rules`: the eligibility of this instance in id order, when the
    caller built it already (the stress simulation builds it once a week).
    """
    settings = settings or SolveSettings()
    instance = in_id_order(instance) if rules is None else rules.instance
    budget = pair_budget(instance, settings.max_pairs)  # refuse clearly rather than run out of memory
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    report(Event("eligibility"))
    rules = rules or Eligibility(instance)
    try:
        pairs = rules.pairs_within(budget)
    except TooManyPairs:
        refuse_counted(instance, settings.max_pairs)
    arrays, sets = rules.arrays, rules.sets
    check_pairs(instance, len(pairs), settings.max_pairs)  # the exact count, before the formulation
    seconds["eligibility"] = time.perf_counter() - began

    began = time.perf_counter()
    report(Event("formulation"))
    candidates = candidate_pairs(arrays, pairs)
    kept = candidate_positions(arrays, candidates, keep) if keep else None
    held = candidate_positions(arrays, candidates, hold) if hold else None
    alone = np.concatenate(
        [candidates.unit[k] for k in (kept, held) if k is not None] or [np.zeros(0, dtype=np.int64)]
    )
    classes = interchangeable_units(arrays, candidates, alone=alone)
    per_class = class_pairs(candidates, classes)
    formulation = build_formulation(arrays, per_class, classes.capacity)
    seconds["formulation"] = time.perf_counter() - began
    greedy = greedy_allocation(arrays, candidates, priority_order(arrays))
    seconds["build"] = time.perf_counter() - began

    began = time.perf_counter()
    solution = solve_lexicographic(
        formulation,
        arrays,
        settings,
        start=to_classes(greedy, candidates, per_class, classes),
        keep=None if kept is None else to_classes(kept, candidates, per_class, classes),
        hold=None if held is None else to_classes(held, candidates, per_class, classes),
    )
    solution.chosen = spread_over_units(solution.chosen, per_class, candidates, classes)
    seconds["solve"] = time.perf_counter() - began
    seconds["total"] = seconds["eligibility"] + seconds["build"] + seconds["solve"]
    return Proposal(
        instance=instance,
        arrays=arrays,
        sets=sets,
        pairs=pairs,
        candidates=candidates,
        solution=solution,
        greedy_priority=int(candidates.weight[greedy].sum()),
        seconds=seconds,
    )
