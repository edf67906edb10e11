"""Contracts, loaders and importers of agrocluster.data, on small hand-written files in tests/data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agrocluster.data import (
    LoadedTable,
    MissingDataFileError,
    country_to_iso3,
    file_sha256,
    positive_for_logs,
    read_baci,
    read_comtrade,
    read_faostat_food_balances,
    read_faostat_trade_matrix,
    read_table,
    validate,
)
from agrocluster.errors import DataContractError

DATA = Path(__file__).parent / "data"


def _establishments(**overrides) -> pd.DataFrame:
    base = {"firm_id": ["0001", "0002", "0003"], "year": [2019, 2019, 2019], "region": "Maule",
            "sector": "0121", "capital": [1.0, 2.0, 3.0]}
    base.update(overrides)
    return pd.DataFrame(base)


# ----------------------------------------------------------------------------------- contract rules

def test_good_csv_keeps_leading_zeros_and_types():
    lt = read_table(DATA / "establishments_ok.csv", "establishments")
    assert isinstance(lt, LoadedTable) and lt.n_rows == 4 and lt.table == "establishments"
    f = lt.frame
    assert f["firm_id"].tolist() == ["0001", "0001", "0002", "0002"]
    assert f["sector"].tolist() == ["0121", "0121", "01211", "01211"]
    assert f["year"].dtype == np.int64
    assert f["cluster_member"].tolist() == [True, True, False, False]
    assert f["programme_entry_year"].dtype == "Int64"
    assert f["programme_entry_year"].isna().tolist() == [False, False, True, True]
    assert lt.sha256 == file_sha256(DATA / "establishments_ok.csv") and len(lt.sha256) == 64
    assert lt.n_excluded == 0


def test_duplicate_firm_year_names_file_key_and_rows():
    with pytest.raises(DataContractError) as e:
        read_table(DATA / "establishments_duplicate_firm_year.csv", "establishments")
    msg = str(e.value)
    assert "establishments_duplicate_firm_year.csv" in msg and "firm_id × year" in msg
    assert "must be unique" in msg and "rows 1, 2" in msg and "row 3" not in msg


def test_negative_capital_names_column_rule_rows_and_values():
    with pytest.raises(DataContractError) as e:
        read_table(DATA / "establishments_negative_capital.csv", "establishments")
    msg = str(e.value)
    assert "'capital'" in msg and "non-negative" in msg and "2 rows (rows 2, 4)" in msg and "-5.0" in msg


def test_missing_column_suggests_close_name():
    with pytest.raises(DataContractError) as e:
        read_table(DATA / "establishments_missing_column.csv", "establishments")
    msg = str(e.value)
    assert "establishments_missing_column.csv" in msg and "'sector'" in msg and "did you mean 'sectr'" in msg


def test_empty_table_names_file():
    with pytest.raises(DataContractError, match="establishments_empty.csv.*empty"):
        read_table(DATA / "establishments_empty.csv", "establishments")


def test_unknown_link_kind():
    with pytest.raises(DataContractError) as e:
        read_table(DATA / "firm_links_unknown_kind.csv", "firm_links")
    assert "'kind'" in str(e.value) and "friendship" in str(e.value) and "row 2" in str(e.value)


def test_bad_iso3_reports_every_column():
    with pytest.raises(DataContractError) as e:
        read_table(DATA / "trade_flows_bad_iso3.csv", "trade_flows")
    msg = str(e.value)
    assert "'exporter'" in msg and "'importer'" in msg and "CHINA" in msg and "three upper-case" in msg
    assert "2 problems" in msg


def test_all_problems_reported_at_once():
    df = _establishments(year=[2019, 1850, "x"], capital=[-1.0, 2.0, 3.0], lat=[0.0, 91.0, 0.0],
                         cluster_member=["yes", "maybe", "no"])
    with pytest.raises(DataContractError) as e:
        validate(df, "establishments", source="mine.parquet")
    msg = str(e.value)
    for piece in ("mine.parquet", "'year'", "must be a number", "year in [1900, 2100]", "'capital'",
                  "'lat'", "'cluster_member'", "maybe"):
        assert piece in msg, piece


def test_year_range_override_and_integer_codes():
    df = _establishments(year=[1, 2, 3], firm_id=[1, 2, 3], sector=[112.0, 112.0, 112.0])
    with pytest.raises(DataContractError, match="year in"):
        validate(df, "establishments")
    out = validate(df, "establishments", year_range=(1, 6))
    assert out["firm_id"].tolist() == ["1", "2", "3"] and out["sector"].tolist() == ["112"] * 3


def test_unknown_table_and_missing_value_in_key():
    with pytest.raises(DataContractError, match="unknown table 'plants'"):
        validate(_establishments(), "plants")
    with pytest.raises(DataContractError, match="'firm_id': must not be missing: 1 row \\(row 2\\)"):
        validate(_establishments(firm_id=["a", None, "c"]), "establishments")


def test_other_tables_rules():
    emp = pd.DataFrame({"region": ["A", "A"], "sector": ["01", "01"], "year": [2020, 2020],
                        "employment": [5, 3], "establishments": [1, -2]})
    with pytest.raises(DataContractError) as e:
        validate(emp, "regional_employment")
    assert "region × sector × year" in str(e.value) and "'establishments'" in str(e.value)
    cp = pd.DataFrame({"country": ["CHL"], "item": ["2655"], "year": [2020], "production": [-1.0],
                       "imports": [np.nan], "exports": [2.0]})
    with pytest.raises(DataContractError, match="'production'"):
        validate(cp, "country_product")


def test_positive_for_logs_counts_each_row_once():
    df = pd.DataFrame({"k": [1.0, 0.0, -1.0, np.nan, 2.0], "l": [1.0, 0.0, 1.0, 1.0, 0.0]})
    kept, excluded = positive_for_logs(df, ["k", "l"])
    assert kept.index.tolist() == [0]
    counts = dict(zip(excluded["reason"], excluded["n_rows"]))
    assert counts == {"k <= 0 or missing (logs only of positive values)": 3,
                      "l <= 0 or missing (logs only of positive values)": 1}
    with pytest.raises(DataContractError, match="'m'|\\['m'\\]"):
        positive_for_logs(df, ["m"], source="f.csv")


# ----------------------------------------------------------------------------------------- loaders

def test_column_mapping_and_mapping_errors():
    mapping = {"plant": "firm_id", "yr": "year", "comuna": "region", "isic": "sector", "k": "capital"}
    lt = read_table(DATA / "establishments_user_names.csv", "establishments", columns=mapping)
    assert lt.frame["firm_id"].tolist() == ["0001", "0002"] and lt.frame["sector"].tolist() == ["0121"] * 2
    with pytest.raises(DataContractError, match="'plnt' \\(did you mean 'plant'\\?\\).*columns present: plant"):
        read_table(DATA / "establishments_user_names.csv", "establishments", columns={"plnt": "firm_id"})
    with pytest.raises(DataContractError, match="not columns of table"):
        read_table(DATA / "establishments_user_names.csv", "establishments", columns={"plant": "firm"})


def test_missing_file_is_both_error_kinds(tmp_path):
    with pytest.raises(MissingDataFileError) as e:
        read_table(tmp_path / "absent.csv", "establishments")
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, DataContractError)
    assert "absent.csv" in str(e.value)


@pytest.mark.parametrize("fmt", ["parquet", "excel", "stata"])
def test_other_formats_round_trip(tmp_path, fmt):
    src = read_table(DATA / "establishments_ok.csv", "establishments").frame
    plain = src.astype({c: "object" for c in ("firm_id", "region", "sector")}).assign(
        cluster_member=src["cluster_member"].astype(int), programme_entry_year=src["programme_entry_year"].astype(float))
    path = tmp_path / {"parquet": "e.parquet", "excel": "e.xlsx", "stata": "e.dta"}[fmt]
    {"parquet": lambda: plain.to_parquet(path), "excel": lambda: plain.to_excel(path, index=False),
     "stata": lambda: plain.to_stata(path, write_index=False)}[fmt]()
    out = read_table(path, "establishments").frame
    assert out["sector"].tolist() == ["0121", "0121", "01211", "01211"]
    assert out["capital"].tolist() == [300.0, 310.0, 150.0, 155.0]
    assert out["programme_entry_year"].isna().sum() == 2


def test_format_inference_errors(tmp_path):
    p = tmp_path / "x.json"
    p.write_text("{}")
    with pytest.raises(DataContractError, match="extension '.json'"):
        read_table(p, "establishments")


# --------------------------------------------------------------------------------------- importers

def test_faostat_food_balances_csv():
    lt = read_faostat_food_balances(DATA / "faostat_fbs_normalized.csv")
    f = lt.frame.set_index(["country", "year"])
    assert f.loc[("CHL", 2019), ["production", "imports", "exports", "domestic_supply"]].tolist() == [1194, 4, 871, 254]
    assert np.isnan(f.loc[("CHL", 2020), "imports"]) and f.loc[("KEN", 2020), "item"] == "2635"
    counts = dict(zip(lt.excluded["reason"], lt.excluded["n_rows"]))
    assert counts["aggregate area (World, regions, China 351)"] == 2
    assert sum(counts.values()) == 3 and lt.n_rows == 3


def test_faostat_trade_matrix_csv_both_flows():
    lt = read_faostat_trade_matrix(DATA / "faostat_trade_matrix.csv")
    f = lt.frame.set_index("importer")
    assert f.loc["USA", ["value", "quantity"]].tolist() == [181234.0, 55012.0]
    assert f.loc["CHN", "product"] == "564" and f.loc["CHN", "product_cpc"] == "24212.02"
    assert (lt.frame["exporter"] == "CHL").all() and lt.n_excluded == 2
    # the only import row has a quantity but no value: nothing is left, and the error says why
    with pytest.raises(DataContractError, match="no rows left.*'quantity reported without a value': 1"):
        read_faostat_trade_matrix(DATA / "faostat_trade_matrix.csv", flow="import")


def test_baci_csv():
    lt = read_baci(DATA / "baci_sample.csv", DATA / "baci_country_codes.csv")
    f = lt.frame
    assert f["product"].tolist() == ["220421", "220421", "080610", "010121"]
    assert f["importer"].tolist() == ["USA", "CHN", "USA", "USA"]
    assert np.isnan(f["quantity"].iloc[2]) and f["value"].iloc[1] == 315.5
    assert dict(zip(lt.excluded["reason"], lt.excluded["n_rows"])) == {
        "exporter or importer without an ISO3 code (areas n.e.s.)": 1}


def test_comtrade_csv_counts_world_partner():
    lt = read_comtrade(DATA / "comtrade_sample.csv")
    f = lt.frame
    assert f["importer"].tolist() == ["GBR", "PAK", "GBR"] and f["product"].tolist() == ["090240", "090240", "0902"]
    assert f["value"].iloc[0] == pytest.approx(98765.4321) and f["quantity"].iloc[1] == pytest.approx(160000.0)
    counts = dict(zip(lt.excluded["reason"], lt.excluded["n_rows"]))
    assert counts["partner is World (W00 / 0)"] == 1
    assert counts["flow other than 'X' (flow='X')"] == 2
    assert counts["breakdown by motCode (only total 0 kept)"] == 1
    assert sum(counts.values()) + lt.n_rows == 8
    m = read_comtrade(DATA / "comtrade_sample.csv", flow="M")
    assert m.frame[["exporter", "importer"]].values.tolist() == [["UGA", "KEN"]]


def test_importer_wrong_file_names_missing_columns():
    with pytest.raises(DataContractError, match="not a BACI file.*'t'"):
        read_baci(DATA / "comtrade_sample.csv", DATA / "baci_country_codes.csv")
    with pytest.raises(MissingDataFileError, match="nope.csv"):
        read_comtrade(DATA / "nope.csv")


# --------------------------------------------------------------------------------------- countries

def test_country_to_iso3_schemes():
    assert country_to_iso3(["004", "040", "158"]).tolist() == ["AFG", "AUT", "TWN"]
    assert country_to_iso3([40, 41, 101, 237, 228], scheme="fao").tolist() == ["CHL", "CHN", "IDN", "VNM", "SUN"]
    assert country_to_iso3(["CL", "de"]).tolist() == ["CHL", "DEU"]
    assert country_to_iso3(["Chile", "Viet Nam"]).tolist() == ["CHL", "VNM"]
    with pytest.raises(DataContractError, match="'351', '5000'"):
        country_to_iso3(["40", "351", "5000"], scheme="fao")
    with pytest.raises(DataContractError, match="'XX'"):
        country_to_iso3(["XX"], scheme="iso2")
    with pytest.raises(DataContractError, match="scheme='fao'"):
        country_to_iso3(["40", "101"])
