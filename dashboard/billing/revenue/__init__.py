"""Revenue: MRR per subscription, its history, FX to the reporting currency and monthly metrics.

The executive Overview and the Revenue page code against these names.
"""

from dashboard.billing.revenue.fx import (
    MissingFxRate,
    fx_rates,
    reporting_currency,
    set_fx_rate,
    to_reporting,
)
from dashboard.billing.revenue.metrics import (
    CohortCell,
    MonthRevenue,
    TrialMonth,
    cohort_retention,
    current_mrr,
    lifetime_value,
    monthly_revenue,
    trial_conversion,
)

__all__ = [
    "CohortCell",
    "MissingFxRate",
    "MonthRevenue",
    "TrialMonth",
    "cohort_retention",
    "current_mrr",
    "fx_rates",
    "lifetime_value",
    "monthly_revenue",
    "reporting_currency",
    "set_fx_rate",
    "to_reporting",
    "trial_conversion",
]
