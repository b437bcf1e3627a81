"""Where things go when the user says nothing: the store URL and the demo folder."""

from __future__ import annotations

import os
from pathlib import Path

STORE_URL_ENV = "CREDITBRIDGE_STORE_URL"
DEFAULT_STORE_URL = "sqlite:///creditbridge.db"
DEFAULT_DEMO_DIR = Path("creditbridge-demo")


def store_url_from_env() -> str:
    """$CREDITBRIDGE_STORE_URL, else a SQLite file in the current folder (the embedded default)."""
    return os.environ.get(STORE_URL_ENV) or DEFAULT_STORE_URL


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def sqlite_file_of(url: str) -> Path | None:
    """The database file of a SQLite URL (None for other databases and in-memory SQLite)."""
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            path = url[len(prefix):].split("?", 1)[0]
            return Path(path) if path and path != ":memory:" else None
    return None


def missing_store_message(url: str) -> str | None:
    """Why a read-only command cannot use `url`: it names a SQLite file that does not exist (None otherwise).

    Reading commands must not create an empty store by opening one; they say how to get one instead.
    """
    missing = sqlite_file_of(url)
    if missing is None or missing.exists():
        return None
    return (f"there is no store at {missing}: import a ledger first (creditbridge import --ledger DIR), "
            "give --store URL, or read a folder directly with --ledger DIR")  # fmt: skip
