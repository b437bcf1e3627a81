"""An EBS-shaped database for the Oracle adapter: SQLite tables + emulated TCA APIs (no Oracle needed).

`EbsSimulator` is a `SessionSource` (seam.py): the adapter acquires sessions from it exactly as
from a python-oracledb pool and runs its real SQL and PL/SQL blocks against it (database.py says
what is translated: only SYSDATE). It plays the people in EBS too — a credit manager editing a
profile in the Customers form (through the same API semantics: version bump, order holds) — and
the failures: a lost connection before/after commit, a locked row, 'E'/'U' answers (faults.py).
Backed by a file, it keeps its state between runs (`creditbridge demo --erp oracle`, or a
connection with `options.simulator = true`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from creditbridge.adapters.memory import UNSET
from creditbridge.adapters.oracle.simulator import apis
from creditbridge.adapters.oracle.simulator.database import STAMP, SimSession, open_sqlite
from creditbridge.adapters.oracle.simulator.faults import Faults, SimFault
from creditbridge.adapters.oracle.simulator.schema import TABLES
from creditbridge.adapters.oracle.simulator.seed import seed_ledger
from creditbridge.core.model import Ledger

__all__ = ["EbsSimulator", "SimFault"]

PERSON = 1013  # FND_USER.USER_ID of the credit manager who edits profiles in the Customers form


class EbsSimulator:
    def __init__(self, path: Path | str | None = None, *, org_id: int = 204) -> None:
        self.org_id = org_id
        self.db = open_sqlite(":memory:" if path is None else str(path))
        if self.db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'HZ_PARTIES'").fetchone()[0] == 0:
            self.db.executescript(TABLES)
        self.faults = Faults()
        self._foreign: list[tuple[str, tuple[Any, ...]]] = []
        self.statements = 0
        self.round_trips = 0

    # --- the database's side ---------------------------------------------------------------------

    def now(self) -> datetime:
        """SYSDATE: the database clock, naive, in its time zone (UTC here), to the second like a DATE."""
        return datetime.now(UTC).replace(tzinfo=None, microsecond=0)

    def stamp(self) -> str:
        return self.now().strftime(STAMP)

    def next_id(self, table: str, column: str) -> int:
        """The next value of the table's sequence (the simulator's stand-in for <TABLE>_S.NEXTVAL)."""
        (top,) = self.db.execute(f"SELECT MAX({column}) FROM {table}").fetchone()
        return int(top or 0) + 1

    @contextmanager
    def acquire(self) -> Iterator[SimSession]:
        session = SimSession(self)
        try:
            yield session
        finally:
            self.rollback()

    def foreign_write(self, statement: str, params: tuple[Any, ...]) -> None:
        """Another session's committed change, made visible now: a rollback of ours keeps it."""
        self.db.execute(statement, params)
        self._foreign.append((statement, params))

    def commit(self) -> None:
        self.db.commit()
        self._foreign.clear()

    def rollback(self) -> None:
        """Roll back the current session's work; other sessions' committed writes stay (one SQLite connection)."""
        self.db.rollback()
        for statement, params in self._foreign:
            self.db.execute(statement, params)
        self.db.commit()
        self._foreign.clear()

    def run_block(self, session: SimSession, block: str, binds: dict[str, Any]) -> None:
        apis.run_block(self, session, block, binds)

    def arm(self, fault: SimFault, times: int = 1) -> None:
        self.faults.arm(fault, times)

    # --- seeding and people ----------------------------------------------------------------------

    def seed_ledger(self, ledger: Ledger, *, age: timedelta = timedelta(days=1)) -> None:
        """Load a ledger as EBS holds it (seed.py), every row stamped `age` ago."""
        seed_ledger(self.db, ledger, org_id=self.org_id, stamp=self.now() - age)
        self.db.commit()

    def is_empty(self) -> bool:
        return int(self.db.execute("SELECT COUNT(*) FROM HZ_CUST_ACCOUNTS").fetchone()[0]) == 0

    def account_id(self, account_number: str) -> int:
        row = self.db.execute("SELECT CUST_ACCOUNT_ID FROM HZ_CUST_ACCOUNTS WHERE ACCOUNT_NUMBER = ?",
                              (account_number,)).fetchone()  # fmt: skip
        if row is None:
            raise KeyError(account_number)
        return int(row[0])

    def _profile(self, account_number: str) -> tuple[int, int, bool]:
        profile_id, version, hold = self.db.execute(
            "SELECT CUST_ACCOUNT_PROFILE_ID, OBJECT_VERSION_NUMBER, CREDIT_HOLD FROM HZ_CUSTOMER_PROFILES "
            "WHERE CUST_ACCOUNT_ID = ? AND SITE_USE_ID IS NULL",
            (self.account_id(account_number),)).fetchone()  # fmt: skip
        return int(profile_id), int(version), hold == "Y"

    def _as_person(self) -> apis.Tca:
        session = SimSession(self)
        session.user_id, session.resp_id, session.org_id = PERSON, 50559, self.org_id
        return apis.Tca(self, session, faults=False)

    def human_edit_profile(self, account_number: str, *, credit_limit: Any = UNSET, on_hold: Any = UNSET,
                           currency: str | None = None) -> None:  # fmt: skip
        """A credit manager saves the profile in the Customers form (the form calls the same APIs)."""
        tca = self._as_person()
        profile_id, version, _ = self._profile(account_number)
        if credit_limit is not UNSET:
            row = self.db.execute(
                "SELECT CUST_ACCT_PROFILE_AMT_ID, OBJECT_VERSION_NUMBER FROM HZ_CUST_PROFILE_AMTS WHERE "
                "CUST_ACCOUNT_PROFILE_ID = ? AND (? IS NULL OR CURRENCY_CODE = ?) ORDER BY CUST_ACCT_PROFILE_AMT_ID",
                (profile_id, currency, currency)).fetchone()  # fmt: skip
            limit = None if credit_limit is None else Decimal(credit_limit)
            if row is None:
                answer = tca.create_cust_profile_amt(
                    profile_id, self.account_id(account_number), currency or "USD", limit
                )
            else:
                answer = tca.update_cust_profile_amt(int(row[0]), int(row[1]), limit, limit is None)
            self._saved(answer)
        if on_hold is not UNSET:
            self._saved(tca.update_customer_profile(profile_id, version, "Y" if on_hold else "N"))
        self.db.commit()

    def human_edit_other_field(self, account_number: str) -> None:
        """A person changes the risk code only: the profile's version moves, limit and hold do not."""
        profile_id, version, _ = self._profile(account_number)
        self._saved(self._as_person().update_customer_profile(profile_id, version, None, risk_code="HIGH"))
        self.db.commit()

    def _saved(self, answer: apis.ApiAnswer) -> None:
        if answer.status != "S":
            self.db.rollback()
            raise ValueError(f"the simulated form could not save: {answer.messages}")

    # --- what a test looks at --------------------------------------------------------------------

    def applied_keys(self) -> list[str]:
        """Idempotency keys of committed write-backs, oldest first (XXCB_WRITEBACK_KEYS)."""
        return [k for (k,) in self.db.execute("SELECT IDEMPOTENCY_KEY FROM XXCB_WRITEBACK_KEYS ORDER BY rowid")]

    def order_holds(self, account_number: str) -> list[tuple[str, bool]]:
        """(order number, released) of every credit hold put on the account's orders, oldest first."""
        rows = self.db.execute(
            "SELECT h.ORDER_NUMBER, oh.RELEASED_FLAG FROM OE_ORDER_HOLDS_ALL oh "
            "JOIN OE_ORDER_HEADERS_ALL h ON h.HEADER_ID = oh.HEADER_ID WHERE h.SOLD_TO_ORG_ID = ? "
            "ORDER BY oh.ORDER_HOLD_ID", (self.account_id(account_number),)).fetchall()  # fmt: skip
        return [(str(number), flag == "Y") for number, flag in rows]

    def close(self) -> None:
        self.db.close()
