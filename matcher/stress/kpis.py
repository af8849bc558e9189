"""KPI tables of a sweep: the tidy weekly table and the summaries a planner reads.

`kpis.csv` is tidy: one row per scenario, allocation policy, seed, week, KPI and key (the key
names a municipality or an unmatched reason, and is empty otherwise). Every other table is
derived from it and from the placements.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from matcher.stress.scenario import GRID_KEYS, Sweep, label_value
from matcher.stress.simulate import REASONS, RunResult
from models.fields import URGENCIES

# name -> (key, definition); the order is the order of kpis.csv and of the docs
KPIS: dict[str, tuple[str, str]] = {
    "placements": ("", "clients who accepted a proposed unit this week (moved in)"),
    "wait_mean": (
        "",
        "mean weeks waited at placement (from registered_on to the week's Monday) by this week's placements",
    ),
    "wait_p90": ("", "90th percentile of those waiting weeks"),
    "origin_share": ("", "share of this week's placements in the client's municipality of origin"),
    "util_max": (
        "",
        "highest neighbourhood utilisation at the end of the week: (load in the rolling window) / cap, "
        "over neighbourhoods with cap > 0, caps as the scenario sets them",
    ),
    "util_max_base_cap": (
        "",
        "the same load measured against the base instance's caps, comparable across a cap grid",
    ),
    "util_gini": ("", "Gini coefficient of utilisation over neighbourhoods with cap > 0 (0 = evenly spread)"),
    "neighbourhoods_full": (
        "",
        "neighbourhoods with cap > 0 that cannot take another load of 1 in the window",
    ),
    "load_max_per_1000": ("", "highest load in the window per 1,000 dwellings of a neighbourhood"),
    "unmatched": (
        "reason",
        "clients the week's proposal left unmatched, by reason (no_eligible_unit, capacity_full, outranked)",
    ),
    "intake": ("municipality", "placements in the municipality this week"),
    "intake_share_gap": (
        "municipality",
        "cumulative share of placements in the municipality minus its population share, in percentage points",
    ),
    "offers": ("", "matches proposed this week"),
    "declined_by_client": ("", "proposed matches the client declined"),
    "declined_by_landlord": ("", "proposed matches the landlord declined"),
    "refusals": ("", "declined_by_client + declined_by_landlord"),
    "urgency_lapsed": ("", "clients whose urgency lapsed under the refusal rule this week"),
    "instroom": ("", "new clients who joined the queue at the start of the week"),
    "waiting_start": ("", "clients carried over from last week, still waiting at the start of the week"),
    "uitstroom": ("", "clients who left the queue this week because they moved into a unit"),
    "queue_open": ("", "clients still waiting at the end of the week (waiting_start + instroom − uitstroom)"),
    "vacancies_in": ("", "vacancies offered to the scheme this week"),
    "vacancies_returned": (
        "",
        "vacancies returned to the landlord after vacancy_weeks weeks without a tenant",
    ),
    "vacancies_open": ("", "vacancies still open at the end of the week"),
    "offers_by_match": (
        "match",
        "offers by how the home lies for the client: origin, preferred, current (municipality they "
        "stay in now) or elsewhere",
    ),
    "declined_by_client_match": ("match", "offers the client declined, by the same classes"),
    "empty_unit_weeks": (
        "reason",
        "available vacancies not let this week, by why: refused, no_eligible_client, declined_before, "
        "client_not_ready, clients_placed_elsewhere, capacity_full, not_chosen (see docs/stress-tests.md)",
    ),
    "empty_unit_weeks_capacity": (
        "limit",
        "the capacity_full weeks by the limit that stopped the highest-priority client: "
        "neighbourhood_cap, municipality_intake, support_slots",
    ),
    "intake_full": (
        "",
        "municipalities whose agreed intake for the period is used up at the end of the week",
    ),
    "slots_full": (
        "",
        "support-slot rows whose agreed slots for the period are used up at the end of the week",
    ),
}
KPI_ORDER = {name: k for k, name in enumerate(KPIS)}
COLUMNS = ["scenario", "label", "allocation", "seed", "week", "kpi", "key", "value"]


def scenario_table(sweep: Sweep) -> pd.DataFrame:
    """One row per scenario: its index, label and the value of every grid key it sets."""
    rows = []
    for scenario in sweep.scenarios():
        row = {"scenario": scenario.index, "label": scenario.label}
        for key in GRID_KEYS:
            if key in scenario.values:
                row[key] = label_value(key, scenario.values[key])
        rows.append(row)
    return pd.DataFrame(rows)


def _allocation_rank(sweep: Sweep) -> dict[str, int]:
    return {name: k for k, name in enumerate(sweep.allocation)}


def kpi_table(results: Iterable[RunResult], sweep: Sweep) -> pd.DataFrame:
    """The tidy weekly KPI table, sorted the same way whatever order the runs finished in."""
    labels = {s.index: s.label for s in sweep.scenarios()}
    frames = []
    for result in results:
        frame = pd.DataFrame(result.rows, columns=["week", "kpi", "key", "value"])
        frame.insert(0, "seed", result.key.seed)
        frame.insert(0, "allocation", result.key.allocation)
        frame.insert(0, "label", labels[result.key.scenario])
        frame.insert(0, "scenario", result.key.scenario)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    return _sorted(table, sweep)[COLUMNS]


def _sorted(table: pd.DataFrame, sweep: Sweep) -> pd.DataFrame:
    rank = _allocation_rank(sweep)
    keys = {"allocation": lambda s: s.map(rank), "kpi": lambda s: s.map(KPI_ORDER)}
    by = [
        c
        for c in (
            "scenario",
            "allocation",
            "seed",
            "week",
            "kpi",
            "key",
            "neighbourhood_id",
            "municipality_id",
            "client_id",
            "unit_id",
        )
        if c in table.columns
    ]
    return table.sort_values(by, key=lambda s: keys.get(s.name, lambda v: v)(s), kind="stable").reset_index(
        drop=True
    )


def placement_table(results: Iterable[RunResult], sweep: Sweep) -> pd.DataFrame:
    """Every placement of every run, with the run it belongs to."""
    frames = []
    for result in results:
        frame = result.placements.copy()
        frame.insert(0, "seed", result.key.seed)
        frame.insert(0, "allocation", result.key.allocation)
        frame.insert(0, "scenario", result.key.scenario)
        frames.append(frame)
    if not frames:
        return pd.DataFrame()
    return _sorted(pd.concat(frames, ignore_index=True), sweep)


def neighbourhood_table(results: Iterable[RunResult], sweep: Sweep) -> pd.DataFrame:
    """Per scenario, policy and neighbourhood: peak and final utilisation, mean over seeds,
    and the share of weeks it ended full (utilisation ≥ 1)."""
    rows = []
    for result in results:
        utilisation = result.utilisation
        with_cap = ~np.isnan(utilisation).all(axis=0)
        peak = np.where(
            with_cap, np.nanmax(np.where(np.isnan(utilisation), -np.inf, utilisation), axis=0), np.nan
        )
        for k, neighbourhood in enumerate(result.neighbourhood_ids):
            rows.append(
                {
                    "scenario": result.key.scenario,
                    "allocation": result.key.allocation,
                    "seed": result.key.seed,
                    "neighbourhood_id": neighbourhood,
                    "peak_utilisation": peak[k],
                    "final_utilisation": utilisation[-1, k],
                    "weeks_full_share": float(np.mean(utilisation[:, k] >= 1 - 1e-9))
                    if with_cap[k]
                    else np.nan,
                }
            )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    means = (
        frame.groupby(["scenario", "allocation", "neighbourhood_id"], sort=False)[
            ["peak_utilisation", "final_utilisation", "weeks_full_share"]
        ]
        .mean()
        .reset_index()
    )
    return _sorted(means, sweep)


def _scalar(kpis: pd.DataFrame, name: str) -> pd.DataFrame:
    return kpis[(kpis["kpi"] == name) & (kpis["key"] == "")]


def summary_table(kpis: pd.DataFrame, placements: pd.DataFrame, sweep: Sweep) -> pd.DataFrame:
    """Per scenario and allocation policy, over the whole horizon (means over seeds; waiting
    times pooled over all placements of all seeds)."""
    runs = ["scenario", "allocation"]
    last = kpis["week"] == sweep.horizon_weeks

    def per_seed(name: str, how: str, only_last: bool = False) -> pd.Series:
        frame = _scalar(kpis[last] if only_last else kpis, name)
        return frame.groupby(runs + ["seed"], sort=False)["value"].agg(how).groupby(runs, sort=False).mean()

    summary = pd.DataFrame(
        {
            "placements": per_seed("placements", "sum"),
            "placements_sd": _scalar(kpis, "placements")
            .groupby(runs + ["seed"], sort=False)["value"]
            .sum()
            .groupby(runs, sort=False)
            .std(ddof=0),
            "refusals": per_seed("refusals", "sum"),
            "queue_end": per_seed("queue_open", "last", only_last=True),
            "util_max_peak": per_seed("util_max", "max"),
            "util_max_base_cap_peak": per_seed("util_max_base_cap", "max"),
            "util_gini_mean": per_seed("util_gini", "mean"),
            "neighbourhoods_full_end": per_seed("neighbourhoods_full", "last", only_last=True),
            "vacancies_returned": per_seed("vacancies_returned", "sum"),
        }
    )
    if len(placements):
        pooled = placements.groupby(runs, sort=False)
        summary["wait_mean"] = pooled["waiting_weeks"].mean()
        summary["wait_p90"] = pooled["waiting_weeks"].quantile(0.9)
        summary["origin_share"] = pooled["in_origin"].mean()
    else:
        summary["wait_mean"] = summary["wait_p90"] = summary["origin_share"] = np.nan
    gaps = kpis[last & (kpis["kpi"] == "intake_share_gap")]
    summary["intake_gap_total"] = (
        gaps.assign(value=gaps["value"].abs())
        .groupby(runs + ["seed"], sort=False)["value"]
        .sum()
        .div(2)
        .groupby(runs, sort=False)
        .mean()
    )
    reasons = kpis[last & (kpis["kpi"] == "unmatched")]
    for reason in REASONS:
        summary[f"unmatched_{reason}_end"] = (
            reasons[reasons["key"] == reason]
            .groupby(runs + ["seed"], sort=False)["value"]
            .sum()
            .groupby(runs, sort=False)
            .mean()
        )
    summary = summary.reset_index()
    labels = {s.index: s.label for s in sweep.scenarios()}
    summary.insert(1, "label", summary["scenario"].map(labels))
    return _sorted(summary, sweep)


def people_table(results: Iterable[RunResult], sweep: Sweep) -> pd.DataFrame:
    """Every client of every run: wait at placement, or until the end for those still waiting."""
    return _with_run((result, result.people) for result in results).pipe(_sorted, sweep)


def vacancy_table(results: Iterable[RunResult], sweep: Sweep) -> pd.DataFrame:
    """Every vacancy of every run: how it left the scheme, its empty days and weeks by reason."""
    return _with_run((result, result.vacancies) for result in results).pipe(_sorted, sweep)


def _with_run(parts: Iterable[tuple[RunResult, pd.DataFrame]]) -> pd.DataFrame:
    frames = []
    for result, frame in parts:
        frame = frame.copy()
        frame.insert(0, "seed", result.key.seed)
        frame.insert(0, "allocation", result.key.allocation)
        frame.insert(0, "scenario", result.key.scenario)
        frames.append(frame)
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["scenario", "allocation", "seed"])
    )


def waiting_groups(people: pd.DataFrame, sweep: Sweep) -> pd.DataFrame:
    """Per scenario, policy and group (urgency on joining, or source): clients, placed, still
    waiting at the end, and mean weeks waited by everyone, by the placed and by those waiting
    (every client of every seed pooled; each seed has the same clients under every policy)."""
    columns = [
        "scenario",
        "allocation",
        "group",
        "value",
        "clients",
        "placed",
        "waiting_end",
        "wait_all_mean",
        "wait_placed_mean",
        "wait_waiting_end_mean",
    ]
    if people.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    seeds = max(1, len(sweep.seeds))
    for (scenario, allocation), frame in people.groupby(["scenario", "allocation"], sort=False):
        groups = [("all", "all", frame)]
        groups += [("urgency", u, frame[frame["urgency"] == u]) for u in URGENCIES]
        groups += [("source", s, frame[frame["source"] == s]) for s in sorted(frame["source"].unique())]
        for group, value, members in groups:
            placed = members["status"] == "placed"
            rows.append(
                {
                    "scenario": scenario,
                    "allocation": allocation,
                    "group": group,
                    "value": value,
                    "clients": len(members) / seeds,
                    "placed": int(placed.sum()) / seeds,
                    "waiting_end": int((~placed).sum()) / seeds,
                    "wait_all_mean": members["wait_weeks"].mean() if len(members) else np.nan,
                    "wait_placed_mean": members.loc[placed, "wait_weeks"].mean() if placed.any() else np.nan,
                    "wait_waiting_end_mean": members.loc[~placed, "wait_weeks"].mean()
                    if (~placed).any()
                    else np.nan,
                }
            )
    return _sorted(pd.DataFrame(rows, columns=columns), sweep)


SUMMARY_RUN_COLUMNS = (
    "priority_placed",
    "clients_per_vacancy",
    "let_share",
    "let_share_lettable",
    "vacancy_days",
    "wait_all_mean",
    "wait_all_normal",
    "wait_all_high",
    "wait_all_acute",
    "waiting_end",
    "cap_violations",
)
HINDSIGHT_SHARES = ("priority_share_hindsight", "origin_share_hindsight", "vacancy_days_vs_hindsight")
SUMMARY_DIFFS = ("placements", "wait_all_mean", "vacancy_days", "refusals")


def with_run_figures(summary: pd.DataFrame, runs: pd.DataFrame, paired: pd.DataFrame) -> pd.DataFrame:
    """The summary with each run figure's mean over seeds and, for each policy compared with the
    baseline, the paired difference of the key figures and its 95 % interval."""
    if runs.empty:
        return summary
    columns = [*SUMMARY_RUN_COLUMNS, *(c for c in HINDSIGHT_SHARES if c in runs.columns)]
    means = runs.groupby(["scenario", "allocation"], sort=False)[columns].mean().reset_index()
    summary = summary.merge(means, on=["scenario", "allocation"], how="left")
    for metric in SUMMARY_DIFFS:
        rows = paired[paired["metric"] == metric][
            ["scenario", "allocation", "diff_mean", "ci_low", "ci_high"]
        ]
        rows = rows.rename(
            columns={
                "diff_mean": f"diff_{metric}",
                "ci_low": f"diff_{metric}_lo",
                "ci_high": f"diff_{metric}_hi",
            }
        )
        summary = summary.merge(rows, on=["scenario", "allocation"], how="left")
    return summary


def intake_table(kpis: pd.DataFrame, sweep: Sweep, population_share: dict[str, float]) -> pd.DataFrame:
    """Per scenario, policy and municipality: placements over the horizon (mean over seeds),
    their share of all placements and the municipality's population share."""
    intake = kpis[kpis["kpi"] == "intake"]
    per_seed = intake.groupby(["scenario", "allocation", "key", "seed"], sort=False)["value"].sum()
    mean = (
        per_seed.groupby(["scenario", "allocation", "key"], sort=False)
        .mean()
        .rename("placements")
        .reset_index()
    )
    mean = mean.rename(columns={"key": "municipality_id"})
    total = mean.groupby(["scenario", "allocation"], sort=False)["placements"].transform("sum")
    mean["intake_share"] = np.where(total > 0, mean["placements"] / total.where(total > 0, 1), np.nan)
    mean["population_share"] = mean["municipality_id"].map(population_share)
    mean["gap_pp"] = (mean["intake_share"] - mean["population_share"]) * 100
    return _sorted(mean, sweep)
