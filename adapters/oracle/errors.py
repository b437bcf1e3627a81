"""python-oracledb errors → the core `ErpError` tree, at the adapter's boundary.

python-oracledb raises one exception class per DB-API category, each with a single argument, an
`_Error` carrying `full_code` ("ORA-00054", "DPY-4011"), `message` and `isrecoverable`. The class
alone does not say what a caller can do (ORA-00054 and ORA-06550 are both plain DatabaseError), so
we classify by code. Duck-typed on `args[0].full_code`, so the simulator needs no oracledb.
"""

from __future__ import annotations

from dataclasses import dataclass

from creditbridge.core.ports import ErpAuthError, ErpConfigError, ErpError, ErpUnavailable

ROW_LOCKED = "ORA-00054"  # resource busy and acquire with NOWAIT: another session holds the row
CONNECTION_LOST = frozenset(
    {"ORA-00028", "ORA-01012", "ORA-01033", "ORA-01034", "ORA-01089", "ORA-01092", "ORA-03113", "ORA-03114",
     "ORA-03135", "ORA-12170", "ORA-12514", "ORA-12541", "ORA-12543", "ORA-12571"}
)  # fmt: skip
AUTH = frozenset({"ORA-01017", "ORA-28000", "ORA-28001", "DPY-3015"})
CONFIG = frozenset({"ORA-00904", "ORA-00942", "ORA-01031", "ORA-04063", "ORA-06550", "ORA-06508"})
CONFIG_HINT = (
    "check the database user's grants (SELECT on the AR/HZ/OE tables, EXECUTE on HZ_CUSTOMER_PROFILE_V2PUB, "
    "FND_GLOBAL, MO_GLOBAL) and that adapters/oracle/install.sql was run (table XXCB_WRITEBACK_KEYS)"
)


@dataclass(frozen=True)
class OracleErrorInfo:
    full_code: str
    message: str
    recoverable: bool

    @property
    def connection_lost(self) -> bool:
        code = self.full_code
        return self.recoverable or code in CONNECTION_LOST or code.startswith(("DPY-4011", "DPY-6", "DPY-1001"))


def error_info(exc: BaseException) -> OracleErrorInfo | None:
    """The Oracle error inside a python-oracledb (or simulator) exception; None for anything else."""
    if isinstance(exc, OSError):  # python-oracledb lets socket errors (name resolution, refused) through
        return OracleErrorInfo("DPY-6005", f"cannot connect to the database: {exc}", True)
    detail = exc.args[0] if exc.args else None
    code = getattr(detail, "full_code", None)
    if not isinstance(code, str):
        return None
    message = str(getattr(detail, "message", "") or exc)
    return OracleErrorInfo(code, message.strip(), bool(getattr(detail, "isrecoverable", False)))


def translate(info: OracleErrorInfo) -> ErpError:
    """The core error for an Oracle error met outside a write's business outcome."""
    text = f"Oracle {info.full_code}: {info.message}"
    if info.full_code == ROW_LOCKED:
        return ErpUnavailable(f"{text} (the row is locked by another session; retry later)", retry_after=5.0)
    if info.connection_lost:
        return ErpUnavailable(text)
    if info.full_code in AUTH:
        return ErpAuthError(text)
    if info.full_code in CONFIG:
        return ErpConfigError(f"{text}; {CONFIG_HINT}")
    return ErpError(text)
