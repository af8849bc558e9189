"""The weekly cycle at a glance: per week proposed, accepted, declined, housed and waiting.

The words are the ledger's one vocabulary (matcher/review/status.py, docs/review-loop.md): a
match is *offered* (sent, no decision yet), *accepted* (by one side, the other not yet),
*housed* (accepted by both), *declined* (by either side) or *withdrawn* (offered earlier, not in
the latest proposal, never decided). The column keys of `matcher history --format csv|json` stay
as they were, so scripts and spreadsheets that read them keep working; three of them keep an
older word or count more than the state of that name, and `HEADINGS` gives the words to show.

Per week, i.e. per period start a proposal or decision belongs to:
- proposed: distinct (client, unit) matches in that week's proposals (and matches decided for
  that week);
- accepted: matches accepted by at least one side and declined by neither, i.e. *accepted* and
  *housed* matches together (shown as "accepted or housed");
- declined: matches declined by the client or the landlord;
- placed: *housed* matches, accepted by both the client and the landlord (shown as "housed");
- open: proposed matches that neither side decided yet, i.e. *offered* and *withdrawn* ones
  (shown as "undecided");
- waiting: clients in the week's pool (from its last proposal) minus those housed;
- refusals: client declines that count as refusals of suitable offers.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pandas as pd

from matcher.i18n import N_
from matcher.review.ledger import counts_as_refusal, is_declined, is_placed, pair_status, read_ledger

COLUMNS = ["week", "proposed", "accepted", "declined", "placed", "open", "waiting", "refusals"]
# the words a coordinator reads for each column key, in the user's language with `_()` (the keys
# themselves stay stable, in every language)
HEADINGS = {
    "week": N_("week"),
    "proposed": N_("proposed"),
    "accepted": N_("accepted or housed"),
    "declined": N_("declined"),
    "placed": N_("housed"),
    "open": N_("undecided"),
    "waiting": N_("waiting"),
    "refusals": N_("refusals"),
}


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
        housed = sum(1 for parties in status.values() if is_placed(parties) and not is_declined(parties))
        proposed = proposed_by_week[week] | set(status)
        refusals = sum(
            1
            for r in decisions_by_week[week]
            if r["party"] == "client" and r["decision"] == "decline" and counts_as_refusal(r["reason_code"])
        )
        waiting = pool[week] - housed if week in pool else None
        rows.append(
            {
                "week": week.isoformat(),
                "proposed": len(proposed),
                "accepted": accepted,
                "declined": declined,
                "placed": housed,  # the key kept from before: accepted by both
                "open": len(proposed - set(status)),
                "waiting": waiting,
                "refusals": refusals,
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["waiting"] = frame["waiting"].astype("Int64")
    return frame
