"""`creditbridge demo --erp sap`: the sync cycle against simulated SAP systems, ECC and S/4HANA.

A sample company (sync/sample_company.py) is loaded into both SAP simulators: a fake ECC behind
the RFC protocol (in-process, as no test or default install has pyrfc) and an S/4HANA Gateway
served on loopback over HTTP. For each, the same job as `creditbridge run` runs — pull → review
holds → plan → push (ECC: the Z-function, RETURN checked, BAPI_TRANSACTION_COMMIT WAIT; S/4HANA:
CSRF token, PATCH with If-Match) — and what SAP holds afterwards is read back. The S/4HANA
connection is built from the written config exactly as `creditbridge run` would build it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from creditbridge.adapters.files import read_ledger
from creditbridge.adapters.sap.odata.simulator import S4Simulator
from creditbridge.adapters.sap.rfc.erp import EccErp
from creditbridge.adapters.sap.rfc.simulator import FakeEcc
from creditbridge.adapters.sap.settings import settings_from_mapping
from creditbridge.mappings import SapMapping, load_mapping
from creditbridge.sync.composition import adapter_for, open_store
from creditbridge.sync.config import load_config
from creditbridge.sync.demo_cycle import config_header, fresh_folder, run_demo_cycle
from creditbridge.sync.run_job import RunReport
from creditbridge.sync.sample_company import generate_sample_company

ECC, S4 = "sap-ecc", "sap-s4"


@dataclass(frozen=True)
class SapDemoResult:
    folder: Path
    odata_url: str
    as_of: date
    runs: tuple[tuple[str, RunReport], ...]
    read_back: tuple[tuple[str, str, str], ...]  # (connection, customer, what SAP holds now)
    html_report: Path
    rfc_calls: dict[str, int]
    odata_requests: int


def run_sap_demo(directory: Path, *, customers: int, seed: int, as_of: date | None) -> SapDemoResult:
    folder = fresh_folder(directory, "sap")
    review_date = as_of or datetime.now(UTC).date()
    generate_sample_company(
        folder / "ledger", customers=customers, invoices=customers * 20, as_of=review_date, seed=seed
    )
    ledger = read_ledger(folder / "ledger").to_ledger()
    (folder / "mappings").mkdir()
    mappings = {}
    for name, system in ((ECC, "ecc"), (S4, "s4")):
        path = folder / "mappings" / f"{name}.yaml"
        path.write_text(_mapping_text(system))
        mapping = load_mapping(path)
        assert isinstance(mapping, SapMapping)
        mappings[name] = mapping
    ecc = FakeEcc(settings_from_mapping(mappings[ECC]))
    ecc.seed_ledger(ledger)
    s4 = S4Simulator(settings_from_mapping(mappings[S4]))
    s4.seed_ledger(ledger)
    password = folder / "sap-password"
    password.write_text(s4.password + "\n")
    password.chmod(0o600)

    with s4.serve() as running:
        config_path = folder / "creditbridge.toml"
        config_path.write_text(_config_text(running.base_url, s4.user, s4.client, password.name))
        config = load_config(config_path)
        html = folder / "report.html"
        with open_store(config) as store:
            ecc_erp = EccErp(ecc.connect, settings_from_mapping(mappings[ECC]), name=ECC, clock=ecc.now)
            title = "SAP demo company (ECC) — accounts receivable"
            ecc_run = run_demo_cycle(store, config, ECC, ecc_erp, review_date, report=html, title=title)
            s4_erp = adapter_for(config.connection(S4), config)
            s4_run = run_demo_cycle(store, config, S4, s4_erp, review_date, report=None, title="")  # type: ignore[arg-type]
    read_back = [(ECC, o.decision.customer_id, _knkk(ecc, o.decision.customer_id)) for o in ecc_run.review] + [
        (S4, o.decision.customer_id, _account(s4, o.decision.customer_id)) for o in s4_run.review
    ]
    return SapDemoResult(
        folder, running.base_url, review_date, ((ECC, ecc_run), (S4, s4_run)), tuple(read_back), html,
        dict(ecc.calls), len(s4.requests),
    )  # fmt: skip


def _knkk(ecc: FakeEcc, customer: str) -> str:
    row = ecc.knkk(customer)
    if row is None:
        return "KNKK: no credit data"
    return f"KNKK-KLIMK {row['KLIMK']}  CRBLB '{row['CRBLB']}'  AEDAT {row['AEDAT']}"


def _account(s4: S4Simulator, customer: str) -> str:
    row = s4.account(customer)
    if row is None:
        return "no CreditManagementAccount"
    blocked = str(row["CreditAccountIsBlocked"]).lower()
    return (f"CreditLimitAmount {row['CreditLimitAmount']}  CreditAccountIsBlocked {blocked}"
            f"  BlockReason '{row['CreditAccountBlockReason']}'  ETag {s4.etag(row)}")  # fmt: skip


def _mapping_text(system: str) -> str:
    ecc = system == "ecc"
    return f"""# Written by `creditbridge demo --erp sap`: the demo company's two company codes.
version: 1
erp: sap
description: creditbridge demo, {"ECC over RFC" if ecc else "S/4HANA over OData"}
scope:
  system: {system}
  company_codes:
    - {{code: "1000", currency: USD, credit_control_area: "1000", credit_segment: "1000"}}
    - {{code: "2000", currency: EUR, credit_control_area: "2000", credit_segment: "2000"}}
  payment_document_types: [DZ]
  writeoff_document_types: [DW]
fields:
  customers:
    customer_id: {"KNA1.KUNNR" if ecc else "A_Customer.Customer"}
    name: {"KNA1.NAME1" if ecc else "A_Customer.CustomerName"}
translations:
  payment_terms: {{"NT00": 0, "NT15": 15, "NT30": 30, "NT45": 45, "NT60": 60, "NT90": 90}}
  document_types: {{DR: INV, DD: DM, DG: CM}}
writeback:
  mechanism: {"rfc_function" if ecc else "odata"}
""" + ("  function_module: Z_CREDITBRIDGE_SET_CREDIT\n" if ecc else '  block_reason: "01"\n')


def _config_text(base_url: str, user: str, client: str, password_file: str) -> str:
    return (
        config_header("sap", "a fake ECC in-process and an S/4HANA Gateway on loopback")
        + f"""
# ECC: the demo runs its fake ECC in-process; against a real ECC give ashost, sysnr, client, user here.
[[connections]]
name = "{ECC}"
erp = "sap"
mapping = "mappings/{ECC}.yaml"

[connections.options]
ashost = "ecc.simulator.invalid"

[[connections]]
name = "{S4}"
erp = "sap"
mapping = "mappings/{S4}.yaml"
credentials = "file:{password_file}"       # beside this file

[connections.options]
odata_url = "{base_url}"
user = "{user}"
client = "{client}"
"""
    )
