"""A workbook is refused, naming sheet and cell, where openpyxl would silently lose a value."""

from __future__ import annotations

import zipfile
from pathlib import Path

from openpyxl import load_workbook
from test_read_dutch_excel import problems, workbook

from matcher.io.read import read_instance


def plain(name, rows):
    return rows


def edited(path: Path, change) -> Path:
    book = load_workbook(path)
    change(book)
    book.save(path)
    return path


def test_a_normal_workbook_still_reads(tmp_path):
    assert read_instance(workbook(tmp_path / "ok.xlsx", plain)).clients


def test_merged_exclusion_cells_are_refused(tmp_path):
    def merge(book):
        sheet = book["clients"]
        sheet["K3"] = "GM0453"
        sheet.merge_cells("K3:K4")

    found = problems(edited(workbook(tmp_path / "m.xlsx", plain), merge))
    assert any("sheet clients, cells K3:K4" in p and "unmerge" in p for p in found), found


def test_formula_without_cached_value_is_refused(tmp_path):
    def formula(book):
        book["clients"]["K3"] = '="GM0453"'

    found = problems(edited(workbook(tmp_path / "f.xlsx", plain), formula))
    assert any("sheet clients, cell K3" in p and "formula" in p for p in found), found


def test_formula_with_cached_value_is_read(tmp_path):
    path = edited(
        workbook(tmp_path / "c.xlsx", plain), lambda book: book["clients"].__setitem__("K3", '="GM0453"')
    )
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = next(n for n, d in parts.items() if n.startswith("xl/worksheets/") and b'<f>"GM0453"</f>' in d)
    # what Excel saves: the formula and its result, typed as text
    parts[sheet] = parts[sheet].replace(
        b'<c r="K3"><f>"GM0453"</f><v />', b'<c r="K3" t="str"><f>"GM0453"</f><v>GM0453</v>'
    )
    assert b"<v>GM0453</v>" in parts[sheet]
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    instance = read_instance(path)
    assert "GM0453" in instance.clients[1].excluded_municipalities


def test_hidden_duplicate_sheets_are_refused(tmp_path):
    def hide(book):
        old = book.copy_worksheet(book["clients"])
        old.title = "clients "
        old.sheet_state = "hidden"
        book["clients"].title = "Clients"
        policy = book.copy_worksheet(book["Policy "])
        policy.title = "policy"
        policy.sheet_state = "veryHidden"

    found = problems(edited(workbook(tmp_path / "h.xlsx", plain), hide))
    assert any("'clients ' is hidden" in p for p in found), found
    assert any("is hidden" in p and "policy" in p for p in found), found


def test_two_visible_sheets_with_one_name_are_refused(tmp_path):
    def double(book):
        book.copy_worksheet(book["units"]).title = " Units"

    found = problems(edited(workbook(tmp_path / "d.xlsx", plain), double))
    assert any("both count as sheet units" in p for p in found), found


def test_every_refusal_is_listed_at_once(tmp_path):
    def bad(book):
        sheet = book["clients"]
        sheet["K3"] = "GM0453"
        sheet.merge_cells("K3:K4")
        sheet["L5"] = '="GM0453"'
        book["Policy "]["B3"] = "=3+4"
        old = book.copy_worksheet(sheet)
        old.title = "clients "
        old.sheet_state = "hidden"

    found = "\n".join(problems(edited(workbook(tmp_path / "all.xlsx", plain), bad)))
    for text in (
        "'clients ' is hidden",
        "sheet clients, cells K3:K4",
        "sheet clients, cell L5",
        "sheet Policy, cell B3",
    ):
        assert text in found, found
    assert "missing" not in found
