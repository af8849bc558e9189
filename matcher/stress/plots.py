"""The pictures of a sweep, as PNG bytes (matplotlib, Agg backend: no display needed).

- `tradeoff`: placements against the highest neighbourhood utilisation, across the cap grid;
- `waiting`: waiting weeks at placement per scenario and allocation policy;
- `utilisation_map`: peak utilisation per wijk on its real coordinates, with approximate
  municipal boundaries (edges between Voronoi cells of wijk centroids of different municipalities);
- `queue`: clients still waiting and cumulative placements over the weeks, one row per policy;
- `paired`: the paired difference policy − baseline per figure, a dot with its 95 % interval.

Every word on a picture comes from the message catalogue (Dutch by default).
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
from matcher.i18n import N_, _
from matcher.stress.scenario import GRID_KEYS, LABELS, Sweep, label_value
from models import Instance

POLICY_STYLE = {
    "optimiser": {"color": "#1f6f8b", "marker": "o", "linestyle": "-"},
    "greedy": {"color": "#d1495b", "marker": "s", "linestyle": "--"},
}
POLICY_NAMES = {"optimiser": N_("optimiser"), "greedy": N_("greedy (today's practice)")}
SHORT_NAMES = {"optimiser": N_("optimiser"), "greedy": N_("greedy")}
CAP_KEYS = ("max_load_per_1000_dwellings", "neighbourhood_caps")
MAX_MAP_SCENARIOS = 4
MAX_BOX_SCENARIOS = 12
MAX_QUEUE_LINES = 10  # lines per panel; more scenarios are spread over more rows
BETTER, WORSE, UNCLEAR = "#2a9d55", "#c0392b", "#7f7f7f"


def policy_name(allocation: str, short: bool = False) -> str:
    """An allocation policy as a planner reads it (`short` for narrow tables)."""
    names = SHORT_NAMES if short else POLICY_NAMES
    return _(names[allocation]) if allocation in names else allocation


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
        _(
            "matcher {version} · {source} · {seeds} seeds × {weeks} weeks",
            version=__version__,
            source=source,
            seeds=len(sweep.seeds),
            weeks=sweep.horizon_weeks,
        ),
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
    figure, axes = plt.subplots(figsize=(9, 5.6))
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
        name = policy_name(allocation) + (f" ({group})" if group else "")
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
            for _row_index, row in rows.iterrows():
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
        for _row_index, row in frame.iterrows():
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
    axes.set_xlabel(_("busiest wijk: peak load in the window / today's cap (start load included)"))
    axes.set_ylabel(_("placements over {weeks} weeks (mean over seeds)", weeks=sweep.horizon_weeks))
    title = _("Placements against wijk load")
    if cap_key:
        title += " · " + LABELS[cap_key]
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
        figsize=(min(12.0, max(7.0, 0.9 * len(scenarios) * len(allocations) + 2)), 4.8)
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
        axes.plot([], [], color=style["color"], linewidth=8, alpha=0.45, label=policy_name(allocation))
    labels = [s.label for s in scenarios]
    crowded = sum(len(label) for label in labels) > 90
    axes.set_xticks(
        range(len(scenarios)),
        labels,
        rotation=20 if crowded else 0,
        ha="right" if crowded else "center",
        fontsize=8,
    )
    axes.set_ylabel(_("weeks waited at placement"))
    axes.set_title(_("Waiting time at placement (box: quartiles, whiskers: 5–95 %, ◇ mean)"))
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8)
    _footer(figure, sweep)
    return _png(figure)


# --- the map ------------------------------------------------------------------------------------------


def coordinates(cbs_dir: Path = CBS_DIR) -> pd.DataFrame:
    """Wijk centroids from the CBS table shipped in instances/cbs/: lat, lon and the Dutch grid
    (RD, metres) as x, y."""
    file = cbs_dir / "neighbourhoods.csv"
    if not file.is_file():
        return pd.DataFrame(columns=["lat", "lon", "x", "y"])
    table = pd.read_csv(file, dtype={"wk_code": str})
    return table.set_index("wk_code")[
        ["centroid_lat", "centroid_lon", "centroid_rd_x", "centroid_rd_y"]
    ].rename(
        columns={"centroid_lat": "lat", "centroid_lon": "lon", "centroid_rd_x": "x", "centroid_rd_y": "y"}
    )


def _map_scenarios(sweep: Sweep) -> list:
    scenarios = sweep.scenarios()
    if len(scenarios) <= MAX_MAP_SCENARIOS:
        return scenarios
    picks = np.linspace(0, len(scenarios) - 1, MAX_MAP_SCENARIOS).round().astype(int)
    return [scenarios[k] for k in dict.fromkeys(picks)]


def _clip(a: np.ndarray, b: np.ndarray, polygon: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The part of segment a–b inside a convex polygon (counter-clockwise), by Cyrus–Beck."""
    low, high = 0.0, 1.0
    direction = b - a
    for k in range(len(polygon)):
        p, q = polygon[k], polygon[(k + 1) % len(polygon)]
        normal = np.array([q[1] - p[1], p[0] - q[0]])  # points outwards for a counter-clockwise polygon
        denominator = float(normal @ direction)
        numerator = float(normal @ (a - p))
        if abs(denominator) < 1e-12:
            if numerator > 0:
                return None
            continue
        t = -numerator / denominator
        if denominator > 0:
            high = min(high, t)
        else:
            low = max(low, t)
        if low > high:
            return None
    return a + low * direction, a + high * direction


def municipal_edges(points: np.ndarray, municipality: list[str], margin: float = 0.06) -> list[np.ndarray]:
    """Approximate municipal boundaries: the edges between Voronoi cells of wijk centroids that
    belong to different municipalities, clipped to the convex hull of the centroids grown by
    `margin` of its size. Each edge is a 2 × 2 array of end points."""
    from scipy.spatial import ConvexHull, QhullError, Voronoi

    if len(points) < 4 or len(set(municipality)) < 2:
        return []
    try:
        hull = points[ConvexHull(points).vertices]  # counter-clockwise
    except QhullError:
        return []
    centre = hull.mean(axis=0)
    size = float(np.ptp(points, axis=0).max())
    outward = hull - centre
    lengths = np.linalg.norm(outward, axis=1, keepdims=True)
    region = centre + outward * (1 + margin * size / np.maximum(lengths, 1e-9))
    # four far points close every real cell, so every edge between real centroids is finite
    far = centre + 10 * size * np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]])
    diagram = Voronoi(np.vstack([points, far]))
    edges = []
    for (first, second), ridge in zip(diagram.ridge_points, diagram.ridge_vertices):
        if first >= len(points) or second >= len(points) or -1 in ridge:
            continue
        if municipality[first] == municipality[second]:
            continue
        clipped = _clip(diagram.vertices[ridge[0]], diagram.vertices[ridge[1]], region)
        if clipped is not None:
            edges.append(np.array(clipped))
    return edges


def repel(figure, axes, texts: list, rounds: int = 80) -> None:
    """Move labels apart until their boxes no longer overlap (a simple repel in screen space)."""
    if len(texts) < 2:
        return
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    to_screen, to_data = axes.transData, axes.transData.inverted()
    for _round in range(rounds):
        boxes = [text.get_window_extent(renderer).expanded(1.08, 1.25) for text in texts]
        moved = False
        for i in range(len(texts)):
            for j in range(i + 1, len(texts)):
                a, b = boxes[i], boxes[j]
                dx = min(a.x1, b.x1) - max(a.x0, b.x0)
                dy = min(a.y1, b.y1) - max(a.y0, b.y0)
                if dx <= 0 or dy <= 0:
                    continue
                moved = True
                # push apart along the axis that needs the smaller move
                if dy <= dx:
                    sign = 1.0 if (a.y0 + a.y1) >= (b.y0 + b.y1) else -1.0
                    shift = np.array([0.0, sign * (dy / 2 + 0.5)])
                else:
                    sign = 1.0 if (a.x0 + a.x1) >= (b.x0 + b.x1) else -1.0
                    shift = np.array([sign * (dx / 2 + 0.5), 0.0])
                for text, step in ((texts[i], shift), (texts[j], -shift)):
                    where = to_screen.transform(text.get_position())
                    text.set_position(tuple(to_data.transform(where + step)))
                boxes[i] = texts[i].get_window_extent(renderer).expanded(1.08, 1.25)
                boxes[j] = texts[j].get_window_extent(renderer).expanded(1.08, 1.25)
        if not moved:
            return


def utilisation_map(
    neighbourhoods: pd.DataFrame, base: Instance, sweep: Sweep, cbs_dir: Path = CBS_DIR
) -> bytes | None:
    """Peak utilisation per wijk (mean over seeds) at its centroid, with approximate municipal
    boundaries and one label per municipality; one row per scenario, one column per policy.
    None without coordinates."""
    places = coordinates(cbs_dir)
    dwellings = pd.Series({n.neighbourhood_id: n.dwellings for n in base.neighbourhoods})
    known = dwellings.index.intersection(places.index)
    if len(known) == 0 or neighbourhoods.empty:
        return None
    scenarios = _map_scenarios(sweep)
    allocations = sweep.allocation
    rows, cols = len(scenarios), len(allocations)
    x, y = places.loc[known, "x"].astype(float), places.loc[known, "y"].astype(float)
    ratio = (y.max() - y.min() + 2000) / (x.max() - x.min() + 2000)
    panel = 6.4 if cols <= 2 else 4.6
    figure, grid = plt.subplots(
        rows,
        cols,
        figsize=(panel * cols + 1.2, panel * min(1.4, max(0.6, ratio)) * rows + 1.0),
        squeeze=False,
        layout="constrained",
    )
    top = max(1.0, float(neighbourhoods["peak_utilisation"].max(skipna=True) or 1.0))
    municipality_of = {n.neighbourhood_id: n.municipality_id for n in base.neighbourhoods}
    names = {m.municipality_id: m.name for m in base.municipalities}
    sizes = 18 + 140 * np.sqrt(dwellings[known] / max(1, dwellings[known].max()))
    points = np.column_stack([x.to_numpy(), y.to_numpy()])
    members = [municipality_of[n] for n in known]
    edges = municipal_edges(points, members)
    by_municipality = pd.Series(members, index=known)
    centroids = {
        municipality: (float(x[group.index].mean()), float(y[group.index].mean()))
        for municipality, group in by_municipality.groupby(by_municipality)
    }
    artist = None
    labels: list = []
    for r, scenario in enumerate(scenarios):
        for c, allocation in enumerate(allocations):
            axes = grid[r][c]
            for edge in edges:
                axes.plot(edge[:, 0], edge[:, 1], color="#8a8a8a", linewidth=0.9, zorder=1)
            values = (
                neighbourhoods[
                    (neighbourhoods["scenario"] == scenario.index)
                    & (neighbourhoods["allocation"] == allocation)
                ]
                .set_index("neighbourhood_id")["peak_utilisation"]
                .reindex(known)
            )
            capless = values.isna().to_numpy()
            axes.scatter(
                x[capless],
                y[capless],
                s=sizes[capless],
                color="#dddddd",
                edgecolor="#aaaaaa",
                linewidth=0.4,
                zorder=2,
            )
            artist = axes.scatter(
                x[~capless],
                y[~capless],
                s=sizes[~capless],
                c=values[~capless],
                cmap="YlOrRd",
                vmin=0,
                vmax=top,
                edgecolor="#555555",
                linewidth=0.4,
                zorder=3,
            )
            full = (values >= 1 - 1e-9).to_numpy()
            axes.scatter(
                x[full],
                y[full],
                s=sizes[full] * 1.7,
                facecolor="none",
                edgecolor="black",
                linewidth=1.0,
                zorder=4,
            )
            texts = [
                axes.text(
                    cx,
                    cy,
                    names.get(municipality, municipality),
                    fontsize=8,
                    ha="center",
                    va="center",
                    color="#222222",
                    zorder=5,
                    bbox={
                        "boxstyle": "round,pad=0.15",
                        "facecolor": "white",
                        "edgecolor": "none",
                        "alpha": 0.75,
                    },
                )
                for municipality, (cx, cy) in centroids.items()
            ]
            labels.append((axes, texts))
            axes.set_aspect("equal")
            axes.set_xticks([])
            axes.set_yticks([])
            axes.set_title(f"{scenario.label} · {policy_name(allocation)}", fontsize=10)
    figure.suptitle(
        _(
            "Peak utilisation per wijk (load in the window / cap, start load included), mean over seeds; "
            "ringed = reached its cap; grey = no cap. Grey lines: municipal boundaries, approximated"
        ),
        fontsize=10,
    )
    if artist is not None:
        figure.colorbar(artist, ax=grid.ravel().tolist(), shrink=0.6, label=_("peak utilisation"))
    figure.canvas.draw()  # settle the constrained layout before moving labels in screen space
    for axes, texts in labels:
        repel(figure, axes, texts)
    _footer(figure, sweep)
    return _png(figure)


# --- the queue ----------------------------------------------------------------------------------------


def _colours(count: int) -> list:
    """Distinct qualitative colours: tab10 up to ten lines, tab20 beyond."""
    palette = plt.get_cmap("tab10" if count <= 10 else "tab20")
    return [palette(k % palette.N) for k in range(count)]


def _end_labels(axes, ends: list[tuple[float, float, str, object]]) -> None:
    """Label each line at its right end, nudged apart vertically so no two labels overlap."""
    if not ends:
        return
    low, high = axes.get_ylim()
    gap = (high - low) * 0.045
    ends = sorted(ends, key=lambda end: end[1])
    placed: list[float] = []
    for _x, value, _label, _colour in ends:
        placed.append(max(value, placed[-1] + gap) if placed else value)
    overflow = placed[-1] - high
    if overflow > 0:  # shift the stack down when it ran over the top
        placed = [max(low, value - overflow) for value in placed]
    for (x_end, _value, label, colour), spot in zip(ends, placed):
        axes.annotate(
            label,
            (x_end, spot),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=7.5,
            color=colour,
            va="center",
            annotation_clip=False,
        )


def queue(kpis: pd.DataFrame, sweep: Sweep) -> bytes:
    """Clients still waiting at the end of each week, and placements so far (means over seeds):
    one row of two panels per policy, one distinct colour per scenario, labelled at the line's end."""
    scenarios = sweep.scenarios()[: MAX_QUEUE_LINES * 2]
    allocations = sweep.allocation
    colours = _colours(len(scenarios))
    figure, grid = plt.subplots(
        len(allocations), 2, figsize=(13, 3.8 * len(allocations) + 0.6), squeeze=False, sharex=True
    )
    for r, allocation in enumerate(allocations):
        left, right = grid[r]
        ends_left, ends_right = [], []
        for scenario, colour in zip(scenarios, colours):
            rows = kpis[
                (kpis["scenario"] == scenario.index)
                & (kpis["allocation"] == allocation)
                & (kpis["key"] == "")
            ]
            still = rows[rows["kpi"] == "queue_open"].groupby("week")["value"].mean()
            placed = (
                rows[rows["kpi"] == "placements"]
                .pivot_table(index="week", columns="seed", values="value")
                .cumsum()
                .mean(axis=1)
            )
            left.plot(still.index, still.to_numpy(), color=colour, linewidth=1.6, label=scenario.label)
            right.plot(placed.index, placed.to_numpy(), color=colour, linewidth=1.6, label=scenario.label)
            if len(still):
                ends_left.append((float(still.index[-1]), float(still.iloc[-1]), scenario.label, colour))
            if len(placed):
                ends_right.append((float(placed.index[-1]), float(placed.iloc[-1]), scenario.label, colour))
        name = policy_name(allocation)
        left.set_title(_("{policy}: clients still waiting at the end of the week", policy=name), fontsize=10)
        right.set_title(_("{policy}: people housed so far", policy=name), fontsize=10)
        left.set_ylabel(_("still waiting (mean over seeds)"))
        right.set_ylabel(_("housed so far (mean over seeds)"))
        for axes, ends in ((left, ends_left), (right, ends_right)):
            axes.grid(alpha=0.3)
            axes.margins(x=0.02)
            _end_labels(axes, ends)
    for axes in grid[-1]:
        axes.set_xlabel(_("week"))
    handles, labels = grid[0][0].get_legend_handles_labels()
    figure.legend(
        handles,
        labels,
        loc="lower center",
        ncol=min(5, len(labels)),
        fontsize=8,
        title=_("scenario"),
        bbox_to_anchor=(0.5, -0.03 - 0.03 * math.ceil(len(labels) / 5)),
    )
    figure.tight_layout()
    _footer(figure, sweep)
    return _png(figure)


# --- paired differences -------------------------------------------------------------------------------

# figure -> (label, True when more is better)
PAIRED_FIGURES: dict[str, tuple[str, bool]] = {
    "placements": (N_("people housed"), True),
    "origin_placements": (N_("housed in their municipality of origin"), True),
    "wait_all_mean": (N_("mean wait, everyone (weeks)"), False),
    "wait_all_high": (N_("mean wait, high urgency (weeks)"), False),
    "wait_all_acute": (N_("mean wait, acute (weeks)"), False),
    "waiting_end": (N_("still waiting at the end"), False),
    "vacancy_days": (N_("vacancy days"), False),
    "refusals": (N_("refused offers"), False),
}
MAX_PAIRED_SCENARIOS = 12


def verdict(low: float, high: float, more_is_better: bool) -> str:
    """'better', 'worse' or 'unclear' for an interval of policy − baseline."""
    if np.isnan(low) or np.isnan(high) or (low <= 0 <= high):
        return "unclear"
    up = low > 0
    return "better" if up == more_is_better else "worse"


def paired(paired_table: pd.DataFrame, sweep: Sweep, region: str = "") -> bytes | None:
    """The paired difference policy − baseline of each figure, one small panel per figure: a dot
    per scenario with its 95 % interval, a zero line, and "better"/"worse" written on the side
    that is better or worse for that figure. Green: the interval lies on the better side, red: on
    the worse side, grey: it crosses zero."""
    if paired_table.empty:
        return None
    rows = paired_table[paired_table["metric"].isin(list(PAIRED_FIGURES))]
    scenarios = [s for s in sweep.scenarios() if s.index in set(rows["scenario"])][:MAX_PAIRED_SCENARIOS]
    if not scenarios:
        return None
    policies = list(dict.fromkeys(rows["allocation"]))
    baseline = str(rows["baseline"].iloc[0])
    metrics = [m for m in PAIRED_FIGURES if m in set(rows["metric"])]
    cols = 2
    panel_rows = math.ceil(len(metrics) / cols)
    height = 0.34 * len(scenarios) * len(policies) + 1.3
    figure, grid = plt.subplots(panel_rows, cols, figsize=(13, height * panel_rows + 1.0), squeeze=False)
    offsets = (np.arange(len(policies)) - (len(policies) - 1) / 2) * (0.7 / max(1, len(policies)))
    for axes, metric in zip(grid.ravel(), metrics):
        label, more_is_better = PAIRED_FIGURES[metric]
        for offset, allocation in zip(offsets, policies):
            mine = rows[(rows["metric"] == metric) & (rows["allocation"] == allocation)].set_index("scenario")
            for position, scenario in enumerate(scenarios):
                if scenario.index not in mine.index:
                    continue
                row = mine.loc[scenario.index]
                mean, low, high = float(row["diff_mean"]), float(row["ci_low"]), float(row["ci_high"])
                colour = {"better": BETTER, "worse": WORSE, "unclear": UNCLEAR}[
                    verdict(low, high, more_is_better)
                ]
                if not np.isnan(low):
                    axes.plot([low, high], [position + offset] * 2, color=colour, linewidth=2.2, alpha=0.8)
                axes.plot(
                    mean, position + offset, marker=_style(allocation)["marker"], color=colour, markersize=7
                )
        axes.axvline(0, color="#333333", linewidth=1.0)
        axes.set_yticks(range(len(scenarios)), [s.label for s in scenarios], fontsize=8)
        axes.set_ylim(len(scenarios) - 0.5, -0.5)
        axes.set_title(_(label), fontsize=10)
        axes.grid(axis="x", alpha=0.3)
        # make zero visible and leave room on both sides for the words
        low_x, high_x = axes.get_xlim()
        reach = max(abs(low_x), abs(high_x), 1e-6)
        axes.set_xlim(-reach * 1.15, reach * 1.15)
        sides = ((0.01, "left", not more_is_better), (0.99, "right", more_is_better))
        for x_side, ha, good in sides:
            word = _("better") if good else _("worse")
            axes.text(
                x_side,
                1.01,
                f"← {word}" if ha == "left" else f"{word} →",
                transform=axes.transAxes,
                ha=ha,
                va="bottom",
                fontsize=8.5,
                fontweight="bold",
                color=BETTER if good else WORSE,
            )
    for axes in grid.ravel()[len(metrics) :]:
        axes.set_visible(False)
    names = ", ".join(policy_name(p) for p in policies)
    figure.suptitle(
        _(
            "{region}: {policies} − {baseline} per seed: mean (dot) and 95 % interval (line); "
            "{seeds} seeds, same arrivals and answers",
            region=region or sweep.name,
            policies=names,
            baseline=policy_name(baseline),
            seeds=len(sweep.seeds),
        ),
        fontsize=10.5,
    )
    figure.tight_layout()
    _footer(figure, sweep)
    return _png(figure)
