"""AR KPIs: DSO (simple, countback, best possible), ADD, CEI, bad-debt ratio and aging.

`compute_kpis(columns, as_of, period_days)` returns a `KpiReport` with company figures per
currency and figures per customer; see README "KPI definitions" for the formulas.
"""

from creditbridge.core.kpis.engine import compute_kpis
from creditbridge.core.kpis.figures import AGING_BUCKETS, AgingBucket, KpiFigures, KpiReport

__all__ = ["AGING_BUCKETS", "AgingBucket", "KpiFigures", "KpiReport", "compute_kpis"]
