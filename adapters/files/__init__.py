"""The files adapter: a folder of CSV files (or .xlsx workbooks) as the universal import format.

Any ERP can export `customers.csv`, `invoices.csv`, `payments.csv` (and optionally `orders.csv`,
`writeoffs.csv`); `read_ledger` reads and validates them into `LedgerTables`, which turn into core
columns (`to_columns`, for KPIs over millions of rows) or core records (`to_ledger`).
"""

from creditbridge.adapters.files.errors import LedgerError, LedgerIssue
from creditbridge.adapters.files.reader import read_ledger, read_ledger_lenient
from creditbridge.adapters.files.tables import LedgerTables

__all__ = ["LedgerError", "LedgerIssue", "LedgerTables", "read_ledger", "read_ledger_lenient"]
