"""The simulator's side of the DB-API seam: sessions and cursors over SQLite, shaped like python-oracledb.

What runs as written: every SELECT/INSERT the adapter sends (its SQL is the common subset, see
adapters/oracle/sql.py) with its `:name` binds, which SQLite takes natively. The one textual
translation: the word SYSDATE becomes a bind of the simulator's clock. GREATEST and NVL are
registered as SQLite functions with Oracle's semantics (GREATEST is NULL if any argument is).
Anonymous PL/SQL blocks (BEGIN/DECLARE) are not run: the TCA/FND API they call is looked up by
name and dispatched to a handler (apis.py) that emulates it, with the block's binds.

As python-oracledb does, the cursor refuses binds the statement does not name (ORA-01036) and
statements with names left unbound (ORA-01008), and raises exceptions whose single argument
carries `full_code`, `message` and `isrecoverable`. Sessions share one SQLite connection, one
transaction at a time: the simulator serves one adapter session at a time.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from creditbridge.adapters.oracle.simulator import EbsSimulator

STAMP = "%Y-%m-%d %H:%M:%S"
_STAMP_TEXT = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
_BIND = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")
_SYSDATE = re.compile(r"\bSYSDATE\b", re.IGNORECASE)

sqlite3.register_converter("EBS_NUMBER", lambda raw: Decimal(raw.decode()))
sqlite3.register_converter("EBS_DATE", lambda raw: datetime.fromisoformat(raw.decode()))


@dataclass(frozen=True)
class OracleErrorDetail:
    """What python-oracledb puts in an exception's args[0]."""

    full_code: str
    message: str
    isrecoverable: bool = False

    @property
    def code(self) -> int:
        return int(self.full_code.split("-")[1])


class DatabaseError(Exception):
    """Like oracledb.DatabaseError: one argument, an error with full_code and message."""


class OperationalError(DatabaseError):
    """Like oracledb.OperationalError: the session is gone."""


class IntegrityError(DatabaseError):
    pass


def oracle_error(full_code: str, message: str, *, cls: type[DatabaseError] = DatabaseError) -> DatabaseError:
    recoverable = cls is OperationalError
    return cls(OracleErrorDetail(full_code, f"{full_code}: {message}", recoverable))


def connection_lost() -> DatabaseError:
    return oracle_error("ORA-03113", "end-of-file on communication channel", cls=OperationalError)


def to_sqlite(value: Any) -> Any:
    if isinstance(value, SimVar):
        return value.getvalue()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.strftime(STAMP)
    if isinstance(value, date):
        return value.strftime(STAMP)
    return value


def from_sqlite(value: Any) -> Any:
    """Computed columns lose their declared type in SQLite: a DATE expression comes back as text."""
    if isinstance(value, str) and len(value) == 19 and value[10] == " " and _STAMP_TEXT.match(value):
        return datetime.fromisoformat(value)
    return value


def bind_names(statement: str) -> set[str]:
    return {m.group(1).lower() for m in _BIND.finditer(statement)}


def greatest(*values: Any) -> Any:
    return None if any(v is None for v in values) else max(values)


def nvl(value: Any, default: Any) -> Any:
    return default if value is None else value


def open_sqlite(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES, check_same_thread=False)
    db.create_function("GREATEST", -1, greatest, deterministic=True)
    db.create_function("NVL", 2, nvl, deterministic=True)
    return db


class SimVar:
    """An OUT / IN OUT bind, like `cursor.var(type, size)`."""

    def __init__(self, typ: Any, size: int = 0) -> None:
        self.type, self.size, self._value = typ, size, None

    def getvalue(self, pos: int = 0) -> Any:
        return self._value

    def setvalue(self, pos: int, value: Any) -> None:
        self._value = value


class SimCursor:
    def __init__(self, session: SimSession) -> None:
        self.session = session
        self.arraysize = 100
        self.prefetchrows = 2
        self._rows: sqlite3.Cursor | None = None
        self.description: Sequence[Sequence[Any]] | None = None

    def var(self, typ: Any, size: int = 0) -> SimVar:
        return SimVar(typ, size)

    def execute(self, statement: str, parameters: Mapping[str, Any] | None = None) -> None:
        sim = self.session.sim
        params = {k.lower(): v for k, v in (parameters or {}).items()}
        named = bind_names(statement)
        if set(params) - named:
            raise oracle_error("ORA-01036", f"illegal variable name/number ({', '.join(sorted(set(params) - named))})")
        head = statement.lstrip().upper()
        if head.startswith(("BEGIN", "DECLARE")):
            if named - set(params):
                raise oracle_error("ORA-01008", f"not all variables bound ({', '.join(sorted(named - set(params)))})")
            sim.faults.on_plsql()
            sim.run_block(self.session, statement, params)
            self.description = None
            return
        sim.faults.on_query()
        if _SYSDATE.search(statement):
            statement = _SYSDATE.sub(":sysdate__", statement)
            params["sysdate__"] = sim.now()
            named.add("sysdate__")
        if named - set(params):
            raise oracle_error("ORA-01008", f"not all variables bound ({', '.join(sorted(named - set(params)))})")
        sim.statements += 1
        try:
            self._rows = sim.db.execute(statement, {k: to_sqlite(v) for k, v in params.items()})
        except sqlite3.IntegrityError as exc:
            raise oracle_error("ORA-00001", f"unique constraint violated ({exc})", cls=IntegrityError) from exc
        except sqlite3.OperationalError as exc:
            text = str(exc)
            code = "ORA-00942" if "no such table" in text else "ORA-00904" if "no such column" in text else "ORA-00900"
            raise oracle_error(code, text) from exc
        self.description = self._rows.description

    def fetchone(self) -> Sequence[Any] | None:
        rows = self.fetchmany(1)
        return rows[0] if rows else None

    def fetchmany(self, size: int) -> list[Sequence[Any]]:
        if self._rows is None:
            raise oracle_error("DPY-1003", "the executed statement does not return rows")
        self.session.sim.round_trips += 1
        return [tuple(from_sqlite(v) for v in row) for row in self._rows.fetchmany(size)]

    def close(self) -> None:
        if self._rows is not None:
            self._rows.close()
        self._rows = None


class SimSession:
    """One acquired session: its FND/MOAC context lives as long as it is held (reset on each acquire)."""

    def __init__(self, sim: EbsSimulator) -> None:
        self.sim = sim
        self.user_id: int | None = None
        self.resp_id: int | None = None
        self.org_id: int | None = None
        self.messages: list[tuple[str, str]] = []

    def cursor(self) -> SimCursor:
        return SimCursor(self)

    def commit(self) -> None:
        self.sim.faults.on_commit(self.sim.rollback)
        self.sim.commit()
        self.sim.faults.after_commit()

    def rollback(self) -> None:
        self.sim.rollback()
