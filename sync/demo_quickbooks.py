"""`creditbridge demo --erp quickbooks`: the whole sync cycle against a simulated QuickBooks company.

Starts the QuickBooks Online simulator on loopback, links it as a connection exactly as
`creditbridge connect quickbooks` would (credentials encrypted in the store), then runs the same
job as `creditbridge run` (demo_cycle.py): pull over Intuit's wire protocol → review holds → plan →
push (sparse updates with SyncToken and requestid) → read-back; and writes the AR report from the
pulled data. Each run starts from a fresh simulated company and a fresh store in its own folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import SecretStr

from creditbridge.adapters.quickbooks.credentials import Credentials
from creditbridge.adapters.quickbooks.simulator import QuickBooksSimulator
from creditbridge.sync.composition import adapter_for, open_store
from creditbridge.sync.config import load_config
from creditbridge.sync.demo_cycle import config_header, fresh_folder, run_demo_cycle
from creditbridge.sync.run_job import RunReport
from creditbridge.sync.secrets import SecretVault

CONNECTION = "quickbooks-demo"


@dataclass(frozen=True)
class QuickBooksDemoResult:
    folder: Path
    base_url: str
    realm_id: str
    as_of: date
    run: RunReport
    read_back: tuple[tuple[str, str, str], ...]  # (customer id, display name, the Notes tag now in QuickBooks)
    html_report: Path


def run_quickbooks_demo(directory: Path, *, customers: int, seed: int, as_of: date | None) -> QuickBooksDemoResult:
    folder = fresh_folder(directory, "quickbooks")

    simulator = QuickBooksSimulator(seed=seed, customers=customers)
    with simulator.serve() as running:
        config_path = folder / "creditbridge.toml"
        config_path.write_text(_config_text(running.base_url, simulator.realm_id))
        config = load_config(config_path)
        review_date = as_of or simulator.now().date()
        with open_store(config) as store:
            credentials = Credentials(
                simulator.client_id, simulator.client_secret, simulator.refresh_token, simulator.realm_id
            )
            SecretVault(store, key_file=config.secret_key_file).put(CONNECTION, SecretStr(credentials.to_json()))
            adapter = adapter_for(config.connection(CONNECTION), config)
            html = folder / "report.html"
            title = "QuickBooks demo company — accounts receivable"
            run = run_demo_cycle(store, config, CONNECTION, adapter, review_date, report=html, title=title)  # type: ignore[arg-type]
        customers_now = simulator.entities("Customer")
        read_back = tuple(
            (o.decision.customer_id, str(customers_now[o.decision.customer_id].get("DisplayName", "")),
             _tag(str(customers_now[o.decision.customer_id].get("Notes", ""))))
            for o in run.review
            if o.decision.customer_id in customers_now
        )  # fmt: skip
    return QuickBooksDemoResult(folder, running.base_url, simulator.realm_id, review_date, run, read_back, html)


def _tag(notes: str) -> str:
    start = notes.find("[creditbridge:")
    return notes[start : notes.find("]", start) + 1] if start >= 0 else "(no creditbridge tag)"


def _config_text(base_url: str, realm_id: str) -> str:
    return config_header("quickbooks", "a simulated QuickBooks company on loopback") + f"""
[[connections]]
name = "{CONNECTION}"
erp = "quickbooks"
credentials = "store:{CONNECTION}"

[connections.options]
base_url = "{base_url}"
realm_id = "{realm_id}"
"""

