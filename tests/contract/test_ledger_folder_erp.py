"""What the ledger folder ERP promises beyond the contract: the files a person keeps stay theirs."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from creditbridge.adapters.files import read_ledger
from creditbridge.adapters.files.erp import LedgerFolderErp
from creditbridge.adapters.files.write_log import locked_write_log
from creditbridge.core.ports import Capability, Entity, ErpConfigError, ProfileValues, ProfileWrite, WriteOutcome

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "ledger"
    shutil.copytree(FIXTURE, target)
    return target


def raise_a(erp: LedgerFolderErp, key: str, limit: str = "6000") -> ProfileWrite:
    profile = erp.read_credit_profile("A")
    assert profile is not None and profile.credit_limit is not None
    return ProfileWrite(
        "A",
        profile.source_version,
        ProfileValues(profile.credit_limit.amount, profile.on_hold, "USD"),
        ProfileValues(Decimal(limit), profile.on_hold, "USD"),
        key,
    )


def test_a_write_rewrites_only_that_customers_row(folder):
    path = folder / "customers.csv"
    original = path.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + original)
    erp = LedgerFolderErp(folder)
    assert erp.write_credit_profile(raise_a(erp, "k1", "6000.5")).outcome is WriteOutcome.APPLIED

    before, after = original.split(b"\r\n"), path.read_bytes().removeprefix(b"\xef\xbb\xbf").split(b"\r\n")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [1]
    assert after[1] == b"A,Acme & Sons,,USD,30,6000.50,false,B,US-12-3456789,DE001;DE002"
    assert read_ledger(folder).to_ledger().profiles[0].credit_limit.amount == Decimal("6000.5")


def test_idempotency_keys_outlive_the_adapter(folder):
    write = raise_a(LedgerFolderErp(folder), "k1")
    first = LedgerFolderErp(folder).write_credit_profile(write)
    again = LedgerFolderErp(folder).write_credit_profile(write)
    assert first == again and first.outcome is WriteOutcome.APPLIED
    assert LedgerFolderErp(folder).applied_writes == ["k1"]
    assert (folder / ".creditbridge-writes.json").exists()


def test_a_resend_after_a_crash_between_rewrite_and_result_applies_once(folder):
    erp = LedgerFolderErp(folder)
    write = raise_a(erp, "k1")
    with locked_write_log(folder) as (log, save):  # the state a crash after the rewrite leaves
        log.pending["k1"] = write.wanted
        save()
    path = folder / "customers.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",5000.00,", ",6000,"), encoding="utf-8")

    result = erp.write_credit_profile(write)
    assert result.outcome is WriteOutcome.APPLIED
    assert erp.applied_writes == ["k1"]


def test_capabilities_follow_the_files_present(folder):
    (folder / "orders.csv").unlink()
    (folder / "writeoffs.csv").unlink()
    erp = LedgerFolderErp(folder)
    assert Capability.READ_ORDERS not in erp.capabilities
    assert Capability.READ_WRITEOFFS not in erp.capabilities
    assert {Capability.READ_CUSTOMERS, Capability.WRITE_CREDIT_PROFILE} <= erp.capabilities
    with pytest.raises(ErpConfigError):
        erp.read_changes(Entity.ORDERS, None)


def test_missing_limit_and_hold_columns_are_added(folder):
    path = folder / "customers.csv"
    path.write_text(
        "customer_id,name,currency\nA,Acme & Sons,USD\nB,Bäckerei Berg,EUR\nC,Cobalt Ltd,USD\n", encoding="utf-8"
    )
    (folder / "invoices.csv").write_text(
        (FIXTURE / "invoices.csv").read_text(encoding="utf-8").split("\n", 1)[0] + "\n", encoding="utf-8"
    )
    for name in ("payments.csv", "orders.csv", "writeoffs.csv"):
        (folder / name).write_text(
            (FIXTURE / name).read_text(encoding="utf-8").split("\n", 1)[0] + "\n", encoding="utf-8"
        )
    erp = LedgerFolderErp(folder)
    profile = erp.read_credit_profile("B")
    assert profile is not None and profile.credit_limit is None
    write = ProfileWrite(
        "B", profile.source_version, ProfileValues(None, False, "EUR"), ProfileValues(Decimal("10"), True, "EUR"), "k1"
    )
    assert erp.write_credit_profile(write).outcome is WriteOutcome.APPLIED
    assert path.read_text(encoding="utf-8").splitlines()[:3] == [
        "customer_id,name,currency,credit_limit,on_hold",
        "A,Acme & Sons,USD,,",
        "B,Bäckerei Berg,EUR,10.00,true",
    ]
    assert erp.read_credit_profile("A").credit_limit is None
