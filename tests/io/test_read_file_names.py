"""No silent drops (issue 13, item 7): a file in an instance folder, or a sheet in an instance
workbook, whose name is close to one the engine reads but is not it, is refused naming it and the
name it should have; so is a second version of a file beside it. Unrelated files and sheets stay
ignored. A declined pair in a misnamed file never silently comes back.

"Close" is the same name once case, spaces, hyphens and underscores, a copy or version mark
(` (1)`, ` - kopie`, `Copy of `, `_old`, a date), a plural `s` and the extension are set aside."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from fuzzing import TINY, tiny_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from matcher.cli.main import main
from matcher.io.read import TABLES, _near_name, read_instance
from models import InvalidInstance, Problem

DATA = Path(__file__).resolve().parents[1] / "data" / "readers" / "file-names"
# C01 gets U02 in the tiny proposal (instances/tiny/README.md); this row declines that pair
DECLINED = "client_id,unit_id,declined_by\nC01,U02,client\n"


def did_you_mean(expected: str) -> str:
    return f"not a file the engine reads; did you mean `{expected}`? Rename it (or remove it) and run again"


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(InvalidInstance) as invalid:
        read_instance(path)
    return invalid.value.problems


def folder_with(
    tmp_path: Path, moves: dict[str, str] | None = None, extra: dict[str, bytes] | None = None
) -> Path:
    """The tiny instance, its declined.csv declining C01-U02, files renamed and added."""
    folder = tmp_path / "instance"
    shutil.copytree(TINY, folder)
    (folder / "declined.csv").write_text(DECLINED, encoding="utf-8")
    for old, new in (moves or {}).items():
        (folder / old).rename(folder / new)
    for name, data in (extra or {}).items():
        (folder / name).write_bytes(data)
    return folder


# --- folders --------------------------------------------------------------------------------


NEAR_FILES = [
    # what Windows, Excel, OneDrive and coordinators make of declined.csv
    ("declined.csv", "declined (1).csv"),
    ("declined.csv", "declined (2).csv"),
    ("declined.csv", "declined(1).csv"),
    ("declined.csv", "declined - kopie.csv"),
    ("declined.csv", "declined - Copy.csv"),
    ("declined.csv", "declined - Copy (2).csv"),
    ("declined.csv", "Copy of declined.csv"),
    ("declined.csv", "Copy (2) of declined.csv"),
    ("declined.csv", "kopie van declined.csv"),
    ("declined.csv", "Declined.csv"),
    ("declined.csv", "DECLINED.CSV"),
    ("declined.csv", "declined.CSV"),
    ("declined.csv", " declined .csv"),
    ("declined.csv", "declined pairs.csv"),
    ("declined.csv", "Declined_Pairs.csv"),
    ("declined.csv", "DeclinedPairs.csv"),
    ("declined.csv", "declines.csv"),
    ("declined.csv", "declined.csv.csv"),
    ("declined.csv", "declined.csv.txt"),
    ("declined.csv", "declined.txt"),
    ("declined.csv", "declined"),
    ("declined.csv", "declined_old.csv"),
    ("declined.csv", "declined week 48.csv"),
    ("declined.csv", "2026-11-20 declined.csv"),
    ("declined.csv", "declined v2.csv"),
    ("support_capacity.csv", "support-capacity.csv"),
    ("support_capacity.csv", "support capacity.csv"),
    ("support_capacity.csv", "Support_Capacity.csv"),
    ("support_capacity.csv", "SupportCapacity.csv"),
    ("support_capacity.csv", "support_capacities.csv"),
    ("clients.csv", "Clients.csv"),
    ("clients.csv", "client.csv"),
    ("clients.csv", "clients.txt"),  # Excel's "Unicode text" is saved as .txt
    ("units.csv", "Units (1).csv"),
    ("municipalities.csv", "municipality.csv"),
    ("neighbourhoods.csv", "neighborhoods.csv"),
    ("neighbourhoods.csv", "Neighbourhoods - kopie.csv"),
    ("policy.yaml", "policy.yml"),
    ("policy.yaml", "Policy.yaml"),
    ("policy.yaml", "policy (1).yaml"),
    ("policy.yaml", "policy.yaml.txt"),  # Notepad with extensions hidden
    ("policy.yaml", "policy.YAML"),
]


@pytest.mark.parametrize(("known", "misnamed"), NEAR_FILES, ids=[m for _, m in NEAR_FILES])
def test_a_misnamed_file_is_refused_naming_it_and_the_expected_name(tmp_path, known, misnamed):
    found = problems_of(folder_with(tmp_path, moves={known: misnamed}))
    assert found == [Problem(file=misnamed, message=did_you_mean(known))], found


def test_a_misnamed_declined_file_never_drops_its_pair(tmp_path):
    """The original finding: `declined (1).csv` was skipped, the instance valid, and the declined
    pair C01-U02 came back in the proposal. Now it is refused; renamed, the pair holds."""
    from matcher.proposal import solve

    folder = folder_with(tmp_path, moves={"declined.csv": "declined (1).csv"})
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 2, result.output
    assert "declined (1).csv: " + did_you_mean("declined.csv") in result.output
    assert "valid:" not in result.output and "Traceback" not in result.output

    (folder / "declined (1).csv").rename(folder / "declined.csv")
    instance = read_instance(folder)
    assert [(d.client_id, d.unit_id) for d in instance.declined] == [("C01", "U02")]
    matches = solve(instance).matches()
    assert ("C01", "U02") not in set(zip(matches["client_id"], matches["unit_id"]))


@pytest.mark.parametrize(
    ("known", "second"),
    [
        ("declined.csv", "declined (1).csv"),
        ("declined.csv", "Declined.csv"),
        ("declined.csv", "declined - kopie.csv"),
        ("clients.csv", "clients_old.csv"),
        ("support_capacity.csv", "support-capacity.csv"),
        ("policy.yaml", "policy.yml"),
    ],
)
def test_a_known_file_present_twice_is_refused(tmp_path, known, second):
    folder = folder_with(tmp_path)
    shutil.copy(folder / known, folder / second)
    (problem,) = problems_of(folder)
    assert problem.file == second
    assert problem.message.startswith(f"not a file the engine reads, and `{known}` is here too: two versions")
    assert f"Keep the one to use, named `{known}`" in problem.message


def test_a_misnamed_required_file_is_not_also_reported_missing(tmp_path):
    """`Clients.csv` alone: one problem saying what to rename, not also "missing clients.csv"
    (nor an unknown client for every declined pair, whose clients could not be read)."""
    found = problems_of(
        folder_with(tmp_path, moves={"clients.csv": "Clients.csv", "policy.yaml": "policy.yml"})
    )
    assert found == [
        Problem(file="Clients.csv", message=did_you_mean("clients.csv")),
        Problem(file="policy.yml", message=did_you_mean("policy.yaml")),
    ]


UNRELATED = [
    "README.txt",
    "README.md",
    "notes.docx",
    "toelichting.pdf",
    "instance.xlsx",  # a whole instance as a workbook: read only when its path is given
    "week 48.xlsx",
    "clients.xlsx",  # the source of clients.csv, which is here
    "declined.csv.bak",  # a backup, by its extension
    "declined.old",
    "proposals.csv",  # the output of a run
    "unmatched.csv",
    "summary.json",
    "clients_met_namen.csv",  # a coordinator's key to the pseudonyms: not a version of clients.csv
    "units per wijk.csv",
    "copy.csv",
    "~$declined.csv",  # Excel's lock file while declined.csv is open
    "~$clients.xlsx",
    ".~lock.declined.csv#",  # LibreOffice's
    ".DS_Store",
    "._declined.csv",  # macOS metadata on a shared drive
    "Thumbs.db",
    "desktop.ini",
]


def test_unrelated_files_are_ignored(tmp_path):
    folder = folder_with(tmp_path, extra=dict.fromkeys(UNRELATED, b"x,y\n1,2\n"))
    (folder / "declined (1)").mkdir()  # a folder is not a file of the instance
    (folder / "out").mkdir()
    instance = read_instance(folder)
    assert [(d.client_id, d.unit_id) for d in instance.declined] == [("C01", "U02")]


def test_a_workbook_named_like_a_table_is_refused_only_without_its_csv(tmp_path):
    """`declined.xlsx` beside declined.csv is its source; alone its rows would be lost."""
    folder = folder_with(tmp_path, extra={"declined.xlsx": b"PK"})
    read_instance(folder)
    (folder / "declined.csv").unlink()
    (problem,) = problems_of(folder)
    assert problem.file == "declined.xlsx"
    assert problem.message.startswith("not a file the engine reads, and there is no `declined.csv`")
    assert "save this data as CSV UTF-8 named `declined.csv`" in problem.message


def test_every_near_file_is_listed_at_once_with_the_other_problems(tmp_path):
    folder = folder_with(
        tmp_path,
        moves={"declined.csv": "declined (1).csv", "support_capacity.csv": "support-capacity.csv"},
    )
    units = folder / "units.csv"
    units.write_text(units.read_text(encoding="utf-8").replace("U02,social_rental", "U02,castle", 1))
    found = problems_of(folder)
    assert {p.file for p in found} == {"declined (1).csv", "support-capacity.csv", "units.csv"}


# decorations a file name gets on its way through Windows, Excel and e-mail
_PREFIXES = st.sampled_from(["", "Copy of ", "kopie van ", "Copy (3) of ", "2026-11-20 ", "oud_", "new "])
_SUFFIXES = st.sampled_from(
    ["", " (1)", " (12)", "(2)", " - kopie", " - Copy", " - Copy (2)", "_old", " v3", " wk48"]
)
_EXTENSIONS = st.sampled_from([".csv", ".CSV", ".Csv", ".txt", ".csv.txt", ""])


@st.composite
def near_names(draw: st.DrawFn) -> tuple[str, str]:
    spec = draw(st.sampled_from(TABLES))
    words = spec.name.split("_")
    casing = draw(st.sampled_from([str.lower, str.upper, str.title, str.capitalize]))
    separator = draw(st.sampled_from(["_", "-", " ", "", "  "]))
    stem = separator.join(casing(word) for word in words)
    name = f"{draw(_PREFIXES)}{stem}{draw(_SUFFIXES)}{draw(_EXTENSIONS)}"
    return spec.file, name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(near=near_names())
def test_any_decorated_name_of_a_known_file_is_refused_never_skipped(tmp_path_factory, near):
    known, name = near
    if name == known:
        return
    folder = folder_with(tmp_path_factory.mktemp("near"), moves={known: name})
    assert problems_of(folder) == [Problem(file=name, message=did_you_mean(known))]


def test_the_name_rule_on_its_own():
    assert _near_name("Declined pairs") == ("declined", "text")
    assert _near_name("declined.xlsx") == ("declined", "workbook")
    assert _near_name("kopie van Support-Capacity (2).CSV") == ("support_capacity", "text")
    for unrelated in ("README.txt", "Blad1", "Sheet1", "Toelichting", "clients per gemeente", "notes.docx"):
        assert _near_name(unrelated) is None, unrelated


def test_matcher_validate_exits_2_naming_the_file(tmp_path):
    folder = folder_with(tmp_path, moves={"support_capacity.csv": "support-capacity.csv"})
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "support-capacity.csv: " + did_you_mean("support_capacity.csv") in result.output
    assert "Traceback" not in result.output


# --- workbooks ------------------------------------------------------------------------------


def workbook(
    path: Path, names: dict[str, str | None], hidden: tuple[str, ...] = (), policy: bool = True
) -> Path:
    """The tiny instance as a workbook, each table's sheet named by `names` (None: left out);
    declined declines C01-U02."""
    book = Workbook()
    book.remove(book.active)
    for spec in TABLES:
        title = names.get(spec.name, spec.name)
        if title is None:
            continue
        sheet = book.create_sheet(title)
        rows = tiny_rows(spec.file) if spec.name != "declined" else [r.split(",") for r in DECLINED.split()]
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    if policy:
        sheet = book.create_sheet(names.get("policy") or "policy")
        sheet.append(["key", "value"])
        sheet.append(["period.start", "2026-11-23"])
    buffer = io.BytesIO()
    book.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path


def did_you_mean_sheet(title: str, target: str) -> str:
    return (
        f"sheet {title!r} is not a sheet the engine reads; did you mean `{target}`? Rename the sheet "
        "(right-click its tab > Rename) or delete it, and run again"
    )


NEAR_SHEETS = [
    ("declined", "Declined pairs"),
    ("declined", "declined (2)"),
    ("declined", "Declined_pairs"),
    ("declined", "declines"),
    ("declined", "Kopie van declined"),
    ("support_capacity", "Support Capacity"),
    ("support_capacity", "support-capacity"),
    ("clients", "Clients (2)"),
    ("clients", "client"),
    ("neighbourhoods", "Neighborhoods"),
    ("policy", "Policy (2)"),
    ("policy", "policies"),
]


@pytest.mark.parametrize(("table", "title"), NEAR_SHEETS, ids=[t for _, t in NEAR_SHEETS])
def test_a_misnamed_sheet_is_refused_naming_it_and_the_expected_name(tmp_path, table, title):
    book = workbook(tmp_path / "week.xlsx", {table: title})
    found = problems_of(book)
    assert found == [Problem(file=f"week.xlsx [{title}]", message=did_you_mean_sheet(title, table))], found


def test_a_declined_pairs_sheet_never_drops_its_pair(tmp_path):
    book = workbook(tmp_path / "week.xlsx", {"declined": "Declined pairs"})
    result = CliRunner().invoke(main, ["validate", str(book)])
    assert result.exit_code == 2, result.output
    assert "week.xlsx [Declined pairs]: " + did_you_mean_sheet("Declined pairs", "declined") in result.output
    book = workbook(tmp_path / "renamed" / "week.xlsx", {})
    assert [(d.client_id, d.unit_id) for d in read_instance(book).declined] == [("C01", "U02")]


def test_a_second_version_of_a_sheet_is_refused(tmp_path):
    book = workbook(tmp_path / "week.xlsx", {})
    from openpyxl import load_workbook

    loaded = load_workbook(book)
    loaded.copy_worksheet(loaded["declined"]).title = "declined (2)"
    loaded.save(book)
    (problem,) = problems_of(book)
    assert problem.file == "week.xlsx [declined (2)]"
    assert problem.message.startswith(
        "sheet 'declined (2)' is not a sheet the engine reads, and sheet 'declined' is there too: two versions"
    )


def test_a_hidden_misnamed_sheet_says_to_unhide_it(tmp_path):
    book = workbook(tmp_path / "week.xlsx", {"declined": "Declined pairs"}, hidden=("Declined pairs",))
    (problem,) = problems_of(book)
    assert problem.file == "week.xlsx [Declined pairs]"
    assert "did you mean `declined`? It is hidden: unhide it (right-click a sheet tab > Unhide) first." in (
        problem.message
    )


def test_sheet_names_in_any_case_and_unrelated_sheets_are_still_read(tmp_path):
    """As before (issue 12): `Clients`, `DECLINED ` count as the sheets; other sheets are skipped."""
    book = workbook(tmp_path / "week.xlsx", {"clients": "Clients", "declined": "DECLINED ", "units": "Units"})
    from openpyxl import load_workbook

    loaded = load_workbook(book)
    for title in ("Toelichting", "Blad1", "Sheet1", "units per wijk", "Lijsten"):
        loaded.create_sheet(title).append(["a", "b"])
    loaded.save(book)
    instance = read_instance(book)
    assert [(d.client_id, d.unit_id) for d in instance.declined] == [("C01", "U02")]


def test_a_policy_file_of_a_near_name_beside_a_workbook_is_refused(tmp_path):
    book = workbook(tmp_path / "week.xlsx", {}, policy=False)
    (tmp_path / "policy (1).yaml").write_text("period: {start: 2026-11-23}\n", encoding="utf-8")
    (problem,) = problems_of(book)
    assert problem.file == "policy (1).yaml"
    assert problem.message == (
        "beside a workbook without a sheet `policy` the engine reads `policy.yaml`: "
        + did_you_mean("policy.yaml")
    )
    (tmp_path / "policy (1).yaml").rename(tmp_path / "policy.yaml")
    read_instance(book)


def test_fixtures_on_disk_are_refused_too():
    """The files under tests/data/readers/file-names/ as a coordinator would send them."""
    found = problems_of(DATA / "declined-copy")
    assert found == [Problem(file="declined - kopie.csv", message=did_you_mean("declined.csv"))]
    found = problems_of(DATA / "declined-twice")
    assert [p.file for p in found] == ["declined (1).csv"]
    assert "and `declined.csv` is here too" in found[0].message
