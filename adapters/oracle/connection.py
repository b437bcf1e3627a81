"""Sessions on a real EBS database through python-oracledb: pool, thin or thick mode, Decimal NUMBERs.

Thin mode (pure Python, the default) talks to Oracle Database 12.1 and later. EBS 12.1 instances
still on an 11gR2 database need thick mode (`thick = true`, Oracle Instant Client installed,
optionally `client_lib_dir`): python-oracledb's thin mode refuses 11g (and 10G password
verifiers, DPY-3015). Every NUMBER is fetched as Decimal through an output type handler on each
connection (not the process-wide `oracledb.defaults`), so money never passes through float.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from creditbridge.adapters.oracle.errors import error_info, translate
from creditbridge.adapters.oracle.seam import DbConnection


@dataclass(frozen=True)
class ConnectSettings:
    dsn: str
    user: str
    password: str
    thick: bool = False
    client_lib_dir: str | None = None
    pool_min: int = 0  # sessions are opened on first use: building the adapter never blocks on the network
    pool_max: int = 4
    stmtcachesize: int = 40
    wait_seconds: int = 30  # how long an acquire waits for a free session before failing
    connect_timeout: float = 10.0


_thick_initialised = False


def _oracledb() -> Any:
    try:
        import oracledb
    except ImportError as exc:  # pragma: no cover - the extra is part of dev
        raise ImportError("install the Oracle extra: pip install 'creditbridge[oracle]'") from exc
    return oracledb


def _decimal_numbers(cursor: Any, metadata: Any) -> Any:
    """Output type handler: NUMBER columns as Decimal (python-oracledb would give int or float)."""
    oracledb = _oracledb()
    if metadata.type_code is oracledb.DB_TYPE_NUMBER:
        return cursor.var(Decimal, arraysize=cursor.arraysize)
    return None


class OraclePool:
    """A python-oracledb session pool, as the adapter's `SessionSource`."""

    def __init__(self, settings: ConnectSettings) -> None:
        global _thick_initialised
        oracledb = _oracledb()
        if settings.thick and not _thick_initialised:
            oracledb.init_oracle_client(lib_dir=settings.client_lib_dir)
            _thick_initialised = True
        try:
            self._pool = oracledb.create_pool(
                user=settings.user, password=settings.password, dsn=settings.dsn,
                min=settings.pool_min, max=settings.pool_max, increment=1, stmtcachesize=settings.stmtcachesize,
                getmode=oracledb.POOL_GETMODE_TIMEDWAIT, wait_timeout=settings.wait_seconds * 1000,
                tcp_connect_timeout=settings.connect_timeout, retry_count=0,
            )  # fmt: skip
        except Exception as exc:
            info = error_info(exc)
            if info is None:
                raise
            raise translate(info) from exc

    @contextmanager
    def acquire(self) -> Iterator[DbConnection]:
        connection = self._pool.acquire()
        connection.outputtypehandler = _decimal_numbers
        try:
            yield connection
        finally:
            with suppress(Exception):  # a dead session was rolled back by the server
                connection.rollback()  # nothing uncommitted goes back to the pool
            with suppress(Exception):
                self._pool.release(connection)

    def close(self) -> None:
        self._pool.close(force=True)
