"""What went wrong in a ledger folder, said so a person can fix the file.

Why one exception holding many issues: someone exporting from an ERP fixes a file in Excel and
re-runs; one problem per run would make that a loop of dozens of runs. So the reader collects up
to `MAX_ISSUES` problems across all files (and counts the rest) and raises them together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MAX_ISSUES = 20
"""Issues kept with their message; beyond this they are only counted."""


def line_word(file: str) -> str:
    """'row' for a workbook sheet ('book.xlsx[invoices]'), 'line' for a text file."""
    return "row" if file.endswith("]") else "line"


@dataclass(frozen=True, slots=True)
class LedgerIssue:
    """One problem in one place: `file` (a name like 'invoices.csv' or 'book.xlsx[invoices]'),
    the physical `line` (header is line 1; for workbooks the sheet row), and the `column`."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" {line_word(self.file)} {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class LedgerError(ValueError):
    """The ledger folder cannot be read as given; `issues` says where and why (nothing was read)."""

    def __init__(self, issues: Iterable[LedgerIssue], total: int | None = None, source: str = "") -> None:
        self.issues: tuple[LedgerIssue, ...] = tuple(issues)
        self.total: int = max(total if total is not None else 0, len(self.issues))
        self.source = source
        super().__init__(str(self))

    def __reduce__(self) -> tuple[type[LedgerError], tuple[tuple[LedgerIssue, ...], int, str]]:
        # Keeps the issues when the error crosses a process boundary (pickling, task queues).
        return (type(self), (self.issues, self.total, self.source))

    def __str__(self) -> str:
        lines = [str(issue) for issue in self.issues]
        hidden = self.total - len(self.issues)
        if hidden > 0:
            lines.append(f"... and {hidden} more problem{'s' if hidden != 1 else ''} not shown")
        return "\n".join(lines)


class IssueLog:
    """Collects issues up to a limit and counts all of them, so checks stay cheap on big files."""

    def __init__(self, limit: int = MAX_ISSUES) -> None:
        self.limit = limit
        self.issues: list[LedgerIssue] = []
        self.total = 0

    @property
    def room(self) -> int:
        """How many more issues would be kept with their message."""
        return max(self.limit - len(self.issues), 0)

    def add(self, file: str, line: int | None, column: str | None, message: str) -> None:
        self.total += 1
        if len(self.issues) < self.limit:
            self.issues.append(LedgerIssue(file, line, column, message))

    def count_more(self, n: int) -> None:
        """Count `n` issues found but not described (the log is full)."""
        self.total += n

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self, source: str) -> None:
        if self.total:
            raise LedgerError(self.issues, self.total, source)
