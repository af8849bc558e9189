"""Formula injection: input refuses formula-like ids, outputs cannot hold a live formula."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from matcher.io.safe_text import neutralise
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
