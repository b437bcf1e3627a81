"""Database fixtures for integration tests: a store URL for SQLite and for PostgreSQL.

`store_url` is parametrized: every test that takes it runs once on a SQLite file in tmp_path
and once on a fresh PostgreSQL database (marked `postgres`). Each PostgreSQL test gets its own
database `cb_test_<hex>`, created and dropped through an AUTOCOMMIT connection to the server's
`test` database, so runs never see each other's data.

PostgreSQL is expected at 127.0.0.1:5432 with trust auth (user root or postgres), or at the
admin URL in CREDITBRIDGE_TEST_POSTGRES_URL. If it is unreachable, the PostgreSQL variants fail
with the reason; set CREDITBRIDGE_SKIP_POSTGRES=1 to skip them instead (or run `-m "not postgres"`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from creditbridge.sync.store import Store

_DEFAULT_ADMIN_URLS = (
    "postgresql+psycopg://root@127.0.0.1:5432/test",
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """A URL of the PostgreSQL server's `test` database, used only to create and drop databases."""
    if os.environ.get("CREDITBRIDGE_SKIP_POSTGRES") == "1":
        pytest.skip("PostgreSQL tests skipped: CREDITBRIDGE_SKIP_POSTGRES=1")
    configured = os.environ.get("CREDITBRIDGE_TEST_POSTGRES_URL")
    candidates = (configured,) if configured else _DEFAULT_ADMIN_URLS
    reasons = []
    for url in candidates:
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        try:
            with engine.connect():
                return url
        except sa.exc.DBAPIError as exc:
            shown = sa.make_url(url).render_as_string(hide_password=True)
            reasons.append(f"{shown}: {str(exc.orig).strip().splitlines()[0]}")
        finally:
            engine.dispose()
    pytest.fail(
        "PostgreSQL is unreachable for the `postgres` tests ("
        + "; ".join(reasons)
        + "). Start it (127.0.0.1:5432, trust auth, database `test`), point CREDITBRIDGE_TEST_POSTGRES_URL "
        "at it, or set CREDITBRIDGE_SKIP_POSTGRES=1 to skip these tests.",
        pytrace=False,
    )


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    name = f"cb_test_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield sa.make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """The URL of a SQLite file in the test's tmp_path (not created yet)."""
    return f"sqlite:///{tmp_path / 'creditbridge.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """A fresh store URL, once for SQLite and once for PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open, migrated, empty store on each database."""
    with Store.open(store_url) as opened:
        yield opened
