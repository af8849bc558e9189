"""The project's own red-team catalogue of bad inputs: each case is one broken instance (or
scenario file) that must be refused with exit 2, a message naming the file (or sheet) and, for a
cell, its row and column, no traceback, and nothing written.

Cases are built from the hand-checked `instances/tiny` by one change each, so every case has one
known cause. The catalogue is counted in docs/reliability.md (section 9); `test_redteam.py`
checks that the count there is the count here.
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny"

Build = Callable[[Path], Path]  # given an empty folder, write the bad input; return what to validate


@dataclass(frozen=True)
class Case:
    """One bad input: where it lives, what must be named, and how to build it."""

    family: str  # csv | workbook | policy | scenario
    name: str
    build: Build
    names: tuple[str, ...] = field(default=())  # words the refusal must contain (file, row, column)


def _rows(table: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((TINY / f"{table}.csv").read_text(encoding="utf-8"))))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _copy(folder: Path) -> Path:
    target = folder / "instance"
    shutil.copytree(TINY, target)
    return target


def cell_case(table: str, column: str, value: str, why: str, row: int = 2) -> Case:
    """Row `row` (spreadsheet numbering, header = 1) of `table`, `column` set to `value`."""

    def build(folder: Path) -> Path:
        target = _copy(folder)
        rows = _rows(table)
        rows[row - 1][rows[0].index(column)] = value
        _write_rows(target / f"{table}.csv", rows)
        return target

    return Case("csv", f"{table}.{column}={why}", build, (f"{table}.csv", column))


def file_case(name: str, data: bytes | None, why: str, names: tuple[str, ...]) -> Case:
    """The file `name` replaced by `data` (None: removed)."""

    def build(folder: Path) -> Path:
        target = _copy(folder)
        if data is None:
            (target / name).unlink()
        else:
            (target / name).write_bytes(data)
        return target

    return Case("policy" if name.endswith(".yaml") else "csv", f"{name}:{why}", build, names)


def _without_column(table: str, column: str) -> bytes:
    rows = _rows(table)
    k = rows[0].index(column)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([r[:k] + r[k + 1 :] for r in rows])
    return buffer.getvalue().encode()


# values every typed column must refuse, by the column's kind
BAD_BY_KIND: dict[str, list[tuple[str, str]]] = {
    "int": [
        ("abc", "text"),
        ("1.5", "fraction"),
        ("1e999", "overflow"),
        ("99999999999999999999", "huge"),
        ("#N/A", "excel-error"),
        ("-1", "negative"),
    ],
    "number": [
        ("abc", "text"),
        ("1e999", "overflow"),
        ("nan", "nan"),
        ("inf", "infinity"),
        ("#VALUE!", "excel-error"),
        ("-1", "negative"),
    ],
    "date": [
        ("2026-02-30", "no-such-day"),
        ("morgen", "word"),
        ("2026-13-01", "month-13"),
        ("#REF!", "excel-error"),
    ],
    "bool": [("misschien", "word"), ("2", "number")],
}
# values every id or reference column must refuse
BAD_IDS = [
    ("=HYPERLINK(1)", "formula"),
    ("+31", "formula-plus"),
    ("@SUM(A1)", "formula-at"),
    ("a\x01b", "control"),
    ("a\nb", "quoted-newline"),
]
ENUMS = {
    ("units", "type"): "villa",
    ("clients", "source"): "prison",
    ("clients", "support_intensity"): "extreme",
    ("clients", "urgency"): "whenever",
    ("support_capacity", "support_intensity"): "extreme",
}
REFERENCES = {  # column -> an unknown id of the right form
    ("neighbourhoods", "municipality_id"): "GM9999",
    ("units", "municipality_id"): "GM9999",
    ("units", "neighbourhood_id"): "WK999999",
    ("clients", "origin_municipality_id"): "GM9999",
    ("clients", "current_municipality_id"): "GM9999",
    ("clients", "preferred_municipalities"): "GM9999",
    ("clients", "excluded_municipalities"): "GM9999",
    ("clients", "excluded_neighbourhoods"): "WK999999",
    ("support_capacity", "municipality_id"): "GM9999",
}
PRIMARY = {
    "municipalities": "municipality_id",
    "neighbourhoods": "neighbourhood_id",
    "units": "unit_id",
    "clients": "client_id",
}


def csv_cases() -> list[Case]:
    from matcher.io.read import TABLES

    cases: list[Case] = []
    for spec in TABLES:
        rows = _rows(spec.name)
        if len(rows) < 2:
            continue  # no data row to break (declined.csv is empty in tiny)
        for column in spec.columns:
            if column not in rows[0]:
                continue  # optional column not in the file
            kind = spec.kind(column)
            if kind in BAD_BY_KIND:
                cases += [cell_case(spec.name, column, value, why) for value, why in BAD_BY_KIND[kind]]
            if column.endswith("_id") or column in (
                "excluded_municipalities",
                "preferred_municipalities",
                "excluded_neighbourhoods",
            ):
                cases += [cell_case(spec.name, column, value, why) for value, why in BAD_IDS]
            if column == "client_id":
                cases.append(cell_case(spec.name, column, "ilse zwanenburg", "name"))
            if (spec.name, column) in ENUMS:
                cases.append(cell_case(spec.name, column, ENUMS[(spec.name, column)], "unknown-value"))
            if (spec.name, column) in REFERENCES:
                cases.append(
                    cell_case(spec.name, column, REFERENCES[(spec.name, column)], "unknown-reference")
                )
            if column in spec.required_columns:
                cases.append(cell_case(spec.name, column, "", "empty-required"))
                cases.append(cell_case(spec.name, column, "   ", "blank-required"))
                cases.append(
                    file_case(
                        spec.file,
                        _without_column(spec.name, column),
                        f"no-column-{column}",
                        (spec.file, column),
                    )
                )
        if spec.name in PRIMARY:
            cases.append(
                cell_case(
                    spec.name, PRIMARY[spec.name], rows[2][rows[0].index(PRIMARY[spec.name])], "duplicate-id"
                )
            )
        text = (TINY / spec.file).read_bytes()
        lines = text.decode().splitlines()
        header_line, first_line = lines[0], lines[1]
        cases += [
            file_case(spec.file, b"\x00\x01\x02\xff" * 50, "binary", (spec.file,)),
            file_case(
                spec.file,
                "\n".join([header_line, first_line + ",extra", *lines[2:]]).encode() + b"\n",
                "extra-cell",
                (spec.file, "column #"),
            ),
            file_case(
                spec.file,
                "\n".join([header_line + "," + rows[0][0], *(line + "," for line in lines[1:])]).encode()
                + b"\n",
                "duplicate-header",
                (spec.file, rows[0][0]),
            ),
            file_case(
                spec.file,
                "\n".join([header_line + ",remarks", *(line + ",x" for line in lines[1:])]).encode() + b"\n",
                "unknown-column",
                (spec.file, "remarks"),
            ),
            file_case(spec.file, text.replace(b",", b";", 3), "mixed-separators", (spec.file,)),
            file_case(spec.file, text.replace(b"\n", b'\n"', 1), "unbalanced-quote", (spec.file,)),
            file_case(spec.file, text + b"\x00\n", "nul-byte", (spec.file,)),
        ]
        if spec.required:
            cases.append(file_case(spec.file, None, "missing", (spec.file,)))
            cases.append(file_case(spec.file, b"", "empty", (spec.file,)))
    return cases


POLICY_CASES = [
    ("unknown-key", "period: {start: 2026-11-23, days: 7}\norigin_rules: strict\n", ("origin_rules",)),
    ("no-period", "origin_rule: prefer\n", ("period",)),
    ("days-zero", "period: {start: 2026-11-23, days: 0}\n", ("days",)),
    ("days-negative", "period: {start: 2026-11-23, days: -7}\n", ("days",)),
    ("days-sexagesimal", "period: {start: 2026-11-23, days: 1:30}\n", ("days",)),
    ("days-octal", "period: {start: 2026-11-23, days: 010}\n", ("days",)),
    ("days-boolean", "period: {start: 2026-11-23, days: true}\n", ("days",)),
    ("days-text", "period: {start: 2026-11-23, days: week}\n", ("days",)),
    ("start-feb-30", "period: {start: 2026-02-30, days: 7}\n", ("start",)),
    (
        "origin-rule-unknown",
        "period: {start: 2026-11-23, days: 7}\norigin_rule: sometimes\n",
        ("origin_rule",),
    ),
    (
        "duplicate-period",
        "period: {start: 2026-11-23, days: 7}\nperiod: {start: 2026-11-30, days: 7}\n",
        ("period",),
    ),
    (
        "duplicate-origin-rule",
        "period: {start: 2026-11-23, days: 7}\norigin_rule: prefer\norigin_rule: strict\n",
        ("origin_rule",),
    ),
    (
        "load-weight-yes",
        "period: {start: 2026-11-23, days: 7}\nspreading: {load_weight: {light: yes}}\n",
        ("load_weight",),
    ),
    (
        "load-weight-negative",
        "period: {start: 2026-11-23, days: 7}\nspreading: {load_weight: {light: -1}}\n",
        ("load_weight",),
    ),
    ("not-a-mapping", "- period\n- origin_rule\n", ("policy.yaml",)),
    ("bad-yaml", "period: {start: 2026-11-23, days: 7\n", ("policy.yaml",)),
    ("tabs", "period:\n\tstart: 2026-11-23\n", ("policy.yaml",)),
    (
        "alias-bomb",
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
        ("policy.yaml",),
    ),
    ("huge-number", "period: {start: 2026-11-23, days: " + "9" * 5000 + "}\n", ("days",)),
    (
        "refusals-negative",
        "period: {start: 2026-11-23, days: 7}\nrefusals: {max_refusals: -1}\n",
        ("max_refusals",),
    ),
]


def policy_cases() -> list[Case]:
    return [
        file_case("policy.yaml", text.encode(), why, ("policy.yaml", *names))
        for why, text, names in POLICY_CASES
    ]


def _workbook(folder: Path, change: Callable[[object], None]) -> Path:
    """The tiny instance as one workbook, changed by `change(book)`."""
    import fuzzing
    from openpyxl import load_workbook

    path = folder / "instance.xlsx"
    path.write_bytes(fuzzing.tiny_workbook())
    book = load_workbook(path)
    change(book)
    book.save(path)
    return path


def workbook_cases() -> list[Case]:
    def merged(book: object) -> None:
        sheet = book["clients"]  # type: ignore[index]
        sheet["K3"] = "GM0453"
        sheet.merge_cells("K3:K4")

    def formula(book: object) -> None:
        book["clients"]["K3"] = '="GM0453"'  # type: ignore[index]

    def hidden_copy(book: object) -> None:
        copy = book.copy_worksheet(book["clients"])  # type: ignore[attr-defined, index]
        copy.title = "clients "
        copy.sheet_state = "hidden"

    def very_hidden_policy(book: object) -> None:
        copy = book.copy_worksheet(book["policy"])  # type: ignore[attr-defined, index]
        copy.title = "policy "
        copy.sheet_state = "veryHidden"

    def missing_sheet(book: object) -> None:
        book.remove(book["units"])  # type: ignore[attr-defined, index]

    def formula_number(book: object) -> None:
        book["units"]["G2"] = "=400+100"  # type: ignore[index]

    def cell(sheet: str, ref: str, value: object) -> Callable[[object], None]:
        def change(book: object) -> None:
            book[sheet][ref] = value  # type: ignore[index]

        return change

    changes = [
        ("merged-exclusions", merged, "clients"),
        ("formula-no-cache", formula, "clients"),
        ("formula-number-no-cache", formula_number, "units"),
        ("hidden-duplicate", hidden_copy, "clients"),
        ("very-hidden-policy", very_hidden_policy, "policy"),
        ("missing-sheet", missing_sheet, "units"),
        ("formula-id", cell("clients", "A2", "=HYPERLINK(1)"), "clients"),
        ("text-in-rent", cell("units", "G2", "six hundred"), "units"),
        ("bad-date", cell("units", "J2", "2026-02-30"), "units"),
    ]

    def builder(change: Callable[[object], None]) -> Build:
        return lambda folder: _workbook(folder, change)

    cases = [
        Case("workbook", why, builder(change), ("instance.xlsx", sheet)) for why, change, sheet in changes
    ]

    def not_a_zip(folder: Path) -> Path:
        (folder / "instance.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
        return folder / "instance.xlsx"

    def zip_bomb(folder: Path) -> Path:
        path = folder / "instance.xlsx"
        path.write_bytes(__import__("fuzzing").tiny_workbook())
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as book:
            book.writestr("xl/worksheets/sheet99.xml", b"<a>" + b" " * 400_000_000 + b"</a>")
        return path

    cases += [
        Case("workbook", "not-a-zip", not_a_zip, ("instance.xlsx",)),
        Case("workbook", "zip-bomb", zip_bomb, ("instance.xlsx",)),
    ]
    return cases


SCENARIO = (ROOT / "instances" / "scenarios" / "tiny.yaml").read_text(encoding="utf-8")
SCENARIO_CASES = [  # (why, (old text, new text) in the tiny sweep, words the refusal names)
    ("clients-per-week-1e9", ("clients_per_week: 2", "clients_per_week: 1e9"), ("clients_per_week",)),
    ("units-per-week-1e9", ("units_per_week: 3", "units_per_week: 1000000000"), ("units_per_week",)),
    ("clients-negative", ("clients: 25", "clients: -25"), ("clients",)),
    ("horizon-negative", ("horizon_weeks: 4", "horizon_weeks: -4"), ("horizon_weeks",)),
    ("horizon-huge", ("horizon_weeks: 4", "horizon_weeks: 100000000"), ("horizon_weeks",)),
    ("seeds-huge", ("seeds: [1, 2]", "seeds: [" + ", ".join(map(str, range(1, 100001))) + "]"), ("seeds",)),
    ("decline-above-one", ("client: 0.2", "client: 1.2"), ("client",)),
    ("unknown-key", ("horizon_weeks: 4", "horizon_weeks: 4\nhorizon_weekz: 5"), ("horizon_weekz",)),
    ("unknown-region", ("region: west-friesland", "region: atlantis"), ("region",)),
    (
        "grid-huge",
        (
            "max_load_per_1000_dwellings: [2, 8]",
            "max_load_per_1000_dwellings: [" + ", ".join(map(str, range(1, 20001))) + "]",
        ),
        ("max_load_per_1000_dwellings",),
    ),
]


def scenario_cases() -> list[Case]:
    """Scenario files for `matcher stress`, refused before anything runs."""
    cases = []
    for why, (old, new), names in SCENARIO_CASES:
        assert old in SCENARIO, old

        def build(folder: Path, old: str = old, new: str = new) -> Path:
            path = folder / "scenarios.yaml"
            path.write_text(SCENARIO.replace(old, new, 1), encoding="utf-8")
            return path

        cases.append(Case("scenario", why, build, ("scenarios.yaml", *names)))
    return cases


def all_cases() -> list[Case]:
    return [*csv_cases(), *policy_cases(), *workbook_cases(), *scenario_cases()]
