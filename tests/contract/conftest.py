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
from creditbridge.core.model import CreditProfile, DocType, Ledger, OrderStatus
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
    limit_decimals: int | None = None
    """Decimal places the ERP keeps for a credit limit (SAP: 2); None = any. A finer limit must be REJECTED."""


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


def quickbooks_subject(tmp_path: Path) -> ContractSubject:
    """QuickBooksErp over the QuickBooks simulator, in-process (a requests transport calling sim.handle).

    `seed` loads the ledger with `sim.seed_ledger` (its ids kept as QuickBooks Ids); the suite then
    compares against `quickbooks_ledger(ledger)`, what QuickBooks can hold of it (see there).
    """
    import requests
    from requests.adapters import BaseAdapter
    from requests.structures import CaseInsensitiveDict

    from creditbridge.adapters.quickbooks.client import QuickBooksClient
    from creditbridge.adapters.quickbooks.erp import QuickBooksErp
    from creditbridge.adapters.quickbooks.ratelimit import RateLimiter
    from creditbridge.adapters.quickbooks.reader import QuickBooksChangeReader
    from creditbridge.adapters.quickbooks.simulator import QuickBooksSimulator, SimulatorFault
    from creditbridge.adapters.quickbooks.tokens import TokenEndpoint, TokenManager

    sim = QuickBooksSimulator(seed=7, customers=3, rate_limits=False)

    class SimulatorTransport(BaseAdapter):
        def send(self, request: Any, **kwargs: Any) -> requests.Response:
            body = request.body.encode() if isinstance(request.body, str) else request.body
            try:
                status, headers, payload = sim.handle(request.method, request.url, dict(request.headers), body)
            except Exception as exc:
                if type(exc).__name__ == "LostResponse":
                    raise requests.ReadTimeout("the simulator lost the answer") from exc
                raise
            response = requests.Response()
            response.status_code, response._content = status, payload
            response.headers = CaseInsensitiveDict(headers)
            response.url, response.request = request.url, request
            return response

        def close(self) -> None:
            pass

    http = requests.Session()
    http.mount("http://", SimulatorTransport())
    base = "http://qbo.simulator"
    stored = [sim.refresh_token]
    endpoint = TokenEndpoint(f"{base}/oauth2/v1/tokens/bearer", sim.client_id, sim.client_secret, http=http)
    tokens = TokenManager(endpoint, lambda: stored[-1], stored.append)
    client = QuickBooksClient(
        sim.realm_id, tokens, base_url=base, limiter=RateLimiter(), max_attempts=1, sleep=lambda _: None, http=http
    )
    erp = QuickBooksErp(client, page_size=PAGE_SIZE, name="quickbooks")
    terms: dict[str, int] = {}  # SalesTermRef -> days, as configured for a company (filled by seed)
    erp.reader = QuickBooksChangeReader(client, erp.storage, page_size=PAGE_SIZE, terms=terms, clock=sim.now)
    faults = {
        Fault.UNAVAILABLE: SimulatorFault.SERVER_ERROR,
        Fault.TIMEOUT_BEFORE_APPLY: SimulatorFault.TIMEOUT_BEFORE_APPLY,
        Fault.TIMEOUT_AFTER_APPLY: SimulatorFault.TIMEOUT_AFTER_APPLY,
        Fault.REJECT: SimulatorFault.REJECT_NEXT_WRITE,
    }

    def seed(ledger: Ledger) -> None:
        sim.seed_ledger(ledger)
        terms.clear()
        terms.update({term_id: int(term["DueDays"]) for term_id, term in sim.entities("Term").items()})

    def edit_profile(customer_id: str, *, credit_limit: Any = UNSET, on_hold: Any = UNSET) -> None:
        from creditbridge.adapters.quickbooks.notes_tag import CreditTag, merge_tag, parse_tag

        notes = sim.entities("Customer")[customer_id].get("Notes")
        tag = parse_tag(notes) or CreditTag(None, None, False)
        if credit_limit is not UNSET:
            tag = replace(tag, credit_limit=None if credit_limit is None else Decimal(credit_limit), currency="USD")
        if on_hold is not UNSET:
            tag = replace(tag, on_hold=on_hold)
        sim.human_edit("Customer", customer_id, Notes=merge_tag(notes, tag))

    def arm_fault(operation: str, fault: Fault) -> None:
        if fault not in faults:
            pytest.skip(f"quickbooks: the simulator has no {fault} fault")
        sim.arm(faults[fault])

    def delete(entity: Entity, key: str) -> None:
        """A person deletes the record in the QuickBooks UI (customers become inactive there)."""
        if entity is Entity.OPEN_ITEMS:
            kind, txn_id = ("CreditMemo", key[len("CM-") :]) if key.startswith("CM-") else ("Invoice", key)
        else:
            kind = {Entity.ORDERS: "Estimate", Entity.PAYMENTS: "Payment", Entity.CUSTOMERS: "Customer"}[entity]
            txn_id = key
        sim.human_delete(kind, txn_id)

    return ContractSubject(
        name="quickbooks",
        adapter=erp,
        page_size=PAGE_SIZE,
        expected_capabilities=frozenset(
            {
                Capability.READ_CUSTOMERS,
                Capability.READ_CREDIT_PROFILES,
                Capability.READ_OPEN_ITEMS,
                Capability.READ_PAYMENTS,
                Capability.READ_ORDERS,
                Capability.READ_DELETIONS,
                Capability.WRITE_CREDIT_PROFILE,
                Capability.POST_CASH_APPLICATION,
            }
        ),
        seed=seed,
        human_edit_profile=edit_profile,
        human_edit_other_field=lambda customer_id: sim.human_edit("Customer", customer_id, CompanyName="Edited Co"),
        human_delete=delete,
        arm_fault=arm_fault,
        applied_writes=lambda: sim.applied_request_ids,
    )


def sap_settings() -> Any:
    """Two company codes (USD and EUR, as the fixture's customers), payment terms key NT30."""
    from creditbridge.adapters.sap.settings import CompanyCode, SapSettings

    return SapSettings(
        company_codes=(CompanyCode("1000", "USD", "1000", "1000"), CompanyCode("2000", "EUR", "2000", "2000")),
        payment_terms={"NT30": 30},
        writeoff_document_types=frozenset({"DW"}),
    )


def sap_rfc_subject(tmp_path: Path) -> ContractSubject:
    """EccErp over the fake ECC system (RFC protocol in-process); faults are RFC failures at the commit."""
    from creditbridge.adapters.sap.rfc.erp import EccErp
    from creditbridge.adapters.sap.rfc.simulator import FakeEcc, RfcFault
    from creditbridge.adapters.sap.rfc.simulator.system import UNSET as UNSET_SAP

    system = FakeEcc(sap_settings())
    erp = EccErp(system.connect, system.settings, name="sap-ecc", page_size=PAGE_SIZE, clock=system.now)

    def edit_profile(customer_id: str, *, credit_limit: Any = UNSET, on_hold: Any = UNSET) -> None:
        system.edit_credit(
            customer_id,
            credit_limit=UNSET_SAP if credit_limit is UNSET else credit_limit,
            on_hold=UNSET_SAP if on_hold is UNSET else on_hold,
        )

    def arm_fault(operation: str, fault: Fault) -> None:
        if fault is Fault.UNAVAILABLE:
            system.arm(RfcFault.COMMUNICATION_BEFORE)
        elif fault is Fault.TIMEOUT_BEFORE_APPLY:
            system.arm(RfcFault.COMMUNICATION_BEFORE, "BAPI_TRANSACTION_COMMIT")
        elif fault is Fault.TIMEOUT_AFTER_APPLY:
            system.arm(RfcFault.COMMUNICATION_AFTER, "BAPI_TRANSACTION_COMMIT")
        elif fault is Fault.REJECT:
            system.arm(RfcFault.RETURN_ERROR, system.settings.write_function)

    def edit_other_field(customer_id: str) -> None:
        row = system.knkk(customer_id)
        system.edit_credit(customer_id, risk_category=((row or {}).get("CTLPC") or "") + "X")

    return ContractSubject(
        name="sap-rfc",
        adapter=erp,
        page_size=PAGE_SIZE,
        expected_capabilities=frozenset(
            {
                Capability.READ_CUSTOMERS,
                Capability.READ_CREDIT_PROFILES,
                Capability.READ_OPEN_ITEMS,
                Capability.READ_PAYMENTS,
                Capability.READ_ORDERS,
                Capability.READ_WRITEOFFS,
                Capability.WRITE_CREDIT_PROFILE,
            }
        ),
        seed=system.seed_ledger,
        human_edit_profile=edit_profile,
        human_edit_other_field=edit_other_field,
        arm_fault=arm_fault,
        applied_writes=system.applied_references,
        limit_decimals=2,
    )


def sap_odata_subject(tmp_path: Path) -> ContractSubject:
    """S4Erp over the SAP Gateway simulator, in-process (a requests transport calling sim.handle)."""
    from creditbridge.adapters.sap.odata.client import ODataClient
    from creditbridge.adapters.sap.odata.erp import S4Erp
    from creditbridge.adapters.sap.odata.simulator import GatewayFault, S4Simulator
    from creditbridge.adapters.sap.odata.simulator.gateway import UNSET as UNSET_SAP
    from creditbridge.adapters.sap.odata.simulator.gateway import in_process_session

    sim = S4Simulator(sap_settings(), server_page=1)
    client = ODataClient("http://s4.simulator", user=sim.user, password=sim.password, sap_client=sim.client,
                         http=in_process_session(sim), window=2)  # fmt: skip
    erp = S4Erp(client, sim.settings, name="sap-s4", page_size=PAGE_SIZE)
    faults = {
        Fault.UNAVAILABLE: GatewayFault.SERVER_ERROR,
        Fault.TIMEOUT_BEFORE_APPLY: GatewayFault.LOST_BEFORE_APPLY,
        Fault.TIMEOUT_AFTER_APPLY: GatewayFault.LOST_AFTER_APPLY,
        Fault.REJECT: GatewayFault.REJECT_NEXT_WRITE,
    }

    def edit_profile(customer_id: str, *, credit_limit: Any = UNSET, on_hold: Any = UNSET) -> None:
        sim.edit_account(
            customer_id,
            credit_limit=UNSET_SAP if credit_limit is UNSET else credit_limit,
            on_hold=UNSET_SAP if on_hold is UNSET else on_hold,
        )

    return ContractSubject(
        name="sap-odata",
        adapter=erp,
        page_size=PAGE_SIZE,
        expected_capabilities=frozenset(
            {
                Capability.READ_CUSTOMERS,
                Capability.READ_CREDIT_PROFILES,
                Capability.READ_OPEN_ITEMS,
                Capability.READ_PAYMENTS,
                Capability.READ_ORDERS,
                Capability.READ_WRITEOFFS,
                Capability.WRITE_CREDIT_PROFILE,
            }
        ),
        seed=sim.seed_ledger,
        human_edit_profile=edit_profile,
        human_edit_other_field=lambda customer_id: sim.edit_account(customer_id, critical=True),
        arm_fault=lambda operation, fault: sim.arm(faults[fault]),
        limit_decimals=2,
    )


def oracle_subject(tmp_path: Path) -> ContractSubject:
    """OracleErp over the EBS simulator: the adapter's own SQL and PL/SQL blocks run against SQLite tables.

    `seed` writes the ledger into the EBS tables (simulator/seed.py); the suite then compares against
    `oracle_ledger(ledger)`, what EBS holds of it (see there).
    """
    from creditbridge.adapters.oracle.erp import OracleErp
    from creditbridge.adapters.oracle.options import OracleOptions, Responsibility
    from creditbridge.adapters.oracle.simulator import EbsSimulator, SimFault

    sim = EbsSimulator(org_id=204)
    options = OracleOptions(org_id=204, responsibility=Responsibility(1318, 50559), page_size=PAGE_SIZE, lock_retries=0)
    erp = OracleErp(sim, options, name="oracle")
    faults = {
        ("write_credit_profile", Fault.UNAVAILABLE): SimFault.CONNECTION_LOST_ON_PLSQL,
        ("read_changes", Fault.UNAVAILABLE): SimFault.CONNECTION_LOST_ON_QUERY,
        ("read_credit_profile", Fault.UNAVAILABLE): SimFault.CONNECTION_LOST_ON_QUERY,
        ("write_credit_profile", Fault.TIMEOUT_BEFORE_APPLY): SimFault.LOST_BEFORE_COMMIT,
        ("write_credit_profile", Fault.TIMEOUT_AFTER_APPLY): SimFault.LOST_AFTER_COMMIT,
        ("write_credit_profile", Fault.REJECT): SimFault.API_ERROR,
    }

    def arm_fault(operation: str, fault: Fault) -> None:
        if (operation, fault) not in faults:
            pytest.skip(f"oracle: the simulator has no {fault} fault for {operation}")
        sim.arm(faults[(operation, fault)])

    return ContractSubject(
        name="oracle",
        adapter=erp,
        page_size=PAGE_SIZE,
        expected_capabilities=ALL_READS - {Capability.READ_WRITEOFFS} | {Capability.WRITE_CREDIT_PROFILE},
        seed=sim.seed_ledger,
        human_edit_profile=sim.human_edit_profile,
        human_edit_other_field=sim.human_edit_other_field,
        arm_fault=arm_fault,
        applied_writes=sim.applied_keys,
    )


SUBJECT_FACTORIES: dict[str, Callable[[Path], ContractSubject]] = {
    "memory": lambda tmp_path: memory_subject(tmp_path, persisted=False),
    "memory-file": lambda tmp_path: memory_subject(tmp_path, persisted=True),
    "files": files_subject,
    "quickbooks": quickbooks_subject,
    "sap-rfc": sap_rfc_subject,
    "sap-odata": sap_odata_subject,
    "oracle": oracle_subject,
}
"""Every adapter's simulator; add yours here (name -> factory of a fresh, empty subject)."""


def quickbooks_ledger(ledger: Ledger) -> Ledger:
    """`ledger` as QuickBooks Online can hold it, which is what a read of the QuickBooks subject returns.

    QuickBooks has no home for: a customer's tax id (PrimaryTaxIdentifier is masked on read) and bank
    accounts; a risk class (the credit tag holds limit and hold only); an invoice's own cash discount
    (QuickBooks keeps it on the Term); write-offs (no such record: the open amounts they left stay).
    Debit memos are Invoices there, and credit memos are keyed "CM-<Id>" (Invoice and CreditMemo
    Ids are numbered apart, translate.item_key).
    """

    def item_key(item_id: str) -> str:
        return f"CM-{item_id}" if item_id in credit_memos else item_id

    credit_memos = {i.item_id for i in ledger.items if i.doc_type is DocType.CREDIT_MEMO}
    return replace(
        ledger,
        customers=tuple(replace(c, tax_id=None, bank_accounts=()) for c in ledger.customers),
        profiles=tuple(replace(p, risk_class=None, score=None, review_date=None) for p in ledger.profiles),
        items=tuple(
            replace(
                i,
                item_id=item_key(i.item_id),
                doc_type=DocType.CREDIT_MEMO if i.item_id in credit_memos else DocType.INVOICE,
                discount_percent=None,
                discount_days=None,
            )
            for i in ledger.items
        ),
        payments=tuple(
            replace(p, applications=tuple(replace(a, item_id=item_key(a.item_id)) for a in p.applications))
            for p in ledger.payments
        ),
        writeoffs=(),
    )


def sap_ledger(ledger: Ledger) -> Ledger:
    """`ledger` as SAP holds it: items and payments are FI documents keyed company code/number/fiscal year.

    Each customer is in the company code of its currency (sap_settings: USD 1000, EUR 2000); write-offs
    are documents of type DW that clear (or partly settle) the item.
    """
    company = {c.customer_id: ("1000" if c.currency == "USD" else "2000") for c in ledger.customers}
    items = {i.item_id: f"{company[i.customer_id]}/{i.item_id}/{i.invoice_date.year}" for i in ledger.items}
    return replace(
        ledger,
        items=tuple(replace(i, item_id=items[i.item_id]) for i in ledger.items),
        payments=tuple(
            replace(
                p,
                payment_id=(pid := f"{company[p.customer_id]}/{p.payment_id}/{p.payment_date.year}"),
                applications=tuple(replace(a, payment_id=pid, item_id=items[a.item_id]) for a in p.applications),
            )
            for p in ledger.payments
        ),
        writeoffs=tuple(replace(w, item_id=items[w.item_id]) for w in ledger.writeoffs),
    )


def sap_s4_ledger(ledger: Ledger) -> Ledger:
    """`sap_ledger` as the S/4HANA APIs read give it: A_Customer has no group, tax number or bank accounts here."""
    held = sap_ledger(ledger)
    return replace(
        held, customers=tuple(replace(c, parent_id=None, tax_id=None, bank_accounts=()) for c in held.customers)
    )


def oracle_ledger(ledger: Ledger) -> Ledger:
    """`ledger` as EBS holds it (simulator/seed.py), which is what a read of the Oracle subject returns.

    EBS keeps a customer's bank accounts in Payments (IBY), which the adapter does not read, and no
    score; an invoice's cash discount lives on its payment terms (RA_TERMS_LINES_DISCOUNTS), not on
    the invoice; write-offs are AR adjustments, not read (the open amounts they left stay); a
    cancelled order's lines are cancelled with quantity 0, so it totals 0.
    """
    return replace(
        ledger,
        customers=tuple(replace(c, bank_accounts=()) for c in ledger.customers),
        profiles=tuple(replace(p, score=None) for p in ledger.profiles),
        items=tuple(replace(i, discount_percent=None, discount_days=None) for i in ledger.items),
        orders=tuple(
            replace(o, amount=replace(o.amount, amount=Decimal(0))) if o.status is OrderStatus.CANCELLED else o
            for o in ledger.orders
        ),
        writeoffs=(),
    )


PROJECTIONS: dict[str, Callable[[Ledger], Ledger]] = {
    "quickbooks": quickbooks_ledger,
    "sap-rfc": sap_ledger,
    "sap-odata": sap_s4_ledger,
    "oracle": oracle_ledger,
}
"""What each ERP can hold of a ledger (subjects not listed hold it whole)."""


@pytest.fixture(scope="session")
def kpi_ledger() -> Ledger:
    """tests/fixtures/ledger_kpi as core records: what every subject is seeded with."""
    return read_ledger(FIXTURE).to_ledger()


@pytest.fixture
def ledger(request: pytest.FixtureRequest, kpi_ledger: Ledger) -> Ledger:
    """The ledger the subject under test holds once seeded with `kpi_ledger` (its projection, PROJECTIONS)."""
    callspec = getattr(request.node, "callspec", None)
    subject = callspec.params.get("erp_under_test") if callspec is not None else None
    return PROJECTIONS.get(subject, lambda ledger: ledger)(kpi_ledger)


@pytest.fixture(params=sorted(SUBJECT_FACTORIES))
def erp_under_test(request: pytest.FixtureRequest, tmp_path: Path, kpi_ledger: Ledger) -> Iterator[ContractSubject]:
    """A fresh subject of each adapter, seeded with `kpi_ledger`."""
    subject = SUBJECT_FACTORIES[request.param](tmp_path)
    subject.seed(kpi_ledger)
    yield subject
