"""Workbook 04, summary: the headline table."""

from __future__ import annotations

from typing import Any

import pandas as pd

from agrocluster.sections import Section


def headline_table(headlines: dict[str, dict[str, Any]]) -> Section:
    """The headline numbers a recorder holds (key, label, value, se, unit, note), as one table."""
    rows = [
        {
            "key": key,
            "label": h["label"],
            "value": h["value"],
            "se": h["se"],
            "unit": h["unit"],
            "note": h["note"] or "",
        }
        for key, h in headlines.items()
    ]
    return Section(
        "Headline numbers", table=pd.DataFrame(rows, columns=["key", "label", "value", "se", "unit", "note"])
    )
