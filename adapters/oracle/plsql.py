"""The calls both write paths make in one session: FND context, a public API in a block, the dedupe row.

Every EBS public API answers the same way (x_return_status 'S'/'E'/'U', x_msg_count and the
FND_MSG_PUB stack); the blocks in sql.py copy that into the same OUT binds, read here into an
`ApiResult` that keeps every message with its name. The dedupe row (XXCB_WRITEBACK_KEYS) is
written in the caller's transaction, so it commits with the change or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from creditbridge.adapters.oracle import sql
from creditbridge.adapters.oracle.options import OracleOptions
from creditbridge.adapters.oracle.seam import DbConnection
from creditbridge.core.ports import ErpConfigError


@dataclass(frozen=True)
class ApiResult:
    """What one API call answered: x_return_status, the new version or id, every message."""

    api: str
    status: str
    value: int | None
    names: tuple[str, ...]
    messages: tuple[str, ...]

    def describe(self) -> str:
        kind = {"E": "error", "U": "unexpected error"}.get(self.status, f"status {self.status!r}")
        lines = [f"{n}: {m}" if n else m for n, m in zip(self.names, self.messages, strict=False)] or ["(no message)"]
        return f"{self.api} returned {kind}: " + " | ".join(lines)


def call_api(connection: DbConnection, api: str, block: str, binds: dict[str, Any], out: str) -> ApiResult:
    """Run one of sql.py's API blocks; `out` names its OUT bind for the new version or id."""
    cursor = connection.cursor()
    try:
        outs = {
            out: cursor.var(int),
            "return_status": cursor.var(str, 1),
            "msg_count": cursor.var(int),
            "messages": cursor.var(str, 32767),
            "message_names": cursor.var(str, 4000),
        }
        cursor.execute(block, {**binds, **outs})
        value = outs[out].getvalue()
        return ApiResult(
            api,
            str(outs["return_status"].getvalue() or "U"),
            None if value is None else int(value),
            tuple(n for n in str(outs["message_names"].getvalue() or "").split("\n") if n),
            tuple(m for m in str(outs["messages"].getvalue() or "").split("\n") if m),
        )
    finally:
        cursor.close()


def initialize(connection: DbConnection, options: OracleOptions) -> None:
    """FND_GLOBAL.APPS_INITIALIZE and the MOAC single-org context: the APIs act as this responsibility."""
    who = options.responsibility
    if who is None:
        raise ErpConfigError(
            "write-back needs the EBS user and responsibility: set scope.user_id and scope.responsibility_id "
            "in the Oracle mapping"
        )
    cursor = connection.cursor()
    try:
        cursor.execute(sql.APPS_INITIALIZE, {
            "user_id": who.user_id, "resp_id": who.responsibility_id, "resp_appl_id": who.application_id,
            "org_id": options.org_id,
        })  # fmt: skip
    finally:
        cursor.close()


def seen_key(connection: DbConnection, key: str) -> str | None:
    """The ERP reference recorded with an idempotency key, if a write with it committed."""
    cursor = connection.cursor()
    try:
        cursor.execute(sql.SEEN_KEY, {"idempotency_key": key})
        row = cursor.fetchone()
    finally:
        cursor.close()
    return None if row is None else str(row[0])


def record_key(connection: DbConnection, key: str, account_id: int, reference: str) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute(sql.RECORD_KEY, {
            "idempotency_key": key, "cust_account_id": account_id, "erp_reference": reference,
        })  # fmt: skip
    finally:
        cursor.close()
