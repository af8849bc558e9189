"""The overview's map (matcher/report/map.py): Voronoi cells of the wijk centres that partition the
region, municipal boundaries between cells of different municipalities, names that do not overlap."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from matcher.generate.instance import CBS_DIR
from matcher.report.map import Wijk, cbs_centres, clip_polygon, clip_segment, draw, tessellate, wijk_map


def area(polygon: np.ndarray) -> float:
    x, y = polygon[:, 0], polygon[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


def inside(point: np.ndarray, polygon: np.ndarray) -> bool:
    """Whether `point` lies in the convex, counter-clockwise `polygon` (on its edge counts)."""
    for a, b in zip(polygon, np.roll(polygon, -1, axis=0), strict=True):
        if (b[0] - a[0]) * (point[1] - a[1]) - (b[1] - a[1]) * (point[0] - a[0]) < -1e-12:
            return False
    return True


def test_clipping_a_square_by_a_triangle_keeps_their_common_part():
    square = np.array([[0, 0], [2, 0], [2, 2], [0, 2]], float)
    triangle = np.array([[0, 0], [2, 0], [0, 2]], float)  # counter-clockwise
    assert area(clip_polygon(square, triangle)) == pytest.approx(2.0)
    outside = np.array([[5, 5], [6, 5], [6, 6]], float)
    assert len(clip_polygon(outside, triangle)) == 0
    start, end = clip_segment(np.array([-1.0, 0.5]), np.array([3.0, 0.5]), triangle)
    assert start == pytest.approx([0, 0.5]) and end == pytest.approx([1.5, 0.5])
    assert clip_segment(np.array([3.0, 3.0]), np.array([4.0, 4.0]), triangle) is None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_cells_partition_the_region_and_hold_their_own_centre(seed):
    """Every point of the clipped region is in exactly one cell: the areas add up to the region's,
    and each cell holds its own centre and is nearer to it than to any other centre."""
    points = np.random.default_rng(seed).uniform(0, 1, size=(40, 2))
    cells, ridges, window = tessellate(points)
    assert sum(area(cell) for cell in cells) == pytest.approx(area(window), rel=1e-9)
    for k, cell in enumerate(cells):
        assert inside(points[k], cell)
        for vertex in cell:
            own = np.linalg.norm(vertex - points[k])
            assert own <= np.linalg.norm(points - vertex, axis=1).min() + 1e-9
    for i, j, start, end in ridges:  # a ridge lies halfway between its two centres
        middle = (start + end) / 2
        assert np.linalg.norm(middle - points[i]) == pytest.approx(np.linalg.norm(middle - points[j]))
        assert inside(start, window) and inside(end, window)


def test_equal_centres_do_not_break_the_map():
    points = np.array([[0, 0], [1, 0], [1, 0], [0, 1]], float)
    cells, _ridges, window = tessellate(points)
    assert sum(area(cell) for cell in cells) == pytest.approx(area(window), rel=1e-6)


def region_wijken(region: str) -> list[Wijk]:
    table = pd.read_csv(CBS_DIR / "neighbourhoods.csv", dtype={"wk_code": str})
    table = table[table["region"] == region]
    return [
        Wijk(row.wk_code, row.wk_name, row.gm_name, float(k % 7), 5.0, k % 3)
        for k, row in enumerate(table.itertuples())
    ]


def test_municipal_boundaries_and_names_of_a_real_region():
    """On Zuid-Kennemerland's real CBS wijken: a name per municipality, no two names overlap, and a
    thick boundary only between cells of different municipalities."""
    wijken = region_wijken("Zuid-Kennemerland/IJmond/Haarlemmermeer")
    municipalities = {w.municipality for w in wijken}
    assert len(wijken) > 50 and len(municipalities) > 5
    figure, drawn = draw(wijken, cbs_centres())
    assert drawn == len(wijken)
    axes = figure.axes[0]
    renderer = figure.canvas.get_renderer()
    labels = list(axes.texts)
    assert sorted(text.get_text() for text in labels) == sorted(municipalities)
    boxes = [text.get_window_extent(renderer) for text in labels]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), "two municipality names overlap"
    import matplotlib.pyplot as plt

    plt.close(figure)


def test_the_svg_keeps_names_as_text_and_lists_wijken_without_coordinates():
    wijken = region_wijken("West-Friesland")[:12] + [Wijk("WK999999", "Nergens", "Nergenshuizen", 1, 2, 0)]
    drawn = wijk_map(wijken, cbs_centres())
    assert drawn.svg is not None and drawn.svg.startswith("<svg") and drawn.drawn == 12
    assert drawn.without_coordinates == ["WK999999"]
    for name in {w.municipality for w in wijken[:12]}:
        assert f">{name}<" in drawn.svg.replace("\n", "")
    assert wijk_map(wijken[-1:], cbs_centres()).svg is None
