"""Pulling from an ERP into the store, as finance IT meets it: first load, people's edits, outages.

The ERP is the stateful `InMemoryErp`; every test that touches the store runs on SQLite and on
PostgreSQL (`store` fixture). "The replica matches the ERP" compares the current records the
store gives back (`Store.load_ledger`) with the ERP's live records, field by field, money exact.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from creditbridge.adapters.memory import Fault, InMemoryErp
from creditbridge.core.model import (
    Application,
    CreditProfile,
    Customer,
    DocType,
    Ledger,
    OpenItem,
    Order,
    Payment,
    WriteOff,
)
from creditbridge.core.money import Money
from creditbridge.core.ports import Capability, ChangePage, Entity, ErpAuthError, ErpUnavailable
from creditbridge.sync.pull import PullConfigError, PullConflict, PullFailed, PullState, RetryPolicy, load_states, pull
from creditbridge.sync.store import Store, schema
from creditbridge.sync.store.pull_tables import credit_profiles

SOURCE = "erp"
TABLES = (*schema.REPLICA_TABLES, credit_profiles)


def company(n_customers: int = 8) -> Ledger:
    """A small company: customers with credit profiles, items, payments with applications, orders, write-offs."""
    customers, profiles, items, payments, orders, writeoffs = [], [], [], [], [], []
    for c in range(1, n_customers + 1):
        cid = f"C{c:03d}"
        cur = "EUR" if c % 3 == 0 else "USD"
        customers.append(
            Customer(cid, f"Customer {c} & Söhne", cur, payment_terms_days=30, bank_accounts=(f"DE{c:020d}",))
        )
        profiles.append(
            CreditProfile(cid, Money(Decimal(f"{c * 1000}.50"), cur), on_hold=c == 2, risk_class="ABC"[c % 3])
        )
        for i in range(1, 4):
            iid = f"INV-{c:03d}-{i}"
            amount = Money(Decimal(f"{c * 100 + i}.{i:02d}"), cur)
            items.append(OpenItem(iid, DocType.INVOICE, cid, date(2026, 1, i), date(2026, 2, i), amount, amount))
        pay = Money(Decimal(f"{c * 10}.01"), cur)
        payments.append(
            Payment(f"PAY-{c:03d}", cid, date(2026, 1, 20), pay, f"ref {c}", (
                Application(f"PAY-{c:03d}", f"INV-{c:03d}-1", Money(Decimal(f"{c * 5}.005"), cur), date(2026, 1, 20)),
                Application(f"PAY-{c:03d}", f"INV-{c:03d}-2", Money(Decimal(f"{c * 5}.005"), cur), date(2026, 1, 20)),
            ))
        )  # fmt: skip
        if c % 2:
            orders.append(Order(f"SO-{c:03d}", cid, date(2026, 1, 25), Money(Decimal("99.99"), cur)))
        if c % 4 == 0:
            writeoffs.append(WriteOff(f"INV-{c:03d}-3", date(2026, 1, 30), Money(Decimal("1.23"), cur), "small"))
    return Ledger(tuple(customers), tuple(profiles), tuple(items), tuple(payments), tuple(writeoffs), tuple(orders))


def normalized(ledger: Ledger) -> dict[str, Any]:
    """A ledger as comparable sets (application order and write-off numbering do not matter)."""
    return {
        "customers": set(ledger.customers),
        "profiles": set(ledger.profiles),
        "items": set(ledger.items),
        "payments": {
            (
                p.payment_id,
                p.customer_id,
                p.payment_date,
                p.amount,
                p.reference,
                frozenset(Counter(p.applications).items()),
            )
            for p in ledger.payments
        },
        "orders": set(ledger.orders),
        "writeoffs": Counter(ledger.writeoffs),
    }


def erp_ledger(erp: InMemoryErp) -> Ledger:
    def live(entity: Entity) -> tuple[Any, ...]:
        return tuple(erp.records(entity).values())

    return Ledger(
        live(Entity.CUSTOMERS), live(Entity.CREDIT_PROFILES), live(Entity.OPEN_ITEMS),
        live(Entity.PAYMENTS), live(Entity.WRITEOFFS), live(Entity.ORDERS),
    )  # fmt: skip


def assert_replica_matches(store: Store, erp: InMemoryErp, source: str = SOURCE) -> None:
    assert normalized(store.load_ledger(source)) == normalized(erp_ledger(erp))


def row_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (schema.imports, *TABLES)
        }


def versions_of(store: Store, table: sa.Table, **key: str) -> list[dict[str, Any]]:
    query = sa.select(table).where(table.c.source == SOURCE, *(table.c[k] == v for k, v in key.items()))
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query.order_by(table.c.row_id))]


def pull_states(store: Store) -> dict[Entity, PullState]:
    with store.engine.connect() as conn:
        return {s.entity: s for s in load_states(conn, SOURCE)}


class CountingReader:
    """The ERP behind a counter of read_changes calls; `before_call(n)` runs before the n-th call."""

    def __init__(self, erp: InMemoryErp, before_call: Any = None) -> None:
        self.erp = erp
        self.capabilities = erp.capabilities
        self.erp_name = erp.erp_name
        self.calls: list[tuple[Entity, datetime | None, str | None]] = []
        self.before_call = before_call

    def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
        self.calls.append((entity, since, page_token))
        if self.before_call is not None:
            self.before_call(len(self.calls))
        return self.erp.read_changes(entity, since, page_token)


class Waits:
    """An injected sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    def policy(self, attempts: int) -> RetryPolicy:
        return RetryPolicy(max_attempts=attempts, base_delay=1.0, max_delay=8.0, sleep=self, jitter=lambda: 1.0)


@pytest.fixture
def erp() -> InMemoryErp:
    return InMemoryErp.from_ledger(company(), page_size=7)


def test_first_pull_loads_every_record_once(store: Store, erp: InMemoryErp) -> None:
    summary = pull(store, SOURCE, erp)

    assert_replica_matches(store, erp)
    expected = {e: len(erp.records(e)) for e in Entity}
    for entity, n in expected.items():
        assert (summary[entity].records_seen, summary[entity].inserted, summary[entity].unchanged) == (n, n, 0)
    counts = row_counts(store)
    assert counts["customers"] == 8 and counts["credit_profiles"] == 8 and counts["open_items"] == 24
    assert counts["payments"] == 8 and counts["applications"] == 16 and counts["writeoffs"] == 2
    assert counts["orders"] == 4
    profile = next(p for p in store.load_ledger(SOURCE).profiles if p.customer_id == "C003")
    assert profile.credit_limit == Money(Decimal("3000.50"), "EUR") and profile.source_version == "1"
    application = store.load_ledger(SOURCE).payments[0].applications[0]
    assert application.amount.amount == Decimal("5.005")  # money exact: 4 decimal places kept
    states = pull_states(store)
    assert all(s.cursor is not None and not s.in_progress for s in states.values())


def test_incremental_pull_picks_up_exactly_the_changed_records_and_deletions(store: Store, erp: InMemoryErp) -> None:
    pull(store, SOURCE, erp)
    erp.edit_profile("C001", on_hold=True)  # moves every cursor past the seeded stamp
    pull(store, SOURCE, erp)
    before_edits = datetime.now(UTC)
    pulled_before = row_counts(store)

    erp.edit_profile("C003", credit_limit=Decimal("12345.67"))
    erp.edit_profile("C004", on_hold=True)
    item = erp.records(Entity.OPEN_ITEMS)["INV-005-1"]
    assert isinstance(item, OpenItem)
    erp.upsert(OpenItem(item.item_id, item.doc_type, item.customer_id, item.invoice_date, item.due_date,
                        item.amount, Money(Decimal("0.01"), item.amount.currency)))  # fmt: skip
    erp.delete(Entity.OPEN_ITEMS, "INV-006-2")
    payment = erp.records(Entity.PAYMENTS)["PAY-007"]
    assert isinstance(payment, Payment)
    erp.upsert(Payment(payment.payment_id, payment.customer_id, payment.payment_date, payment.amount,
                       payment.reference, payment.applications[:1]))  # fmt: skip
    erp.delete(Entity.PAYMENTS, "PAY-008")
    erp.upsert(Customer("C009", "A new customer", "USD"))
    erp.delete(Entity.WRITEOFFS, "INV-004-3#1")

    summary = pull(store, SOURCE, erp)

    assert_replica_matches(store, erp)
    got = {e.entity: (e.inserted, e.updated, e.deleted) for e in summary.entities}
    assert got == {
        Entity.CUSTOMERS: (1, 0, 0),
        Entity.CREDIT_PROFILES: (0, 2, 0),
        Entity.OPEN_ITEMS: (0, 1, 1),
        Entity.PAYMENTS: (0, 1, 1),
        Entity.ORDERS: (0, 0, 0),
        Entity.WRITEOFFS: (0, 0, 1),
    }
    # Each entity re-reads only what changed since its cursor (plus the records stamped at it).
    assert summary[Entity.CUSTOMERS].records_seen == 1
    assert summary[Entity.CREDIT_PROFILES].records_seen == 3  # C001 at the cursor, C003, C004
    assert summary[Entity.ORDERS].records_seen == 0
    # New versions only for what changed; the old ones stay as history.
    after = row_counts(store)
    assert after["credit_profiles"] - pulled_before["credit_profiles"] == 2
    assert after["open_items"] - pulled_before["open_items"] == 1
    assert after["applications"] == pulled_before["applications"]  # one of PAY-007's closed, none added
    versions = versions_of(store, credit_profiles, customer_id="C003")
    assert [v["credit_limit"] for v in versions] == [30_005_000, 123_456_700]
    assert versions[0]["valid_to"] == versions[1]["valid_from"] and versions[1]["valid_to"] is None
    gone = versions_of(store, schema.open_items, item_id="INV-006-2")
    assert len(gone) == 1 and gone[0]["valid_to"] is not None  # superseded, not erased
    assert {
        a["item_id"]: a["valid_to"] is None for a in versions_of(store, schema.applications, payment_id="PAY-007")
    } == {
        "INV-007-1": True,
        "INV-007-2": False,
    }
    then = store.load_ledger(SOURCE, known_at=before_edits)
    assert "INV-006-2" in {i.item_id for i in then.items}
    assert next(p for p in then.profiles if p.customer_id == "C003").credit_limit == Money(Decimal("3000.50"), "EUR")
    assert len(then.writeoffs) == 2 and "PAY-008" in {p.payment_id for p in then.payments}


def test_a_record_stamped_exactly_at_the_cursor_is_not_missed(store: Store) -> None:
    frozen = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    erp = InMemoryErp.from_ledger(company(2), page_size=7, clock=lambda: frozen)
    first = pull(store, SOURCE, erp, [Entity.CUSTOMERS])
    assert first[Entity.CUSTOMERS].cursor == frozen

    erp.upsert(Customer("LATE", "Committed late, stamped at the cursor", "USD"))  # same stamp as the cursor
    second = pull(store, SOURCE, erp, [Entity.CUSTOMERS])

    assert second[Entity.CUSTOMERS].inserted == 1 and second[Entity.CUSTOMERS].unchanged == 2
    assert "LATE" in {c.customer_id for c in store.load_ledger(SOURCE).customers}


def test_paging_with_page_size_7_fetches_each_page_once(store: Store, erp: InMemoryErp) -> None:
    reader = CountingReader(erp)
    summary = pull(store, SOURCE, reader)

    sizes = {e: len(erp.records(e)) for e in Entity}
    assert sum(sizes.values()) == 54
    for entity, n in sizes.items():
        assert summary[entity].pages == math.ceil(n / 7)
        tokens = [t for e, _, t in reader.calls if e is entity]
        assert len(tokens) == len(set(tokens)) == math.ceil(n / 7)
    assert_replica_matches(store, erp)


def test_rerun_with_no_changes_writes_nothing(store: Store, erp: InMemoryErp) -> None:
    pull(store, SOURCE, erp)
    before = row_counts(store)

    again = pull(store, SOURCE, erp)
    full_again = pull(store, SOURCE, erp, full=True)

    assert row_counts(store) == before
    assert again.rows_written == full_again.rows_written == 0
    assert again.records_seen == full_again.records_seen == 54  # all stamped at the cursor: read, deduplicated


def test_erp_unavailable_mid_sweep_fails_then_a_rerun_completes_without_gaps_or_duplicates(
    store: Store, erp: InMemoryErp
) -> None:
    def outage(call: int) -> None:
        if call == 6:  # open items, second page: the ERP goes down for 5 calls
            erp.fail_next("read_changes", Fault.UNAVAILABLE, times=5)

    waits = Waits()
    with pytest.raises(PullFailed) as failed:
        pull(store, SOURCE, CountingReader(erp, outage), retry=waits.policy(attempts=3))

    assert failed.value.retriable and failed.value.entity == "open_items"
    assert waits.waits == [1.0, 2.0]  # bounded: 3 attempts, exponential backoff
    assert failed.value.summary is not None and failed.value.summary[Entity.OPEN_ITEMS].pages == 1
    state = pull_states(store)[Entity.OPEN_ITEMS]
    assert state.cursor is None and state.in_progress and state.counts.pages == 1  # the cursor did not move

    rerun = CountingReader(erp)
    summary = pull(store, SOURCE, rerun, retry=waits.policy(attempts=5))

    assert summary[Entity.OPEN_ITEMS].resumed and summary[Entity.CUSTOMERS].rows_written == 0
    assert_replica_matches(store, erp)
    assert row_counts(store)["open_items"] == 24  # every item written once: no duplicate versions
    assert rerun.calls[0][0] is Entity.CUSTOMERS and rerun.calls[0][1] is not None  # done entities: from their cursor


def test_retry_after_from_the_erp_is_honoured(store: Store, erp: InMemoryErp) -> None:
    class Throttled(CountingReader):
        def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
            if len(self.calls) == 0:
                self.calls.append((entity, since, page_token))
                raise ErpUnavailable("429 Too Many Requests", retry_after=7.5)
            return super().read_changes(entity, since, page_token)

    waits = Waits()
    pull(store, SOURCE, Throttled(erp), [Entity.CUSTOMERS], retry=waits.policy(attempts=3))
    assert waits.waits == [7.5]


def test_an_erp_that_refuses_credentials_fails_at_once_without_retries(store: Store, erp: InMemoryErp) -> None:
    class Refusing(CountingReader):
        def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
            self.calls.append((entity, since, page_token))
            raise ErpAuthError("invalid_grant")

    reader, waits = Refusing(erp), Waits()
    with pytest.raises(PullFailed) as failed:
        pull(store, SOURCE, reader, retry=waits.policy(attempts=5))
    assert not failed.value.retriable and len(reader.calls) == 1 and waits.waits == []
    assert row_counts(store)["customers"] == 0


def test_a_full_pull_supersedes_records_a_reader_blind_to_deletions_no_longer_has(
    store: Store, erp: InMemoryErp
) -> None:
    class WithoutTombstones(CountingReader):
        def __init__(self, erp: InMemoryErp) -> None:
            super().__init__(erp)
            self.capabilities = erp.capabilities - {Capability.READ_DELETIONS}

        def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
            page = super().read_changes(entity, since, page_token)
            return ChangePage(
                page.entity, tuple(c for c in page.changes if not c.deleted), page.next_page_token, page.served_at
            )

    reader = WithoutTombstones(erp)
    pull(store, SOURCE, reader)
    erp.delete(Entity.CUSTOMERS, "C005")
    erp.delete(Entity.WRITEOFFS, "INV-008-3#1")
    erp.delete(Entity.PAYMENTS, "PAY-001")

    incremental = pull(store, SOURCE, reader)
    assert incremental.rows_written == 0  # it cannot know

    full = pull(store, SOURCE, reader, full=True)
    assert {e.entity: e.deleted for e in full.entities if e.deleted} == {
        Entity.CUSTOMERS: 1,
        Entity.PAYMENTS: 1,
        Entity.WRITEOFFS: 1,
    }
    assert full.rows_written == 3
    assert_replica_matches(store, erp)
    assert all(a["valid_to"] is not None for a in versions_of(store, schema.applications, payment_id="PAY-001"))
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM pull_seen")).scalar_one() == 0


def test_a_write_off_keeps_its_place_and_a_new_one_gets_the_next(store: Store, erp: InMemoryErp) -> None:
    pull(store, SOURCE, erp)
    erp.upsert(WriteOff("INV-004-3", date(2026, 1, 30), Money(Decimal("1.23"), "USD"), "new reason"))  # same write-off
    erp.upsert(WriteOff("INV-004-3", date(2026, 2, 28), Money(Decimal("2.00"), "USD")))  # a second one

    summary = pull(store, SOURCE, erp, [Entity.WRITEOFFS])

    assert (summary[Entity.WRITEOFFS].inserted, summary[Entity.WRITEOFFS].updated) == (1, 1)
    assert_replica_matches(store, erp)
    rows = versions_of(store, schema.writeoffs, item_id="INV-004-3")
    assert [(r["seq"], r["reason"], r["valid_to"] is None) for r in rows] == [
        (0, "small", False),
        (0, "new reason", True),
        (1, None, True),
    ]


def test_pull_reads_only_what_the_adapter_declares(store: Store, erp: InMemoryErp) -> None:
    erp.capabilities = frozenset({Capability.READ_CUSTOMERS, Capability.READ_OPEN_ITEMS})
    summary = pull(store, SOURCE, erp)
    assert [e.entity for e in summary.entities] == [Entity.CUSTOMERS, Entity.OPEN_ITEMS]
    with pytest.raises(PullConfigError, match="cannot read orders"):
        pull(store, SOURCE, erp, [Entity.ORDERS])


def test_a_cursor_in_the_future_reads_nothing_and_does_not_fail(store: Store, erp: InMemoryErp) -> None:
    pull(store, SOURCE, erp, [Entity.CUSTOMERS])
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE pull_state SET cursor = :c"), {"c": datetime(2100, 1, 1)})
    summary = pull(store, SOURCE, erp, [Entity.CUSTOMERS])
    assert summary[Entity.CUSTOMERS].records_seen == 0 and summary.rows_written == 0


def test_a_page_that_changes_rows_drops_the_column_snapshot(store: Store, erp: InMemoryErp) -> None:
    pull(store, SOURCE, erp)
    with store.engine.begin() as conn:  # as if a full import had left a snapshot of this source
        conn.execute(
            schema.column_snapshots.insert().values(
                source=SOURCE, part="items", chunk=0, import_id=1, format="x", n_rows=0, data=b""
            )
        )
    pull(store, SOURCE, erp)  # nothing changed: the snapshot stays
    assert row_counts_of_snapshots(store) == 1
    erp.delete(Entity.OPEN_ITEMS, "INV-001-1")
    pull(store, SOURCE, erp)
    assert row_counts_of_snapshots(store) == 0
    assert "INV-001-1" not in {i.item_id for i in store.load_ledger(SOURCE).items}


def row_counts_of_snapshots(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(schema.column_snapshots)).scalar_one())


def test_retry_policy_stops_when_the_time_budget_would_run_out() -> None:
    waits = Waits()
    policy = RetryPolicy(max_attempts=10, base_delay=1.0, max_delay=60.0, max_elapsed=5.0, sleep=waits,
                         clock=lambda: sum(waits.waits), jitter=lambda: 1.0)  # fmt: skip
    from creditbridge.sync.pull.retry import call_with_retries

    calls: Iterator[int] = iter(range(100))

    def down() -> None:
        next(calls)
        raise ErpUnavailable("503")

    with pytest.raises(ErpUnavailable):
        call_with_retries(down, policy)
    assert waits.waits == [1.0, 2.0]  # a third wait (4 s) would pass the 5 s budget
    assert timedelta(seconds=sum(waits.waits)) <= timedelta(seconds=5)


def test_an_erp_clock_without_time_zone_is_taken_as_utc(store: Store, erp: InMemoryErp) -> None:
    class NaiveClock(CountingReader):
        def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
            page = super().read_changes(entity, since, page_token)
            naive = page.served_at.astimezone(UTC).replace(tzinfo=None)
            return ChangePage(page.entity, page.changes, page.next_page_token, naive)

    summary = pull(store, SOURCE, NaiveClock(erp), [Entity.OPEN_ITEMS])
    assert summary[Entity.OPEN_ITEMS].pages == 4
    assert summary[Entity.OPEN_ITEMS].cursor == datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)


def test_a_second_pull_of_the_same_connection_meanwhile_stops_this_one(store: Store, erp: InMemoryErp) -> None:
    def other_pull_moves_the_state(call: int) -> None:
        if call == 2:
            with store.engine.begin() as conn:
                conn.execute(sa.text("UPDATE pull_state SET page_token = 'moved by another pull'"))

    with pytest.raises(PullConflict, match="another pull of this connection"):
        pull(store, SOURCE, CountingReader(erp, other_pull_moves_the_state), [Entity.OPEN_ITEMS])
    assert row_counts(store)["open_items"] == 7  # the first page only; the second was not written
