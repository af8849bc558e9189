"""Agreements in a week (issue 14, item 1): which placements an agreement counts, how much of its
maximum is left, and how far it is behind schedule. The one home of these rules; the solver's
limit (`matcher.rules.capacity`, allocation rule 5), its steering level (`matcher.solver.levels`,
level `agreements`), the ledger's counting, the summary and the checks read them here.

- An agreement *applies* to the week that begins on `period.start` when `start ≤ period.start ≤ end`.
- It *counts* a pair (c, u) when u lies in its municipality (kind `municipality`) or belongs to
  its landlord (kind `landlord`), and, when it names a target group, c is in it
  (`Client.in_group`: c's `source` is that group, c's `target_groups` hold it, or the group is
  young_adult and c comes from youth care). Own-home pairs (omklappen) count like any pair, as in rules 3–4.
- *Done* so far: `placed_so_far` (the cell plus what a decisions ledger housed under it since
  `start`, before this week).
- *Room* this week (maximum): `max(0, maximum − done)`.
- *Due* by the end of this week (minimum): `⌈minimum × d / D⌉`, with D the days of the agreement
  and d its days up to and including the week's last day (at most D): a minimum spread evenly
  over the period. *Behind* = `max(0, due − done)`.
- The steering level minimises the *shortfall* `Σ max(0, behind − placed this week)` over the
  applicable agreements: each placement under an agreement behind schedule closes one of its gap,
  placements beyond the gap close nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from models import Client, Instance, Unit
from models.agreement import Agreement
from models.client import YOUNG_ADULT_SOURCES

KIND_CODE = {"municipality": 0, "landlord": 1}


def counts_unit(agreement: Agreement, unit: Unit) -> bool:
    """The unit side: the unit lies in the agreement's municipality or is its landlord's."""
    if agreement.kind == "municipality":
        return unit.municipality_id == agreement.party
    return unit.landlord == agreement.party


def counts_client(agreement: Agreement, client: Client) -> bool:
    """The client side: every client, or those of the agreement's target group."""
    return agreement.target_group is None or client.in_group(agreement.target_group)


def counts_record(agreement: Agreement, record: dict) -> bool:
    """A pair as the decisions ledger recorded it (landlord, municipality_id, source,
    target_groups `;`-separated): whether the agreement counts it."""
    side = record.get("municipality_id") if agreement.kind == "municipality" else record.get("landlord")
    if side != agreement.party:
        return False
    group = agreement.target_group
    if group is None:
        return True
    groups = [g for g in (record.get("target_groups") or "").split(";") if g]
    source = record.get("source")
    return source == group or group in groups or (group == "young_adult" and source in YOUNG_ADULT_SOURCES)


def days(agreement: Agreement) -> int:
    return (agreement.end - agreement.start).days + 1


def due(agreement: Agreement, period_end: date) -> int:
    """Placements due by `period_end` to stay on schedule for the minimum (0 without one)."""
    if agreement.minimum is None:
        return 0
    elapsed = min(days(agreement), max(0, (period_end - agreement.start).days + 1))
    return math.ceil(agreement.minimum * elapsed / days(agreement))


def behind(agreement: Agreement, period_end: date) -> int:
    return max(0, due(agreement, period_end) - agreement.placed_so_far)


def room(agreement: Agreement) -> int | None:
    """What the maximum still allows (None: no maximum)."""
    if agreement.maximum is None:
        return None
    return max(0, agreement.maximum - agreement.placed_so_far)


def applicable(instance: Instance) -> tuple[Agreement, ...]:
    start = instance.policy.period.start
    return tuple(a for a in instance.agreements if a.applies(start))


@dataclass(frozen=True)
class AgreementArrays:
    """The applicable agreements as arrays (file order)."""

    ids: np.ndarray  # object
    kind: np.ndarray  # 0 municipality, 1 landlord
    units: np.ndarray  # bool (agreements × units): the unit side counts
    clients: np.ndarray  # bool (agreements × clients): the client side counts
    room: np.ndarray  # int: what the maximum still allows, -1 without a maximum
    behind: np.ndarray  # int: placements behind schedule for the minimum (0: on schedule or none)

    def __len__(self) -> int:
        return len(self.ids)

    def counted(self, clients: np.ndarray, units: np.ndarray) -> np.ndarray:
        """bool (agreements × pairs): which agreements count each (clients[k], units[k])."""
        if len(self) == 0:
            return np.zeros((0, len(units)), dtype=bool)
        return self.units[:, units] & self.clients[:, clients]

    def unit_signature(self, unit: int) -> bytes:
        """What the agreements see of a unit (units alike here may be interchangeable)."""
        return np.packbits(self.units[:, unit]).tobytes() if len(self) else b""


def build_agreement_arrays(
    instance: Instance, agreements: Sequence[Agreement] | None = None
) -> AgreementArrays:
    found = applicable(instance) if agreements is None else tuple(agreements)
    end = instance.policy.period.end
    n_u, n_c = len(instance.units), len(instance.clients)
    units = np.zeros((len(found), n_u), dtype=bool)
    clients = np.zeros((len(found), n_c), dtype=bool)
    if found:  # vectorised per agreement: a national week has tens of thousands of rows
        municipality = np.array([u.municipality_id for u in instance.units], dtype=object)
        landlord = np.array([u.landlord for u in instance.units], dtype=object)
        groups = {
            group: np.array([c.in_group(group) for c in instance.clients], dtype=bool)
            for group in {a.target_group for a in found if a.target_group is not None}
        }
        for k, agreement in enumerate(found):  # the same rules as counts_unit and counts_client
            side = municipality if agreement.kind == "municipality" else landlord
            units[k] = side == agreement.party
            clients[k] = True if agreement.target_group is None else groups[agreement.target_group]
    rooms = [room(a) for a in found]
    return AgreementArrays(
        ids=np.array([a.agreement_id for a in found], dtype=object),
        kind=np.array([KIND_CODE[a.kind] for a in found], dtype=np.int64),
        units=units,
        clients=clients,
        room=np.array([-1 if r is None else r for r in rooms], dtype=np.int64),
        behind=np.array([behind(a, end) for a in found], dtype=np.int64),
    )


def shortfall(arrays: AgreementArrays, clients: np.ndarray, units: np.ndarray) -> int:
    """Σ over applicable agreements of max(0, behind − placed this week): what the allocation
    leaves behind schedule."""
    if len(arrays) == 0:
        return 0
    placed = arrays.counted(np.asarray(clients, dtype=np.int64), np.asarray(units, dtype=np.int64)).sum(
        axis=1
    )
    return int(np.maximum(0, arrays.behind - placed).sum())


@dataclass(frozen=True)
class Progress:
    """One agreement after this week's proposal: for the summary."""

    agreement: Agreement
    applies: bool
    due: int
    done: int  # before this week
    proposed: int  # this week's matches it counts
    behind_after: int  # max(0, due − done − proposed)
    room_after: int | None  # what the maximum allows after this week
    party_name: str  # the municipality's name, or the landlord

    def as_dict(self) -> dict:
        a = self.agreement
        return {
            "agreement_id": a.agreement_id,
            "kind": a.kind,
            "party": a.party,
            "party_name": self.party_name,
            "target_group": a.target_group,
            "start": a.start.isoformat(),
            "end": a.end.isoformat(),
            "minimum": a.minimum,
            "maximum": a.maximum,
            "applies_this_week": self.applies,
            "due_by_end_of_week": self.due,
            "placed_before_this_week": self.done,
            "proposed_this_week": self.proposed,
            "behind_after_this_week": self.behind_after,
            "room_left_after_this_week": self.room_after,
        }


def progress(instance: Instance, pairs: Sequence[tuple[str, str]]) -> list[Progress]:
    """Every agreement of the instance with this week's proposed (client_id, unit_id) pairs."""
    clients = {c.client_id: c for c in instance.clients}
    units = {u.unit_id: u for u in instance.units}
    start, end = instance.policy.period.start, instance.policy.period.end
    names = {m.municipality_id: m.name for m in instance.municipalities}
    found = []
    for agreement in instance.agreements:
        applies = agreement.applies(start)
        proposed = (
            sum(
                1
                for client_id, unit_id in pairs
                if counts_unit(agreement, units[unit_id]) and counts_client(agreement, clients[client_id])
            )
            if applies
            else 0
        )
        owed = due(agreement, end) if applies else 0
        left = room(agreement)
        found.append(
            Progress(
                agreement,
                applies,
                owed,
                agreement.placed_so_far,
                proposed,
                max(0, owed - agreement.placed_so_far - proposed),
                None if left is None else max(0, left - proposed),
                names.get(agreement.party, agreement.party)
                if agreement.kind == "municipality"
                else agreement.party,
            )
        )
    return found
