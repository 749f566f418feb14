"""Import reports shared by the policy and yield imports: problems by row and column."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from paii_core.errors import ImportRejectedError
from paii_core.text import count

__all__ = ["ImportReport", "Problem", "problems_frame", "reject_if_problems"]

_SHOWN_IN_MESSAGE = 20


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a user's file: where (row, column), what, and how to fix it.

    ``row`` is the 1-based data row (the header is not counted; a CSV's row 1 is its
    line 2), or None for a problem of the whole file (a missing column)."""

    row: int | None
    column: str
    problem: str
    fix: str

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        return f"{where}, column {self.column}: {self.problem}. Fix: {self.fix}"


@dataclass
class ImportReport:
    """What an import read, wrote and left out; ``problems`` empty when it was written."""

    kind: str
    """"policies" or "yields"."""
    source: str
    """The file's name, as the user gave it."""
    region_id: str
    rows_read: int
    rows_written: int = 0
    problems: list[Problem] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    """Rows left out on purpose, by reason (unknown commodity, withheld value...)."""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problems_frame(self) -> pd.DataFrame:
        """The problems as a table (see :func:`problems_frame`)."""
        return problems_frame(self.problems)

    def summary(self) -> str:
        """One sentence: what was written, or why nothing was."""
        if self.problems:
            return (
                f"{self.source}: {len(self.problems)} problem(s) in {self.rows_read} rows; "
                f"nothing was imported into {self.region_id}"
            )
        skipped = sum(self.skipped.values())
        extra = f", {count(skipped, 'row')} skipped" if skipped else ""
        return (
            f"{self.source}: {count(self.rows_written, 'row')} of {self.kind} imported into "
            f"{self.region_id} from {self.rows_read} read{extra}"
        )


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """Problems as a table: row, column, problem, fix (row empty for the whole file)."""
    return pd.DataFrame(
        {
            "row": pd.array([p.row for p in problems], dtype="Int64"),
            "column": [p.column for p in problems],
            "problem": [p.problem for p in problems],
            "fix": [p.fix for p in problems],
        }
    )


def reject_if_problems(report: ImportReport) -> None:
    """Raise :class:`ImportRejectedError` listing the report's problems, if it has any."""
    if not report.problems:
        return
    lines = [str(p) for p in report.problems[:_SHOWN_IN_MESSAGE]]
    more = len(report.problems) - len(lines)
    if more:
        lines.append(f"... and {more} more (see the full report)")
    raise ImportRejectedError(report.summary() + ":\n  " + "\n  ".join(lines), report.problems)
