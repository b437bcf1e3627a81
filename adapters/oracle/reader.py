"""`read_changes` for EBS: keyset pages of the adapter's SQL, stamped by LAST_UPDATE_DATE.

Each query returns one or more rows per record (a receipt and its applications, an order and its
lines, a profile and its amounts rows), ordered by (CHANGED_AT, ROW_KEY); rows are grouped by
ROW_KEY and a page ends after `page_size` records, once the next record's first row is seen —
so a page never splits a record and knows whether more follow, from one `fetchmany` stream.
The token continues after (CHANGED_AT, ROW_KEY) of the page's last record (change_paging.py says
why keyset, not offsets); `since` is inclusive. A full sweep (no `since`) pages by ROW_KEY alone
(sql._KEYSET_ALL says why). `served_at` is the database clock (SYSDATE) of
the first statement, less `commit_lag` (options.py), in UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from creditbridge.adapters.change_paging import decode_token, encode_position, require_aware
from creditbridge.adapters.oracle import rows as rw
from creditbridge.adapters.oracle import sql
from creditbridge.adapters.oracle.errors import error_info, translate
from creditbridge.adapters.oracle.options import OracleOptions
from creditbridge.adapters.oracle.seam import DbConnection, DbCursor, SessionSource, rows_as_dicts
from creditbridge.core.ports import Change, ChangePage, Entity, Record

FLOOR = datetime(1900, 1, 1)
"""The stamp of a first page's position (binds are never NULL: indexes stay usable)."""

Build = Callable[[Sequence[dict[str, Any]]], tuple[str, Record | None, str]]


class OracleChangeReader:
    def __init__(self, sessions: SessionSource, options: OracleOptions, codes: rw.Codes) -> None:
        self.sessions, self.options, self.codes = sessions, options, codes
        self.rows_fetched = 0

    def statement(self, entity: Entity, *, full: bool) -> tuple[str, Build]:
        """The entity's query: the full sweep's (pages by primary key) or the changes' (by stamp and key)."""
        if entity is Entity.CUSTOMERS:
            return (sql.CUSTOMERS_ALL if full else sql.CUSTOMERS), self._customer
        if entity is Entity.CREDIT_PROFILES:
            return (sql.CREDIT_PROFILES_ALL if full else sql.CREDIT_PROFILES), self._profile
        if entity is Entity.OPEN_ITEMS:
            return (sql.OPEN_ITEMS_ALL if full else sql.OPEN_ITEMS), self._item
        if entity is Entity.PAYMENTS:
            return (sql.PAYMENTS_ALL if full else sql.PAYMENTS), self._payment
        if entity is Entity.ORDERS and self.options.read_orders:
            return (sql.ORDERS_ALL if full else sql.ORDERS), self._order
        raise ValueError(f"the Oracle adapter does not read {entity}")

    def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
        require_aware(since)
        statement, build = self.statement(entity, full=since is None)
        after_at, after_key = FLOOR, -1
        if page_token is not None:
            at, key = decode_token(page_token, entity, since)
            after_at, after_key = self.options.to_db(at), int(key)
        binds: dict[str, Any] = {"org_id": self.options.org_id, "after_key": after_key}
        if since is not None:
            binds.update({"since": self.options.to_db(since), "after_at": after_at})
        if entity is Entity.CUSTOMERS:
            binds["preferred_currency"] = self.options.preferred_currency
        try:
            with self.sessions.acquire() as connection:
                served_at = database_clock(connection, self.options)
                groups, more = self._groups(connection, statement, binds)
        except Exception as exc:
            info = error_info(exc)
            if info is None:
                raise
            raise translate(info) from exc
        changes = []
        for group in groups:
            key, record, version = build(group)
            changed_at = self.options.from_db(group[0]["CHANGED_AT"])
            changes.append(Change(entity, key, changed_at, record, version))
        token = None
        if more and groups:
            last = groups[-1][0]
            at = self.options.from_db(FLOOR if since is None else last["CHANGED_AT"])
            token = encode_position(entity, since, at, rw.key_text(last["ROW_KEY"]))
        return ChangePage(entity, tuple(changes), token, served_at)

    def _groups(
        self, connection: DbConnection, statement: str, binds: dict[str, Any]
    ) -> tuple[list[list[dict[str, Any]]], bool]:
        cursor = tuned_cursor(connection, self.options)
        try:
            cursor.execute(statement, binds)
            groups: list[list[dict[str, Any]]] = []
            for row in rows_as_dicts(cursor, cursor.arraysize):
                self.rows_fetched += 1
                if groups and groups[-1][0]["ROW_KEY"] == row["ROW_KEY"]:
                    groups[-1].append(row)
                    continue
                if len(groups) == self.options.page_size:
                    return groups, True
                groups.append([row])
            return groups, False
        finally:
            cursor.close()

    def iter_profiles(self, connection: DbConnection, account_number: str) -> Iterator[dict[str, Any]]:
        cursor = tuned_cursor(connection, self.options)
        try:
            cursor.execute(
                sql.CREDIT_PROFILE_OF_ACCOUNT, {"org_id": self.options.org_id, "account_number": account_number}
            )
            yield from rows_as_dicts(cursor, cursor.arraysize)
        finally:
            cursor.close()

    # --- records -----------------------------------------------------------------------------------

    def _customer(self, group: Sequence[dict[str, Any]]) -> tuple[str, Record | None, str]:
        record, version = rw.customer(group[0], self.options.preferred_currency or self.options.default_currency)
        return record.customer_id, record, version

    def _profile(self, group: Sequence[dict[str, Any]]) -> tuple[str, Record | None, str]:
        profile = rw.credit_profile(rw.profile_rows(group), self.codes, self.options.preferred_currency)
        return profile.customer_id, profile, profile.source_version or "1.0"

    def _item(self, group: Sequence[dict[str, Any]]) -> tuple[str, Record | None, str]:
        item = rw.open_item(group[0], self.codes)
        return item.item_id, item, _stamp_version(group[0])

    def _payment(self, group: Sequence[dict[str, Any]]) -> tuple[str, Record | None, str]:
        return rw.key_text(group[0]["RECEIPT_NUMBER"]), rw.payment(group), _stamp_version(group[0])

    def _order(self, group: Sequence[dict[str, Any]]) -> tuple[str, Record | None, str]:
        record = rw.order(group, self.codes)
        return record.order_number, record, _stamp_version(group[0])


def _stamp_version(row: dict[str, Any]) -> str:
    """Tables without OBJECT_VERSION_NUMBER: the row's id and stamp identify the version seen."""
    return f"{rw.key_text(row['ROW_KEY'])}@{row['CHANGED_AT']:%Y%m%d%H%M%S}"


def tuned_cursor(connection: DbConnection, options: OracleOptions) -> DbCursor:
    """A cursor that fetches `arraysize` rows per round trip, the first batch with the execute."""
    cursor = connection.cursor()
    cursor.arraysize = options.arraysize
    cursor.prefetchrows = options.arraysize + 1
    return cursor


def database_clock(connection: DbConnection, options: OracleOptions) -> datetime:
    """SYSDATE less the commit lag, as an aware UTC instant: the next sweep's cursor."""
    cursor = connection.cursor()
    try:
        cursor.execute(sql.DATABASE_CLOCK)
        row = cursor.fetchone()
    finally:
        cursor.close()
    if row is None or not isinstance(row[0], datetime):
        return datetime.now(UTC) - options.commit_lag
    return options.from_db(row[0]) - options.commit_lag
