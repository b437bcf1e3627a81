"""Reports for credit and collections staff: the AR report as one HTML file or an XLSX workbook.

`build_report` runs the KPI engine once for the as-of date and once per trend month-end;
`write_report` writes the result as HTML or XLSX by the path's suffix.
"""

from creditbridge.sync.reports.ar_report import ArReport, TrendPoint, build_report
from creditbridge.sync.reports.html_report import render_html, write_html
from creditbridge.sync.reports.output import UnsupportedReportFormat, write_report
from creditbridge.sync.reports.xlsx_report import write_xlsx

__all__ = [
    "ArReport",
    "TrendPoint",
    "UnsupportedReportFormat",
    "build_report",
    "render_html",
    "write_html",
    "write_report",
    "write_xlsx",
]
