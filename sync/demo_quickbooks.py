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
from creditbridge.sync.config import Config
from creditbridge.sync.demo_cycle import DEMO_POLICY, fresh_folder, run_demo_cycle
from creditbridge.sync.run_job import RunReport
from creditbridge.sync.secrets import SecretVault, generate_key
from creditbridge.sync.store import Store

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
    (folder / "secret.key").write_text(generate_key() + "\n")
    (folder / "secret.key").chmod(0o600)

    simulator = QuickBooksSimulator(seed=seed, customers=customers)
    with simulator.serve() as running:
        config_path = folder / "creditbridge.toml"
        config_path.write_text(_config_text(running.base_url, simulator.realm_id))
        review_date = as_of or simulator.now().date()

        def link(store: Store, config: Config) -> None:
            credentials = Credentials(
                simulator.client_id, simulator.client_secret, simulator.refresh_token, simulator.realm_id
            )
            SecretVault(store, key_file=config.secret_key_file).put(CONNECTION, SecretStr(credentials.to_json()))

        cycle = run_demo_cycle(config_path, CONNECTION, review_date,
                               title="QuickBooks demo company — accounts receivable", before=link)  # fmt: skip
        customers_now = simulator.entities("Customer")
        read_back = tuple(
            (o.decision.customer_id, str(customers_now[o.decision.customer_id].get("DisplayName", "")),
             _tag(str(customers_now[o.decision.customer_id].get("Notes", ""))))
            for o in cycle.run.review
            if o.decision.customer_id in customers_now
        )  # fmt: skip
    return QuickBooksDemoResult(
        folder, running.base_url, simulator.realm_id, review_date, cycle.run, read_back, cycle.html_report
    )


def _tag(notes: str) -> str:
    start = notes.find("[creditbridge:")
    return notes[start : notes.find("]", start) + 1] if start >= 0 else "(no creditbridge tag)"


def _config_text(base_url: str, realm_id: str) -> str:
    return f"""# Written by `creditbridge demo --erp quickbooks`: a simulated QuickBooks company on loopback.
store_url = "sqlite:///creditbridge.db"
secret_key_file = "secret.key"
log_level = "warning"
{DEMO_POLICY}
[[connections]]
name = "{CONNECTION}"
erp = "quickbooks"
credentials = "store:{CONNECTION}"

[connections.options]
base_url = "{base_url}"
realm_id = "{realm_id}"
"""
