"""The monitor as one self-contained HTML page: tables, definitions and pictures.

The pictures are PNG files made with matplotlib (Agg backend: no display needed) and embedded as
base64 data: the page loads nothing from anywhere, so it can be mailed or opened offline. Every
value is HTML-escaped. Aggregates only: no client appears on the page.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import date
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

import matcher
from matcher.i18n import _, language
from matcher.monitor.figures import Monitor
from matcher.monitor.tables import Table, definitions, percent, period_words, tables

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em;margin:.6em 0}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:right;vertical-align:top}th{background:#f3f5f7}
td:first-child,th:first-child,td.t{text-align:left}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
.meta{color:#555;font-size:.9em}dt{font-weight:bold;margin-top:.6em}dd{margin-left:1.2em}
"""
BLUE, RED, GREY = "#1f6f8b", "#d1495b", "#8d99ae"


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def weeks_picture(monitor: Monitor) -> str | None:
    """Instroom, housed and still waiting per week."""
    if not monitor.weeks:
        return None
    labels = [week.start.strftime("%d-%m") for week in monitor.weeks]
    positions = range(len(labels))
    figure, axis = plt.subplots(figsize=(8, 3.4))
    width = 0.38
    axis.bar(
        [p - width / 2 for p in positions],
        [w.instroom for w in monitor.weeks],
        width,
        color=GREY,
        label=_("instroom"),
    )
    axis.bar(
        [p + width / 2 for p in positions],
        [w.housed for w in monitor.weeks],
        width,
        color=BLUE,
        label=_("housed"),
    )
    waiting = [w.waiting if w.waiting is not None else float("nan") for w in monitor.weeks]
    axis.plot(list(positions), waiting, color=RED, marker="o", label=_("still waiting"))
    axis.set_xticks(list(positions), labels, rotation=45 if len(labels) > 12 else 0)
    axis.set_xlabel(_("week from"))
    axis.set_ylabel(_("clients"))
    axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    axis.legend(frameon=False)
    axis.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def municipalities_picture(monitor: Monitor) -> str | None:
    """Housed per gemeente, with the ceiling over the period where there is one."""
    housed: dict[str, int] = {}
    for placement in monitor.housed:
        key = placement.municipality_id or "?"
        housed[key] = housed.get(key, 0) + 1
    ceiling = {row.agreement.who: row for row in monitor.agreements}
    names = sorted(set(housed) | set(ceiling))
    if not names:
        return None
    labels = [monitor.municipality_names.get(name, name) for name in names]
    figure, axis = plt.subplots(figsize=(8, 0.5 + 0.4 * len(names)))
    positions = list(range(len(names)))
    axis.barh(positions, [housed.get(name, 0) for name in names], color=BLUE, label=_("housed"))
    axis.set_yticks(positions, labels)
    marked = [
        (float(maximum), position)
        for position, name in zip(positions, names, strict=True)
        if name in ceiling and (maximum := ceiling[name].agreement.maximum) is not None
    ]
    if marked:
        axis.scatter(
            [maximum for maximum, _position in marked],
            [position for _maximum, position in marked],
            marker="|",
            s=600,
            linewidths=3,
            zorder=3,
            color=RED,
            label=_("ceiling over the period"),
        )
    axis.invert_yaxis()
    axis.set_xlabel(_("clients"))
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axis.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{value:.0f}"
    if isinstance(value, date):
        return value.isoformat()
    return html.escape(str(value))


def _table(table: Table, share_columns: tuple[str, ...] = ()) -> str:
    head = "".join(f"<th>{html.escape(column)}</th>" for column in table.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=t' if isinstance(value, str) else ''}>"
            f"{html.escape(percent(value)) if column in share_columns and isinstance(value, float) else _cell(value)}</td>"
            for column, value in zip(table.columns, row, strict=True)
        )
        + "</tr>"
        for row in table.rows
    )
    nothing = not table.rows and not table.note
    empty = f"<p class='meta'>{html.escape(_('Nothing to show for this period.'))}</p>" if nothing else ""
    note = f"<p class='meta'>{html.escape(table.note)}</p>" if table.note else ""
    return f"<h2>{html.escape(table.title)}</h2>{note}{empty}" + (
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>" if table.rows else ""
    )


def _figure(data: str | None, title: str) -> str:
    if data is None:
        return ""
    return f'<figure><img alt="{html.escape(title)}" src="data:image/png;base64,{data}"><figcaption>{html.escape(title)}</figcaption></figure>'


def page_html(monitor: Monitor) -> str:
    """The whole page."""
    shares = (_("share"), _("share of maximum"))
    made = tables(monitor)
    sections = [_table(table, shares) for table in made if table.name != _("Definitions")]
    sections.insert(1, _figure(weeks_picture(monitor), _("Instroom, housed and still waiting per week")))
    sections.insert(
        4,
        _figure(
            municipalities_picture(monitor), _("Housed per gemeente, against the ceiling over the period")
        ),
    )
    words = "".join(
        f"<dt>{html.escape(term)}</dt><dd>{html.escape(text)}</dd>" for term, text in definitions(monitor)
    )
    title = _("Monitor of the voorrangsregeling, {period}", period=period_words(monitor.start, monitor.end))
    sources = _(
        "Ledger {ledger} · matcher {version} · {pools} of {weeks} week(s) with a known pool ({folders} run "
        "folder(s) found of {proposals} proposal(s)). Counts only: no client is named.",
        ledger=monitor.ledger,
        version=matcher.__version__,
        pools=monitor.pools_known,
        weeks=len(monitor.weeks),
        folders=monitor.run_folders,
        proposals=monitor.run_folders_sought,
    )
    empty = (
        f"<p><b>{html.escape(_('The ledger holds no week in this period.'))}</b></p>" if monitor.empty else ""
    )
    return f"""<!DOCTYPE html>
<html lang="{language()}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="meta">{html.escape(sources)}</p>
{empty}
{"".join(sections)}
<h2>{html.escape(_("Definitions"))}</h2><dl>{words}</dl>
</body></html>
"""
