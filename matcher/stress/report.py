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
    "paired.png": (
        "What the policy changes, seed by seed",
        "Each bar is the mean over seeds of the difference policy − baseline on the same arrivals and "
        "the same answers (common random numbers), as a percentage of the baseline's mean; the line "
        "is its 95 % interval. Right of zero the policy has more of the figure: good for people "
        "placed and placements in the municipality of origin, bad for waits, vacancy days and "
        "refused offers. An interval that crosses zero means the seeds do not show a difference.",
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
    "clients_per_vacancy": "clients per vacancy",
    "let_share": "vacancies let",
    "wait_all_mean": "mean wait, everyone (wk)",
    "wait_all_high": "… high urgency",
    "wait_all_acute": "… acute",
    "waiting_end": "still waiting at end",
    "vacancy_days": "vacancy days",
    "cap_violations": "cap violations (checked)",
    "priority_share_hindsight": "share of hindsight W",
    "wait_mean": "mean wait at placement (wk)",
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
        "people.csv": result.people,
        "vacancies.csv": result.vacancies,
        "runs.csv": result.runs_table,
        "paired.csv": result.paired,
        "waiting.csv": result.waiting,
    }
    if not result.hindsight.empty:
        tables["hindsight.csv"] = result.hindsight
    for name, frame in tables.items():
        write_text(out / name, _csv(frame))
        written[name] = out / name
    pictures = {
        "tradeoff.png": plots.tradeoff(result.summary, result.sweep),
        "waiting.png": plots.waiting(result.placements, result.sweep),
        "utilisation_map.png": plots.utilisation_map(result.neighbourhoods, result.base, result.sweep),
        "queue.png": plots.queue(result.kpis, result.sweep),
        "paired.png": plots.paired(result.paired, result.sweep),
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
            f"client: {_declines_words(sweep)}; landlord {sweep.declines.landlord:g}",
        ),
        ("agreements (intake ceilings, support slots)", _agreement_words(sweep)),
        ("allocation policies", ", ".join(sweep.allocation)),
        ("seeds", ", ".join(str(s) for s in sweep.seeds)),
        (
            "runs",
            f"{len(sweep.scenarios())} scenarios × {len(sweep.allocation)} policies × "
            f"{len(sweep.seeds)} seeds = {result.runs} runs, {result.scenario_weeks} scenario-weeks",
        ),
    ]
    return pd.DataFrame(rows, columns=["setting", "value"])


def _declines_words(sweep) -> str:
    client = sweep.declines.client
    text = (
        f"{client.origin:g} in the municipality of origin, {client.preferred:g} in a preferred one, "
        f"{client.current:g} where they stay now, {client.elsewhere:g} elsewhere"
    )
    if client.after_refusal != 1:
        text += f"; × {client.after_refusal:g} for each earlier refusal"
    return text


def _agreement_words(sweep) -> str:
    agreements = sweep.agreements
    if agreements.period == "week":
        period = "per weekly run, afresh every week"
    else:
        period = f"per {agreements.period} ({agreements.weeks} weeks), used up week by week"

    def source(value, slack: float) -> str:
        if value == "derived":
            return f"derived (slack {slack:g})"
        if isinstance(value, dict):
            return f"as set for {len(value)} municipalities"
        return {"base": "the base instance's", "none": "none"}[value]

    return (
        f"{period}; intake ceilings {source(agreements.intake, agreements.intake_slack)}, "
        f"support slots {source(agreements.slots, agreements.slots_slack)}"
    )


def _interval(mean: float, low: float, high: float, digits: int = 1, unit: str = "") -> str:
    if pd.isna(mean):
        return "–"
    text = f"{mean:+.{digits}f}{unit}"
    if not pd.isna(low):
        text += f" (95 % CI {low:+.{digits}f} to {high:+.{digits}f})"
    return text


def headline(result: SweepResult) -> list[str]:
    """One paragraph per scenario: what bounds placements, and what the policy changes, with
    the paired differences and their intervals."""
    from matcher.stress.paired import baseline_of

    sweep, runs, paired = result.sweep, result.runs_table, result.paired
    if runs.empty:
        return []
    baseline = baseline_of(sweep)
    labels = dict(zip(result.scenarios["scenario"], result.scenarios["label"]))
    means = runs.groupby(["scenario", "allocation"], sort=False).mean(numeric_only=True)
    lines = []
    for scenario in sweep.scenarios():
        mine = means.loc[scenario.index] if scenario.index in means.index.get_level_values(0) else None
        if mine is None:
            continue
        first = mine.iloc[0]
        let = ", ".join(
            f"{allocation} {row['let_share']:.1%} ({row['let_share_lettable']:.1%} of those an eligible, "
            "ready client could have taken)"
            for allocation, row in mine.iterrows()
        )
        unlet = ", ".join(
            f"{allocation} {row['unlet_no_client']:.1f} never had an eligible, ready client, "
            f"{row['unlet_limit']:.1f} were held empty by a cap, intake ceiling or slot row, "
            f"{row['unlet_other']:.1f} were refused or passed over"
            for allocation, row in mine.iterrows()
        )
        text = (
            f"<b>{html.escape(labels.get(scenario.index, scenario.label))}.</b> Supply bounds placements: "
            f"{first['clients']:.0f} clients waited or arrived for {first['vacancies']:.0f} vacancies "
            f"({first['clients_per_vacancy']:.2f} per vacancy, mean over seeds), so at most "
            f"{first['vacancies']:.0f} people can be housed whatever the allocation. Vacancies let: {let}. "
            f"Of the vacancies not let: {unlet}."
        )
        held = mine["unlet_limit"].mean()
        if held > mine["unlet_other"].mean() + mine["unlet_no_client"].mean():
            limit = _dominant_limit(result, scenario.index)
            text += (
                f" Most vacancies not let were held empty by a limit{limit}: beyond supply, the agreed "
                "limits, not the choice of allocation, bound placements."
            )
        if baseline is not None:
            for allocation in sweep.allocation:
                if allocation == baseline:
                    continue
                rows = paired[(paired["scenario"] == scenario.index) & (paired["allocation"] == allocation)]
                figure = rows.set_index("metric")

                def diff(metric: str, digits: int = 1, unit: str = "", figure: pd.DataFrame = figure) -> str:
                    if metric not in figure.index:
                        return "–"
                    row = figure.loc[metric]
                    return _interval(row["diff_mean"], row["ci_low"], row["ci_high"], digits, unit)

                seeds = int(figure.loc["placements", "seeds"]) if "placements" in figure.index else 0
                text += (
                    f" Against {baseline}, over {sweep.horizon_weeks} weeks and {seeds} seed"
                    f"{'s' * (seeds != 1)}, the {allocation} places {diff('placements')} people, "
                    f"{diff('origin_placements')} in their municipality of origin; everyone's mean wait "
                    f"changes by {diff('wait_all_mean', 2, ' wk')} (high urgency "
                    f"{diff('wait_all_high', 2, ' wk')}, acute {diff('wait_all_acute', 2, ' wk')}); "
                    f"vacancy days {diff('vacancy_days', 0)}; refused offers {diff('refusals')}."
                )
        violations = ", ".join(f"{a} {row['cap_violations']:.0f}" for a, row in mine.iterrows())
        text += f" Cap violations, counted independently from the placements: {violations}."
        lines.append(text)
    return lines


def _dominant_limit(result: SweepResult, scenario: int) -> str:
    """` (mostly support slots)`: the limit behind most capacity-full empty weeks, if any."""
    kpis = result.kpis
    rows = kpis[(kpis["scenario"] == scenario) & (kpis["kpi"] == "empty_unit_weeks_capacity")]
    if rows.empty or rows["value"].sum() <= 0:
        return ""
    totals = rows.groupby("key")["value"].sum()
    words = {
        "neighbourhood_cap": "wijk caps",
        "municipality_intake": "intake ceilings",
        "support_slots": "support slots",
    }
    top = str(totals.idxmax())
    return f" (mostly {words.get(top, top)}: {totals[top] / totals.sum():.0%} of the weeks a limit kept a vacancy empty)"


def _paired_view(result: SweepResult) -> pd.DataFrame:
    from matcher.stress.paired import PAIRED_METRICS

    paired = result.paired
    if paired.empty:
        return paired
    labels = dict(zip(result.scenarios["scenario"], result.scenarios["label"]))
    rows = paired[paired["metric"].isin(PAIRED_METRICS)].copy()
    rows["metric"] = pd.Categorical(rows["metric"], categories=list(PAIRED_METRICS), ordered=True)
    rows = rows.sort_values(["scenario", "allocation", "metric"], kind="stable")
    return pd.DataFrame(
        {
            "scenario": rows["scenario"].map(labels),
            "policy − baseline": rows["allocation"] + " − " + rows["baseline"],
            "figure": rows["metric"].astype(str),
            "policy": rows["policy_mean"],
            "baseline": rows["baseline_mean"],
            "difference": rows["diff_mean"],
            "95 % CI low": rows["ci_low"],
            "95 % CI high": rows["ci_high"],
            "seeds": rows["seeds"].astype(float),
        }
    )


def _waiting_view(result: SweepResult) -> pd.DataFrame:
    waiting = result.waiting
    if waiting.empty:
        return waiting
    labels = dict(zip(result.scenarios["scenario"], result.scenarios["label"]))
    return pd.DataFrame(
        {
            "scenario": waiting["scenario"].map(labels),
            "policy": waiting["allocation"],
            "group": waiting["group"] + ": " + waiting["value"],
            "clients": waiting["clients"],
            "placed": waiting["placed"],
            "still waiting": waiting["waiting_end"],
            "mean wait, everyone (wk)": waiting["wait_all_mean"],
            "… placed": waiting["wait_placed_mean"],
            "… still waiting": waiting["wait_waiting_end_mean"],
        }
    )


def _empty_view(result: SweepResult) -> pd.DataFrame:
    from matcher.stress.vacancy import EMPTY_REASONS

    runs = result.runs_table
    if runs.empty:
        return runs
    labels = dict(zip(result.scenarios["scenario"], result.scenarios["label"]))
    columns = ["vacancies", "placements", "vacancy_days", *(f"empty_{r}" for r in EMPTY_REASONS)]
    means = runs.groupby(["scenario", "allocation"], sort=False)[columns].mean().reset_index()
    means.insert(0, "scenario label", means["scenario"].map(labels))
    means = means.drop(columns="scenario").rename(
        columns={"scenario label": "scenario", "allocation": "policy", "placements": "let"}
        | {f"empty_{r}": r.replace("_", " ") for r in EMPTY_REASONS}
    )
    return means


def _hindsight_view(result: SweepResult) -> pd.DataFrame:
    """Per scenario and policy: the shares of the hindsight optimum, mean and lowest over seeds."""
    runs, optimum = result.runs_table, result.hindsight
    if optimum.empty or "priority_share_hindsight" not in runs.columns:
        return pd.DataFrame()
    labels = dict(zip(result.scenarios["scenario"], result.scenarios["label"]))
    grouped = runs.groupby(["scenario", "allocation"], sort=False)
    view = grouped.agg(
        share_mean=("priority_share_hindsight", "mean"),
        share_min=("priority_share_hindsight", "min"),
        origin=("origin_share_hindsight", "mean"),
        days=("vacancy_days_vs_hindsight", "mean"),
        placements=("placements", "mean"),
    ).reset_index()
    per_scenario = optimum.groupby("scenario").agg(
        optimum_placements=("placements", "mean"),
        proven=("priority_proven", "sum"),
        seeds=("seed", "count"),
        seconds=("seconds", "mean"),
    )
    view = view.join(per_scenario, on="scenario")
    return pd.DataFrame(
        {
            "scenario": view["scenario"].map(labels),
            "policy": view["allocation"],
            "priority-weighted placements, % of hindsight (mean)": view["share_mean"] * 100,
            "… lowest seed": view["share_min"] * 100,
            "origin placements, % of hindsight schedule": view["origin"] * 100,
            "vacancy days, % of hindsight schedule": view["days"] * 100,
            "placements": view["placements"],
            "hindsight placements": view["optimum_placements"],
            "hindsight W proven (seeds)": view["proven"].astype(float),
            "of seeds": view["seeds"].astype(float),
            "solve s (mean)": view["seconds"],
        }
    )


def _hindsight_section(result: SweepResult) -> str:
    view = _hindsight_view(result)
    if view.empty:
        return ""
    answers = result.sweep.hindsight.answers if result.sweep.hindsight else "known"
    knows = (
        "every arrival and the answer to every offer (the same random numbers the policies drew, as a first offer)"
        if answers == "known"
        else "every arrival, and makes offers that are always accepted"
    )
    return (
        "<h2>Against hindsight: the clairvoyant optimum</h2>"
        f"<p class='meta'>For each scenario and seed, the best schedule of (client, unit, week) placements a "
        f"coordinator could have made who knew {knows}, under the same rules: eligibility, the caps over the "
        "rolling window, intake ceilings and support slots per agreement period, vacancies going back after "
        "the same weeks. It maximises priority-weighted placements (each client's w on joining the queue), "
        "proven optimal by HiGHS unless the time limit ran out (then the proven bound is in hindsight.csv), "
        "and among those prefers origin placements, then fewer vacancy days. Each policy's figure is divided "
        "by the optimum's of the same seed.</p>" + _table(view, digits=1)
    )


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
<h2>What bounds placements, and what the policy changes</h2>
{"".join(f"<p>{line}</p>" for line in headline(result))}
<h2>Summary over the horizon</h2>
<p class="meta">Means over seeds. “Mean wait, everyone” counts every client of the run: weeks from the priority
decision to placement, or to the end of the horizon for those still waiting (a lower bound for them); “mean wait at
placement” counts the placed only, pooled over every placement, as does the share placed in the municipality of
origin. “Vacancies let” is placements / vacancies. Cap violations are counted from the placements alone, with every
load, window, ceiling and slot recomputed. “Off fair share” is the share of placements (percentage points) that
would have to move for every municipality to receive its population share. Unmatched counts are for the last week's
proposal.</p>
{_table(summary)}
{_hindsight_section(result)}
<h2>Paired differences (policy − baseline, seed by seed)</h2>
<p class="meta">Each seed runs every policy on the same arrivals and the same answers to the same offers; the
difference is taken per seed, then averaged; the interval is the 95 % Student-t interval of that mean over the seeds
(none with one seed). paired.csv holds every figure of runs.csv.</p>
{_table(_paired_view(result))}
<h2>Waiting, for everyone, by urgency and source</h2>
<p class="meta">Every client of every seed pooled (each seed has the same clients under every policy); urgency as
on joining the queue. Counts are per seed.</p>
{_table(_waiting_view(result))}
<h2>Why vacancies stood empty</h2>
<p class="meta">Vacancy-weeks in which an available vacancy was not let, by the first reason that holds (means over
seeds): refused (offered and declined), no eligible client, declined before (only clients who declined it fit it),
client not ready (those who fit it are not ready to move yet), clients placed elsewhere (every client who fits and is
ready was offered another unit), capacity full (they were offered nothing and a cap, intake ceiling or slot row has
no room), not chosen (a client would have fitted within every limit: never in a proven run). Vacancy days run from
when a vacancy is both in the scheme and available to the Monday it is let, goes back to the landlord or the horizon
ends.</p>
{_table(_empty_view(result), digits=1)}
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
