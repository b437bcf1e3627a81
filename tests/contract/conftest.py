"""The adapters under the contract suite, each as a `ContractSubject` made by a factory.

Why factories: the suite (test_erp_contract.py) is written once; an adapter joins it by adding
a factory to SUBJECT_FACTORIES that builds its simulator plus the hooks the suite needs to act
as a person in the ERP (seed it, edit a profile in the ERP's UI, delete a record) and to inject
faults. A hook an ERP cannot offer is None, and the tests that need it skip with the reason.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from creditbridge.adapters.files import read_ledger
from creditbridge.adapters.files.erp import LedgerFolderErp
from creditbridge.adapters.memory import UNSET, Fault, InMemoryErp
from creditbridge.core.model import CreditProfile, Ledger
from creditbridge.core.ports import Capability, Entity

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"
PAGE_SIZE = 2
"""Small, so the fixture's three customers take two pages."""

ALL_READS = frozenset(
    {
        Capability.READ_CUSTOMERS,
        Capability.READ_CREDIT_PROFILES,
        Capability.READ_OPEN_ITEMS,
        Capability.READ_PAYMENTS,
        Capability.READ_ORDERS,
        Capability.READ_WRITEOFFS,
    }
)


@dataclass
class ContractSubject:
    """An adapter under test and the hooks through which the suite plays a person in its ERP.

    human_edit_profile(customer_id, *, credit_limit=UNSET, on_hold=UNSET): an edit in the ERP's UI.
    human_edit_other_field(customer_id): changes a field other than limit and hold (the version moves).
    human_delete(entity, key): deletes a record in the ERP; None when deletions cannot be seen.
    arm_fault(operation, fault): makes the next call of an operation fail; None when not injectable.
    applied_writes(): idempotency keys of writes that changed the ERP, in order.
    """

    name: str
    adapter: Any
    page_size: int
    expected_capabilities: frozenset[Capability]
    seed: Callable[[Ledger], None]
    human_edit_profile: Callable[..., None]
    human_edit_other_field: Callable[[str], None] | None = None
    human_delete: Callable[[Entity, str], None] | None = None
    arm_fault: Callable[[str, Fault], None] | None = None
    applied_writes: Callable[[], list[str]] | None = None


def memory_subject(tmp_path: Path, *, persisted: bool) -> ContractSubject:
    erp = InMemoryErp(page_size=PAGE_SIZE, state_path=tmp_path / "erp-state.json" if persisted else None)

    def edit_other_field(customer_id: str) -> None:
        profile = erp.profile(customer_id)
        assert profile is not None
        erp.upsert(replace(profile, risk_class=(profile.risk_class or "") + "X"))

    return ContractSubject(
        name="memory-file" if persisted else "memory",
        adapter=erp,
        page_size=PAGE_SIZE,
        expected_capabilities=ALL_READS | {Capability.READ_DELETIONS, Capability.WRITE_CREDIT_PROFILE},
        seed=erp.seed,
        human_edit_profile=erp.edit_profile,
        human_edit_other_field=edit_other_field,
        human_delete=erp.delete,
        arm_fault=erp.fail_next,
        applied_writes=lambda: erp.applied_writes,
    )


def files_subject(tmp_path: Path) -> ContractSubject:
    """The ledger_kpi fixture copied into tmp_path, its files stamped an hour ago."""
    folder = tmp_path / "ledger"
    shutil.copytree(FIXTURE, folder)
    an_hour_ago = time.time_ns() - 3600 * 1_000_000_000
    for path in folder.iterdir():
        os.utime(path, ns=(an_hour_ago, an_hour_ago))
    erp = LedgerFolderErp(folder, page_size=PAGE_SIZE)
    customers = folder / "customers.csv"

    def seed(ledger: Ledger) -> None:
        if ledger != read_ledger(folder).to_ledger():
            raise NotImplementedError("the files subject holds tests/fixtures/ledger_kpi only")

    def edit(customer_id: str, column: str, value: str) -> None:
        """What a person does in Excel: change one cell of customers.csv and save."""
        rows = list(csv.DictReader(io.StringIO(customers.read_text(encoding="utf-8"))))
        assert any(row["customer_id"] == customer_id for row in rows), customer_id
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({**row, column: value} if row["customer_id"] == customer_id else row for row in rows)
        customers.write_text(out.getvalue(), encoding="utf-8")

    def edit_profile(customer_id: str, *, credit_limit: Any = UNSET, on_hold: Any = UNSET) -> None:
        if credit_limit is not UNSET:
            edit(customer_id, "credit_limit", "" if credit_limit is None else format(Decimal(credit_limit), "f"))
        if on_hold is not UNSET:
            edit(customer_id, "on_hold", "true" if on_hold else "false")

    def edit_other_field(customer_id: str) -> None:
        profile = erp.read_credit_profile(customer_id)
        assert isinstance(profile, CreditProfile)
        edit(customer_id, "risk_class", (profile.risk_class or "") + "X")

    return ContractSubject(
        name="files",
        adapter=erp,
        page_size=PAGE_SIZE,
        expected_capabilities=ALL_READS | {Capability.WRITE_CREDIT_PROFILE},
        seed=seed,
        human_edit_profile=edit_profile,
        human_edit_other_field=edit_other_field,
        applied_writes=lambda: erp.applied_writes,
    )


SUBJECT_FACTORIES: dict[str, Callable[[Path], ContractSubject]] = {
    "memory": lambda tmp_path: memory_subject(tmp_path, persisted=False),
    "memory-file": lambda tmp_path: memory_subject(tmp_path, persisted=True),
    "files": files_subject,
}
"""Every adapter's simulator; add yours here (name -> factory of a fresh, empty subject)."""


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    """The ledger every subject is seeded with: tests/fixtures/ledger_kpi as core records."""
    return read_ledger(FIXTURE).to_ledger()


@pytest.fixture(params=sorted(SUBJECT_FACTORIES))
def erp_under_test(request: pytest.FixtureRequest, tmp_path: Path, ledger: Ledger) -> Iterator[ContractSubject]:
    """A fresh subject of each adapter, seeded with `ledger`."""
    subject = SUBJECT_FACTORIES[request.param](tmp_path)
    subject.seed(ledger)
    yield subject
