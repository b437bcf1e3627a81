"""`read_changes` for QuickBooks: CDC for recent cursors, keyset query sweeps for the rest.

Why two paths: CDC (`/cdc?changedSince=`) is one call per pull and reports deletions
(`status: Deleted`), but looks back 30 days at most and caps a response at 1,000 objects. A
first load, a cursor older than ~29 days, or a capped CDC answer is read by a query sweep
(`… WHERE MetaData.LastUpdatedTime >= t ORDERBY MetaData.LastUpdatedTime MAXRESULTS n`;
one ORDERBY field, as QuickBooks' parser takes; order within one stamp does not matter here)
whose token says "continue from stamp t, minus the ids already served at t" — a keyset, so a
record edited mid-sweep moves to the end and is read again, and nothing behind it is skipped
(adapters/change_paging.py explains why offsets would). Since is inclusive: CDC is asked from one
second earlier and the answer filtered to `>= since`; duplicates are dropped by key downstream.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from creditbridge.adapters.change_paging import require_aware
from creditbridge.adapters.quickbooks import translate as tr
from creditbridge.adapters.quickbooks.client import QuickBooksClient
from creditbridge.adapters.quickbooks.storage import Storage
from creditbridge.core.ports import Change, ChangePage, Entity, Record

CDC_CAP = 1000
CDC_MAX_AGE = timedelta(days=29)
MAX_EMPTY_SKIPS = 50

SOURCES: dict[Entity, tuple[str, ...]] = {
    Entity.CUSTOMERS: ("Customer",),
    Entity.CREDIT_PROFILES: ("Customer",),
    Entity.OPEN_ITEMS: ("Invoice", "CreditMemo"),
    Entity.PAYMENTS: ("Payment",),
    Entity.ORDERS: ("Estimate",),
}


class QuickBooksChangeReader:
    """Pages of changes of one company, translated to core records."""

    def __init__(
        self,
        client: QuickBooksClient,
        storage: Storage,
        *,
        page_size: int = 1000,
        include_inactive: bool = True,
        terms: dict[str, int] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not 1 <= page_size <= 1000:
            raise ValueError(f"page_size must be 1..1000 (QuickBooks' cap), got {page_size}")
        self.client, self.storage, self.page_size = client, storage, page_size
        self.include_inactive, self.terms, self._clock = include_inactive, terms, clock
        self.cdc_fallbacks = 0

    def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
        require_aware(since)
        if entity not in SOURCES:
            raise ValueError(f"QuickBooks has no {entity}")
        if page_token is None and since is not None and self._clock() - since < CDC_MAX_AGE:
            page = self._from_cdc(entity, since)
            if page is not None:
                return page
            self.cdc_fallbacks += 1
        state = _decode(page_token, entity, since) if page_token else {"p": 0, "t": None, "ids": []}
        return self._sweep_page(entity, since, state)

    # --- CDC -------------------------------------------------------------------------------------

    def _from_cdc(self, entity: Entity, since: datetime) -> ChangePage | None:
        """All changes since `since` in one page, or None if the answer was capped (sweep instead)."""
        asked = (since - timedelta(seconds=1)).replace(microsecond=0).isoformat()
        body = self.client.cdc(",".join(SOURCES[entity]), asked)
        found: list[tuple[str, dict[str, Any]]] = []
        for block in body.get("CDCResponse") or []:
            for response in block.get("QueryResponse") or []:
                for kind in SOURCES[entity]:
                    found += [(kind, obj) for obj in response.get(kind) or []]
        if len(found) >= CDC_CAP:
            return None
        changes = sorted(
            (c for kind, obj in found if (c := self._change(entity, kind, obj)).changed_at >= since),
            key=lambda c: (c.changed_at, c.key),
        )
        return ChangePage(entity, tuple(changes), None, _served_at(body, self._clock))

    # --- query sweep -----------------------------------------------------------------------------

    def _sweep_page(self, entity: Entity, since: datetime | None, state: dict[str, Any]) -> ChangePage:
        """One full page (page_size changes unless the sweep ends here), filled across the entity's kinds.

        Each query asks for one row more than still fits, so a page knows whether more follow: the
        sweep's last page carries no token, and no page is empty or short in the middle of a sweep.
        """
        kinds = SOURCES[entity]
        changes: list[Change] = []
        served_at: datetime | None = None
        token: str | None = None
        p, t, ids = state["p"], state["t"], list(state["ids"])
        while p < len(kinds):
            kind = kinds[p]
            room = self.page_size - len(changes)
            taken, more, body = self._fetch(kind, since, t, set(ids), room)
            served_at = served_at or _served_at(body, self._clock)
            fresh = [self._change(entity, kind, r) for r in taken]
            changes += fresh
            if more and fresh:
                last = fresh[-1].changed_at
                after_t = None if t is None else datetime.fromisoformat(t)
                new_ids = [c.key for c in fresh if c.changed_at == last]
                if after_t is not None and last == after_t:
                    new_ids += sorted(set(ids))
                token = _encode(entity, since, {"p": p, "t": tr.stamp_text(taken[-1]), "ids": new_ids})
                break
            if more:  # nothing fitted, but this kind has rows: continue from where this page stopped
                token = _encode(entity, since, {"p": p, "t": t, "ids": ids})
                break
            p, t, ids = p + 1, None, []
        return ChangePage(entity, tuple(changes), token, served_at or self._clock())

    def _fetch(
        self, kind: str, since: datetime | None, after: str | None, served: set[str], room: int
    ) -> tuple[list[dict[str, Any]], bool, dict[str, Any]]:
        """Up to `room` unseen rows of `kind` in change order, whether more exist, and the first answer.

        The first query asks for `room` rows plus the ones already served at the token's stamp; a
        window that comes back full without settling whether more follow is continued (a page that
        ends exactly at the end of a kind so learns it is the last, with one small query more).
        """
        after_t = None if after is None else datetime.fromisoformat(after)
        size = max(1, min(1000, room + len(served)))
        found: dict[str, dict[str, Any]] = {}
        first: dict[str, Any] | None = None
        start, exhausted = 1, False
        for _ in range(MAX_EMPTY_SKIPS):
            body = self.client.query(self._select(kind, after, since, start, size))
            first = first if first is not None else body
            rows = list((body.get("QueryResponse") or {}).get(kind) or [])
            for row in rows:
                if self._unseen(row, kind, after_t, served, since):
                    found.setdefault(self._key(kind, row), row)
            if len(rows) < size:
                exhausted = True
                break
            if len(found) > room:
                break
            start += size
            size = max(1, min(1000, room + 1 - len(found)))
        rows = list(found.values())
        return rows[:room], len(rows) > room or not exhausted, first or {}

    def _select(self, kind: str, after: str | None, since: datetime | None, start: int, count: int) -> str:
        where = []
        if kind == "Customer" and self.include_inactive:
            where.append("Active IN (true, false)")
        lower = after or (None if since is None else since.replace(microsecond=0).isoformat())
        if lower is not None:
            where.append(f"MetaData.LastUpdatedTime >= '{lower}'")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return f"SELECT * FROM {kind}{clause} ORDERBY MetaData.LastUpdatedTime STARTPOSITION {start} MAXRESULTS {count}"

    def _unseen(
        self, row: dict[str, Any], kind: str, after_t: datetime | None, served: set[str], since: datetime | None
    ) -> bool:
        at = tr.stamp(row)
        if since is not None and at < since:
            return False
        if after_t is None or at > after_t:
            return True
        return at == after_t and self._key(kind, row) not in served

    # --- translation -----------------------------------------------------------------------------

    def _key(self, kind: str, obj: dict[str, Any]) -> str:
        return tr.item_key(kind, str(obj["Id"])) if kind in ("Invoice", "CreditMemo") else str(obj["Id"])

    def _change(self, entity: Entity, kind: str, obj: dict[str, Any]) -> Change:
        key = self._key(kind, obj)
        record = None if obj.get("status") == "Deleted" else self._record(entity, kind, obj)
        return Change(entity, key, tr.stamp(obj), record, obj.get("SyncToken"))

    def _record(self, entity: Entity, kind: str, obj: dict[str, Any]) -> Record:
        currency = self.storage.default_currency
        if entity is Entity.CUSTOMERS:
            return tr.customer(obj, default_currency=currency, terms=self.terms)
        if entity is Entity.CREDIT_PROFILES:
            return self.storage.profile(obj)
        if entity is Entity.OPEN_ITEMS:
            return tr.open_item(obj, kind, default_currency=currency)
        if entity is Entity.ORDERS:
            return tr.order(obj, default_currency=currency)
        return tr.payment(obj, default_currency=currency)


def _served_at(body: dict[str, Any], clock: Callable[[], datetime]) -> datetime:
    """QuickBooks' clock when it answered (the response `time`); ours only if it sent none."""
    return datetime.fromisoformat(str(body["time"])) if body.get("time") else clock()


def _encode(entity: Entity, since: datetime | None, state: dict[str, Any]) -> str:
    payload = {"e": entity.value, "s": None if since is None else since.isoformat(), **state}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def _decode(token: str, entity: Entity, since: datetime | None) -> dict[str, Any]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        state = {"p": int(payload["p"]), "t": payload["t"], "ids": list(payload["ids"])}
        token_entity, token_since = payload["e"], payload["s"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a QuickBooks page token: {token!r}") from exc
    stated = None if since is None else since.isoformat()
    if token_entity != entity.value or token_since != stated:
        raise ValueError(f"page token belongs to another sweep ({token_entity} since {token_since})")
    return state
