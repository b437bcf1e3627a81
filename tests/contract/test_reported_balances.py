"""Adapters that report the ERP's own customer balances (`BalanceReader`) agree with their own documents.

Reconcile compares these balances with the replica's open items; an adapter whose balance
convention differs from what it declares (QuickBooks' Customer.Balance nets unapplied payments)
would make every customer with unapplied cash a false `balance_mismatch`. So: seed each adapter
with the KPI fixture, read its documents and its balances, and reconcile them — no balance
difference may come out. Adapters without balances are skipped.
"""

from __future__ import annotations

from creditbridge.core.model import Ledger
from creditbridge.core.ports import BalanceReader, Entity
from creditbridge.core.reconcile import ReconcileInput, reconcile


def everything(adapter: object, entity: Entity) -> list:
    records: list = []
    token = None
    while True:
        page = adapter.read_changes(entity, None, token)  # type: ignore[attr-defined]
        records += [c.record for c in page.changes if c.record is not None]
        token = page.next_page_token
        if token is None:
            return records


def test_reported_balances_agree_with_the_adapters_own_open_items(erp_under_test, tmp_path) -> None:
    adapter = erp_under_test.adapter
    if not isinstance(adapter, BalanceReader):
        import pytest

        pytest.skip(f"{erp_under_test.name} reports no customer balances")
    if erp_under_test.name == "files":
        folder = adapter.folder
        rows = {}
        for item in everything(adapter, Entity.OPEN_ITEMS):
            rows[item.customer_id] = rows.get(item.customer_id, 0) + item.open_amount.amount
        (folder / "erp_balances.csv").write_text(
            "customer_id,balance\n" + "".join(f"{c},{b}\n" for c, b in rows.items())
        )
    reported = adapter.read_customer_balances()
    assert reported is not None
    ledger = Ledger(
        customers=tuple(everything(adapter, Entity.CUSTOMERS)),
        items=tuple(everything(adapter, Entity.OPEN_ITEMS)),
        payments=tuple(everything(adapter, Entity.PAYMENTS)),
    )
    inputs = ReconcileInput(
        ledger,
        erp_balances={c: m.amount for c, m in reported.balances.items()},
        erp_balances_net_of_unapplied=reported.nets_unapplied_cash,
    )
    mismatches = [d for d in reconcile(inputs).differences if d.kind.value == "balance_mismatch"]
    assert mismatches == []
    assert any(m.amount for m in reported.balances.values())
