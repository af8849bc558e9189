"""Write a sweep's outputs: the CSV tables, the PNG pictures, report.html and sweep.json.

Every file is written atomically. report.html is self-contained (pictures embedded as base64),
so it can be mailed or opened offline. sweep.json is written last and records the sha256 of every
other file, the scenario file, the version and how the sweep ran.
"""

from __future__ import annotations

import base64
import html
import json
import platform
from pathlib import Path

import pandas as pd

import matcher
from matcher.io.atomic import write_bytes, write_text
from matcher.io.files import sha256_file
from matcher.io.safe_text import csv_text
from matcher.stress import plots
from matcher.stress.kpis import KPIS
from matcher.stress.sweep import SweepResult

FLOAT_FORMAT = "%.10g"
PICTURES = {
    "tradeoff.png": (
        "Placements against neighbourhood load across the cap grid",
        "Each point is one scenario under one allocation policy: up is more people housed over the "
        "horizon (mean over seeds, bar = ± 1 standard deviation), right is a fuller busiest "
        "neighbourhood (peak load in the rolling window divided by today's cap, so points stay "
        "comparable when the grid changes the cap). Right of the dotted line the busiest wijk carries "
        "more than today's cap allows. A rule is attractive when it moves points up without moving "
        "them far right; the gap between the lines is what the optimiser adds over today's practice. "
        "Every scenario and policy sees the same arrivals and the same answers to the same offers, "
        "so the differences between points are sharper than the seed-to-seed bars suggest.",
    ),
    "waiting.png": (
        "Waiting time at placement",
        "Weeks from the priority decision (registered_on) to the week of placement, for everyone "
        "placed in the horizon, all seeds pooled. The box holds the middle half, the line is the "
        "median, the diamond the mean, the whiskers the 5th and 95th percentiles. Lower and narrower "
        "is better; a long upper whisker means some people wait very long.",
    ),
    "utilisation_map.png": (
        "Where the load lands: peak utilisation per wijk",
        "Each dot is a CBS wijk at its real centroid, sized by its dwellings and coloured by its "
        "peak utilisation over the horizon (mean over seeds). Ringed dots reached their cap at "
        "least once on average; grey dots have no cap (too few dwellings for one placement), so "
        "only exempt units such as Skaeve Huse can land there. Compare columns for the effect of "
        "the rule, rows for the effect of the allocation policy.",
    ),
    "queue.png": (
        "Queue over the weeks",
        "Left: clients still waiting at the end of each week; a rising line means arrivals outpace "
        "placements. Right: people housed so far. Colour is the scenario, a solid line the optimiser, "
        "a dashed line the greedy baseline (means over seeds).",
    ),
}
SUMMARY_COLUMNS = {
    "label": "scenario",
    "allocation": "policy",
    "placements": "placements",
    "wait_mean": "mean wait (wk)",
    "wait_p90": "p90 wait (wk)",
    "origin_share": "in origin",
    "util_max_peak": "peak util (own cap)",
    "util_max_base_cap_peak": "peak util (today's cap)",
    "util_gini_mean": "util Gini",
    "refusals": "refusals",
    "queue_end": "queue at end",
    "intake_gap_total": "off fair share (pp)",
    "unmatched_no_eligible_unit_end": "no eligible unit",
    "unmatched_capacity_full_end": "capacity full",
    "unmatched_outranked_end": "outranked",
    "vacancies_returned": "vacancies returned",
}


def _csv(frame: pd.DataFrame) -> str:
    """A table as CSV via `csv_text`: no text cell begins like a formula; numbers keep their sign."""
    return csv_text(frame, float_format=FLOAT_FORMAT)


def write_outputs(result: SweepResult, out: Path) -> dict[str, Path]:
    """Write every output of the sweep into `out`; return them by name."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    tables = {
        "kpis.csv": result.kpis,
        "summary.csv": result.summary,
        "placements.csv": result.placements,
        "neighbourhoods.csv": _with_places(result),
        "intake.csv": result.intake,
        "scenarios.csv": result.scenarios,
    }
    for name, frame in tables.items():
        write_text(out / name, _csv(frame))
        written[name] = out / name
    pictures = {
        "tradeoff.png": plots.tradeoff(result.summary, result.sweep),
        "waiting.png": plots.waiting(result.placements, result.sweep),
        "utilisation_map.png": plots.utilisation_map(result.neighbourhoods, result.base, result.sweep),
        "queue.png": plots.queue(result.kpis, result.sweep),
    }
    for name, data in pictures.items():
        if data is not None:
            write_bytes(out / name, data)
            written[name] = out / name
    write_text(out / "report.html", report_html(result, {k: v for k, v in pictures.items() if v is not None}))
    written["report.html"] = out / "report.html"
    write_text(out / "sweep.json", json.dumps(metadata(result, written), indent=2, ensure_ascii=False) + "\n")
    written["sweep.json"] = out / "sweep.json"
    return written


def _with_places(result: SweepResult) -> pd.DataFrame:
    places = pd.DataFrame(
        [
            {
                "neighbourhood_id": n.neighbourhood_id,
                "name": n.name,
                "municipality_id": n.municipality_id,
                "dwellings": n.dwellings,
            }
            for n in result.base.neighbourhoods
        ]
    )
    if result.neighbourhoods.empty:
        return result.neighbourhoods
    frame = result.neighbourhoods.merge(places, on="neighbourhood_id", how="left")
    columns = [
        "scenario",
        "allocation",
        "neighbourhood_id",
        "name",
        "municipality_id",
        "dwellings",
        "peak_utilisation",
        "final_utilisation",
        "weeks_full_share",
    ]
    return frame[columns]


def metadata(result: SweepResult, written: dict[str, Path]) -> dict:
    """What ran, where, how fast, and the checksum of every file written."""
    sweep = result.sweep
    source = sweep.source_file
    return {
        "sweep": sweep.name,
        "scenario_file": str(source) if source else None,
        "scenario_file_sha256": sha256_file(source) if source and source.is_file() else None,
        "matcher_version": matcher.__version__,
        "python": platform.python_version(),
        "scenarios": len(sweep.scenarios()),
        "allocation": sweep.allocation,
        "seeds": sweep.seeds,
        "horizon_weeks": sweep.horizon_weeks,
        "runs": result.runs,
        "scenario_weeks": result.scenario_weeks,
        "ran_on": result.where,
        "seconds": round(result.seconds, 3),
        "scenario_weeks_per_second": round(result.scenario_weeks / result.seconds, 3)
        if result.seconds
        else None,
        "mean_seconds_per_week": {
            allocation: round(sum(times) / len(times) / sweep.horizon_weeks, 4)
            for allocation, times in result.run_seconds.items()
        },
        "files": {name: sha256_file(path) for name, path in sorted(written.items())},
    }


# --- report.html ------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1180px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}th{background:#f3f5f7}
td:first-child,th:first-child{text-align:left}.left td{text-align:left}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.9em;color:#444;max-width:900px}.meta{color:#555;font-size:.9em}
code{background:#f3f5f7;padding:0 3px}
"""


def _table(frame: pd.DataFrame, digits: int = 2, css: str = "") -> str:
    def cell(value) -> str:
        if isinstance(value, float):
            if pd.isna(value):
                return "–"
            return f"{value:.{digits}f}" if not value.is_integer() else f"{value:.0f}"
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _setup(result: SweepResult) -> pd.DataFrame:
    sweep = result.sweep
    base = sweep.base
    if base.region:
        described = (
            f"generated for {base.region}: {base.clients} clients waiting, {base.units} vacancies, "
            f"week 1 starts {base.week.isoformat()}, "
            + ("generator seed " + str(base.seed) if base.seed is not None else "one draw per seed")
        )
    else:
        described = f"instance folder {base.instance}"
    rows = [
        ("base", described),
        ("horizon", f"{sweep.horizon_weeks} weeks"),
        ("rolling load window", f"{sweep.window_weeks} weeks"),
        ("vacancy returns to landlord after", f"{sweep.vacancy_weeks} weeks without a tenant"),
        (
            "arrivals per week (Poisson mean)",
            f"{sweep.arrivals.clients_per_week:g} clients, "
            f"{sweep.arrivals.units_per_week:g} vacancies ({sweep.arrival_source})",
        ),
        (
            "chance of declining an offer",
            f"client {sweep.declines.client:g}, landlord {sweep.declines.landlord:g}",
        ),
        ("allocation policies", ", ".join(sweep.allocation)),
        ("seeds", ", ".join(str(s) for s in sweep.seeds)),
        (
            "runs",
            f"{len(sweep.scenarios())} scenarios × {len(sweep.allocation)} policies × "
            f"{len(sweep.seeds)} seeds = {result.runs} runs, {result.scenario_weeks} scenario-weeks",
        ),
    ]
    return pd.DataFrame(rows, columns=["setting", "value"])


def _intake_pivot(result: SweepResult) -> pd.DataFrame:
    intake = result.intake
    if intake.empty:
        return intake
    names = {m.municipality_id: m.name for m in result.base.municipalities}
    labels = dict(zip(result.scenarios["scenario"], result.scenarios["label"]))
    frame = intake.assign(
        run=[f"{labels[s]} · {a}" for s, a in zip(intake["scenario"], intake["allocation"])]
    )
    pivot = frame.pivot_table(index="municipality_id", columns="run", values="intake_share", sort=False) * 100
    pivot.insert(0, "population share %", intake.groupby("municipality_id")["population_share"].first() * 100)
    pivot.insert(0, "municipality", [names.get(m, m) for m in pivot.index])
    return pivot.reset_index(drop=True)


def _fullest(result: SweepResult, count: int = 12) -> pd.DataFrame:
    frame = _with_places(result)
    if frame.empty:
        return frame
    labels = dict(zip(result.scenarios["scenario"], result.scenarios["label"]))
    frame = frame.assign(run=[f"{labels[s]} · {a}" for s, a in zip(frame["scenario"], frame["allocation"])])
    pivot = frame.pivot_table(
        index=["name", "municipality_id", "dwellings"], columns="run", values="peak_utilisation", sort=False
    )
    order = pivot.mean(axis=1).sort_values(ascending=False, kind="stable").index[:count]
    names = {m.municipality_id: m.name for m in result.base.municipalities}
    pivot = pivot.loc[order].reset_index()
    pivot["municipality_id"] = pivot["municipality_id"].map(lambda m: names.get(m, m))
    return pivot.rename(columns={"name": "wijk", "municipality_id": "municipality"})


def report_html(result: SweepResult, pictures: dict[str, bytes]) -> str:
    """One self-contained page: setup, summary, pictures with how to read them, tables, definitions."""
    sweep = result.sweep
    summary = result.summary[[c for c in SUMMARY_COLUMNS if c in result.summary.columns]].rename(
        columns=SUMMARY_COLUMNS
    )
    figures = "".join(
        f'<h2>{html.escape(PICTURES[name][0])}</h2><figure><img alt="{html.escape(PICTURES[name][0])}" '
        f'src="data:image/png;base64,{base64.b64encode(data).decode()}"><figcaption>'
        f"{html.escape(PICTURES[name][1])}</figcaption></figure>"
        for name, data in pictures.items()
    )
    if "utilisation_map.png" not in pictures:
        figures += (
            "<p class='meta'>No map: the base instance's neighbourhoods are not CBS wijken with "
            "coordinates in instances/cbs/neighbourhoods.csv.</p>"
        )
    definitions = pd.DataFrame(
        [(name, key or "–", text) for name, (key, text) in KPIS.items()], columns=["KPI", "key", "definition"]
    )
    source = sweep.source_file.name if sweep.source_file else "(in memory)"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Stress test: {html.escape(sweep.name)}</title>
<style>{_CSS}</style></head><body>
<h1>Stress test: {html.escape(sweep.name)}</h1>
<p class="meta">Scenario file <code>{html.escape(source)}</code> · matcher {html.escape(matcher.__version__)}
· synthetic clients and units; places from CBS (CC BY 4.0)</p>
<p>{html.escape(sweep.description)}</p>
<h2>Set-up</h2>{_table(_setup(result), css="left")}
<h2>Scenarios</h2>{_table(result.scenarios)}
<h2>Summary over the horizon</h2>
<p class="meta">Means over seeds; waiting times and the share placed in the municipality of origin pooled over
every placement. “Off fair share” is the share of placements (percentage points) that would have to move for every
municipality to receive its population share. Unmatched counts are for the last week's proposal.</p>
{_table(summary)}
{figures}
<h2>Intake per municipality against population share (%)</h2>
{_table(_intake_pivot(result), digits=1)}
<h2>Fullest neighbourhoods (peak utilisation, mean over seeds)</h2>
{_table(_fullest(result))}
<h2>KPI definitions</h2>
<p class="meta">kpis.csv holds every KPI per scenario, policy, seed and week (tidy: one value per row).
See docs/stress-tests.md for the simulation's weekly steps.</p>
{_table(definitions, css="left")}
</body></html>
"""
