"""The store: replica of ERP ledgers with history (SQLite by default, PostgreSQL by URL)."""

from creditbridge.sync.store import migrate, schema
from creditbridge.sync.store.engine import sqlite_url
from creditbridge.sync.store.errors import ImportRejected, MigrationError, StoreError, StoreUnavailable
from creditbridge.sync.store.importer import EntityCounts, ImportSummary, LedgerTablesLike
from creditbridge.sync.store.store import ImportRecord, Store

__all__ = [
    "EntityCounts",
    "ImportRecord",
    "ImportRejected",
    "ImportSummary",
    "LedgerTablesLike",
    "MigrationError",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "migrate",
    "schema",
    "sqlite_url",
]
