"""The store as its users meet it: open, import a ledger again and again, read it back as of then.

Every test runs on SQLite and on PostgreSQL (see conftest.py). Inputs are built directly with
polars in the shape of `creditbridge.adapters.files.LedgerTables` (attribute names only).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from creditbridge.core.columns import LedgerColumns
from creditbridge.core.model import DocType, OrderStatus
from creditbridge.core.money import Money
from creditbridge.sync.store import (
    ImportRejected,
    MigrationError,
    Store,
    StoreError,
    StoreUnavailable,
    migrate,
    schema,
)
from creditbridge.sync.store.engine import create_store_engine


@dataclass(frozen=True, eq=False)
class Frames:
    """Shaped like creditbridge.adapters.files.LedgerTables."""

    customers: pl.DataFrame
    invoices: pl.DataFrame
    payments: pl.DataFrame
    applications: pl.DataFrame
    orders: pl.DataFrame
    writeoffs: pl.DataFrame
    source: str = "files"
    warnings: tuple[str, ...] = ()


def units(amount: str) -> int:
    return int(Decimal(amount) * 10_000)


def small_ledger() -> Frames:
    """Two customers, an invoice, a debit and a credit memo, two payments, an order, a write-off."""
    d = date
    return Frames(
        customers=pl.DataFrame(
            {
                "customer_id": ["C1", "C2"],
                "name": ["Acme GmbH", "Beta Ltd"],
                "parent_id": [None, "C1"],
                "currency": ["EUR", "EUR"],
                "payment_terms_days": [30, None],
                "credit_limit": [units("50000"), None],
                "on_hold": [False, True],
                "risk_class": ["A", None],
                "tax_id": ["DE123", None],
                "bank_accounts": ["DE89370400440532013000;DE02120300000000202051", None],
            },
            schema_overrides={"payment_terms_days": pl.Int32, "credit_limit": pl.Int64, "parent_id": pl.Utf8},
        ),
        invoices=pl.DataFrame(
            {
                "invoice_number": ["INV-1", "DM-1", "CM-1"],
                "doc_type": ["INV", "DM", "CM"],
                "customer_id": ["C1", "C1", "C2"],
                "invoice_date": [d(2025, 1, 10), d(2025, 2, 1), d(2025, 2, 5)],
                "due_date": [d(2025, 2, 9), d(2025, 3, 3), d(2025, 3, 7)],
                "currency": ["EUR", "EUR", "EUR"],
                "amount": [units("1190.00"), units("35.50"), units("-100.00")],
                "open_amount": [units("190.00"), units("35.50"), units("-100.00")],
                "po_number": ["PO-7", None, None],
                "discount_percent": [units("2"), None, None],
                "discount_days": [10, None, None],
            },
            schema_overrides={"discount_percent": pl.Int64, "discount_days": pl.Int32, "po_number": pl.Utf8},
        ),
        payments=pl.DataFrame(
            {
                "payment_id": ["P-1", "P-2"],
                "customer_id": ["C1", "C1"],
                "payment_date": [d(2025, 2, 1), d(2025, 2, 20)],
                "currency": ["EUR", "EUR"],
                "amount": [units("600.00"), units("400.00")],
                "reference": ["INV-1", None],
            }
        ),
        applications=pl.DataFrame(
            {
                "payment_id": ["P-1", "P-2", "P-2"],
                "invoice_number": ["INV-1", "INV-1", "INV-1"],
                "amount": [units("600.00"), units("200.00"), units("200.00")],
                "applied_on": [d(2025, 2, 1), d(2025, 2, 20), d(2025, 2, 20)],
            }
        ),
        orders=pl.DataFrame(
            {
                "order_number": ["SO-1"],
                "customer_id": ["C2"],
                "order_date": [d(2025, 3, 1)],
                "currency": ["EUR"],
                "amount": [units("2500.00")],
                "status": ["open"],
            }
        ),
        writeoffs=pl.DataFrame(
            {"invoice_number": ["DM-1"], "date": [d(2025, 4, 30)], "amount": [units("35.50")], "reason": ["bankrupt"]}
        ),
    )


def version_rows(store: Store, table: sa.Table, **where: object) -> list[dict[str, object]]:
    """Every version row of `table` (matching `where`), oldest first."""
    query = sa.select(table).order_by(table.c.row_id)
    for name, value in where.items():
        query = query.where(table.c[name] == value)
    with store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def row_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (schema.imports, *schema.REPLICA_TABLES)
        }


def test_opening_a_new_store_creates_the_schema(store_url: str) -> None:
    with Store.open(store_url) as store:
        assert migrate.current_revision(store.engine) == migrate.head_revision()
        assert store.latest_import() is None
        assert store.load_columns().n_items == 0
        if store.dialect == "sqlite":
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with Store.open(store_url) as again:  # opening a migrated store is a no-op
        assert migrate.current_revision(again.engine) == migrate.head_revision()


def test_alembic_upgrade_head_then_downgrade_base_works(store_url: str) -> None:
    engine = create_store_engine(store_url)
    try:
        migrate.upgrade(engine)
        assert {"imports", "customers", "open_items", "applications"} <= set(sa.inspect(engine).get_table_names())
        migrate.downgrade(engine, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_schema_module_describes_what_the_migrations_create(store: Store) -> None:
    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    assert differences == []


def test_reimporting_the_same_folder_changes_nothing(store: Store) -> None:
    ledger = small_ledger()
    first = store.import_ledger(ledger)
    assert first["invoices"].inserted == 3 and first["applications"].inserted == 3
    before = row_counts(store)

    again = store.import_ledger(ledger)

    assert again.inserted == 0 and again.superseded == 0
    assert again["invoices"].unchanged == 3 and again["applications"].unchanged == 3
    after = row_counts(store)
    assert after["imports"] == before["imports"] + 1  # the run is logged ...
    assert {k: v for k, v in after.items() if k != "imports"} == {k: v for k, v in before.items() if k != "imports"}
    assert store.load_ledger() == Store.load_ledger(store, known_at=datetime.now(UTC))


def test_reordered_rows_of_an_export_change_nothing(store: Store) -> None:
    ledger = small_ledger()
    store.import_ledger(ledger)
    shuffled = Frames(
        **{
            name: getattr(ledger, name).reverse()
            for name in ("customers", "invoices", "payments", "applications", "orders", "writeoffs")
        }
    )
    summary = store.import_ledger(shuffled)
    assert summary.inserted == 0 and summary.superseded == 0


def test_changed_credit_limit_keeps_the_old_version_in_history(store: Store) -> None:
    ledger = small_ledger()
    first = store.import_ledger(ledger)
    raised = ledger.customers.with_columns(
        pl.when(pl.col("customer_id") == "C1")
        .then(units("75000"))
        .otherwise(pl.col("credit_limit"))
        .alias("credit_limit")
    )

    second = store.import_ledger(dataclasses.replace(ledger, customers=raised))

    assert second["customers"].updated == 1 and second["customers"].unchanged == 1
    versions = version_rows(store, schema.customers, customer_id="C1")
    assert [(v["credit_limit"], v["valid_from"], v["valid_to"]) for v in versions] == [
        (units("50000"), first.import_id, second.import_id),
        (units("75000"), second.import_id, None),
    ]
    profile = next(p for p in store.load_ledger().profiles if p.customer_id == "C1")
    assert profile.credit_limit == Money.of("75000", "EUR")


def test_failed_import_leaves_store_untouched(store: Store) -> None:
    ledger = small_ledger()
    store.import_ledger(ledger)
    before_counts, before_ledger, before_import = row_counts(store), store.load_ledger(), store.latest_import()
    changed = dataclasses.replace(
        ledger,
        customers=ledger.customers.with_columns(pl.lit(units("1")).alias("credit_limit")),
        invoices=ledger.invoices.with_columns((pl.col("open_amount") - 1).alias("open_amount")),
    )
    seen: list[str] = []

    def interrupt_at_applications(stage: str, done: int, total: int) -> None:
        seen.append(stage)
        if stage == "applications":  # customers, invoices and payments are written by now
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.import_ledger(changed, progress=interrupt_at_applications)

    assert {"customers", "invoices", "payments"} <= set(seen)
    assert row_counts(store) == before_counts
    assert store.load_ledger() == before_ledger
    assert store.latest_import() == before_import


def test_inconsistent_input_is_rejected_before_anything_is_written(store: Store) -> None:
    ledger = small_ledger()
    store.import_ledger(ledger)
    before = row_counts(store)
    duplicated = dataclasses.replace(ledger, invoices=pl.concat([ledger.invoices, ledger.invoices.head(1)]))
    orphan = dataclasses.replace(
        ledger,
        applications=pl.concat(
            [
                ledger.applications,
                ledger.applications.head(1).with_columns(
                    pl.lit("P-404").alias("payment_id"), pl.lit("INV-404").alias("invoice_number")
                ),
            ]
        ),
    )
    no_amounts = dataclasses.replace(ledger, payments=ledger.payments.drop("amount"))

    with pytest.raises(ImportRejected, match="invoice_number='INV-1'"):
        store.import_ledger(duplicated)
    with pytest.raises(ImportRejected, match="P-404"):
        store.import_ledger(orphan)
    with pytest.raises(ImportRejected, match=r"missing column.*amount"):
        store.import_ledger(no_amounts)
    assert row_counts(store) == before


def test_invoice_missing_from_reimport_is_superseded_not_erased(store: Store) -> None:
    ledger = small_ledger()
    first = store.import_ledger(ledger)
    without_cm = dataclasses.replace(ledger, invoices=ledger.invoices.filter(pl.col("invoice_number") != "CM-1"))

    second = store.import_ledger(without_cm)

    assert second["invoices"].deleted == 1 and second["invoices"].unchanged == 2
    assert "CM-1" not in store.load_columns().item_ids
    history = version_rows(store, schema.open_items, item_id="CM-1")
    assert [(h["valid_from"], h["valid_to"]) for h in history] == [(first.import_id, second.import_id)]
    assert "CM-1" in store.load_columns(known_at=store.imports()[1].finished_at).item_ids

    back = store.import_ledger(ledger)  # it reappears: a new version, the old one stays closed
    assert back["invoices"].inserted == 1
    assert len(version_rows(store, schema.open_items, item_id="CM-1")) == 2


def test_incremental_import_leaves_records_it_does_not_mention(store: Store) -> None:
    ledger = small_ledger()
    store.import_ledger(ledger)
    only_c2 = dataclasses.replace(
        ledger,
        customers=ledger.customers.filter(pl.col("customer_id") == "C2").with_columns(pl.lit(False).alias("on_hold")),
        invoices=ledger.invoices.filter(pl.col("invoice_number") == "CM-1").with_columns(pl.lit(-1).alias("amount")),
        payments=ledger.payments.head(0),
        applications=ledger.applications.head(0),
        orders=ledger.orders.head(0),
        writeoffs=ledger.writeoffs.head(0),
    )
    summary = store.import_ledger(only_c2, full=False)
    assert summary.deleted == 0 and summary["customers"].updated == 1 and summary["invoices"].updated == 1
    assert [p.on_hold for p in store.load_ledger().profiles] == [False, False]
    columns = store.load_columns()
    assert sorted(zip(columns.item_ids, columns.item_amount.tolist(), strict=True)) == [
        ("CM-1", -1),
        ("DM-1", units("35.50")),
        ("INV-1", units("1190.00")),
    ]


def canonical(columns: LedgerColumns) -> dict[str, list[object]]:
    """The columns as plain lists in item-id order (settlements in a sorted order), to compare loads."""
    order = np.argsort(np.asarray(columns.item_ids, dtype=object))
    settlements = sorted(
        zip(
            [columns.item_ids[i] for i in columns.settle_item],
            columns.settle_date.tolist(),
            columns.settle_amount.tolist(),
            columns.settle_is_writeoff.tolist(),
            strict=True,
        )
    )
    return {
        "customers": list(zip(columns.customer_ids, columns.customer_names, strict=True)),
        "items": [
            (
                columns.item_ids[i],
                columns.customer_ids[columns.item_customer[i]],
                int(columns.item_type[i]),
                columns.item_date[i].item(),
                columns.item_due[i].item(),
                columns.currencies[columns.item_currency[i]],
                int(columns.item_amount[i]),
                int(columns.item_open[i]),
            )
            for i in order
        ],
        "settlements": list(settlements),
    }


def test_column_snapshot_loads_exactly_what_the_versioned_rows_hold(store: Store) -> None:
    ledger = small_ledger()
    store.import_ledger(ledger)
    store.import_ledger(
        dataclasses.replace(
            ledger, invoices=ledger.invoices.with_columns((pl.col("open_amount") - 7).alias("open_amount"))
        )
    )
    from_snapshot = store.load_columns()
    with store.engine.begin() as conn:
        assert conn.execute(sa.delete(schema.column_snapshots)).rowcount > 0
    from_rows = store.load_columns()

    assert canonical(from_snapshot) == canonical(from_rows)
    assert ("INV-1", units("190.00") - 7) in [(i[0], i[7]) for i in canonical(from_rows)["items"]]


def test_load_columns_round_trips_amounts_exactly(store: Store) -> None:
    ledger = small_ledger()
    extreme = [2**53 + 1, -(2**53 + 1), 9_000_000_000_000_000_001]  # beyond float precision
    invoices = ledger.invoices.with_columns(
        pl.Series("amount", extreme, dtype=pl.Int64), pl.Series("open_amount", [1, -1, 2**62 + 3], dtype=pl.Int64)
    )
    applications = ledger.applications.with_columns(pl.Series("amount", [2**53 + 7, 3, -(2**61)], dtype=pl.Int64))
    store.import_ledger(dataclasses.replace(ledger, invoices=invoices, applications=applications))

    columns = store.load_columns()

    order = [columns.item_ids.index(i) for i in ("INV-1", "DM-1", "CM-1")]
    assert columns.item_amount.dtype == np.int64
    assert columns.item_amount[order].tolist() == extreme
    assert columns.item_open[order].tolist() == [1, -1, 2**62 + 3]
    applied = columns.settle_amount[~columns.settle_is_writeoff]
    assert sorted(applied.tolist()) == sorted([2**53 + 7, 3, -(2**61)])
    assert columns.settle_amount[columns.settle_is_writeoff].tolist() == [units("35.50")]
    assert columns.item_date[order].tolist() == [date(2025, 1, 10), date(2025, 2, 1), date(2025, 2, 5)]
    assert [columns.customer_ids[c] for c in columns.item_customer[order]] == ["C1", "C1", "C2"]
    assert [columns.currencies[c] for c in columns.item_currency] == ["EUR"] * 3
    assert columns.item_type[order].tolist() == [0, 1, 2]
    item = next(i for i in store.load_ledger().items if i.item_id == "DM-1")
    assert item.amount == Money(Decimal("-900719925474.0993"), "EUR")


def test_open_amount_at_a_past_date_follows_from_dated_settlements(store: Store) -> None:
    store.import_ledger(small_ledger())
    columns = store.load_columns()
    inv = columns.item_ids.index("INV-1")

    def open_at(day: date) -> int:
        settled = (columns.settle_item == inv) & (columns.settle_date <= np.datetime64(day, "D"))
        return int(columns.item_amount[inv] - columns.settle_amount[settled].sum())

    assert open_at(date(2025, 1, 31)) == units("1190.00")
    assert open_at(date(2025, 2, 1)) == units("590.00")
    assert open_at(date(2025, 2, 20)) == units("190.00") == columns.item_open[inv]


def test_known_at_returns_the_version_valid_then(store: Store) -> None:
    ledger = small_ledger()
    store.import_ledger(ledger)
    first = store.latest_import()
    assert first is not None
    bigger = ledger.invoices.with_columns(
        pl.when(pl.col("invoice_number") == "INV-1").then(units("2000")).otherwise(pl.col("amount")).alias("amount")
    )
    store.import_ledger(dataclasses.replace(ledger, invoices=bigger))
    second = store.latest_import()
    assert second is not None and second.id > first.id

    def inv_amount(known_at: datetime | None) -> int:
        columns = store.load_columns(known_at=known_at)
        return int(columns.item_amount[columns.item_ids.index("INV-1")])

    assert inv_amount(first.finished_at) == units("1190.00")
    assert inv_amount(second.finished_at - timedelta(microseconds=1)) == units("1190.00")
    assert inv_amount(second.finished_at) == units("2000")
    assert inv_amount(None) == units("2000")
    assert store.load_columns(known_at=first.finished_at - timedelta(seconds=1)).n_items == 0
    old = store.load_ledger(known_at=first.finished_at)
    assert next(i for i in old.items if i.item_id == "INV-1").amount == Money.of("1190.00", "EUR")


def test_load_ledger_returns_core_records(store: Store) -> None:
    store.import_ledger(small_ledger())
    ledger = store.load_ledger()

    acme = ledger.customers[0]
    assert (acme.customer_id, acme.name, acme.payment_terms_days, acme.tax_id) == ("C1", "Acme GmbH", 30, "DE123")
    assert acme.bank_accounts == ("DE89370400440532013000", "DE02120300000000202051")
    assert ledger.customers[1].parent_id == "C1"
    assert [(p.customer_id, p.on_hold, p.risk_class) for p in ledger.profiles] == [
        ("C1", False, "A"),
        ("C2", True, None),
    ]
    items = {i.item_id: i for i in ledger.items}
    assert items["CM-1"].doc_type is DocType.CREDIT_MEMO and items["CM-1"].amount == Money.of("-100.00", "EUR")
    assert items["INV-1"].discount_percent == Decimal(2) and items["INV-1"].po_number == "PO-7"
    p2 = next(p for p in ledger.payments if p.payment_id == "P-2")
    assert [a.amount for a in p2.applications] == [Money.of("200", "EUR")] * 2
    assert p2.unapplied == Money.of("0", "EUR")
    assert ledger.writeoffs[0].reason == "bankrupt" and ledger.writeoffs[0].amount == Money.of("35.50", "EUR")
    assert ledger.orders[0].status is OrderStatus.OPEN


def test_two_sources_are_kept_apart(store: Store) -> None:
    ledger = small_ledger()
    store.import_ledger(ledger, source="sap")
    renamed = dataclasses.replace(
        ledger,
        customers=ledger.customers.with_columns(
            ("Q" + pl.col("customer_id")).alias("customer_id"), ("Q" + pl.col("parent_id")).alias("parent_id")
        ),
        invoices=ledger.invoices.with_columns(
            ("Q" + pl.col("invoice_number")).alias("invoice_number"), ("Q" + pl.col("customer_id")).alias("customer_id")
        ),
        payments=ledger.payments.with_columns(("Q" + pl.col("customer_id")).alias("customer_id")),
        applications=ledger.applications.with_columns(("Q" + pl.col("invoice_number")).alias("invoice_number")),
        orders=ledger.orders.with_columns(("Q" + pl.col("customer_id")).alias("customer_id")),
        writeoffs=ledger.writeoffs.with_columns(("Q" + pl.col("invoice_number")).alias("invoice_number")),
    )
    store.import_ledger(renamed, source="quickbooks")

    assert store.load_columns(source="sap").n_items == 3
    assert store.load_columns().n_items == 6
    store.import_ledger(ledger, source="quickbooks")  # now the same ids in both sources
    with pytest.raises(StoreError, match="more than one source"):
        store.load_columns()
    assert store.latest_import(source="sap") is not None


def test_a_polars_upgrade_rehashes_instead_of_superseding(store: Store) -> None:
    ledger = small_ledger()
    store.import_ledger(ledger)
    with store.engine.begin() as conn:  # as if written by another polars version
        conn.execute(sa.update(schema.imports).values(hash_scheme="polars-0.0/v1"))
        for table in schema.REPLICA_TABLES:
            conn.execute(sa.update(table).values(content_hash=table.c.content_hash + 1))

    summary = store.import_ledger(ledger)
    assert summary.inserted == 0 and summary.superseded == 0
    assert store.import_ledger(ledger).superseded == 0


def test_unreachable_database_raises_store_unavailable_without_the_password() -> None:
    with pytest.raises(StoreUnavailable) as caught:
        Store.open("postgresql://someone:s3cret@127.0.0.1:1/nowhere")
    assert "s3cret" not in str(caught.value) and "127.0.0.1:1" in str(caught.value)


def test_a_sqlite_file_that_cannot_be_created_raises_store_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreUnavailable, match="a-file"):
        Store.open(f"sqlite:///{blocker / 'sub' / 'creditbridge.db'}")


def test_store_from_a_newer_creditbridge_raises_migration_error(store_url: str) -> None:
    Store.open(store_url).close()
    engine = create_store_engine(store_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    with pytest.raises(MigrationError, match="9999_from_the_future"):
        Store.open(store_url)


def test_awkward_text_round_trips(store: Store) -> None:
    ledger = small_ledger()
    awkward = ['Acme, "Global"\nDivision', "\\N\x1f"]
    store.import_ledger(
        dataclasses.replace(
            ledger,
            customers=ledger.customers.with_columns(
                pl.Series("name", awkward), pl.Series("risk_class", ["", "\\N"]), pl.Series("tax_id", ["\x1f", None])
            ),
        )
    )
    customers = store.load_ledger().customers
    assert [c.name for c in customers] == awkward
    assert [p.risk_class for p in store.load_ledger().profiles] == ["", "\\N"]
    assert [c.tax_id for c in customers] == ["\x1f", None]
    assert store.load_columns().customer_names == tuple(awkward)
    with store.engine.begin() as conn:
        conn.execute(sa.delete(schema.column_snapshots))
    assert store.load_columns().customer_names == tuple(awkward)
    assert store.import_ledger(ledger).superseded == 2
