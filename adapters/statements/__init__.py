"""Bank statements and remittance files, read into `BankStatement`s of incoming customer payments.

`read_statement(path)` detects the format from the content (never the file name): ISO 20022
camt.053/054 (and camt.052), BAI2, SWIFT MT940, a fixed-width lockbox file and remittance CSV.
Only incoming customer credits become transactions; debits and reversals are counted and skipped.
Any problem (bad amount, control total or balance that does not add up, truncated file) raises
one `StatementError` that names the file, the line or XML element, and the field, for every problem
found. Nothing of a bad file is returned.
"""

from __future__ import annotations

from pathlib import Path

from creditbridge.adapters.statements.detect import detect_format, read_bytes
from creditbridge.adapters.statements.errors import StatementError, StatementIssue
from creditbridge.adapters.statements.lockbox import LockboxLayout
from creditbridge.core.model import BankStatement

__all__ = ["LockboxLayout", "StatementError", "StatementIssue", "detect_format", "read_bytes", "read_statement"]


def read_statement(path: str | Path, lockbox_layout: LockboxLayout | None = None) -> BankStatement:
    """The statement in the file at `path`, whatever its format; `lockbox_layout` for a bank's own lockbox layout."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        issue = StatementIssue(name, None, None, None, f"cannot read the file: {exc.strerror}")
        raise StatementError([issue]) from None
    return read_bytes(data, name, lockbox_layout)
