"""`matcher.table.Table` writes and orders as the pandas frames it replaced in a weekly run.

A weekly run writes its proposals, unmatched and unused tables from a `Table` (no pandas at
start-up); audits compare those files byte for byte with earlier runs, so a Table must order its
rows as ``sort_values(kind="stable")`` did and be written as ``csv_text`` wrote the frame.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.io.headers import shown_columns, shown_reasons
from matcher.io.safe_text import csv_rows_text, csv_text
from matcher.table import Table

_text = st.text(alphabet="aAbB=+-@ \r\n,\"'é0123456789", max_size=6)
_ids = st.sampled_from(["C1", "C10", "C2", "c2", "=C3", "C2 "])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_ids, st.integers(-5, 500), _text), max_size=30))
def test_rows_order_as_pandas_stable_sort(rows: list[tuple[str, int, str]]) -> None:
    table = Table.from_rows(rows, ["client_id", "priority_weight", "detail"])
    frame = pd.DataFrame(rows, columns=["client_id", "priority_weight", "detail"])
    expected = frame.sort_values(
        ["priority_weight", "client_id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)
    ordered = table.sorted_by("priority_weight", "client_id", descending=["priority_weight"])
    assert ordered.rows() == list(expected.itertuples(index=False, name=None))
    by_id = table.sorted_by("client_id")
    assert by_id.rows() == list(
        frame.sort_values("client_id", kind="stable").itertuples(index=False, name=None)
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(_text, st.integers(-1000, 1000), st.sampled_from([612.5, 0.1, -1.5, 3.0, 1e-05]), _text),
        max_size=20,
    )
)
def test_written_as_the_frame_was(rows: list[tuple]) -> None:
    """The same bytes as `csv_text` of the frame: neutralised formulas, quoting, numbers."""
    columns = ["client_id", "priority_weight", "rent", "=detail"]
    table = Table.from_rows(rows, columns)
    frame = pd.DataFrame(rows, columns=columns)
    assert csv_rows_text([table.columns, *table.rows()]) == csv_text(frame)


def test_a_rent_column_is_written_as_one_number_format() -> None:
    """pandas makes a column of 650 and 612.5 a float column (650.0); the weekly run writes the
    rents that way too (matcher.proposal._rents), so the file is what earlier runs wrote."""
    from matcher.proposal import _rents

    assert _rents([650, 612.5]) == [650.0, 612.5]
    assert _rents([650.0, 700]) == [650, 700]
    assert [type(r) for r in _rents([650.0])] == [int]
    for rents in ([650.0, 612.5], [650.0, 700.0]):
        assert csv_rows_text([["rent"], *[[r] for r in _rents(rents)]]) == csv_text(
            pd.DataFrame({"rent": [int(r) if float(r).is_integer() else r for r in rents]})
        )


def test_headers_translate_a_table_as_a_frame() -> None:
    rows = [("C1", "capacity_full", ""), ("C2", "not_chosen", "x")]
    table = Table.from_rows(rows, ["client_id", "reason", "detail"])
    frame = pd.DataFrame(rows, columns=["client_id", "reason", "detail"])
    shown = shown_columns(shown_reasons(table))
    assert shown.rows() == list(shown_columns(shown_reasons(frame)).itertuples(index=False, name=None))
    assert shown.columns == list(shown_columns(shown_reasons(frame)).columns)


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        Table({"a": [1, 2], "b": [1]})
    assert len(Table({})) == 0 and Table({}).rows() == []
    assert Table({"a": [1]}).assign(b=[2]).rename(columns={"a": "z"}).columns == ["z", "b"]
    assert Table({"a": [1]}).frame().equals(pd.DataFrame({"a": [1]}))
