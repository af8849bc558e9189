"""The pictures of a sweep, as PNG bytes (matplotlib, Agg backend: no display needed).

- `tradeoff`: placements against the highest neighbourhood utilisation, across the cap grid;
- `waiting`: waiting weeks at placement per scenario and allocation policy;
- `utilisation_map`: peak utilisation per wijk on its real coordinates;
- `queue`: open queue and cumulative placements over the weeks.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from matcher.generate.instance import CBS_DIR
from matcher.stress.scenario import GRID_KEYS, LABELS, Sweep, label_value
from models import Instance

POLICY_STYLE = {
    "optimiser": {"color": "#1f6f8b", "marker": "o", "linestyle": "-"},
    "greedy": {"color": "#d1495b", "marker": "s", "linestyle": "--"},
}
CAP_KEYS = ("max_load_per_1000_dwellings", "neighbourhood_caps")
MAX_MAP_SCENARIOS = 5
MAX_BOX_SCENARIOS = 12


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _style(allocation: str) -> dict:
    return POLICY_STYLE.get(allocation, {"color": "#555555", "marker": "^", "linestyle": ":"})


def _footer(figure, sweep: Sweep) -> None:
    from matcher import __version__

    source = sweep.source_file.name if sweep.source_file else sweep.name
    figure.text(
        0.99,
        0.005,
        f"matcher {__version__} · {source} · {len(sweep.seeds)} seeds × {sweep.horizon_weeks} weeks",
        ha="right",
        va="bottom",
        fontsize=7,
        color="#777777",
    )


def _varying_keys(sweep: Sweep) -> list[str]:
    return [key for key in GRID_KEYS if getattr(sweep.grid, key) is not None]


def tradeoff(summary: pd.DataFrame, sweep: Sweep) -> bytes:
    """Placements (mean over seeds, ± 1 sd) against the peak highest utilisation measured
    against the base caps; one line per allocation policy (and per other grid setting)."""
    figure, axes = plt.subplots(figsize=(7.5, 5))
    scenarios = {s.index: s for s in sweep.scenarios()}
    keys = _varying_keys(sweep)
    cap_key = next((key for key in CAP_KEYS if key in keys), None)
    # lines run along the cap grid, one per policy and setting of the other keys; without a cap
    # key every scenario is a labelled point
    rest = [key for key in keys if key != cap_key] if cap_key else []
    frame = summary.copy()
    frame["group"] = [
        ", ".join(f"{LABELS[k]}={label_value(k, scenarios[s].values[k])}" for k in rest)
        for s in frame["scenario"]
    ]
    frame["point"] = [
        label_value(cap_key, scenarios[s].values[cap_key]) if cap_key else scenarios[s].label
        for s in frame["scenario"]
    ]
    groups = list(dict.fromkeys(frame["group"]))
    shades = [1.0, 0.65, 0.4, 0.25]
    for (allocation, group), rows in frame.groupby(["allocation", "group"], sort=False):
        style = _style(allocation)
        alpha = shades[groups.index(group) % len(shades)]
        rows = rows.sort_values("util_max_base_cap_peak", kind="stable")
        name = allocation + (f" ({group})" if group else "")
        axes.errorbar(
            rows["util_max_base_cap_peak"],
            rows["placements"],
            yerr=rows["placements_sd"],
            color=style["color"],
            marker=style["marker"],
            linestyle=style["linestyle"] if cap_key else "none",
            alpha=alpha,
            capsize=3,
            label=name,
        )
        if cap_key:
            for _, row in rows.iterrows():
                axes.annotate(
                    row["point"],
                    (row["util_max_base_cap_peak"], row["placements"]),
                    textcoords="offset points",
                    xytext=(6, -10 if allocation == "greedy" else 6),
                    fontsize=8,
                    color=style["color"],
                )
    if not cap_key:  # one label per spot, naming every scenario that lands there
        spots: dict[tuple[float, float], list[str]] = {}
        for _, row in frame.iterrows():
            spot = (round(row["util_max_base_cap_peak"], 6), round(row["placements"], 6))
            if row["point"] not in spots.setdefault(spot, []):
                spots[spot].append(row["point"])
        for (x, y), names in spots.items():
            axes.annotate(
                "\n".join(names),
                (x, y),
                textcoords="offset points",
                xytext=(6, 4),
                fontsize=7.5,
                color="#333333",
            )
    axes.axvline(1.0, color="#999999", linewidth=0.8, linestyle=":")
    axes.set_xlabel("busiest neighbourhood: peak load in window / today's cap")
    axes.set_ylabel(f"placements over {sweep.horizon_weeks} weeks (mean over seeds)")
    title = "Placements against neighbourhood load"
    if cap_key:
        title += f" across {LABELS[cap_key]}"
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="best")
    _footer(figure, sweep)
    return _png(figure)


def waiting(placements: pd.DataFrame, sweep: Sweep) -> bytes:
    """Box plots of waiting weeks at placement, per scenario, one box per allocation policy."""
    scenarios = sweep.scenarios()[:MAX_BOX_SCENARIOS]
    allocations = sweep.allocation
    width = 0.8 / len(allocations)
    figure, axes = plt.subplots(
        figsize=(min(12.0, max(6.0, 0.9 * len(scenarios) * len(allocations) + 2)), 4.8)
    )
    for k, allocation in enumerate(allocations):
        style = _style(allocation)
        data, positions = [], []
        for position, scenario in enumerate(scenarios):
            rows = (
                placements[
                    (placements["scenario"] == scenario.index) & (placements["allocation"] == allocation)
                ]
                if len(placements)
                else placements
            )
            data.append(rows["waiting_weeks"].to_numpy(dtype=float) if len(rows) else np.array([np.nan]))
            positions.append(position + (k - (len(allocations) - 1) / 2) * width)
        boxes = axes.boxplot(
            data,
            positions=positions,
            widths=width * 0.85,
            patch_artist=True,
            showmeans=True,
            whis=(5, 95),
            showfliers=False,
            meanprops={"marker": "D", "markerfacecolor": "white", "markeredgecolor": style["color"]},
        )
        for patch in boxes["boxes"]:
            patch.set_facecolor(style["color"])
            patch.set_alpha(0.45)
        for median in boxes["medians"]:
            median.set_color("black")
        axes.plot([], [], color=style["color"], linewidth=8, alpha=0.45, label=allocation)
    labels = [s.label for s in scenarios]
    crowded = sum(len(label) for label in labels) > 90
    axes.set_xticks(
        range(len(scenarios)),
        labels,
        rotation=20 if crowded else 0,
        ha="right" if crowded else "center",
        fontsize=8,
    )
    axes.set_ylabel("weeks waited at placement")
    axes.set_title("Waiting time at placement (box: quartiles, whiskers: 5–95%, ◇ mean)")
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8)
    _footer(figure, sweep)
    return _png(figure)


def coordinates(cbs_dir: Path = CBS_DIR) -> pd.DataFrame:
    """Wijk centroids (lat, lon) from the CBS table shipped in instances/cbs/."""
    file = cbs_dir / "neighbourhoods.csv"
    if not file.is_file():
        return pd.DataFrame(columns=["lat", "lon"])
    table = pd.read_csv(file, dtype={"wk_code": str})
    return table.set_index("wk_code")[["centroid_lat", "centroid_lon"]].rename(
        columns={"centroid_lat": "lat", "centroid_lon": "lon"}
    )


def _map_scenarios(sweep: Sweep) -> list:
    scenarios = sweep.scenarios()
    if len(scenarios) <= MAX_MAP_SCENARIOS:
        return scenarios
    picks = np.linspace(0, len(scenarios) - 1, MAX_MAP_SCENARIOS).round().astype(int)
    return [scenarios[k] for k in dict.fromkeys(picks)]


def utilisation_map(
    neighbourhoods: pd.DataFrame, base: Instance, sweep: Sweep, cbs_dir: Path = CBS_DIR
) -> bytes | None:
    """Peak utilisation per wijk (mean over seeds) at its centroid; None without coordinates."""
    places = coordinates(cbs_dir)
    dwellings = pd.Series({n.neighbourhood_id: n.dwellings for n in base.neighbourhoods})
    known = dwellings.index.intersection(places.index)
    if len(known) == 0 or neighbourhoods.empty:
        return None
    scenarios = _map_scenarios(sweep)
    allocations = sweep.allocation
    rows, cols = len(allocations), len(scenarios)
    lat, lon = places.loc[known, "lat"], places.loc[known, "lon"]
    stretch = 1 / math.cos(math.radians(float(lat.mean())))
    ratio = (lat.max() - lat.min() + 0.02) * stretch / (lon.max() - lon.min() + 0.02)
    panel = 3.8 if cols <= 3 else 3.0
    figure, grid = plt.subplots(
        rows,
        cols,
        figsize=(panel * cols + 1.0, panel * ratio * rows + 0.9),
        squeeze=False,
        layout="constrained",
    )
    top = max(1.0, float(neighbourhoods["peak_utilisation"].max(skipna=True) or 1.0))
    municipality_of = {n.neighbourhood_id: n.municipality_id for n in base.neighbourhoods}
    names = {m.municipality_id: m.name for m in base.municipalities}
    sizes = 12 + 90 * np.sqrt(dwellings[known] / max(1, dwellings[known].max()))
    artist = None
    for r, allocation in enumerate(allocations):
        for c, scenario in enumerate(scenarios):
            axes = grid[r][c]
            rows_ = neighbourhoods[
                (neighbourhoods["scenario"] == scenario.index) & (neighbourhoods["allocation"] == allocation)
            ].set_index("neighbourhood_id")
            values = rows_["peak_utilisation"].reindex(known)
            capless = values.isna()
            axes.scatter(
                places.loc[known[capless], "lon"],
                places.loc[known[capless], "lat"],
                s=sizes[capless],
                color="#dddddd",
                edgecolor="#aaaaaa",
                linewidth=0.4,
            )
            artist = axes.scatter(
                places.loc[known[~capless], "lon"],
                places.loc[known[~capless], "lat"],
                s=sizes[~capless],
                c=values[~capless],
                cmap="YlOrRd",
                vmin=0,
                vmax=top,
                edgecolor="#555555",
                linewidth=0.4,
            )
            full = values[values >= 1 - 1e-9]
            axes.scatter(
                places.loc[full.index, "lon"],
                places.loc[full.index, "lat"],
                s=sizes[full.index] * 1.6,
                facecolor="none",
                edgecolor="black",
                linewidth=1.0,
            )
            by_municipality = pd.Series(municipality_of).reindex(known)
            for municipality, members in by_municipality.groupby(by_municipality):
                axes.text(
                    places.loc[members.index, "lon"].mean(),
                    places.loc[members.index, "lat"].mean(),
                    names.get(municipality, municipality),
                    fontsize=6.5,
                    ha="center",
                    va="center",
                    color="#333333",
                    alpha=0.8,
                )
            axes.set_aspect(stretch)
            axes.set_xticks([])
            axes.set_yticks([])
            axes.set_title(f"{allocation} · {scenario.label}", fontsize=8.5)
    figure.suptitle(
        "Peak neighbourhood utilisation (load in window / cap), mean over seeds; "
        "ringed = reached its cap; grey = no cap",
        fontsize=9.5,
    )
    if artist is not None:
        figure.colorbar(artist, ax=grid.ravel().tolist(), shrink=0.7, label="peak utilisation")
    _footer(figure, sweep)
    return _png(figure)


def queue(kpis: pd.DataFrame, sweep: Sweep) -> bytes:
    """Open queue at the end of each week, and placements so far (means over seeds)."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4))
    scenarios = sweep.scenarios()
    colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, max(1, len(scenarios))))
    for scenario, colour in zip(scenarios, colours):
        for allocation in sweep.allocation:
            rows = kpis[
                (kpis["scenario"] == scenario.index)
                & (kpis["allocation"] == allocation)
                & (kpis["key"] == "")
            ]
            open_ = rows[rows["kpi"] == "queue_open"].groupby("week")["value"].mean()
            placed = (
                rows[rows["kpi"] == "placements"]
                .pivot_table(index="week", columns="seed", values="value")
                .cumsum()
                .mean(axis=1)
            )
            style = _style(allocation)
            label = f"{scenario.label} · {allocation}"
            left.plot(open_.index, open_.to_numpy(), color=colour, linestyle=style["linestyle"], label=label)
            right.plot(
                placed.index, placed.to_numpy(), color=colour, linestyle=style["linestyle"], label=label
            )
    left.set_title("Open queue at the end of the week")
    left.set_xlabel("week")
    left.set_ylabel("clients waiting (mean over seeds)")
    right.set_title("Placements so far")
    right.set_xlabel("week")
    right.set_ylabel("clients placed (mean over seeds)")
    for axes in (left, right):
        axes.grid(alpha=0.3)
    handles, labels = left.get_legend_handles_labels()
    figure.legend(
        handles,
        labels,
        loc="lower center",
        ncol=min(4, len(labels)),
        fontsize=7.5,
        bbox_to_anchor=(0.5, -0.02 - 0.035 * math.ceil(len(labels) / 4)),
    )
    figure.tight_layout()
    _footer(figure, sweep)
    return _png(figure)


PAIRED_FIGURES = {
    "placements": "people placed",
    "origin_placements": "placed in origin",
    "wait_all_mean": "mean wait, everyone",
    "wait_all_high": "… high urgency",
    "wait_all_acute": "… acute urgency",
    "vacancy_days": "vacancy days",
    "refusals": "refused offers",
}
MAX_PAIRED_PANELS = 6


def paired(paired_table: pd.DataFrame, sweep: Sweep) -> bytes | None:
    """Paired differences policy − baseline as a percentage of the baseline, with 95 % intervals:
    one panel per scenario (at most six), one bar per figure."""
    if paired_table.empty:
        return None
    rows = paired_table[paired_table["metric"].isin(list(PAIRED_FIGURES))]
    scenarios = [s for s in sweep.scenarios() if s.index in set(rows["scenario"])][:MAX_PAIRED_PANELS]
    if not scenarios:
        return None
    policies = list(dict.fromkeys(rows["allocation"]))
    figure, grid = plt.subplots(
        1,
        len(scenarios),
        figsize=(3.6 * len(scenarios) + 1.6, 0.45 * len(PAIRED_FIGURES) + 1.6),
        squeeze=False,
    )
    names = list(PAIRED_FIGURES)
    height = 0.8 / max(1, len(policies))
    for axes, scenario in zip(grid[0], scenarios):
        for k, allocation in enumerate(policies):
            mine = rows[(rows["scenario"] == scenario.index) & (rows["allocation"] == allocation)].set_index(
                "metric"
            )
            base = mine["baseline_mean"].reindex(names).to_numpy(dtype=float)
            scale = np.where(base != 0, 100 / np.where(base != 0, base, 1), np.nan)
            mean = mine["diff_mean"].reindex(names).to_numpy(dtype=float) * scale
            low = mine["ci_low"].reindex(names).to_numpy(dtype=float) * scale
            high = mine["ci_high"].reindex(names).to_numpy(dtype=float) * scale
            positions = np.arange(len(names)) + (k - (len(policies) - 1) / 2) * height
            style = _style(allocation)
            axes.barh(
                positions, mean, height=height * 0.85, color=style["color"], alpha=0.55, label=allocation
            )
            has_interval = ~np.isnan(low)
            axes.errorbar(
                mean[has_interval],
                positions[has_interval],
                xerr=[mean[has_interval] - low[has_interval], high[has_interval] - mean[has_interval]],
                fmt="none",
                ecolor="#333333",
                capsize=3,
                linewidth=1,
            )
        axes.axvline(0, color="#555555", linewidth=0.8)
        axes.set_yticks(range(len(names)), [PAIRED_FIGURES[n] for n in names], fontsize=8)
        axes.invert_yaxis()
        axes.set_xlabel("difference, % of baseline", fontsize=8)
        axes.set_title(scenario.label, fontsize=8.5)
        axes.grid(axis="x", alpha=0.3)
    baseline = rows["baseline"].iloc[0]
    figure.suptitle(
        f"Policy − {baseline} per seed, mean and 95 % interval ({len(sweep.seeds)} seeds, same arrivals and answers)",
        fontsize=9.5,
    )
    grid[0][0].legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    _footer(figure, sweep)
    return _png(figure)
