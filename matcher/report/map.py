"""The map of the weekly overview: wijk loads against their caps, on the real CBS geography.

We only know each wijk's centre (CBS, `instances/cbs/neighbourhoods.csv`), not its outline, so a
wijk is drawn as its cell of the Voronoi tessellation of the wijk centres (`scipy.spatial.Voronoi`):
every point of the map belongs to the nearest wijk centre. The cells are clipped to the region's
convex hull plus a margin. A municipal boundary is drawn where two cells of different
municipalities meet, and each municipality's name is placed where it does not overlap another.
The result is an approximation, and the page says so.

The colour of a cell is its utilisation: (recent_load + the load placed this week) / cap, the
quantity the spreading rule bounds (matcher.rules.capacity). The picture is an inline SVG with its
text kept as text (`svg.fonttype = none`), so the page needs nothing from outside and the names
can be searched and printed sharply.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from matcher.i18n import _

ARC = 24  # directions of the margin around the hull
FAR = 20.0  # the far-away helper points, in region widths (they make every real cell finite)


@dataclass(frozen=True)
class Wijk:
    """One wijk of the map: where its centre is and how full it is."""

    neighbourhood_id: str
    name: str
    municipality: str  # the municipality's name
    load: float  # recent load + the load placed this week
    cap: float
    placed: int  # matches placed in this wijk this week

    @property
    def utilisation(self) -> float | None:
        """load / cap; None when the cap is 0 (no room at all)."""
        return self.load / self.cap if self.cap > 0 else None


@dataclass
class WijkMap:
    """The map as inline SVG (None when no wijk has CBS coordinates) and what it leaves out."""

    svg: str | None
    drawn: int = 0
    without_coordinates: list[str] = field(default_factory=list)


def cbs_centres(cbs_dir: Path | None = None) -> pd.DataFrame:
    """Wijk centres (lat, lon) by wijk code: the CBS table the product ships (instances/cbs/),
    as the stress report reads it (matcher.stress.plots.coordinates)."""
    from matcher.generate.instance import CBS_DIR
    from matcher.stress.plots import coordinates

    return coordinates(cbs_dir or CBS_DIR)


# --- geometry ------------------------------------------------------------------------------------


def _cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))


def clip_polygon(polygon: np.ndarray, window: np.ndarray) -> np.ndarray:
    """`polygon` clipped to the convex, counter-clockwise `window` (Sutherland–Hodgman)."""
    output = [np.asarray(p, float) for p in polygon]
    for k in range(len(window)):
        a, b = window[k], window[(k + 1) % len(window)]
        points, output = output, []
        for i in range(len(points)):
            current, previous = points[i], points[i - 1]
            inside_now, inside_before = _cross(a, b, current) >= 0, _cross(a, b, previous) >= 0
            if inside_now:
                if not inside_before:
                    output.append(_intersection(previous, current, a, b))
                output.append(current)
            elif inside_before:
                output.append(_intersection(previous, current, a, b))
        if not output:
            break
    return np.array(output, float).reshape(-1, 2)


def _intersection(p: np.ndarray, q: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where the segment p–q crosses the line through a and b."""
    d1, d2 = _cross(a, b, p), _cross(a, b, q)
    t = d1 / (d1 - d2) if d1 != d2 else 0.0
    return p + t * (q - p)


def clip_segment(p: np.ndarray, q: np.ndarray, window: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The part of the segment p–q inside the convex, counter-clockwise `window` (Cyrus–Beck)."""
    low, high = 0.0, 1.0
    direction = q - p
    for k in range(len(window)):
        a, b = window[k], window[(k + 1) % len(window)]
        start, change = _cross(a, b, p), _cross(a, b, q) - _cross(a, b, p)
        if abs(change) < 1e-15:
            if start < 0:
                return None
            continue
        t = -start / change
        if change > 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low > high:
            return None
    return p + low * direction, p + high * direction


def _window(points: np.ndarray, margin: float) -> np.ndarray:
    """The convex hull of the points grown by `margin`, counter-clockwise."""
    from scipy.spatial import ConvexHull

    angles = np.linspace(0, 2 * math.pi, ARC, endpoint=False)
    ring = np.stack([np.cos(angles), np.sin(angles)], axis=1) * margin
    grown = (points[:, None, :] + ring[None, :, :]).reshape(-1, 2)
    hull = ConvexHull(grown)
    return grown[hull.vertices]  # scipy gives 2-d hull vertices counter-clockwise


def _margin(points: np.ndarray) -> float:
    """Half the typical distance between neighbouring wijk centres (a wijk's radius, roughly)."""
    if len(points) < 2:
        return 0.02
    from scipy.spatial import cKDTree

    distances, _unused = cKDTree(points).query(points, k=2)
    return max(0.004, 0.6 * float(np.median(distances[:, 1])))


def tessellate(
    points: np.ndarray,
) -> tuple[list[np.ndarray], list[tuple[int, int, np.ndarray, np.ndarray]], np.ndarray]:
    """The clipped Voronoi cell of every point, the ridges between two points (their indices and
    the ridge's clipped end points) and the clipping window."""
    from scipy.spatial import Voronoi

    points = _apart(points)
    window = _window(points, _margin(points))
    low, high = points.min(axis=0), points.max(axis=0)
    middle, size = (low + high) / 2, max(float((high - low).max()), 0.01)
    helpers = middle + FAR * size * np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], float)
    diagram = Voronoi(np.vstack([points, helpers]))
    cells = []
    for k in range(len(points)):
        region = diagram.regions[diagram.point_region[k]]
        if not region or -1 in region:  # cannot happen with the helpers around; drawn as nothing
            cells.append(np.zeros((0, 2)))
            continue
        cells.append(_counter_clockwise(clip_polygon(diagram.vertices[region], window)))
    ridges = []
    for (i, j), vertices in zip(diagram.ridge_points, diagram.ridge_vertices, strict=True):
        if i >= len(points) or j >= len(points) or -1 in vertices:
            continue
        clipped = clip_segment(diagram.vertices[vertices[0]], diagram.vertices[vertices[1]], window)
        if clipped is not None:
            ridges.append((int(i), int(j), clipped[0], clipped[1]))
    return cells, ridges, window


def _counter_clockwise(cell: np.ndarray) -> np.ndarray:
    """A convex cell's corners in counter-clockwise order (Voronoi gives them either way)."""
    if len(cell) < 3:
        return cell
    middle = cell.mean(axis=0)
    return cell[np.argsort(np.arctan2(cell[:, 1] - middle[1], cell[:, 0] - middle[0]))]


def _apart(points: np.ndarray) -> np.ndarray:
    """The points with exact duplicates moved apart by a hair (Voronoi needs distinct points)."""
    points = np.array(points, float)
    seen: dict[tuple[float, float], int] = {}
    for k, (x, y) in enumerate(points):
        count = seen.get((x, y), 0)
        seen[(x, y)] = count + 1
        if count:
            points[k] += 1e-6 * count
    return points


# --- the picture -----------------------------------------------------------------------------------


def wijk_map(wijken: list[Wijk], centres: pd.DataFrame) -> WijkMap:
    """The map of these wijken, at their CBS centres; wijken without a centre are listed."""
    missing = [w.neighbourhood_id for w in wijken if w.neighbourhood_id not in centres.index]
    figure, drawn = draw(wijken, centres)
    if figure is None:
        return WijkMap(None, 0, missing)
    buffer = io.StringIO()
    # text stays text (searchable, sharp in print); the same week gives the same file
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "matcher-overview"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(figure)
    text = buffer.getvalue()
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text[text.index("<svg") :], flags=re.S)
    return WijkMap(text, drawn, missing)


def draw(wijken: list[Wijk], centres: pd.DataFrame):
    """The matplotlib figure of the map and how many wijk cells it draws ((None, 0) when no wijk
    has a CBS centre)."""
    known = [w for w in wijken if w.neighbourhood_id in centres.index]
    if not known:
        return None, 0
    lat = centres.loc[[w.neighbourhood_id for w in known], "lat"].to_numpy(float)
    lon = centres.loc[[w.neighbourhood_id for w in known], "lon"].to_numpy(float)
    stretch = math.cos(math.radians(float(lat.mean())))
    points = np.stack([lon * stretch, lat], axis=1)  # equal distances in both directions
    cells, ridges, window = tessellate(points)

    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.colors import Normalize

    width = float(window[:, 0].max() - window[:, 0].min())
    height = float(window[:, 1].max() - window[:, 1].min())
    figure_width = 7.0
    figure_height = min(9.0, max(3.5, figure_width * height / max(width, 1e-9)))
    figure, axes = plt.subplots(figsize=(figure_width, figure_height), layout="constrained")
    values = [w.utilisation for w in known]
    top = max([1.0, *(v for v in values if v is not None)])
    colours = plt.get_cmap("YlOrRd")
    norm = Normalize(vmin=0, vmax=top)
    faces = ["#cccccc" if v is None else colours(norm(v)) for v in values]
    drawn = [k for k, cell in enumerate(cells) if len(cell) >= 3]
    axes.add_collection(
        PolyCollection(
            [cells[k] for k in drawn],
            facecolors=[faces[k] for k in drawn],
            edgecolors="#ffffff",
            linewidths=0.5,
        )
    )
    boundaries = [(p, q) for i, j, p, q in ridges if known[i].municipality != known[j].municipality]
    axes.add_collection(LineCollection(boundaries, colors="#222222", linewidths=1.3))
    outline = np.vstack([window, window[:1]])
    axes.plot(outline[:, 0], outline[:, 1], color="#888888", linewidth=0.6, linestyle=":")
    full = [k for k, v in enumerate(values) if v is not None and v >= 1 - 1e-9]
    if full:
        axes.add_collection(
            PolyCollection(
                [cells[k] for k in full if len(cells[k]) >= 3],
                facecolors="none",
                edgecolors="#000000",
                linewidths=1.0,
                hatch="///",
            )
        )
    placed = [k for k, w in enumerate(known) if w.placed]
    if placed:
        axes.scatter(
            points[placed, 0],
            points[placed, 1],
            s=[10 + 8 * known[k].placed for k in placed],
            color="#1f3b73",
            edgecolor="#ffffff",
            linewidth=0.5,
            zorder=3,
        )
    axes.set_xlim(window[:, 0].min(), window[:, 0].max())
    axes.set_ylim(window[:, 1].min(), window[:, 1].max())
    axes.set_aspect("equal")
    axes.set_axis_off()
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=colours)
    figure.colorbar(
        mappable,
        ax=axes,
        shrink=0.6,
        label=_("utilisation: (recent load + placed load) / cap"),
    )
    _label_municipalities(figure, axes, known, points)
    return figure, len(drawn)


def _label_municipalities(figure, axes, known: list[Wijk], points: np.ndarray) -> None:
    """Each municipality's name near its middle, moved to the nearest spot where it overlaps no
    name placed before it (largest municipalities, by wijken, first)."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    members: dict[str, list[int]] = {}
    for k, wijk in enumerate(known):
        members.setdefault(wijk.municipality, []).append(k)
    taken: list = []
    # a pale box rather than a stroked halo: a path effect would turn the name into a drawn path,
    # and the name must stay text in the SVG (searchable, sharp in print)
    backing = {"boxstyle": "round,pad=0.15", "facecolor": "#ffffff", "edgecolor": "none", "alpha": 0.75}
    for name in sorted(members, key=lambda m: (-len(members[m]), m)):
        own = points[members[name]]
        middle = own.mean(axis=0)
        order = np.argsort(((own - middle) ** 2).sum(axis=1))
        anchor = own[order[0]]  # the centre nearest the middle: inside the municipality
        spread = float(np.ptp(points[:, 1])) or 0.01
        candidates = [anchor, *(own[k] for k in order[1:])]
        candidates += [
            anchor + spread * step * np.array([math.cos(angle), math.sin(angle)])
            for step in (0.04, 0.08, 0.12)
            for angle in np.linspace(0, 2 * math.pi, 8, endpoint=False)
        ]
        text = axes.text(
            *anchor,
            name,
            fontsize=7.5,
            parse_math=False,  # a name is a name, even with a $ in it
            ha="center",
            va="center",
            color="#111111",
            bbox=backing,
            zorder=4,
        )
        best, least = anchor, math.inf
        for spot in candidates:
            text.set_position(tuple(spot))
            box = text.get_window_extent(renderer).expanded(1.05, 1.15)
            overlap = sum(_overlap(box, other) for other in taken)
            if overlap < least:
                best, least = spot, overlap
            if overlap == 0:
                break
        text.set_position(tuple(best))
        taken.append(text.get_window_extent(renderer).expanded(1.05, 1.15))


def _overlap(a, b) -> float:
    """The area two display boxes share."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(0.0, width) * max(0.0, height)
