"""Store-mode reconciliation (`run_reconcile_job`) on SQLite and PostgreSQL.

A files connection over a copy of tests/fixtures/reconcile/consistent is pulled into the store;
the folder's erp_balances.csv is the ERP's own balance per customer (the files adapter reports it).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

from creditbridge.adapters.files.erp import LedgerFolderErp
from creditbridge.sync.config import Config, ConnectionConfig, ReconcileConfig
from creditbridge.sync.pull import pull
from creditbridge.sync.reconcile_job import run_reconcile_job
from creditbridge.sync.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "reconcile" / "consistent"


def pulled(store_url: str, tmp_path: Path, tolerance: str = "0") -> tuple[Config, Path]:
    folder = tmp_path / "erp"
    shutil.copytree(FIXTURE, folder)
    config = Config(
        store_url=store_url,
        connections=[ConnectionConfig(name="erp", erp="files", options={"folder": str(folder)})],
        reconcile=ReconcileConfig(tolerance=Decimal(tolerance)),
    )
    with Store.open(store_url) as store:
        pull(store, "erp", LedgerFolderErp(folder, name="erp"))
    return config, folder


def test_a_freshly_pulled_store_agrees_with_the_erps_balances_and_documents(store_url: str, tmp_path: Path) -> None:
    config, _folder = pulled(store_url, tmp_path)
    run = run_reconcile_job(config)
    assert run.result.differences == ()
    assert any("customer balances as the ERP reports them (2)" in note for note in run.result.notes)


def test_an_erp_balance_and_a_document_the_replica_lacks_are_found(store_url: str, tmp_path: Path) -> None:
    config, folder = pulled(store_url, tmp_path)
    with (folder / "invoices.csv").open("a") as handle:
        handle.write("INV-103,INV,ACME,2026-11-30,2026-12-30,EUR,42.00,42.00,,,\n")
    (folder / "erp_balances.csv").write_text("customer_id,balance\nACME,342.00\nBOLT,2400.00\n")
    run = run_reconcile_job(config, connection="erp")
    found = {(d.kind.value, d.customer_id, d.documents, d.amount) for d in run.result.differences}
    assert ("balance_mismatch", "ACME", ("INV-102",), Decimal("42.00")) in found
    late = [d for d in run.result.differences if d.documents == ("INV-103",)]
    assert [(d.kind.value, d.amount) for d in late] == [("timing", Decimal("42.00"))]
    assert "the next pull brings it in" in late[0].detail


def test_a_document_the_store_has_and_the_erp_no_longer_has_is_extra(store_url: str, tmp_path: Path) -> None:
    config, folder = pulled(store_url, tmp_path)
    with Store.open(store_url) as store:
        pull(store, "erp", LedgerFolderErp(folder, name="erp"))  # a second sweep: the cursor moves past the files
    lines = (folder / "invoices.csv").read_text().splitlines()
    (folder / "invoices.csv").write_text("\n".join(line for line in lines if not line.startswith("CM-201")) + "\n")
    os.utime(folder / "invoices.csv", (0, 0))  # stamped long before the last pull: not a timing difference
    run = run_reconcile_job(config)
    found = {(d.kind.value, d.customer_id, d.documents, d.amount) for d in run.result.differences}
    assert ("extra_document", "BOLT", ("CM-201",), Decimal("100.00")) in found


def test_the_gl_control_balance_the_erp_reports_is_checked_against_the_replicas_aging(
    store_url: str, tmp_path: Path
) -> None:
    config, folder = pulled(store_url, tmp_path)
    (folder / "gl_control.csv").write_text("account,balance\n1400,2650.00\n")
    found = [(d.kind.value, d.documents, d.amount) for d in run_reconcile_job(config).result.differences]
    assert found == [("gl_control_difference", ("1400",), Decimal("-50.00"))]


def test_the_configured_tolerance_keeps_small_differences_out(store_url: str, tmp_path: Path) -> None:
    config, folder = pulled(store_url, tmp_path, tolerance="0.05")
    (folder / "erp_balances.csv").write_text("customer_id,balance\nACME,300.03\nBOLT,2400.00\n")
    run = run_reconcile_job(config)
    assert run.result.differences == () and len(run.result.within_tolerance) == 1


def test_each_run_is_kept_in_the_store_newest_first(store_url: str, tmp_path: Path) -> None:
    from creditbridge.sync.reconcile_job import recent_runs

    config, folder = pulled(store_url, tmp_path)
    run_reconcile_job(config, as_of=date(2026, 11, 30))
    (folder / "erp_balances.csv").write_text("customer_id,balance\nACME,301.00\nBOLT,2400.00\n")
    run_reconcile_job(config)
    with Store.open(store_url) as store:
        runs = recent_runs(store, 5)
    assert [(r.ok, r.differences, r.connections) for r in runs] == [(False, 1, "erp"), (True, 0, "erp")]
    assert runs[1].as_of == date(2026, 11, 30) and runs[0].as_of is None
    kept = json.loads(runs[0].result)
    assert kept["differences"][0]["class"] == "balance_mismatch" and kept["summary"]["ok"] is False
