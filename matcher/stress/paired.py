"""What each run did for people, and the paired differences between policies on the same seeds.

Every scenario and every policy of a seed see the same arrivals and the same answer to the same
offer (common random numbers), so the honest comparison of two policies is seed by seed: the
difference per seed, its mean over seeds, and a 95 % interval for that mean from Student's t with
n − 1 degrees of freedom (no interval with one seed). Two identical policies give differences of
exactly 0.

`run_table` has one row per run (scenario, policy, seed) with the figures below; `paired_table`
one row per scenario, policy, baseline policy and figure.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from matcher.stress.scenario import Sweep
from matcher.stress.simulate import RunResult
from matcher.stress.vacancy import EMPTY_REASONS
from models.fields import URGENCIES

SOURCES = ("BW", "MO", "VO", "jeugd")
RUN_KEYS = ["scenario", "allocation", "seed"]

# figure -> what it is; the order of run.csv and of the report's paired table
METRICS: dict[str, str] = {
    "placements": "clients placed over the horizon",
    "priority_placed": "priority-weighted placements: Σ w of the placed clients, each client's w taken "
    "when they joined the queue (week 1 for the week-1 queue), so no schedule gains by letting people wait",
    "origin_placements": "placements in the client's municipality of origin",
    "origin_share": "share of placements in the municipality of origin",
    "offers": "matches offered",
    "refusals": "offers declined, by client or landlord",
    "declined_by_client": "offers the client declined",
    "wait_all_mean": "mean weeks waited by everyone: at placement, or until the end for those still waiting",
    **{f"wait_all_{u}": f"the same for clients of {u} urgency (on joining)" for u in URGENCIES},
    **{f"wait_all_{s}": f"the same for clients leaving {s}" for s in SOURCES},
    "queue_wait_mean": "mean weeks in the scheme's queue, everyone: from joining (week 1 for the week-1 "
    "queue) to placement or the end; the part of the wait a policy can change",
    **{f"queue_wait_{u}": f"the same for clients of {u} urgency (on joining)" for u in URGENCIES},
    "wait_placed_mean": "mean weeks waited at placement, placed clients only",
    "waiting_end": "clients still waiting at the end",
    "wait_waiting_end_mean": "mean weeks waited so far by those still waiting at the end",
    "clients": "clients in the run: the week-1 queue and every arrival",
    "vacancies": "vacancies in the run: week 1's and every arrival",
    "clients_per_vacancy": "clients / vacancies",
    "lettable": "vacancies that could have been let: let, or empty at least one week for a reason "
    "other than no eligible client, declined before or client not ready",
    "let_share": "placements / vacancies",
    "let_share_lettable": "placements / lettable vacancies",
    "unlet_no_client": "vacancies never let that never had an eligible, ready client (every empty week "
    "no eligible client, declined before or client not ready)",
    "unlet_limit": "vacancies never let that had eligible, ready clients only where a cap, intake "
    "ceiling or slot row had no room",
    "unlet_other": "vacancies never let that were refused, or whose eligible clients took other units",
    "vacancy_days": "days vacancies stood empty while available in the scheme (sum)",
    "vacancy_days_mean": "vacancy days per vacancy",
    **{f"empty_{reason}": f"empty vacancy-weeks with reason {reason}" for reason in EMPTY_REASONS},
    "cap_violations": "placements breaking a cap, intake ceiling or slot row, counted independently",
}
PAIRED_METRICS = (
    "placements",
    "priority_placed",
    "origin_placements",
    "refusals",
    "vacancy_days",
    "wait_all_mean",
    *(f"wait_all_{u}" for u in URGENCIES),
    "queue_wait_mean",
    *(f"queue_wait_{u}" for u in URGENCIES),
    "waiting_end",
    "cap_violations",
)


def _mean(values: pd.Series) -> float:
    return float(values.mean()) if len(values) else float("nan")


def run_row(result: RunResult) -> dict[str, float | int | str]:
    """The figures of one run."""
    placements, people, vacancies = result.placements, result.people, result.vacancies
    rows = pd.DataFrame(result.rows, columns=["week", "kpi", "key", "value"])

    def total(kpi: str, key: str = "") -> float:
        return float(rows.loc[(rows["kpi"] == kpi) & (rows["key"] == key), "value"].sum())

    placed = people[people["status"] == "placed"]
    waiting = people[people["status"] == "waiting"]
    n_placed = len(placements)
    lettable = int(vacancies["lettable"].sum()) if len(vacancies) else 0
    row: dict[str, float | int | str] = {
        "scenario": result.key.scenario,
        "allocation": result.key.allocation,
        "seed": result.key.seed,
        "placements": n_placed,
        "priority_placed": float(placements["weight"].sum()) if n_placed else 0.0,
        "origin_placements": int(placements["in_origin"].sum()) if n_placed else 0,
        "origin_share": float(placements["in_origin"].mean()) if n_placed else float("nan"),
        "offers": total("offers"),
        "refusals": total("refusals"),
        "declined_by_client": total("declined_by_client"),
        "wait_all_mean": _mean(people["wait_weeks"]),
        **{f"wait_all_{u}": _mean(people.loc[people["urgency"] == u, "wait_weeks"]) for u in URGENCIES},
        **{f"wait_all_{s}": _mean(people.loc[people["source"] == s, "wait_weeks"]) for s in SOURCES},
        "queue_wait_mean": _mean(people["queue_weeks"]),
        **{f"queue_wait_{u}": _mean(people.loc[people["urgency"] == u, "queue_weeks"]) for u in URGENCIES},
        "wait_placed_mean": _mean(placed["wait_weeks"]),
        "waiting_end": len(waiting),
        "wait_waiting_end_mean": _mean(waiting["wait_weeks"]),
        "clients": len(people),
        "vacancies": len(vacancies),
        "clients_per_vacancy": len(people) / len(vacancies) if len(vacancies) else float("nan"),
        "lettable": lettable,
        "let_share": n_placed / len(vacancies) if len(vacancies) else float("nan"),
        "let_share_lettable": n_placed / lettable if lettable else float("nan"),
        **_unlet(vacancies),
        "vacancy_days": float(vacancies["vacancy_days"].sum()) if len(vacancies) else 0.0,
        "vacancy_days_mean": _mean(vacancies["vacancy_days"].astype(float)),
        **{f"empty_{reason}": total("empty_unit_weeks", reason) for reason in EMPTY_REASONS},
        "cap_violations": int(sum(result.violations.values())),
    }
    return row


def _unlet(vacancies: pd.DataFrame) -> dict[str, int]:
    """Vacancies never let, by what kept them empty over their weeks in the scheme."""
    if vacancies.empty:
        return {"unlet_no_client": 0, "unlet_limit": 0, "unlet_other": 0}
    unlet = vacancies[vacancies["outcome"] != "let"]
    other = unlet[["weeks_refused", "weeks_clients_placed_elsewhere", "weeks_not_chosen"]].sum(axis=1) > 0
    limit = ~other & (unlet["weeks_capacity_full"] > 0)
    return {
        "unlet_no_client": int((~other & ~limit).sum()),
        "unlet_limit": int(limit.sum()),
        "unlet_other": int(other.sum()),
    }


def run_table(results: Iterable[RunResult], sweep: Sweep) -> pd.DataFrame:
    """One row per run with every figure of METRICS, sorted by scenario, policy and seed."""
    rank = {name: k for k, name in enumerate(sweep.allocation)}
    frame = pd.DataFrame([run_row(result) for result in results], columns=[*RUN_KEYS, *METRICS])
    if frame.empty:
        return frame
    frame = frame.sort_values(
        RUN_KEYS, key=lambda s: s.map(rank) if s.name == "allocation" else s, kind="stable"
    )
    return frame.reset_index(drop=True)


def baseline_of(sweep: Sweep) -> str | None:
    """The policy the others are compared with: today's practice (greedy) when it runs, else the
    last listed; None with a single policy."""
    if len(sweep.allocation) < 2:
        return None
    return "greedy" if "greedy" in sweep.allocation else sweep.allocation[-1]


def paired_differences(policy: np.ndarray, baseline: np.ndarray) -> dict[str, float]:
    """Mean of the per-seed differences policy − baseline, with a 95 % t interval (n ≥ 2)."""
    policy, baseline = np.asarray(policy, dtype=float), np.asarray(baseline, dtype=float)
    keep = ~(np.isnan(policy) | np.isnan(baseline))
    diff = policy[keep] - baseline[keep]
    n = len(diff)
    mean = float(diff.mean()) if n else float("nan")
    if n >= 2:
        sd = float(diff.std(ddof=1))
        half = float(stats.t.ppf(0.975, n - 1)) * sd / np.sqrt(n)
        low, high = mean - half, mean + half
    else:
        sd = low = high = float("nan")
    return {
        "seeds": n,
        "policy_mean": float(policy[keep].mean()) if n else float("nan"),
        "baseline_mean": float(baseline[keep].mean()) if n else float("nan"),
        "diff_mean": mean,
        "diff_sd": sd,
        "ci_low": low,
        "ci_high": high,
    }


def paired_table(runs: pd.DataFrame, sweep: Sweep, metrics: Iterable[str] = METRICS) -> pd.DataFrame:
    """Per scenario, policy other than the baseline, and figure: the paired differences."""
    baseline = baseline_of(sweep)
    columns = [
        "scenario",
        "allocation",
        "baseline",
        "metric",
        "seeds",
        "policy_mean",
        "baseline_mean",
        "diff_mean",
        "diff_sd",
        "ci_low",
        "ci_high",
        "diff_relative",
    ]
    if baseline is None or runs.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for scenario in sweep.scenarios():
        base = runs[(runs["scenario"] == scenario.index) & (runs["allocation"] == baseline)].set_index("seed")
        for allocation in sweep.allocation:
            if allocation == baseline:
                continue
            mine = runs[(runs["scenario"] == scenario.index) & (runs["allocation"] == allocation)].set_index(
                "seed"
            )
            seeds = mine.index.intersection(base.index)
            for metric in metrics:
                figures = paired_differences(
                    mine.loc[seeds, metric].to_numpy(), base.loc[seeds, metric].to_numpy()
                )
                reference = figures["baseline_mean"]
                rows.append(
                    {
                        "scenario": scenario.index,
                        "allocation": allocation,
                        "baseline": baseline,
                        "metric": metric,
                        **figures,
                        "diff_relative": figures["diff_mean"] / reference if reference else float("nan"),
                    }
                )
    return pd.DataFrame(rows, columns=columns)
