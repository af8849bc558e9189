"""The weekly overview shows each match's address and complex when units.csv gives them (issue 15)."""

from __future__ import annotations

import csv
import io
import shutil

from overview_pages import TINY, by_id, read_page, solve

from matcher.report.overview import write_overview

ADDRESS = ["street", "house_number", "postcode", "place", "complex_name", "landlord_reference", "bag_id"]


def test_each_match_shows_its_address_and_complex(tiny_run, tmp_path, dutch):
    write_overview(tiny_run, tmp_path / "overview.html")
    page = read_page((tmp_path / "overview.html").read_text(encoding="utf-8"))
    units = by_id(tiny_run / "solved-instance" / "units.csv", "unit_id")
    records = page.records("Koppelingen (")
    assert len(records) == 5
    for record in records:
        unit = units[record["Woning"]]
        assert (
            record["Adres"] == f"{unit['street']} {unit['house_number']}, {unit['postcode']} {unit['place']}"
        )
        assert record["Complex"] == unit["complex_name"]
    shown = {r["Woning"]: (r["Adres"], r["Complex"]) for r in records}
    assert shown["U03"] == ("Kanaalstraat 20-1, 1971 TW IJmuiden", "Kanaalhof")
    assert shown["U01"] == ("Kleine Houtstraat 12, 2011 AB Haarlem", "")


def test_without_addresses_the_table_has_no_address_columns(tmp_path, dutch):
    instance = tmp_path / "bare"
    shutil.copytree(TINY, instance)
    rows = list(csv.DictReader(io.StringIO((instance / "units.csv").read_text(encoding="utf-8"))))
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, [c for c in rows[0] if c not in ADDRESS], lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    writer.writerows(rows)
    (instance / "units.csv").write_text(buffer.getvalue(), encoding="utf-8")
    run = solve(instance, tmp_path / "run")
    write_overview(run, tmp_path / "overview.html")
    records = read_page((tmp_path / "overview.html").read_text(encoding="utf-8")).records("Koppelingen (")
    assert len(records) == 5 and not {"Adres", "Complex"} & set(records[0])
