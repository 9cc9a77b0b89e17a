"""esf_indicators.support_hours is consultation hours + activity hours: where support_summary withholds
either, support_hours (and costs.csv's EUR per support hour, which divides by it) must not give it back."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.disclosure import ALL
from pipelines.export.programme import costs_per_hour_as_published, esf_table


def test_support_hours_are_withheld_with_the_consultation_hours_they_contain() -> None:
    years = ["2024/2025", "2025/2026"]
    summary = pd.DataFrame(
        {
            "project_code": ["P1"] * 2,
            "municipality": [ALL] * 2,
            "school_year": years,
            "semester": [ALL] * 2,
            "n_pupils_supported": [40, 40],
            "n_pupils_activities": [10, 10],
            "n_pupils_financial_support": [0, 0],
            "consultation_hours": [np.nan, 120.0],  # withheld in the first year
            "activity_hours": [30.0, 30.0],
            "suppressed": [False, False],
        }
    )
    supported = pd.DataFrame(
        {
            "project_code": ["P1"] * 2,
            "municipality": [ALL] * 2,
            "school_year": years,
            "n_pupils_any": [45, 45],
            "n_schools": [3, 3],
            "n_municipalities": [1, 1],
            "support_hours": [183.5, 150.0],
            "share_enrolled_year_end": [0.9, 0.9],
            "suppressed": [False, False],
        }
    )
    costs = pd.DataFrame(
        {
            "project_code": ["P1"] * 2,
            "municipality": [ALL] * 2,
            "school_year": years,
            "cost_category": [ALL] * 2,
            "amount_eur": [3670.0, 3000.0],
            "cost_per_supported_pupil": [3670.0 / 45, 3000.0 / 45],
            "cost_per_support_hour": [20.0, 20.0],
            "suppressed": [False, False],
        }
    )
    esf = esf_table(summary, supported, costs).set_index("school_year")
    assert pd.isna(esf.loc["2024/2025", "support_hours"])  # 183.5 − 30 would be the withheld 153.5
    assert esf.loc["2025/2026", "support_hours"] == 150.0
    per_hour = costs_per_hour_as_published(costs, esf.reset_index()).set_index("school_year")
    assert pd.isna(per_hour.loc["2024/2025", "cost_per_support_hour"])  # 3670 ÷ 20 = 183.5 otherwise
    assert per_hour.loc["2025/2026", "cost_per_support_hour"] == 20.0
