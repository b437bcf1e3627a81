"""Reconciliation: do the ERP, the store, the bank and the general ledger agree about receivables?

Pure functions over core records. `reconcile` takes a `ReconcileInput` (the ledger, optionally
the ERP's own customer balances, GL control balances and a bank statement) and returns every
difference it finds, classified and with the documents behind it. A consistent ledger gives
none. Ledger-folder mode and store mode both call `reconcile`; only where the inputs come from
differs.
"""

from creditbridge.core.reconcile.bank import BANK_DATE_WINDOW_DAYS, match_statement
from creditbridge.core.reconcile.differences import (
    Difference,
    DifferenceClass,
    Reconciliation,
)
from creditbridge.core.reconcile.documents import compare_documents
from creditbridge.core.reconcile.run import GlControlBalance, ReconcileInput, reconcile

__all__ = [
    "BANK_DATE_WINDOW_DAYS",
    "Difference",
    "DifferenceClass",
    "GlControlBalance",
    "ReconcileInput",
    "Reconciliation",
    "compare_documents",
    "match_statement",
    "reconcile",
]
