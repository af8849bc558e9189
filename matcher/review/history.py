"""The weekly cycle at a glance: per week proposed, accepted, declined, placed and waiting.

Definitions (per week, i.e. per period start a proposal or decision belongs to):
- proposed: distinct (client, unit) matches in that week's proposals;
- accepted: matches with at least one accept and no decline (placed ones included);
- declined: matches declined by the client or the landlord;
- placed: matches accepted by both the client and the landlord;
- open: proposed matches without any decision yet;
- waiting: clients in the week's pool (from its last proposal) minus those placed;
- refusals: client declines that count as refusals of suitable offers.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pandas as pd

from matcher.review.ledger import counts_as_refusal, is_declined, is_placed, pair_status, read_ledger

COLUMNS = ["week", "proposed", "accepted", "declined", "placed", "open", "waiting", "refusals"]


def weekly_history(ledger: str | Path) -> pd.DataFrame:
    """One row per week, oldest first, with the counts defined in this module's docstring."""
    state = read_ledger(ledger)
    proposed_by_week: dict = defaultdict(set)
    pool: dict = {}
    week_of_proposal = {p["proposal_id"]: p["period_start"] for p in state.proposals}
    for p in state.proposals:  # by week, then as recorded: the latest of a week sets its pool
        if p["pool_clients"] is not None:
            pool[p["period_start"]] = p["pool_clients"]
    for pair in state.proposed:
        proposed_by_week[week_of_proposal[pair["proposal_id"]]].add((pair["client_id"], pair["unit_id"]))

    decisions_by_week: dict = defaultdict(list)
    for row in state.decisions:
        decisions_by_week[row["period_start"]].append(row)

    rows = []
    for week in sorted(set(proposed_by_week) | set(decisions_by_week)):
        status = pair_status(decisions_by_week[week])
        accepted = sum(
            1
            for parties in status.values()
            if not is_declined(parties) and any(r["decision"] == "accept" for r in parties.values())
        )
        declined = sum(1 for parties in status.values() if is_declined(parties))
        placed = sum(1 for parties in status.values() if is_placed(parties) and not is_declined(parties))
        proposed = proposed_by_week[week] | set(status)
        refusals = sum(
            1
            for r in decisions_by_week[week]
            if r["party"] == "client" and r["decision"] == "decline" and counts_as_refusal(r["reason_code"])
        )
        waiting = pool[week] - placed if week in pool else None
        rows.append(
            {
                "week": week.isoformat(),
                "proposed": len(proposed),
                "accepted": accepted,
                "declined": declined,
                "placed": placed,
                "open": len(proposed - set(status)),
                "waiting": waiting,
                "refusals": refusals,
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["waiting"] = frame["waiting"].astype("Int64")
    return frame
