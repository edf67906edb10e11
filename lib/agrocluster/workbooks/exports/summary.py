"""Workbook 04, summary: the headline table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agrocluster.sections import Section
from agrocluster.workbooks import common


def headline_table(headlines: Mapping[str, Any]) -> Section:
    """The headline numbers a recorder holds, as one table (:func:`agrocluster.workbooks.common.headline_table`)."""
    return Section("Headline numbers", table=common.headline_table(headlines),
                   inputs=tuple(common.headline_inputs(headlines)))
