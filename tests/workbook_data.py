"""Small hand-made cluster data for the workbook tests: a ClusterData built from frames, no loader."""

from __future__ import annotations

import pandas as pd

from agrocluster.data.cluster import ClusterData, TableInfo, frame_sha256


def cluster_data(params, tables: dict[str, pd.DataFrame], synthetic: tuple[str, ...] = (),
                 truth: dict | None = None, excluded: dict[str, pd.DataFrame] | None = None) -> ClusterData:
    """A :class:`ClusterData` of ``tables``; those named in ``synthetic`` are labelled synthetic."""
    info = {}
    for name, frame in tables.items():
        source = "synthetic" if name in synthetic else "file"
        extra = {"excluded": excluded[name]} if excluded and name in excluded else {}
        info[name] = TableInfo(name, source, "hand-made test table", frame_sha256(frame), len(frame), **extra)
    return ClusterData(params, dict(tables), info, truth or {})


def regional_table(cells: dict[tuple[str, str], float], years=(2019, 2020)) -> pd.DataFrame:
    """Regional employment of (region, sector) → employment, the same in every year, 10 establishments each."""
    rows = [{"region": r, "sector": s, "year": y, "employment": float(e), "establishments": 10}
            for y in years for (r, s), e in cells.items()]
    return pd.DataFrame(rows).astype({"region": "string", "sector": "string"})


def plants_table(rows: list[dict], year: int = 2020) -> pd.DataFrame:
    """Establishments of one year from dicts (firm_id, region, sector, optional lat/lon/labour)."""
    frame = pd.DataFrame(rows)
    frame.insert(1, "year", year)
    return frame.astype({"firm_id": "string", "region": "string", "sector": "string"})
