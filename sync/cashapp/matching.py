"""The one code path of `cashapp match` (ledger folder) and `cashapp run` (store): read, match, summarise.

Reading the statement is the statement adapters' job (`read_statement`, format detected from
content); matching is core's (`CashMatcher`). Here: the ledger's history becomes learned memory,
payment ids are made unique within the output, and MATCHES.csv is written whole or not at all.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from creditbridge.core.cashapp import (
    MATCHES_HEADER,
    CashMatch,
    CashMatcher,
    Decision,
    MatchMemory,
    MatchPolicy,
    learn_from_history,
    match_rows,
)
from creditbridge.core.model import BankStatement, BankTransaction, Ledger

ProgressCallback = Callable[[int, int], None]


class StatementReadError(Exception):
    """The statement file cannot be read; the message names file, line or element and field."""


def read_statement_file(path: Path, lockbox_layout: Any = None) -> BankStatement:
    """The statement adapters' `read_statement`, its error turned into ours (the shell's one type)."""
    from creditbridge.adapters.statements import StatementError, read_statement

    try:
        statement: BankStatement = read_statement(path, lockbox_layout=lockbox_layout)
    except StatementError as exc:
        raise StatementReadError(str(exc)) from None
    except OSError as exc:
        raise StatementReadError(f"{path}: {exc.strerror or exc}") from None
    return statement


def unique_ids(transactions: Sequence[BankTransaction]) -> list[BankTransaction]:
    """Payment ids unique within one output: a repeated id gets `-2`, `-3`, … in file order."""
    seen: Counter[str] = Counter()
    result = []
    for transaction in transactions:
        seen[transaction.transaction_id] += 1
        if seen[transaction.transaction_id] > 1:
            transaction = replace(
                transaction, transaction_id=f"{transaction.transaction_id}-{seen[transaction.transaction_id]}"
            )
        result.append(transaction)
    return result


def match_statement(
    ledger: Ledger,
    statement: BankStatement,
    memory: MatchMemory | None = None,
    policy: MatchPolicy | None = None,
    progress: ProgressCallback | None = None,
) -> list[CashMatch]:
    """Match every payment of `statement` against `ledger`, learning from the ledger's payment history."""
    learned = learn_from_history(ledger.payments, ledger.items)
    if memory is not None:
        learned = learned.merged(memory)
    matcher = CashMatcher(ledger.customers, ledger.items, learned, policy)
    return matcher.match_all(unique_ids(statement.transactions), progress)


def write_matches(path: Path, matches: Sequence[CashMatch]) -> int:
    """Write MATCHES.csv atomically (a temporary file renamed into place); returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    rows = 0
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(MATCHES_HEADER)
            for match in matches:
                for row in match_rows(match):
                    writer.writerow(row)
                    rows += 1
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return rows


@dataclass(frozen=True, slots=True)
class MatchSummary:
    statement: str
    format: str
    payments: int
    auto: int
    suggest: int
    unapplied: int
    skipped_debits: int
    skipped_reversals: int
    amount: Decimal
    auto_amount: Decimal
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "statement": self.statement,
            "format": self.format,
            "payments": self.payments,
            "auto": self.auto,
            "suggest": self.suggest,
            "unapplied": self.unapplied,
            "skipped_debits": self.skipped_debits,
            "skipped_reversals": self.skipped_reversals,
            "amount": self.amount,
            "auto_amount": self.auto_amount,
            "seconds": round(self.seconds, 3),
        }

    def describe(self) -> str:
        share = f" ({self.auto / self.payments:.0%} automatically)" if self.payments else ""
        return (
            f"{self.payments} payments in {self.statement} ({self.format}): {self.auto} auto{share}, "
            f"{self.suggest} suggested, {self.unapplied} unapplied; skipped {self.skipped_debits} debits "
            f"and {self.skipped_reversals} reversals; {self.seconds:.2f} s"
        )


def summarise(statement: BankStatement, matches: Sequence[CashMatch], seconds: float) -> MatchSummary:
    decisions = Counter(m.decision for m in matches)
    return MatchSummary(
        statement.source,
        statement.format,
        len(matches),
        decisions[Decision.AUTO],
        decisions[Decision.SUGGEST],
        decisions[Decision.UNAPPLIED],
        statement.skipped_debits,
        statement.skipped_reversals,
        sum((m.transaction.amount.amount for m in matches), Decimal(0)),
        sum((m.transaction.amount.amount for m in matches if m.decision is Decision.AUTO), Decimal(0)),
        seconds,
    )
