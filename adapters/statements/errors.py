"""What is wrong with a statement or remittance file, said so a person can find it.

Why one exception with many issues: a bank file is fixed (or re-requested from the bank) once, so the
reader reports every problem it finds, not just the first. Nothing of a file with problems is
imported: the parsers build the whole statement first and raise before returning any of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

MAX_ISSUES = 20
"""Issues kept with their message; beyond this they are only counted."""


@dataclass(frozen=True, slots=True)
class StatementIssue:
    """One problem: the `file`, the physical `line` (1-based) and/or the XML element `path`, the `field`."""

    file: str
    line: int | None
    path: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.path:
            where += f", {self.path}"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.message}"


class StatementError(Exception):
    """The file cannot be read as a statement; `issues` says where and why (nothing was imported)."""

    def __init__(self, issues: tuple[StatementIssue, ...] | list[StatementIssue], total: int | None = None) -> None:
        self.issues: tuple[StatementIssue, ...] = tuple(issues)
        self.total: int = max(total or 0, len(self.issues))
        super().__init__(str(self))

    def __reduce__(self) -> tuple[type[StatementError], tuple[tuple[StatementIssue, ...], int]]:
        return (type(self), (self.issues, self.total))

    def __str__(self) -> str:
        lines = [str(issue) for issue in self.issues]
        hidden = self.total - len(self.issues)
        if hidden > 0:
            lines.append(f"... and {hidden} more problem{'s' if hidden != 1 else ''} not shown")
        return "\n".join(lines)


class Issues:
    """Collects the problems of one file (up to a limit, counting all) and raises them together."""

    def __init__(self, file: str, limit: int = MAX_ISSUES) -> None:
        self.file = file
        self.limit = limit
        self.found: list[StatementIssue] = []
        self.total = 0

    def add(self, message: str, *, line: int | None = None, path: str | Callable[[], str] | None = None,
            field: str | None = None) -> None:
        """Record a problem; `path` may be a function, called only for the problems that are kept (it can be slow)."""
        self.total += 1
        if len(self.found) < self.limit:
            where = path() if callable(path) else path
            self.found.append(StatementIssue(self.file, line, where, field, message))

    def __bool__(self) -> bool:
        return self.total > 0

    def error(self) -> StatementError:
        return StatementError(self.found, self.total)

    def raise_if_any(self) -> None:
        if self.total:
            raise self.error()


def fail(file: str, message: str, *, line: int | None = None, path: str | None = None,
         field: str | None = None) -> StatementError:
    """A StatementError with one issue (for problems that stop reading altogether)."""
    return StatementError([StatementIssue(file, line, path, field, message)])
