"""The stress simulation reads the same recent load as the solve (issue 14): the base folder's
other placements in the first week's window are folded into the start's recent load
(`matcher.rules.load.folded`), which then fades over the window as the typed recent load does."""

from __future__ import annotations

import shutil
from pathlib import Path

from matcher.io.read import read_instance
from matcher.rules.load import recent_loads
from matcher.stress.arrivals import base_instance
from matcher.stress.scenario import load_sweep

ROOT = Path(__file__).resolve().parents[2]


def test_the_base_folder_folds_other_placements_into_the_recent_load(tmp_path):
    folder = tmp_path / "week"
    shutil.copytree(ROOT / "instances" / "tiny", folder)
    (folder / "other_placements.csv").write_text(
        "neighbourhood_id,placed_on,load\nWK045302,2026-10-01,3\nWK039202,2026-04-01,5\n", encoding="utf-8"
    )
    file = tmp_path / "short.yaml"
    file.write_text(
        f"name: short\nbase: {{instance: {folder}}}\nhorizon_weeks: 3\n"
        "arrivals: {clients_per_week: 1, units_per_week: 1}\nseeds: [1]\n",
        encoding="utf-8",
    )
    base = base_instance(load_sweep(file), 1)
    assert base.other_placements == ()
    assert {n.neighbourhood_id: n.recent_load for n in base.neighbourhoods} == {
        "WK039201": 42,
        "WK039202": 0,  # the row of April is before the window
        "WK045301": 20,
        "WK045302": 3,
        "WK045309": 0,
    }
    assert recent_loads(base) == recent_loads(read_instance(folder))
