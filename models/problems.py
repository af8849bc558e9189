"""Problems found in an instance, named by file, row and column so a coordinator can fix them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from matcher.i18n import _


class Problem(BaseModel):
    """One thing wrong with the input: where it is and what to do about it."""

    model_config = ConfigDict(frozen=True)

    file: str
    row: int | None = None
    column: str | None = None
    message: str

    def __str__(self) -> str:
        # English: `clients.csv, row 4, column urgency: …`; Dutch: `bestand clients.csv, rij 4, …`
        where = _("{file}", file=self.file)
        if self.row is not None:
            where = _("{where}, row {row}", where=where, row=self.row)
        if self.column:
            where = _("{where}, column {column}", where=where, column=self.column)
        return _("{where}: {message}", where=where, message=self.message)


class InvalidInstance(Exception):
    """Raised with every problem found, so a coordinator can fix them all in one go."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(_("{count} problem(s) in the instance", count=len(problems)))
