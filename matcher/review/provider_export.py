"""The provider export (warm hand-over; issue 14, item 5): for one care provider (zorgaanbieder),
its clients whose move is confirmed — a match accepted by the client and by the landlord in the
decisions ledger — with what the provider needs to take over the support: where the client moves
to, whom to call at the corporation and at the matching table, from when, with which support and
on which tenancy.

Never another provider's clients: a row is written only when the client's provider (from the
instance, else from the ledger's record of the proposed pair) is exactly the provider asked for
(compared after trimming, as the reader compares landlords). The file is a CSV (Dutch headers by
default, `matcher.io.headers`, every text cell safe against formula injection,
`matcher.io.safe_text`) or an .xlsx workbook (text cells stay text), written atomically
(`matcher.io.atomic.write_bytes`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from matcher.i18n import N_, _
from matcher.io.headers import SUPPORT_WORDS, header
from models import Instance
from models.contact import coordinator_contact, landlord_contact

# the columns of the export, in order (their headers: matcher.io.headers.HEADERS)
COLUMNS: tuple[str, ...] = (
    "client_id",
    "unit_id",
    "street",
    "house_number",
    "postcode",
    "place",
    "municipality_name",
    "neighbourhood_name",
    "landlord",
    "landlord_contact",
    "coordinator_contact",
    "moving_date",
    "support_intensity",
    "tenancy",
)
TENANCY_WORDS: dict[str, str] = {
    "permanent": N_("permanent home"),
    "trajectory": N_("for the support trajectory"),
}


class UnknownProvider(ValueError):
    """The provider asked for is named by no client, provider_capacity row or ledger record."""

    def __init__(self, provider: str, known: list[str]):
        self.provider, self.known = provider, known
        super().__init__(
            _(
                "unknown care provider {provider}: no client, provider_capacity.csv row or ledger record names "
                "it; known providers: {known}. Write the name exactly as clients.csv does",
                provider=repr(provider),
                known=", ".join(known) if known else _("none"),
            )
        )


@dataclass(frozen=True)
class HandOver:
    """One provider's confirmed moves, ready to write."""

    provider: str
    rows: list[dict[str, Any]]
    since: date
    until: date


def known_providers(instance: Instance, proposed: list[dict]) -> list[str]:
    """Every provider the instance or the ledger names, sorted."""
    names = {c.provider for c in instance.clients if c.provider}
    names |= {s.provider for s in instance.provider_capacity}
    names |= {str(p["provider"]).strip() for p in proposed if p.get("provider")}
    return sorted(names)


def confirmed_moves(
    instance: Instance, ledger: str | Path, provider: str, since: date | None = None
) -> HandOver:
    """The confirmed moves of `provider`'s clients accepted in the weeks from `since` (default:
    the instance's period start) up to and including the instance's period. Raise
    `UnknownProvider` for a provider nobody names."""
    from matcher.review.ledger import is_declined, is_placed, pair_status, read_ledger

    state = read_ledger(ledger)
    wanted = provider.strip()
    known = known_providers(instance, state.proposed)
    if wanted not in known:
        raise UnknownProvider(wanted, known)
    start = instance.policy.period.start
    first = since or start
    status = pair_status(row for row in state.decisions if row["period_start"] <= start)
    records: dict[tuple[str, str], dict] = {}
    for record in state.proposed:  # the latest proposal's record of a pair (they are in id order)
        records[(record["client_id"], record["unit_id"])] = record
    clients = {c.client_id: c for c in instance.clients}
    units = {u.unit_id: u for u in instance.units}
    municipalities = {m.municipality_id: m for m in instance.municipalities}
    neighbourhoods = {n.neighbourhood_id: n for n in instance.neighbourhoods}

    placed = sorted(
        (
            (max(r["period_start"] for r in parties.values()), pair)
            for pair, parties in status.items()
            if is_placed(parties) and not is_declined(parties)
        ),
        reverse=True,
    )
    taken: set[str] = set()
    rows = []
    for week, (client_id, unit_id) in placed:
        if client_id in taken:  # a client moves once: the latest accepted match
            continue
        taken.add(client_id)
        if week < first:
            continue
        record = records.get((client_id, unit_id), {})
        client, unit = clients.get(client_id), units.get(unit_id)
        own = client.provider if client is not None else record.get("provider")
        if (own or "").strip() != wanted:
            continue
        landlord = unit.landlord if unit is not None else record.get("landlord", "")
        municipality = unit.municipality_id if unit is not None else record.get("municipality_id")
        neighbourhood = unit.neighbourhood_id if unit is not None else record.get("neighbourhood_id")
        intensity = client.support_intensity if client is not None else record.get("support_intensity")
        contact = landlord_contact(instance.contacts, landlord)
        coordinator = coordinator_contact(instance.contacts, landlord)
        moving = None
        if unit is not None:
            moving = max(d for d in (unit.available_from, client.ready_from if client else None) if d)
        rows.append(
            {
                "client_id": client_id,
                "unit_id": unit_id,
                "street": (unit.street if unit else None) or "",
                "house_number": (unit.house_number if unit else None) or "",
                "postcode": (unit.postcode if unit else None) or "",
                "place": (unit.place if unit else None) or "",
                "municipality_name": municipalities[municipality].name
                if municipality in municipalities
                else (municipality or ""),
                "neighbourhood_name": neighbourhoods[neighbourhood].name
                if neighbourhood in neighbourhoods
                else (neighbourhood or ""),
                "landlord": landlord,
                "landlord_contact": contact.words() if contact else "",
                "coordinator_contact": coordinator.words() if coordinator else "",
                "moving_date": moving.isoformat() if moving else "",
                "support_intensity": _(SUPPORT_WORDS[intensity]) if intensity in SUPPORT_WORDS else "",
                "tenancy": _(TENANCY_WORDS["permanent" if unit.permanent else "trajectory"]) if unit else "",
            }
        )
    rows.sort(key=lambda row: (row["moving_date"], row["client_id"]))
    return HandOver(wanted, rows, first, start)


def export_bytes(hand_over: HandOver, xlsx: bool) -> bytes:
    """The export as CSV (UTF-8, like every output) or .xlsx."""
    headers = [header(column) for column in COLUMNS]
    table = [[str(row[column]) for column in COLUMNS] for row in hand_over.rows]
    if not xlsx:
        from matcher.io.safe_text import csv_rows_text

        return csv_rows_text([headers, *table]).encode("utf-8")
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from matcher.io.safe_text import text_cells

    book = Workbook()
    sheet = book.active
    sheet.title = _("Hand-over")[:31]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for column, name in zip(sheet.columns, headers):
        width = max([len(name), *(len(str(cell.value or "")) for cell in column)])
        sheet.column_dimensions[column[0].column_letter].width = min(60, width + 2)
    text_cells(book)  # a text that begins with `=` stays text
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_export(hand_over: HandOver, out: Path) -> None:
    """Write the export atomically; .xlsx by the file's suffix, else CSV."""
    from matcher.io.atomic import write_bytes

    write_bytes(out, export_bytes(hand_over, out.suffix.lower() == ".xlsx"))
