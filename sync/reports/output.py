"""Pick the report writer by the file's suffix, so a CLI flag `--out report.xlsx` just works."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from creditbridge.sync.reports.ar_report import ArReport
from creditbridge.sync.reports.html_report import write_html
from creditbridge.sync.reports.xlsx_report import write_xlsx

WRITERS: dict[str, Callable[[ArReport, Path], None]] = {
    ".html": write_html,
    ".htm": write_html,
    ".xlsx": write_xlsx,
}


class UnsupportedReportFormat(ValueError):
    """The output path's suffix names no report format; use .html or .xlsx."""


def write_report(report: ArReport, path: Path) -> None:
    """Write `report` as HTML (.html, .htm) or XLSX (.xlsx), chosen by the suffix of `path`."""
    path = Path(path)
    suffix = path.suffix.lower()
    writer = WRITERS.get(suffix)
    if writer is None:
        shown = repr(path.suffix) if path.suffix else "no suffix"
        raise UnsupportedReportFormat(
            f"cannot write a report to {str(path)!r}: {shown} is not a report format; use .html or .xlsx"
        )
    writer(report, path)
