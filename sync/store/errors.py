"""The store's exception tree, named for what the caller can do about each.

`StoreUnavailable`: check the URL, the server, the file's permissions, then retry.
`MigrationError`: the database's schema cannot be brought to this version (upgrade creditbridge,
or restore the database). `ImportRejected`: the input is not a consistent ledger; fix the data.
Everything else that goes wrong inside the database is a plain `StoreError`.
"""

from __future__ import annotations


class StoreError(Exception):
    """Something went wrong in the store; the transaction it happened in was rolled back."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or opened (the message names the URL, never its password)."""


class MigrationError(StoreError):
    """The schema could not be migrated to this version of creditbridge."""


class ImportRejected(StoreError):
    """The ledger handed to `import_ledger` is inconsistent (missing columns, duplicate keys, nulls)."""
