"""A small output table without pandas: the proposals, unmatched and unused tables of a week.

A weekly run builds three tables of a few hundred rows and writes them as CSV; importing pandas
for that took about 0.45 s of every run's start-up (issue 17). `Table` holds named columns of
equal length and answers the few frame operations the writers use (`columns`, a column by name,
`len`, `assign`, `rename`), so `matcher.io.headers` translates a `Table` and a DataFrame alike.
`frame()` gives the DataFrame for the readers that want one (reviews, reports, tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


class Table:
    """Named columns of equal length, in order."""

    def __init__(self, data: Mapping[str, Sequence[Any]]) -> None:
        self.data = {name: list(values) for name, values in data.items()}
        lengths = {len(values) for values in self.data.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]], columns: Sequence[str]) -> Table:
        rows = list(rows)
        return cls({name: [row[k] for row in rows] for k, name in enumerate(columns)})

    @property
    def columns(self) -> list[str]:
        return list(self.data)

    def __len__(self) -> int:
        return len(next(iter(self.data.values()), []))

    def __getitem__(self, column: str) -> list[Any]:
        return self.data[column]

    def rows(self) -> list[tuple[Any, ...]]:
        return list(zip(*self.data.values())) if self.data else []

    def assign(self, **columns: Sequence[Any]) -> Table:
        """A copy with these columns replaced, or added at the end."""
        return Table(self.data | columns)

    def rename(self, columns: Mapping[str, str]) -> Table:
        """A copy with these columns renamed, in place."""
        return Table({columns.get(name, name): values for name, values in self.data.items()})

    def sorted_by(self, *columns: str, descending: Iterable[str] = ()) -> Table:
        """A copy in the order of `columns` (the first decides first), stable: rows that tie keep
        their order, as pandas' ``sort_values(kind="stable")``."""
        order = list(range(len(self)))
        down = set(descending)
        for column in reversed(columns):  # a stable sort per key, the least significant first
            values = self.data[column]
            order.sort(key=values.__getitem__, reverse=column in down)
        return Table({name: [values[k] for k in order] for name, values in self.data.items()})

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.data, columns=self.columns)
