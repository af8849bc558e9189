"""A landlord or id typed with a combining accent is the same as with the composed letter."""

from __future__ import annotations

import shutil
from pathlib import Path

from matcher.io.read import read_instance

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"


def test_decomposed_accents_read_as_the_composed_letter(tmp_path):
    folder = tmp_path / "week"
    shutil.copytree(TINY, folder)
    units = folder / "units.csv"
    units.write_text(
        units.read_text(encoding="utf-8").replace("Pré Wonen", "Pre\u0301 Wonen"), encoding="utf-8"
    )
    assert "Pre\u0301 Wonen" in units.read_text(encoding="utf-8")
    landlords = {u.landlord for u in read_instance(folder).units}
    assert "Pré Wonen" in landlords and "Pre\u0301 Wonen" not in landlords
    assert landlords == {u.landlord for u in read_instance(TINY).units}
