"""A neighbourhood's recent load in the rolling window: the one home of its arithmetic.

    recent_load(n) = the `recent_load` cell
                   + the load of other groups' placements in the window (other_placements.csv)
                   + the load housed through the decisions ledger in the window (`solve --ledger`)

The window is `period.start − 7 × spreading.window_weeks days` up to `period_end` (decision 96).
The ledger's load is folded into the cell by `matcher.review.ledger.apply_ledger` (with
`window_start` from here), so the instance a run solved (`solved-instance/`) carries the cell
with the ledger's load and `other_placements.csv` as given: reading it back gives the same
recent load, the other placements counted once. Everything that reads a neighbourhood's recent
load goes through `recent_loads`: the arrays (and with them the solve, `matcher check`,
`explain` and the unmatched reasons), the weekly overview, and the stress simulation (its base
instance is `folded`).
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models import Instance, Policy
    from models.other_placement import OtherPlacement


def window_start(policy: Policy) -> date:
    """The first day of the rolling window: period.start − 7 × window_weeks days."""
    return policy.period.start - timedelta(weeks=policy.spreading.window_weeks)


def counts(placement: OtherPlacement, policy: Policy) -> bool:
    """The placement is in the window: window_start ≤ placed_on ≤ period_end."""
    return window_start(policy) <= placement.placed_on <= policy.period.end


def other_loads(instance: Instance) -> dict[str, Fraction]:
    """Per neighbourhood, the load of other groups' placements in the window (exact)."""
    added: dict[str, Fraction] = {}
    for placement in instance.other_placements:
        if counts(placement, instance.policy):
            before = added.get(placement.neighbourhood_id, Fraction(0))
            added[placement.neighbourhood_id] = before + Fraction(str(placement.load))
    return added


def recent_loads(instance: Instance) -> list[Fraction]:
    """Each neighbourhood's recent load (in file order), exactly: the cell plus other groups'
    placements in the window (the ledger's load is already in the cell)."""
    others = other_loads(instance) if instance.other_placements else {}
    return [
        Fraction(str(n.recent_load)) + others.get(n.neighbourhood_id, Fraction(0))
        for n in instance.neighbourhoods
    ]


def folded(instance: Instance) -> Instance:
    """The instance with the other placements of its window folded into the `recent_load`
    cells and the rows dropped: the same recent load, for code that moves the period on by
    itself (the stress simulation fades the start's recent load over the window)."""
    if not instance.other_placements:
        return instance
    neighbourhoods = tuple(
        n.model_copy(update={"recent_load": float(load)})
        for n, load in zip(instance.neighbourhoods, recent_loads(instance))
    )
    return instance.model_copy(update={"neighbourhoods": neighbourhoods, "other_placements": ()})


def report(instance: Instance) -> dict[str, Any] | None:
    """summary.json's `other_placements`: the window, how many rows counted, were older than the
    window or dated after the period, and per neighbourhood the load they added (None without
    other placements)."""
    if not instance.other_placements:
        return None
    policy = instance.policy
    first = window_start(policy)
    rows = instance.other_placements
    loads = other_loads(instance)
    return {
        "window": {
            "weeks": policy.spreading.window_weeks,
            "from": first.isoformat(),
            "to": policy.period.end.isoformat(),
        },
        "rows": len(rows),
        "counted": sum(counts(p, policy) for p in rows),
        "before_window": sum(p.placed_on < first for p in rows),
        "after_period": sum(p.placed_on > policy.period.end for p in rows),
        "load_added": {
            n.neighbourhood_id: _number(loads[n.neighbourhood_id])
            for n in instance.neighbourhoods
            if n.neighbourhood_id in loads
        },
    }


def _number(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)
