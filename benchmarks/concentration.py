"""Speed of agrocluster.concentration against naive baselines, timed in the same run.

Run: ``python benchmarks/concentration.py`` (add ``--quick`` for a smaller, faster run).

- LQ on 5,000 regions x 1,000 sectors (5 million cells) vs a straightforward pandas groupby/transform.
- Ellison–Glaeser on 500,000 plants in 5,000 regions x 1,000 sectors vs a straightforward pandas
  groupby implementation of the same formulas (results checked equal).
- Duranton–Overman Kd of a 500-plant sector among 5,000 establishments with 1,000 draws vs scipy
  ``pdist`` + an exact Gaussian KDE per draw; the baseline is timed on a few draws and scaled per draw.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy.spatial.distance import pdist

from agrocluster.concentration import ellison_glaeser, kdensity, location_quotient
from agrocluster.concentration.distance import EARTH_RADIUS_KM


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def naive_lq(df: pd.DataFrame) -> pd.Series:
    e_r = df.groupby("region")["employment"].transform("sum")
    e_s = df.groupby("sector")["employment"].transform("sum")
    return (df["employment"] / e_r) / (e_s / df["employment"].sum())


def naive_eg(plants: pd.DataFrame) -> pd.DataFrame:
    total = plants["employment"].sum()
    x = plants.groupby("region")["employment"].sum() / total
    sum_x2 = (x**2).sum()
    e_s = plants.groupby("sector")["employment"].transform("sum")
    h = ((plants["employment"] / e_s) ** 2).groupby(plants["sector"]).sum()
    cell = plants.groupby(["sector", "region"])["employment"].sum()
    s = cell / cell.groupby(level="sector").transform("sum")
    xr = x.reindex(s.index.get_level_values("region")).to_numpy()
    # Σ_r (s_r − x_r)² = Σ_present (s_r − x_r)² + Σ_absent x_r²
    present = pd.Series((s.to_numpy() - xr) ** 2 - xr**2, index=s.index).groupby(level="sector").sum()
    g = present + sum_x2
    gamma = (g - (1 - sum_x2) * h) / ((1 - sum_x2) * (1 - h))
    return pd.DataFrame({"G": g, "H": h, "gamma": gamma})


def naive_kd_draw(u: np.ndarray, grid: np.ndarray, h: float) -> np.ndarray:
    chord = pdist(u)
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / 2, 1.0))
    out = np.empty(len(grid))
    for k, g in enumerate(grid):
        out[k] = np.sum(np.exp(-0.5 * ((g - d) / h) ** 2) + np.exp(-0.5 * ((g + d) / h) ** 2))
    return out / (len(d) * h * np.sqrt(2 * np.pi))


def main(quick: bool) -> None:
    rng = np.random.default_rng(0)
    n_regions, n_sectors = (1_000, 200) if quick else (5_000, 1_000)
    regions = np.array([f"r{i:05d}" for i in range(n_regions)])
    sectors = np.array([f"{i:04d}" for i in range(n_sectors)])
    df = pd.DataFrame(
        {
            "region": np.repeat(regions, n_sectors),
            "sector": np.tile(sectors, n_regions),
            "employment": rng.poisson(20, n_regions * n_sectors).astype(float) + 1,
        }
    )
    ours, t_ours = _timed(lambda: location_quotient(df))
    base, t_base = _timed(lambda: naive_lq(df))
    assert np.allclose(ours.sort_values(["region", "sector"])["lq"].to_numpy(), base.to_numpy())
    print(
        f"LQ  {n_regions} regions x {n_sectors} sectors ({len(df):,} cells): ours {t_ours:.2f} s, "
        f"naive pandas {t_base:.2f} s, ratio naive/ours {t_base / t_ours:.2f}"
    )
    _, t_int = _timed(lambda: location_quotient(df, interval="poisson"))
    print(f"    with Poisson intervals: {t_int:.2f} s")

    n_plants = 100 * n_sectors if quick else 500_000
    plants = pd.DataFrame(
        {
            "region": regions[rng.integers(0, n_regions, n_plants)],
            "sector": np.concatenate(
                [sectors, sectors, sectors[rng.integers(0, n_sectors, n_plants - 2 * n_sectors)]]
            ),
            "employment": rng.integers(1, 200, n_plants).astype(float),
        }
    )
    ours, t_ours = _timed(lambda: ellison_glaeser(plants))
    base, t_base = _timed(lambda: naive_eg(plants))
    assert np.allclose(ours.sort_index()["gamma"].to_numpy(), base.sort_index()["gamma"].to_numpy())
    print(
        f"EG  {n_plants:,} plants, {n_regions} regions x {n_sectors} sectors: ours {t_ours:.2f} s, "
        f"naive pandas {t_base:.2f} s, ratio naive/ours {t_base / t_ours:.2f}"
    )
    one = plants[plants.sector == sectors[0]]
    _, t_sim = _timed(lambda: ellison_glaeser(plants, sectors=[sectors[0]], simulate=999, seed=1))
    print(f"    simulated null, 999 draws for one sector of {len(one)} plants: {t_sim:.2f} s")

    n_sites, n_sector, n_draws = (2_000, 200, 200) if quick else (5_000, 500, 1_000)
    lat = rng.uniform(-36.0, -32.0, n_sites)
    lon = rng.uniform(-72.0, -70.0, n_sites)
    sector = np.array(["other"] * n_sites, dtype=object)
    sector[:n_sector] = "wine"
    lat[: n_sector // 2] = -34.5 + rng.normal(0, 0.05, n_sector // 2)
    pts = pd.DataFrame({"lat": lat, "lon": lon, "sector": sector})
    res, t_ours = _timed(lambda: kdensity(pts, "wine", n_draws=n_draws, seed=1))
    phi, lam = np.radians(lat), np.radians(lon)
    u = np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])
    grid = res.table()["distance"].to_numpy()
    base_draws = 5
    t0 = time.perf_counter()
    for _ in range(base_draws):
        naive_kd_draw(u[rng.choice(n_sites, n_sector, replace=False)], grid, res.bandwidth)
    per_draw = (time.perf_counter() - t0) / base_draws
    exact = naive_kd_draw(u[:n_sector], grid, res.bandwidth)
    err = np.max(np.abs(exact - res.table()["kd"].to_numpy())) / exact.max()
    print(
        f"Kd  {n_sector} plants among {n_sites:,} sites, {n_draws} draws: ours {t_ours:.2f} s "
        f"({t_ours / (n_draws + 1) * 1e3:.1f} ms per curve); pdist + exact KDE {per_draw * 1e3:.0f} ms per curve "
        f"-> {per_draw * (n_draws + 1):.0f} s for the same job, ratio naive/ours {per_draw * (n_draws + 1) / t_ours:.1f}; "
        f"binning error max |dKd|/max Kd = {err:.2e}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a fast check")
    main(parser.parse_args().quick)
