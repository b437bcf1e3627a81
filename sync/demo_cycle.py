"""What every ERP demo shares: a fresh folder, one `creditbridge run` cycle, and the AR report.

An ERP demo (demo_quickbooks.py, demo_oracle.py) starts its simulator and writes a config that
points at it; this module runs the same job as `creditbridge run` on that config — pull →
review holds → plan → push — and writes the report from the pulled data. Each run starts from a
fresh folder, so a demo never mixes with the last one.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from creditbridge.sync.composition import adapter_for, open_store
from creditbridge.sync.config import Config, load_config
from creditbridge.sync.logs import configure_logging, new_run_id
from creditbridge.sync.reports import build_report, write_html
from creditbridge.sync.run_job import RunReport, run_cycle
from creditbridge.sync.store import Store

DEMO_POLICY = """
[policy]
increase_approval_threshold = 10000
hold_release_needs_approval = true

[holds]
hold_when_past_due_days_over = 90
min_past_due_amount = 500
"""
"""The write-back policy and hold rules of every ERP demo (releases wait for a second person)."""


@dataclass(frozen=True)
class CycleResult:
    run: RunReport
    html_report: Path


def fresh_folder(directory: Path, name: str) -> Path:
    folder = directory / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def run_demo_cycle(
    config_path: Path,
    connection: str,
    as_of: date,
    *,
    title: str,
    before: Callable[[Store, Config], None] | None = None,
) -> CycleResult:
    """Pull, review, plan and push `connection` of the config (after `before`, e.g. linking credentials)."""
    config = load_config(config_path)
    configure_logging(config.log_format, config.log_level)
    with open_store(config) as store:
        if before is not None:
            before(store, config)
        adapter = adapter_for(config.connection(connection), config)
        run = run_cycle(store, config, connection, adapter, run_id=new_run_id(), user="demo", as_of=as_of)  # type: ignore[arg-type]
        columns = store.load_columns(source=connection)
    report = build_report(columns, as_of, 90, title=title)
    html = config_path.parent / "report.html"
    write_html(report, html)
    return CycleResult(run, html)
