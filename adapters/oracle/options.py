"""What one Oracle connection reads and writes as: operating unit, responsibility, clock, tuning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo


@dataclass(frozen=True)
class Responsibility:
    """The ids `FND_GLOBAL.APPS_INITIALIZE` takes: who the TCA APIs act as (WHO columns, security)."""

    user_id: int
    responsibility_id: int
    application_id: int = 222  # AR


@dataclass(frozen=True)
class OracleOptions:
    """One operating unit of one EBS instance.

    `db_timezone`: EBS stamps LAST_UPDATE_DATE (a DATE, no zone) in the database server's zone.
    `commit_lag`: a row's stamp is set when it is updated, not when its transaction commits, so a
    long EBS transaction (a concurrent program) can commit rows stamped before our last sweep; the
    cursor handed back is the database clock minus this lag, and such rows are read next time.
    `arraysize`: rows per round trip (python-oracledb's default 100 is slow for large reads).
    """

    org_id: int
    responsibility: Responsibility | None = None
    default_currency: str = "USD"
    preferred_currency: str | None = None
    db_timezone: tzinfo = UTC
    commit_lag: timedelta = timedelta(seconds=300)
    page_size: int = 1000
    arraysize: int = 1000
    read_orders: bool = True
    lock_retries: int = 3
    lock_wait_seconds: float = 2.0

    def to_db(self, instant: datetime) -> datetime:
        """An aware instant as the database's naive local DATE."""
        return instant.astimezone(self.db_timezone).replace(tzinfo=None, microsecond=0)

    def from_db(self, stamp: datetime) -> datetime:
        """A database DATE as an aware UTC instant."""
        return stamp.replace(tzinfo=self.db_timezone).astimezone(UTC)
