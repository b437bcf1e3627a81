"""What every ERP demo shares: a fresh folder with a vault key, the demo config, one run and its report.

`creditbridge demo --erp quickbooks|sap|oracle` each start their simulators and connections their
own way (demo_quickbooks.py, demo_sap.py, demo_oracle.py), then run the same job as
`creditbridge run` (pull → review holds → plan → push → read-back) and write the AR report from
what was pulled; this module is that common part. Each demo starts from a fresh folder, so it
never mixes with the last one.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from creditbridge.sync.config import Config
from creditbridge.sync.logs import configure_logging, new_run_id
from creditbridge.sync.reports import build_report, write_html
from creditbridge.sync.run_job import RunReport, run_cycle
from creditbridge.sync.secrets import generate_key
from creditbridge.sync.store import Store
from creditbridge.sync.writeback import WritableErp


def fresh_folder(directory: Path, name: str) -> Path:
    """`directory/name`, emptied, with a vault key (secret.key) for the demo's store."""
    folder = directory / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "secret.key").write_text(generate_key() + "\n")
    (folder / "secret.key").chmod(0o600)
    return folder


def config_header(erp: str, what: str) -> str:
    """The demo config's store, vault, policy and hold rules (releases wait for a second person);
    the connections follow it. `what` says what the demo simulates, for the config's first line."""
    return f"""# Written by `creditbridge demo --erp {erp}`: {what}.
store_url = "sqlite:///creditbridge.db"
secret_key_file = "secret.key"
log_level = "warning"

[policy]
increase_approval_threshold = 10000
hold_release_needs_approval = true

[holds]
hold_when_past_due_days_over = 90
min_past_due_amount = 500
"""


def run_demo_cycle(
    store: Store, config: Config, connection: str, adapter: WritableErp, as_of: date, *, report: Path | None, title: str
) -> RunReport:
    """One `creditbridge run` of `connection` (logging as the config says); the AR report of what it
    pulled written to `report` (HTML) unless None."""
    configure_logging(config.log_format, config.log_level)
    run = run_cycle(store, config, connection, adapter, run_id=new_run_id(), user="demo", as_of=as_of)
    if report is not None:
        columns = store.load_columns(source=connection)
        write_html(build_report(columns, as_of, 90, title=title), report)
    return run
