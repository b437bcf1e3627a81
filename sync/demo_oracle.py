"""`creditbridge demo --erp oracle`: the whole sync cycle against a simulated Oracle EBS operating unit.

Generates a sample company (sample_company.py), and configures a connection with
`options.simulator = true` whose EBS simulator (a SQLite file in the demo folder) is seeded from
it: accounts, profiles and amounts, payment schedules, receipts and applications, sales orders.
Then the same job as `creditbridge run` (demo_cycle.py): pull through the adapter's real SQL →
review holds → plan → push through HZ_CUSTOMER_PROFILE_V2PUB blocks → read-back of the profiles
(and the Order Management holds the API put on open orders) straight from the EBS tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from creditbridge.adapters.oracle.simulator import EbsSimulator
from creditbridge.mappings import template_text
from creditbridge.sync.composition import adapter_for, open_store
from creditbridge.sync.config import load_config
from creditbridge.sync.demo_cycle import config_header, fresh_folder, run_demo_cycle
from creditbridge.sync.run_job import RunReport
from creditbridge.sync.sample_company import generate_sample_company

CONNECTION = "oracle-demo"
ORG_ID = 204


@dataclass(frozen=True)
class ProfileReadBack:
    """An account's profile as the EBS tables have it after the push."""

    account_number: str
    name: str
    credit_hold: bool
    overall_credit_limit: Decimal | None
    currency: str | None
    version: int
    order_holds: int  # Order Management credit holds on the account's orders, not released


@dataclass(frozen=True)
class OracleDemoResult:
    folder: Path
    simulator_path: Path
    as_of: date
    run: RunReport
    read_back: tuple[ProfileReadBack, ...]
    html_report: Path


def run_oracle_demo(
    directory: Path, *, customers: int, invoices: int, seed: int, as_of: date | None
) -> OracleDemoResult:
    folder = fresh_folder(directory, "oracle")
    review_date = as_of or datetime.now(UTC).date()
    generate_sample_company(folder / "ledger", customers=customers, invoices=invoices, as_of=review_date, seed=seed)
    (folder / "mappings").mkdir()
    (folder / "mappings" / "oracle.yaml").write_text(_demo_mapping())
    config_path = folder / "creditbridge.toml"
    config_path.write_text(_config_text())
    config = load_config(config_path)
    html = folder / "report.html"
    with open_store(config) as store:
        adapter = adapter_for(config.connection(CONNECTION), config)
        title = "Oracle EBS demo operating unit — accounts receivable"
        run = run_demo_cycle(store, config, CONNECTION, adapter, review_date, report=html, title=title)  # type: ignore[arg-type]
    simulator = EbsSimulator(folder / "ebs-simulator.db", org_id=ORG_ID)
    try:
        read_back = tuple(_read_back(simulator, o.decision.customer_id) for o in run.review)
    finally:
        simulator.close()
    return OracleDemoResult(folder, folder / "ebs-simulator.db", review_date, run, read_back, html)


def _read_back(simulator: EbsSimulator, account_number: str) -> ProfileReadBack:
    row = simulator.db.execute(
        "SELECT p.PARTY_NAME, prof.CREDIT_HOLD, prof.OBJECT_VERSION_NUMBER, amt.OVERALL_CREDIT_LIMIT, "
        "amt.CURRENCY_CODE FROM HZ_CUST_ACCOUNTS ca JOIN HZ_PARTIES p ON p.PARTY_ID = ca.PARTY_ID "
        "JOIN HZ_CUSTOMER_PROFILES prof ON prof.CUST_ACCOUNT_ID = ca.CUST_ACCOUNT_ID AND prof.SITE_USE_ID IS NULL "
        "LEFT JOIN HZ_CUST_PROFILE_AMTS amt ON amt.CUST_ACCOUNT_PROFILE_ID = prof.CUST_ACCOUNT_PROFILE_ID "
        "WHERE ca.ACCOUNT_NUMBER = ? ORDER BY amt.CUST_ACCT_PROFILE_AMT_ID",
        (account_number,),
    ).fetchone()
    name, hold, version, limit, currency = row
    held = sum(1 for _, released in simulator.order_holds(account_number) if not released)
    return ProfileReadBack(account_number, str(name), hold == "Y", limit, currency, int(version), held)


def _demo_mapping() -> str:
    """The Oracle template, its risk classes taken as they are (the sample company uses A, B and C)."""
    text = template_text("oracle")
    start = text.index("  risk_classes:")
    end = text.index("  order_statuses:")
    return text[:start] + text[end:]


def _config_text() -> str:
    return config_header("oracle", "a simulated Oracle EBS operating unit (a SQLite file)") + f"""
[[connections]]
name = "{CONNECTION}"
erp = "oracle"
mapping = "mappings/oracle.yaml"

[connections.options]
simulator = true                    # the EBS simulator instead of a database (no dsn, user or credentials)
simulator_path = "ebs-simulator.db" # its tables; seeded once from seed_ledger
seed_ledger = "ledger"
commit_lag_seconds = 0              # the simulator commits at once; a real EBS needs the default (300)
"""
