"""Write a sweep's outputs: the CSV tables, the PNG pictures, report.html and sweep.json.

Every file is written atomically. report.html is self-contained (pictures embedded as base64),
so it can be mailed or opened offline; every word on it comes from the message catalogue (Dutch
by default, English with --lang en). sweep.json is written last and records the sha256 of every
other file, the scenario file, the version and how the sweep ran.

The page opens with what a planner needs at a glance: what the optimiser changes for people
against today's practice (a sentence per scenario and a dot-and-interval picture of the paired
differences), and where the wijk load comes from — the load the wijken carried at the start of
the simulation, which fades out over the rolling window and can exceed a cap, apart from the
load the engine placed, which never does (the independent recount's cap violations beside it).
"""

from __future__ import annotations

import base64
import html
import json
import platform
from pathlib import Path

import numpy as np
import pandas as pd

import matcher
from matcher.i18n import N_, _, language
from matcher.io.atomic import write_bytes, write_text
from matcher.io.files import sha256_file
from matcher.io.safe_text import csv_text
from matcher.stress import plots
from matcher.stress.kpis import KPIS
from matcher.stress.plots import PAIRED_FIGURES, policy_name, verdict
from matcher.stress.sweep import SweepResult
from models import Instance

FLOAT_FORMAT = "%.10g"
PICTURES = {
    "paired.png": (
        N_("What the optimiser changes, seed by seed"),
        N_(
            "One small panel per figure; in each, one row per scenario. The dot is the mean over seeds of "
            "the difference policy − baseline on the same arrivals and the same answers to the same offers "
            "(common random numbers), the line its 95 % interval, the vertical line zero. The words above "
            "each panel say which side is better for that figure: more people housed is better, a longer "
            "wait is worse. Green: the whole interval lies on the better side; red: on the worse side; "
            "grey: the interval crosses zero, so the seeds do not show a difference."
        ),
    ),
    "tradeoff.png": (
        N_("Placements against wijk load across the cap grid"),
        N_(
            "Each point is one scenario under one allocation policy: up is more people housed over the "
            "horizon (mean over seeds, bar = ± 1 standard deviation), right is a fuller busiest wijk (peak "
            "load in the rolling window divided by today's cap, so points stay comparable when the grid "
            "changes the cap; the load from the start of the simulation is included, see the section on "
            "wijk load). Right of the dotted line the busiest wijk carries more than today's cap allows. A "
            "rule is attractive when it moves points up without moving them far right."
        ),
    ),
    "utilisation_map.png": (
        N_("Where the load lands: peak utilisation per wijk"),
        N_(
            "Each dot is a CBS wijk at its centroid, sized by its dwellings and coloured by its peak "
            "utilisation over the horizon (mean over seeds, load from the start included). Ringed dots "
            "reached their cap at least once on average; grey dots have no cap (too few dwellings for one "
            "placement), so only exempt units such as Skaeve Huse can land there. One row per scenario, one "
            "column per policy. The grey lines are municipal boundaries, approximated: the edges between "
            "the areas nearest to each wijk centroid (Voronoi cells) where the two wijken belong to "
            "different municipalities, within the region's outline plus a margin. They are not the legal "
            "boundaries. Names stand at the centre of each municipality's wijken, moved apart where they "
            "would overlap."
        ),
    ),
    "queue.png": (
        N_("Queue over the weeks"),
        N_(
            "One row per policy. Left: clients still waiting (nog wachtend) at the end of each week; a "
            "rising line means arrivals outpace placements. Right: people housed so far. One colour per "
            "scenario, named at the end of its line and in the legend (means over seeds)."
        ),
    ),
    "waiting.png": (
        N_("Waiting time at placement"),
        N_(
            "Weeks from the priority decision (registered_on) to the week of placement, for everyone placed "
            "in the horizon, all seeds pooled. The box holds the middle half, the line is the median, the "
            "diamond the mean, the whiskers the 5th and 95th percentiles. Lower and narrower is better; a "
            "long upper whisker means some people wait very long."
        ),
    ),
}
# the summary, split in tables narrow enough for the page: column -> heading
SUMMARY_PEOPLE = {
    "label": N_("scenario"),
    "allocation": N_("policy"),
    "placements": N_("housed"),
    "clients_per_vacancy": N_("clients per vacancy"),
    "let_share": N_("vacancies let"),
    "origin_share": N_("in municipality of origin"),
    "waiting_end": N_("still waiting at the end"),
    "refusals": N_("refused offers"),
}
SUMMARY_WAITS = {
    "label": N_("scenario"),
    "allocation": N_("policy"),
    "wait_all_mean": N_("mean wait, everyone (wk)"),
    "wait_all_high": N_("… high urgency"),
    "wait_all_acute": N_("… acute"),
    "wait_mean": N_("mean wait at placement (wk)"),
    "wait_p90": N_("p90 wait (wk)"),
}
SUMMARY_PLACES = {
    "label": N_("scenario"),
    "allocation": N_("policy"),
    "vacancy_days": N_("vacancy days"),
    "vacancies_returned": N_("vacancies returned"),
    "util_max_peak": N_("peak utilisation (own cap, start load included)"),
    "util_max_base_cap_peak": N_("peak utilisation (today's cap, start load included)"),
    "util_gini_mean": N_("utilisation Gini"),
    "cap_violations": N_("cap violations (independent recount)"),
    "intake_gap_total": N_("off fair share (pp)"),
    "priority_share_hindsight": N_("share of hindsight W"),
}
SUMMARY_UNMATCHED = {
    "label": N_("scenario"),
    "allocation": N_("policy"),
    "queue_end": N_("queue at the end"),
    "unmatched_no_eligible_unit_end": N_("no eligible unit"),
    "unmatched_capacity_full_end": N_("capacity full"),
    "unmatched_outranked_end": N_("outranked"),
}
# kept for callers that want every summary column under one heading
SUMMARY_COLUMNS = SUMMARY_PEOPLE | SUMMARY_WAITS | SUMMARY_PLACES | SUMMARY_UNMATCHED
WIDE = 12  # a table with more columns than this sits in a scroll container, the last resort


def _csv(frame: pd.DataFrame) -> str:
    """A table as CSV via `csv_text`: no text cell begins like a formula; numbers keep their sign."""
    return csv_text(frame, float_format=FLOAT_FORMAT)


def region_name(result: SweepResult) -> str:
    """The region a sweep runs on, as a planner names it."""
    sweep = result.sweep
    if sweep.base.region:
        from matcher.generate.regions import regions_for

        try:
            return ", ".join(region.label for region in regions_for(sweep.base.region))
        except ValueError:
            return sweep.base.region
    if sweep.base.instance is not None:
        return Path(str(sweep.base.instance)).name
    return sweep.name


def write_outputs(result: SweepResult, out: Path) -> dict[str, Path]:
    """Write every output of the sweep into `out`; return them by name."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    split = load_split(result)
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
        "load.csv": split,
    }
    if not result.hindsight.empty:
        tables["hindsight.csv"] = result.hindsight
    for name, frame in tables.items():
        write_text(out / name, _csv(frame))
        written[name] = out / name
    pictures = {
        "paired.png": plots.paired(result.paired, result.sweep, region_name(result)),
        "tradeoff.png": plots.tradeoff(result.summary, result.sweep),
        "utilisation_map.png": plots.utilisation_map(result.neighbourhoods, result.base, result.sweep),
        "queue.png": plots.queue(result.kpis, result.sweep),
        "waiting.png": plots.waiting(result.placements, result.sweep),
    }
    for name, data in pictures.items():
        if data is not None:
            write_bytes(out / name, data)
            written[name] = out / name
    drawn = {k: v for k, v in pictures.items() if v is not None}
    write_text(out / "report.html", report_html(result, drawn, split))
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


# --- where the wijk load comes from ---------------------------------------------------------------------

LOAD_COLUMNS = [
    "scenario",
    "allocation",
    "seeds",
    "peak_utilisation",
    "peak_start_part",
    "peak_engine_part",
    "start_utilisation",
    "engine_peak_utilisation",
    "wijken_over_cap_at_start",
    "cap_violations",
]


def _bases(result: SweepResult) -> dict[int, Instance]:
    """Each seed's base instance: the one the sweep shares, or the generator's draw per seed."""
    from matcher.stress.arrivals import base_instance
    from matcher.stress.sweep import shared_base

    sweep = result.sweep
    if shared_base(sweep, result.base) is not None:
        return dict.fromkeys(sweep.seeds, result.base)
    return {seed: result.base if k == 0 else base_instance(sweep, seed) for k, seed in enumerate(sweep.seeds)}


def _run_load(placements: pd.DataFrame, start: Instance, window: int, horizon: int) -> dict[str, float]:
    """One run's wijk utilisation split in the load the wijken carried at the start (fading out
    evenly over the window) and the load the engine placed, as the simulation measures it at the
    end of every week."""
    from matcher.rules.capacity import load_of
    from matcher.stress.simulate import caps_of

    ids = [n.neighbourhood_id for n in start.neighbourhoods]
    index = {n: k for k, n in enumerate(ids)}
    caps = caps_of(start)
    with_cap = caps > 0
    recent = np.array([n.recent_load for n in start.neighbourhoods], dtype=float)
    placed = np.zeros((horizon, len(ids)))
    if len(placements):
        loads = [
            load_of(start.policy, intensity, unit_type)
            for intensity, unit_type in zip(placements["support_intensity"], placements["unit_type"])
        ]
        np.add.at(
            placed,
            (
                placements["week"].to_numpy(dtype=int) - 1,
                placements["neighbourhood_id"].map(index).to_numpy(dtype=int),
            ),
            np.asarray(loads, dtype=float),
        )
    running = np.vstack([np.zeros(len(ids)), placed.cumsum(axis=0)])
    weeks = np.arange(horizon)
    engine = running[weeks + 1] - running[np.maximum(0, weeks - window)]
    fading = np.maximum(0, window - weeks)[:, None] / window
    from_start = recent[None, :] * fading
    if not with_cap.any():
        nan = float("nan")
        return dict.fromkeys(
            [
                "peak_utilisation",
                "peak_start_part",
                "peak_engine_part",
                "start_utilisation",
                "engine_peak_utilisation",
            ],
            nan,
        ) | {"wijken_over_cap_at_start": 0.0}
    cap = caps[with_cap]
    start_part, engine_part = from_start[:, with_cap] / cap, engine[:, with_cap] / cap
    total = start_part + engine_part
    week, wijk = np.unravel_index(int(np.argmax(total)), total.shape)
    return {
        "peak_utilisation": float(total[week, wijk]),
        "peak_start_part": float(start_part[week, wijk]),
        "peak_engine_part": float(engine_part[week, wijk]),
        "start_utilisation": float((recent[with_cap] / cap).max()),
        "engine_peak_utilisation": float(engine_part.max()),
        "wijken_over_cap_at_start": float((recent[with_cap] > cap + 1e-9).sum()),
    }


def load_split(result: SweepResult) -> pd.DataFrame:
    """Per scenario and policy (means over seeds): the busiest wijk's peak utilisation and how
    much of it is load from the start of the simulation and how much the engine placed; the
    highest utilisation at the start and from the engine's placements alone; the wijken above
    their cap at the start; and the cap violations the independent recount found (all seeds)."""
    from matcher.stress.agreements import agreed_instance

    sweep, placements, runs = result.sweep, result.placements, result.runs_table
    if runs.empty:
        return pd.DataFrame(columns=LOAD_COLUMNS)
    bases = _bases(result)
    agreed = {seed: agreed_instance(base, sweep) for seed, base in bases.items()}
    rows = []
    for scenario in sweep.scenarios():
        starts = {seed: scenario.apply(instance) for seed, instance in agreed.items()}
        for allocation in sweep.allocation:
            figures = []
            for seed in sweep.seeds:
                mine = (
                    placements[
                        (placements["scenario"] == scenario.index)
                        & (placements["allocation"] == allocation)
                        & (placements["seed"] == seed)
                    ]
                    if len(placements)
                    else placements
                )
                figures.append(_run_load(mine, starts[seed], sweep.window_weeks, sweep.horizon_weeks))
            mean = pd.DataFrame(figures).mean()
            recount = runs[(runs["scenario"] == scenario.index) & (runs["allocation"] == allocation)]
            rows.append(
                {
                    "scenario": scenario.index,
                    "allocation": allocation,
                    "seeds": len(figures),
                    **mean.to_dict(),
                    "cap_violations": int(recount["cap_violations"].sum()),
                }
            )
    return pd.DataFrame(rows, columns=LOAD_COLUMNS)


def _load_section(result: SweepResult, split: pd.DataFrame) -> str:
    if split.empty:
        return ""
    sweep = result.sweep
    labels = dict(zip(result.scenarios["scenario"], result.scenarios["label"]))
    violations = int(split["cap_violations"].sum())
    text = _(
        "Utilisation is the load a wijk carries in the rolling window of {window} weeks divided by its "
        "cap. The load a wijk carries at the start of the simulation (its recent placements from before "
        "week 1) counts in that window and fades out evenly over its {window} weeks. That load can "
        "already be above the cap: the wijk then shows a utilisation above 1 without the engine having "
        "placed anyone there. The engine never places someone where that would take a wijk over its "
        "cap, so the load the engine placed stays at or below 1 of the cap.",
        window=sweep.window_weeks,
    )
    over = split["start_utilisation"].max()
    if pd.notna(over) and over > 1 + 1e-9:
        text += " " + _(
            "In this sweep the fullest wijk starts at {value} of its cap (load from the start of the "
            "simulation alone); that is where utilisations above 1 come from.",
            value=f"{over:.2f}",
        )
    engine_top = split["engine_peak_utilisation"].max()
    if pd.notna(engine_top):
        text += " " + _(
            "The load the engine placed reaches at most {value} of a cap in any wijk and week.",
            value=f"{engine_top:.2f}",
        )
    text += " " + _(
        "The independent recount (every placement's load, window, intake ceiling and slot row "
        "recomputed from the placements alone, sharing no code with the engine) found {count} cap "
        "violations in {runs} runs.",
        count=violations,
        runs=result.runs,
    )
    view = pd.DataFrame(
        {
            _("scenario"): split["scenario"].map(labels),
            _("policy"): split["allocation"].map(policy_name),
            _("peak utilisation, busiest wijk"): split["peak_utilisation"],
            _("… of which load from the start of the simulation"): split["peak_start_part"],
            _("… of which load the engine placed"): split["peak_engine_part"],
            _("utilisation at the start, fullest wijk"): split["start_utilisation"],
            _("highest utilisation from the engine's placements alone"): split["engine_peak_utilisation"],
            _("wijken above their cap at the start"): split["wijken_over_cap_at_start"],
            _("cap violations (independent recount, all seeds)"): split["cap_violations"].astype(float),
        }
    )
    return (
        f"<h2>{html.escape(_('Wijk load: from the start of the simulation, and placed by the engine'))}</h2>"
        f'<p class="explain">{html.escape(text)}</p>'
        f'<p class="meta">{html.escape(_("Means over seeds. Utilisation = load in the window / cap as the scenario sets it; load.csv holds these figures."))}</p>'
        + _table(view)
    )


# --- what the engine changes for people -----------------------------------------------------------------


def _signed(value: float, digits: int) -> str:
    return "–" if pd.isna(value) else f"{value:+.{digits}f}".replace("-", "−")


def _interval_words(row: pd.Series, digits: int) -> str:
    if pd.isna(row["ci_low"]):
        return _("no interval with one seed")
    return _(
        "95 % interval {low} to {high}",
        low=_signed(row["ci_low"], digits),
        high=_signed(row["ci_high"], digits),
    )


def people_sentences(result: SweepResult) -> list[str]:
    """One sentence per scenario and policy other than the baseline: what it changes for people
    against the baseline (people housed and everyone's mean wait), with the 95 % intervals."""
    from matcher.stress.paired import baseline_of

    sweep, paired = result.sweep, result.paired
    baseline = baseline_of(sweep)
    if baseline is None or paired.empty:
        return []
    labels = dict(zip(result.scenarios["scenario"], result.scenarios["label"]))
    region = region_name(result)
    sentences = []
    for scenario in sweep.scenarios():
        for allocation in sweep.allocation:
            if allocation == baseline:
                continue
            figures = paired[(paired["scenario"] == scenario.index) & (paired["allocation"] == allocation)]
            figures = figures.set_index("metric")
            if "placements" not in figures.index or "wait_all_mean" not in figures.index:
                continue
            housed, wait = figures.loc["placements"], figures.loc["wait_all_mean"]
            count = abs(float(housed["diff_mean"]))
            housed_words = (
                _(
                    "houses {count} more people than {baseline}",
                    count=f"{count:.1f}",
                    baseline=policy_name(baseline),
                )
                if housed["diff_mean"] >= 0
                else _(
                    "houses {count} fewer people than {baseline}",
                    count=f"{count:.1f}",
                    baseline=policy_name(baseline),
                )
            )
            weeks = abs(float(wait["diff_mean"]))
            wait_words = (
                _("everyone waits {weeks} weeks shorter on average", weeks=f"{weeks:.2f}")
                if wait["diff_mean"] <= 0
                else _("everyone waits {weeks} weeks longer on average", weeks=f"{weeks:.2f}")
            )
            sentence = _(
                "In {region}, {scenario}: the {policy} {housed} over {horizon} weeks ({housed_interval}), "
                "and {wait} ({wait_interval}).",
                region=region,
                scenario=labels.get(scenario.index, scenario.label),
                policy=policy_name(allocation),
                housed=housed_words,
                horizon=sweep.horizon_weeks,
                housed_interval=_interval_words(housed, 1),
                wait=wait_words,
                wait_interval=_interval_words(wait, 2),
            )
            clear = [
                verdict(float(row["ci_low"]), float(row["ci_high"]), PAIRED_FIGURES[metric][1])
                for metric, row in ((m, figures.loc[m]) for m in ("placements", "wait_all_mean"))
            ]
            if all(word == "unclear" for word in clear):
                sentence += " " + _("Both intervals include zero: the seeds do not show a clear difference.")
            sentences.append(sentence)
    return sentences


# --- report.html ------------------------------------------------------------------------------------

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1400px;margin:2em auto;
padding:0 1.2em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}
h3{font-size:1.05em;margin:1.2em 0 .3em}
table{border-collapse:collapse;font-size:.84em;margin:.6em 0;max-width:100%}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:right;vertical-align:top}
th{background:#f3f5f7;font-weight:600;white-space:normal;overflow-wrap:break-word;hyphens:auto;
max-width:11em;vertical-align:bottom}
td{white-space:nowrap}
td:first-child,th:first-child,td:nth-child(2){text-align:left}
.left td{text-align:left;white-space:normal;overflow-wrap:anywhere}
.table-wrap{overflow-x:auto;max-width:100%}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#444;max-width:1000px}.meta{color:#555;font-size:.9em;max-width:1000px}
.explain{background:#fff8e6;border-left:4px solid #e0a800;padding:.6em .9em;max-width:1000px}
.glance li{margin:.3em 0}
code{background:#f3f5f7;padding:0 3px}
@media (max-width:1200px){table{font-size:.74em}th{max-width:7em}td{white-space:normal}
.table-wrap,table{overflow-x:auto}}
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
    table = f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    return f'<div class="table-wrap">{table}</div>' if len(frame.columns) > WIDE else table


def _setup(result: SweepResult) -> pd.DataFrame:
    sweep = result.sweep
    base = sweep.base
    if base.region:
        described = _(
            "generated for {region}: {clients} clients waiting, {units} vacancies, week 1 starts {week}, {seed}",
            region=region_name(result),
            clients=base.clients,
            units=base.units,
            week=base.week.isoformat(),
            seed=_("generator seed {seed}", seed=base.seed)
            if base.seed is not None
            else _("one draw per seed"),
        )
    else:
        described = _("instance folder {folder}", folder=base.instance)
    rows = [
        (_("base"), described),
        (_("horizon"), _("{weeks} weeks", weeks=sweep.horizon_weeks)),
        (_("rolling load window"), _("{weeks} weeks", weeks=sweep.window_weeks)),
        (
            _("vacancy returns to landlord after"),
            _("{weeks} weeks without a tenant", weeks=sweep.vacancy_weeks),
        ),
        (
            _("arrivals per week (Poisson mean)"),
            _(
                "{clients} clients, {units} vacancies ({source})",
                clients=f"{sweep.arrivals.clients_per_week:g}",
                units=f"{sweep.arrivals.units_per_week:g}",
                source=sweep.arrival_source,
            ),
        ),
        (
            _("chance of declining an offer"),
            _(
                "client: {client}; landlord {landlord}",
                client=_declines_words(sweep),
                landlord=f"{sweep.declines.landlord:g}",
            ),
        ),
        (_("agreements (intake ceilings, support slots)"), _agreement_words(sweep)),
        (_("allocation policies"), ", ".join(policy_name(a) for a in sweep.allocation)),
        (_("seeds"), ", ".join(str(s) for s in sweep.seeds)),
        (
            _("runs"),
            _(
                "{scenarios} scenarios × {policies} policies × {seeds} seeds = {runs} runs, {weeks} scenario-weeks",
                scenarios=len(sweep.scenarios()),
                policies=len(sweep.allocation),
                seeds=len(sweep.seeds),
                runs=result.runs,
                weeks=result.scenario_weeks,
            ),
        ),
    ]
    return pd.DataFrame(rows, columns=[_("setting"), _("value")])


def _declines_words(sweep) -> str:
    client = sweep.declines.client
    text = _(
        "{origin} in the municipality of origin, {preferred} in a preferred one, {current} where they "
        "stay now, {elsewhere} elsewhere",
        origin=f"{client.origin:g}",
        preferred=f"{client.preferred:g}",
        current=f"{client.current:g}",
        elsewhere=f"{client.elsewhere:g}",
    )
    if client.after_refusal != 1:
        text += "; " + _("× {factor} for each earlier refusal", factor=f"{client.after_refusal:g}")
    return text


PERIOD_NAMES = {"quarter": N_("quarter"), "year": N_("year")}


def _agreement_words(sweep) -> str:
    agreements = sweep.agreements
    if agreements.period == "week":
        period = _("per weekly run, afresh every week")
    else:
        period = _(
            "per {period} ({weeks} weeks), used up week by week",
            period=_(PERIOD_NAMES[agreements.period])
            if agreements.period in PERIOD_NAMES
            else agreements.period,
            weeks=agreements.weeks,
        )

    def source(value, slack: float) -> str:
        if value == "derived":
            return _("derived (slack {slack})", slack=f"{slack:g}")
        if isinstance(value, dict):
            return _("as set for {count} municipalities", count=len(value))
        return {"base": _("the base instance's"), "none": _("none")}[value]

    return _(
        "{period}; intake ceilings {intake}, support slots {slots}",
        period=period,
        intake=source(agreements.intake, agreements.intake_slack),
        slots=source(agreements.slots, agreements.slots_slack),
    )


def _interval(mean: float, low: float, high: float, digits: int = 1, unit: str = "") -> str:
    if pd.isna(mean):
        return "–"
    text = f"{_signed(mean, digits)}{unit}"
    if not pd.isna(low):
        text += (
            " (" + _("95 % CI {low} to {high}", low=_signed(low, digits), high=_signed(high, digits)) + ")"
        )
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
            _(
                "{policy} {share} ({lettable} of those an eligible, ready client could have taken)",
                policy=policy_name(str(allocation)),
                share=f"{row['let_share']:.1%}",
                lettable=f"{row['let_share_lettable']:.1%}",
            )
            for allocation, row in mine.iterrows()
        )
        unlet = ", ".join(
            _(
                "{policy}: {none} never had an eligible, ready client, {limit} were held empty by a cap, "
                "intake ceiling or slot row, {other} were refused or passed over",
                policy=policy_name(str(allocation)),
                none=f"{row['unlet_no_client']:.1f}",
                limit=f"{row['unlet_limit']:.1f}",
                other=f"{row['unlet_other']:.1f}",
            )
            for allocation, row in mine.iterrows()
        )
        text = f"<b>{html.escape(labels.get(scenario.index, scenario.label))}.</b> " + html.escape(
            _(
                "Supply bounds placements: {clients} clients waited or arrived for {vacancies} vacancies "
                "({per} per vacancy, mean over seeds), so at most {vacancies} people can be housed whatever "
                "the allocation. Vacancies let: {let}. Of the vacancies not let: {unlet}.",
                clients=f"{first['clients']:.0f}",
                vacancies=f"{first['vacancies']:.0f}",
                per=f"{first['clients_per_vacancy']:.2f}",
                let=let,
                unlet=unlet,
            )
        )
        held = mine["unlet_limit"].mean()
        if held > mine["unlet_other"].mean() + mine["unlet_no_client"].mean():
            text += " " + html.escape(
                _(
                    "Most vacancies not let were held empty by a limit{limit}: beyond supply, the agreed "
                    "limits, not the choice of allocation, bound placements.",
                    limit=_dominant_limit(result, scenario.index),
                )
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
                text += " " + html.escape(
                    _(
                        "Against {baseline}, over {weeks} weeks and {seeds} seeds, the {policy} houses "
                        "{placements} people, {origin} in their municipality of origin; everyone's mean wait "
                        "changes by {wait} (high urgency {high}, acute {acute}); still waiting at the end "
                        "{waiting}; vacancy days {days}; refused offers {refusals}.",
                        baseline=policy_name(baseline),
                        weeks=sweep.horizon_weeks,
                        seeds=seeds,
                        policy=policy_name(allocation),
                        placements=diff("placements"),
                        origin=diff("origin_placements"),
                        wait=diff("wait_all_mean", 2, " " + _("wk")),
                        high=diff("wait_all_high", 2, " " + _("wk")),
                        acute=diff("wait_all_acute", 2, " " + _("wk")),
                        waiting=diff("waiting_end"),
                        days=diff("vacancy_days", 0),
                        refusals=diff("refusals"),
                    )
                )
        violations = ", ".join(
            f"{policy_name(str(a))} {row['cap_violations']:.0f}" for a, row in mine.iterrows()
        )
        text += " " + html.escape(
            _(
                "Cap violations, counted independently from the placements (mean per seed): {violations}.",
                violations=violations,
            )
        )
        lines.append(text)
    return lines


LIMIT_WORDS = {
    "neighbourhood_cap": N_("wijk caps"),
    "municipality_intake": N_("intake ceilings"),
    "support_slots": N_("support slots"),
}


def _dominant_limit(result: SweepResult, scenario: int) -> str:
    """` (mostly support slots …)`: the limit behind most capacity-full empty weeks, if any."""
    kpis = result.kpis
    rows = kpis[(kpis["scenario"] == scenario) & (kpis["kpi"] == "empty_unit_weeks_capacity")]
    if rows.empty or rows["value"].sum() <= 0:
        return ""
    totals = rows.groupby("key")["value"].sum()
    top = str(totals.idxmax())
    return " " + _(
        "(mostly {limit}: {share} of the weeks a limit kept a vacancy empty)",
        limit=_(LIMIT_WORDS[top]) if top in LIMIT_WORDS else top,
        share=f"{totals[top] / totals.sum():.0%}",
    )


METRIC_NAMES = {
    "placements": N_("people housed"),
    "priority_placed": N_("priority-weighted placements"),
    "origin_placements": N_("housed in their municipality of origin"),
    "refusals": N_("refused offers"),
    "vacancy_days": N_("vacancy days"),
    "wait_all_mean": N_("mean wait, everyone (weeks)"),
    "wait_all_normal": N_("mean wait, normal urgency (weeks)"),
    "wait_all_high": N_("mean wait, high urgency (weeks)"),
    "wait_all_acute": N_("mean wait, acute (weeks)"),
    "queue_wait_mean": N_("mean weeks in the queue, everyone"),
    "queue_wait_normal": N_("mean weeks in the queue, normal urgency"),
    "queue_wait_high": N_("mean weeks in the queue, high urgency"),
    "queue_wait_acute": N_("mean weeks in the queue, acute"),
    "waiting_end": N_("still waiting at the end"),
    "cap_violations": N_("cap violations (independent recount)"),
}


def metric_name(metric: str) -> str:
    """A figure of runs.csv as a planner reads it."""
    return _(METRIC_NAMES[metric]) if metric in METRIC_NAMES else metric


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
            _("scenario"): rows["scenario"].map(labels),
            _("policy − baseline"): rows["allocation"].map(policy_name)
            + " − "
            + rows["baseline"].map(policy_name),
            _("figure"): rows["metric"].astype(str).map(metric_name),
            _("policy"): rows["policy_mean"],
            _("baseline"): rows["baseline_mean"],
            _("difference"): rows["diff_mean"],
            _("95 % CI low"): rows["ci_low"],
            _("95 % CI high"): rows["ci_high"],
            _("seeds"): rows["seeds"].astype(float),
        }
    )


GROUPS = {"urgency": N_("urgency"), "source": N_("source")}


def _waiting_view(result: SweepResult) -> pd.DataFrame:
    waiting = result.waiting
    if waiting.empty:
        return waiting
    labels = dict(zip(result.scenarios["scenario"], result.scenarios["label"]))
    groups = waiting["group"].map(lambda g: _(GROUPS[g]) if g in GROUPS else g)
    return pd.DataFrame(
        {
            _("scenario"): waiting["scenario"].map(labels),
            _("policy"): waiting["allocation"].map(policy_name),
            _("group"): groups + ": " + waiting["value"],
            _("clients"): waiting["clients"],
            _("housed"): waiting["placed"],
            _("still waiting at the end"): waiting["waiting_end"],
            _("mean wait, everyone (wk)"): waiting["wait_all_mean"],
            _("… housed"): waiting["wait_placed_mean"],
            _("… still waiting"): waiting["wait_waiting_end_mean"],
        }
    )


EMPTY_NAMES = {
    "refused": N_("refused"),
    "no_eligible_client": N_("no eligible client"),
    "declined_before": N_("declined before"),
    "client_not_ready": N_("client not ready"),
    "clients_placed_elsewhere": N_("clients placed elsewhere"),
    "capacity_full": N_("capacity full"),
    "not_chosen": N_("not chosen"),
}


def _empty_view(result: SweepResult) -> pd.DataFrame:
    from matcher.stress.vacancy import EMPTY_REASONS

    runs = result.runs_table
    if runs.empty:
        return runs
    labels = dict(zip(result.scenarios["scenario"], result.scenarios["label"]))
    columns = ["vacancies", "placements", "vacancy_days", *(f"empty_{r}" for r in EMPTY_REASONS)]
    means = runs.groupby(["scenario", "allocation"], sort=False)[columns].mean().reset_index()
    view = pd.DataFrame(
        {
            _("scenario"): means["scenario"].map(labels),
            _("policy"): means["allocation"].map(policy_name),
            _("vacancies"): means["vacancies"],
            _("let"): means["placements"],
            _("vacancy days"): means["vacancy_days"],
        }
    )
    for reason in EMPTY_REASONS:
        name = _(EMPTY_NAMES[reason]) if reason in EMPTY_NAMES else reason.replace("_", " ")
        view[name] = means[f"empty_{reason}"]
    return view


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
            _("scenario"): view["scenario"].map(labels),
            _("policy"): view["allocation"].map(policy_name),
            _("priority-weighted placements, % of hindsight (mean)"): view["share_mean"] * 100,
            _("… lowest seed"): view["share_min"] * 100,
            _("origin placements, % of hindsight schedule"): view["origin"] * 100,
            _("vacancy days, % of hindsight schedule"): view["days"] * 100,
            _("housed"): view["placements"],
            _("hindsight placements"): view["optimum_placements"],
            _("hindsight W proven (seeds)"): view["proven"].astype(float),
            _("of seeds"): view["seeds"].astype(float),
            _("solve s (mean)"): view["seconds"],
        }
    )


def _hindsight_section(result: SweepResult) -> str:
    view = _hindsight_view(result)
    if view.empty:
        return ""
    answers = result.sweep.hindsight.answers if result.sweep.hindsight else "known"
    knows = (
        _(
            "every arrival and the answer to every offer (the same random numbers the policies drew, as a first offer)"
        )
        if answers == "known"
        else _("every arrival, and makes offers that are always accepted")
    )
    text = _(
        "For each scenario and seed, the best schedule of (client, unit, week) placements a coordinator could "
        "have made who knew {knows}, under the same rules: eligibility, the caps over the rolling window, "
        "intake ceilings and support slots per agreement period, vacancies going back after the same weeks. It "
        "maximises priority-weighted placements (each client's w on joining the queue), proven optimal by HiGHS "
        "unless the time limit ran out (then the proven bound is in hindsight.csv), and among those prefers "
        "origin placements, then fewer vacancy days. Each policy's figure is divided by the optimum's of the "
        "same seed.",
        knows=knows,
    )
    return (
        f"<h2>{html.escape(_('Against hindsight: the clairvoyant optimum'))}</h2>"
        f"<p class='meta'>{html.escape(text)}</p>" + _table(view, digits=1)
    )


def _per_policy(
    frame: pd.DataFrame, result: SweepResult, index: list[str], value: str
) -> dict[str, pd.DataFrame]:
    """One table per policy, one column per scenario: narrow enough for the page."""
    labels = dict(zip(result.scenarios["scenario"], result.scenarios["label"]))
    tables: dict[str, pd.DataFrame] = {}
    for allocation in result.sweep.allocation:
        mine = frame[frame["allocation"] == allocation].assign(run=lambda f: f["scenario"].map(labels))
        if mine.empty:
            continue
        pivot = mine.pivot_table(index=index, columns="run", values=value, sort=False)
        tables[allocation] = pivot[
            [labels[s.index] for s in result.sweep.scenarios() if labels[s.index] in pivot]
        ]
    return tables


def _intake_tables(result: SweepResult) -> str:
    intake = result.intake
    if intake.empty:
        return ""
    names = {m.municipality_id: m.name for m in result.base.municipalities}
    population = intake.groupby("municipality_id")["population_share"].first() * 100
    parts = []
    for allocation, pivot in _per_policy(intake, result, ["municipality_id"], "intake_share").items():
        table = pivot * 100
        table.insert(0, _("population share %"), population.reindex(table.index))
        table.insert(0, _("municipality"), [names.get(m, m) for m in table.index])
        parts.append(
            f"<h3>{html.escape(policy_name(allocation))}</h3>"
            + _table(table.reset_index(drop=True), digits=1)
        )
    return "".join(parts)


def _fullest_tables(result: SweepResult, count: int = 12) -> str:
    frame = _with_places(result)
    if frame.empty:
        return ""
    names = {m.municipality_id: m.name for m in result.base.municipalities}
    parts = []
    for allocation, pivot in _per_policy(
        frame, result, ["name", "municipality_id", "dwellings"], "peak_utilisation"
    ).items():
        order = pivot.mean(axis=1).sort_values(ascending=False, kind="stable").index[:count]
        table = pivot.loc[order].reset_index()
        table["municipality_id"] = table["municipality_id"].map(lambda m: names.get(m, m))
        table = table.rename(
            columns={"name": _("wijk"), "municipality_id": _("municipality"), "dwellings": _("dwellings")}
        )
        parts.append(f"<h3>{html.escape(policy_name(allocation))}</h3>" + _table(table))
    return "".join(parts)


def _summary_tables(result: SweepResult) -> str:
    summary = result.summary.assign(allocation=result.summary["allocation"].map(policy_name))
    parts = []
    for title, columns in (
        (N_("For people"), SUMMARY_PEOPLE),
        (N_("Waiting"), SUMMARY_WAITS),
        (N_("For places and limits"), SUMMARY_PLACES),
        (N_("Queue and why people stayed unmatched in the last week"), SUMMARY_UNMATCHED),
    ):
        present = [c for c in columns if c in summary.columns]
        table = summary[present].rename(columns={c: _(columns[c]) for c in present})
        parts.append(f"<h3>{html.escape(_(title))}</h3>" + _table(table))
    return "".join(parts)


def _figure(name: str, data: bytes) -> str:
    title, caption = PICTURES[name]
    return (
        f'<figure><img alt="{html.escape(_(title))}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'
        f"<figcaption>{html.escape(_(caption))}</figcaption></figure>"
    )


def _glance(result: SweepResult, pictures: dict[str, bytes]) -> str:
    sentences = people_sentences(result)
    if not sentences and "paired.png" not in pictures:
        return ""
    items = "".join(f"<li>{html.escape(sentence)}</li>" for sentence in sentences)
    picture = _figure("paired.png", pictures["paired.png"]) if "paired.png" in pictures else ""
    return (
        f"<h2>{html.escape(_('At a glance: what the optimiser changes for people'))}</h2>"
        + (f'<ul class="glance">{items}</ul>' if items else "")
        + picture
    )


def _p(text: str, css: str = "meta") -> str:
    return f'<p class="{css}">{html.escape(text)}</p>'


def report_html(result: SweepResult, pictures: dict[str, bytes], split: pd.DataFrame | None = None) -> str:
    """One self-contained page: what changes for people, where the wijk load comes from, setup,
    summary, pictures with how to read them, tables, definitions."""
    sweep = result.sweep
    split = load_split(result) if split is None else split
    later = "".join(
        f"<h2>{html.escape(_(PICTURES[name][0]))}</h2>{_figure(name, data)}"
        for name, data in pictures.items()
        if name != "paired.png"
    )
    if "utilisation_map.png" not in pictures:
        later += _p(
            _(
                "No map: the base instance's neighbourhoods are not CBS wijken with coordinates in "
                "instances/cbs/neighbourhoods.csv."
            )
        )
    definitions = pd.DataFrame(
        [(name, key or "–", _(text)) for name, (key, text) in KPIS.items()],
        columns=[_("KPI"), _("key"), _("definition")],
    )
    source = sweep.source_file.name if sweep.source_file else _("(in memory)")
    title = _("Stress test: {name}", name=sweep.name)
    scenarios = result.scenarios.rename(columns={"scenario": _("scenario"), "label": _("label")})
    return f"""<!DOCTYPE html>
<html lang="{
        language()
    }"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
{
        _p(
            _(
                "Scenario file {file} · region {region} · matcher {version} · synthetic clients and units; "
                "places from CBS (CC BY 4.0)",
                file=source,
                region=region_name(result),
                version=matcher.__version__,
            )
        )
    }
<p>{html.escape(sweep.description)}</p>
{_glance(result, pictures)}
{_load_section(result, split)}
<h2>{html.escape(_("Set-up"))}</h2>{_table(_setup(result), css="left")}
<h2>{html.escape(_("Scenarios"))}</h2>{_table(scenarios)}
<h2>{html.escape(_("What bounds placements, and what the policy changes"))}</h2>
{"".join(f"<p>{line}</p>" for line in headline(result))}
<h2>{html.escape(_("Summary over the horizon"))}</h2>
{
        _p(
            _(
                "Means over seeds. “Mean wait, everyone” counts every client of the run: weeks from the "
                "priority decision to placement, or to the end of the horizon for those still waiting (nog "
                "wachtend; a lower bound for them); “mean wait at placement” counts the housed only, pooled "
                "over every placement, as does the share housed in the municipality of origin. “Vacancies "
                "let” is placements / vacancies. Peak utilisations include the load from the start of the "
                "simulation (see Wijk load above). Cap violations are counted from the placements alone, "
                "with every load, window, ceiling and slot recomputed. “Off fair share” is the share of "
                "placements (percentage points) that would have to move for every municipality to receive "
                "its population share. Unmatched counts are for the last week's proposal."
            )
        )
    }
{_summary_tables(result)}
{_hindsight_section(result)}
<h2>{html.escape(_("Paired differences (policy − baseline, seed by seed)"))}</h2>
{
        _p(
            _(
                "Each seed runs every policy on the same arrivals and the same answers to the same offers; the "
                "difference is taken per seed, then averaged; the interval is the 95 % Student-t interval of "
                "that mean over the seeds (none with one seed). paired.csv holds every figure of runs.csv."
            )
        )
    }
{_table(_paired_view(result))}
<h2>{html.escape(_("Waiting, for everyone, by urgency and source"))}</h2>
{
        _p(
            _(
                "Every client of every seed pooled (each seed has the same clients under every policy); "
                "urgency as on joining the queue. Counts are per seed."
            )
        )
    }
{_table(_waiting_view(result))}
<h2>{html.escape(_("Why vacancies stood empty"))}</h2>
{
        _p(
            _(
                "Vacancy-weeks in which an available vacancy was not let, by the first reason that holds "
                "(means over seeds): refused (offered and declined), no eligible client, declined before "
                "(only clients who declined it fit it), client not ready (those who fit it are not ready to "
                "move yet), clients placed elsewhere (every client who fits and is ready was offered another "
                "unit), capacity full (they were offered nothing and a cap, intake ceiling or slot row has no "
                "room), not chosen (a client would have fitted within every limit: never in a proven run). "
                "Vacancy days run from when a vacancy is both in the scheme and available to the Monday it is "
                "let, goes back to the landlord or the horizon ends."
            )
        )
    }
{_table(_empty_view(result), digits=1)}
{later}
<h2>{html.escape(_("Intake per municipality against population share (%)"))}</h2>
{_intake_tables(result)}
<h2>{html.escape(_("Fullest wijken (peak utilisation, mean over seeds)"))}</h2>
{_fullest_tables(result)}
<h2>{html.escape(_("KPI definitions"))}</h2>
{
        _p(
            _(
                "kpis.csv holds every KPI per scenario, policy, seed and week (tidy: one value per row). See "
                "docs/stress-tests.md for the simulation's weekly steps."
            )
        )
    }
{_table(definitions, css="left")}
</body></html>
"""
