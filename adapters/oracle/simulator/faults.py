"""Failures the EBS simulator can play, each armed once (or n times) and consumed when met."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from creditbridge.adapters.oracle.simulator.database import OperationalError, connection_lost, oracle_error


class SimFault(StrEnum):
    CONNECTION_LOST_ON_QUERY = "connection_lost_on_query"  # ORA-03113 on the next SELECT/INSERT
    CONNECTION_LOST_ON_PLSQL = "connection_lost_on_plsql"  # ORA-03113 on the next PL/SQL block
    LOST_BEFORE_COMMIT = "lost_before_commit"  # the COMMIT never reaches the database: rolled back, DPY-4011
    LOST_AFTER_COMMIT = "lost_after_commit"  # committed, then the answer is lost: DPY-4011
    API_ERROR = "api_error"  # the next TCA API returns 'E' with a validation message
    API_UNEXPECTED = "api_unexpected"  # the next TCA API returns 'U' with an unexpected-error message
    ROW_LOCKED = "row_locked"  # another session holds the row: the API's FOR UPDATE NOWAIT raises ORA-00054
    CONCURRENT_SAVE = "concurrent_save"  # a person saves the row (another field) just before the API locks it


class Faults:
    def __init__(self) -> None:
        self.armed: list[SimFault] = []

    def arm(self, fault: SimFault, times: int = 1) -> None:
        self.armed += [fault] * times

    def take(self, *kinds: SimFault) -> SimFault | None:
        for i, fault in enumerate(self.armed):
            if fault in kinds:
                return self.armed.pop(i)
        return None

    def on_query(self) -> None:
        if self.take(SimFault.CONNECTION_LOST_ON_QUERY):
            raise connection_lost()

    def on_plsql(self) -> None:
        if self.take(SimFault.CONNECTION_LOST_ON_PLSQL):
            raise connection_lost()

    def on_commit(self, rollback: Callable[[], None]) -> None:
        if self.take(SimFault.LOST_BEFORE_COMMIT):
            rollback()
            raise _closed()

    def after_commit(self) -> None:
        if self.take(SimFault.LOST_AFTER_COMMIT):
            raise _closed()

    def api(self) -> SimFault | None:
        return self.take(SimFault.API_ERROR, SimFault.API_UNEXPECTED, SimFault.ROW_LOCKED, SimFault.CONCURRENT_SAVE)


def _closed() -> Exception:
    return oracle_error("DPY-4011", "the database or network closed the connection", cls=OperationalError)
