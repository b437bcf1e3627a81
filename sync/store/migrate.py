"""Running the store's Alembic migrations from code, wherever the package is installed.

Why not the CLI: `Store.open` must bring any database (a fresh file, an older PostgreSQL schema)
to this version before use, without depending on the working directory. The script location is
the `migrations` package next to this module; alembic.ini ships as package data.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from creditbridge.sync.store import migrations
from creditbridge.sync.store.engine import SQLITE_BEGIN_OPTION
from creditbridge.sync.store.errors import MigrationError

_PG_MIGRATION_LOCK = 0x63726564_62726467  # 'credbrdg': one migrating process at a time


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """The packaged Alembic config, pointed at the packaged migrations (and at `connection`)."""
    ini = resources.files("creditbridge.sync.store").joinpath("alembic.ini")
    config = Config(str(ini)) if ini.is_file() else Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision this version of creditbridge knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Migrate the database up to `revision` in one transaction (nothing to do: no lock taken)."""
    if revision == "head" and current_revision(engine) == head_revision():
        return
    _run(engine, "upgrade", revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Migrate the database down to `revision` ("base" drops everything) in one transaction."""
    _run(engine, "downgrade", revision)


def _run(engine: sa.Engine, direction: str, revision: str) -> None:
    try:
        with engine.connect() as conn:
            conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})  # SQLite: write lock from BEGIN
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
                config = alembic_config(conn)
                if direction == "upgrade":
                    command.upgrade(config, revision)
                else:
                    command.downgrade(config, revision)
    except CommandError as exc:
        known = head_revision()
        raise MigrationError(
            f"cannot {direction} the store to {revision!r}: {exc} (this creditbridge knows revisions up to "
            f"{known!r}; a database migrated by a newer creditbridge needs that version)"
        ) from exc
    except sa.exc.SQLAlchemyError as exc:
        raise MigrationError(f"migration {direction} to {revision!r} failed and was rolled back: {exc}") from exc
