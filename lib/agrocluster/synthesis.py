"""Cross-cluster synthesis: compare what every cluster's workbooks recorded, side by side.

The synthesis reads each cluster's ``<notebook>.results.json`` (never the HTML) and builds

* a tidy frame of headline numbers, one row per cluster × notebook × key, with value and standard error
  (:func:`load_results`, :func:`tidy_headlines`);
* a scorecard, one row per cluster and one column per dimension of the issue-8 comparison
  (:data:`SCORECARD`, :func:`scorecard`);
* rankings with uncertainty where the numbers carry standard errors (:func:`rank_clusters`): each
  cluster's estimate is drawn from N(value, se²) independently, the clusters are ranked in every draw
  (rank 1 = highest), and the mean rank, an equal-tailed rank interval and the probability of ranking
  first are reported. This is the parametric rank simulation of Hall & Miller (2009, "Using the bootstrap
  to quantify the authority of an empirical ranking", Annals of Statistics 37(6B)) in its simplest form;
  no maintained Python library ranks estimates with uncertainty, hence it is written here (a few lines of
  numpy and scipy.stats.rankdata);
* danger flags (:func:`danger_flags`): one-market dependence, links only inside the cluster, and a
  shrinking share of world exports, with thresholds that are parameters (:class:`SynthesisParams`).

Only :func:`load_results` touches files (it reads the results folder); everything else is a pure function
of DataFrames and options.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from . import paths
from .data.files import source_kind
from .errors import DataContractError, EstimationError, ParamsError
from .params import SynthesisParams

COLLECTION_FOLDER = "synthesis"

#: Scorecard column → (notebook that records it, headline key, what it measures).
SCORECARD: dict[str, tuple[str, str, str]] = {
    "specialisation": ("01_cluster_mapping", "cluster_lq",
                       "location quotient of the cluster sector in its regions (1 = national average)"),
    "concentration": ("01_cluster_mapping", "eg_gamma", "Ellison-Glaeser gamma of the cluster sector"),
    "agglomeration elasticity": ("02_agglomeration", "localisation_elasticity",
                                 "elasticity of productivity to own-sector employment nearby"),
    "member productivity premium": ("03_productivity", "member_tfp_premium",
                                    "log TFP gap of cluster members over non-members (ACF)"),
    "programme effect": ("03_productivity", "programme_att",
                         "average effect of the cluster programme on participants (staggered DiD)"),
    "export orientation": ("04_export_links", "export_orientation", "exports over production"),
    "market dependence": ("04_export_links", "top_market_share", "share of exports to the largest destination"),
    "inside-link share": ("04_export_links", "inside_link_share",
                          "share of the members' business links that stay inside the cluster"),
}

#: Headline keys ranked with uncertainty by default (all have standard errors; higher is better).
RANK_KEYS: tuple[str, ...] = ("member_tfp_premium", "programme_att", "localisation_elasticity",
                              "member_export_premium")

HEADLINE_COLUMNS = ["cluster_id", "cluster_name", "notebook", "key", "label", "unit", "value", "se"]


# ---------------------------------------------------------------------------------------------------------
# Reading the results
# ---------------------------------------------------------------------------------------------------------


@dataclass
class ResultsCollection:
    """Every cluster's recorded results.

    Attributes
    ----------
    headlines : DataFrame
        One row per cluster × notebook × key: ``cluster_id, cluster_name, notebook, key, label, unit,
        value, se`` (NaN where a number or its standard error was not recorded).
    runs : DataFrame
        One row per results file: ``cluster_id, notebook, started, failed_last_run`` (the last run of that
        task failed and this is its last good report), ``file`` and ``sha256``.
    sources : DataFrame
        One row per cluster × notebook × data table: ``source`` (faostat, rice_farms, synthetic, file…)
        and ``kind`` (real, synthetic, user file).
    """

    headlines: pd.DataFrame
    runs: pd.DataFrame
    sources: pd.DataFrame

    @property
    def clusters(self) -> list[str]:
        return sorted(self.runs["cluster_id"].unique())

    def table(self) -> pd.DataFrame:
        return self.headlines

    def summary(self) -> pd.DataFrame:
        """Per cluster: notebooks read, headline numbers, last runs that failed."""
        runs = self.runs.groupby("cluster_id").agg(notebooks=("notebook", "size"),
                                                   failed_last_run=("failed_last_run", "sum"))
        numbers = self.headlines.groupby("cluster_id").size().rename("headline_numbers")
        return runs.join(numbers).fillna({"headline_numbers": 0}).astype(int).reset_index()

    def data_kinds(self) -> pd.DataFrame:
        """Cluster × table → real / synthetic / user file (joined with '/' if notebooks disagree)."""
        if self.sources.empty:
            return pd.DataFrame(index=pd.Index([], name="cluster_id"))
        wide = (self.sources.groupby(["cluster_id", "table"])["kind"]
                .agg(lambda s: "/".join(sorted(set(s)))).unstack("table"))
        return wide.fillna("not used").rename_axis(columns=None)

    def inputs(self) -> dict[str, dict[str, Any]]:
        """What :meth:`agrocluster.record.Recorder.add_inputs` stores: each results file and its data kinds
        (``synthetic_tables``; ``real_tables``, every table not synthetic; ``user_tables``, those of them from
        the user's own files)."""
        kinds = self.sources.groupby(["cluster_id", "notebook"])
        found: dict[str, dict[str, Any]] = {}
        for row in self.runs.itertuples(index=False):
            key = f"{row.cluster_id}/{row.notebook}.results.json"
            part = kinds.get_group((row.cluster_id, row.notebook)) if (row.cluster_id, row.notebook) in kinds.groups else None
            found[key] = {
                "source": "results.json", "sha256": row.sha256,
                "synthetic_tables": sorted(part.loc[part["kind"] == "synthetic", "table"]) if part is not None else [],
                "real_tables": sorted(part.loc[part["kind"] != "synthetic", "table"]) if part is not None else [],
                "user_tables": sorted(part.loc[part["kind"] == "user file", "table"]) if part is not None else [],
            }
        return found


def tidy_headlines(documents: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The headline numbers of parsed results documents as one tidy frame (see :class:`ResultsCollection`).

    A document without ``cluster_id``, ``notebook`` or a ``headline`` mapping raises
    :class:`~agrocluster.errors.DataContractError` naming the document and the key.
    """
    rows = []
    for i, doc in enumerate(documents):
        where = doc.get("_file", f"results document {i}")
        for required in ("cluster_id", "notebook", "headline"):
            if required not in doc:
                raise DataContractError(f"{where}: key {required!r} is missing (a .results.json written by "
                                        "agrocluster.record has cluster_id, notebook and headline)")
        if not isinstance(doc["headline"], Mapping):
            raise DataContractError(f"{where}: key 'headline' must be a mapping of key → {{value, se, …}}")
        for key, entry in doc["headline"].items():
            entry = entry if isinstance(entry, Mapping) else {"value": entry}
            rows.append({
                "cluster_id": str(doc["cluster_id"]), "cluster_name": str(doc.get("cluster_name", doc["cluster_id"])),
                "notebook": str(doc["notebook"]), "key": str(key), "label": str(entry.get("label") or key),
                "unit": "" if entry.get("unit") is None else str(entry["unit"]),
                "value": _number(entry.get("value"), where, key, "value"),
                "se": _number(entry.get("se"), where, key, "se"),
            })
    frame = pd.DataFrame(rows, columns=HEADLINE_COLUMNS)
    frame["value"] = frame["value"].astype(float)
    frame["se"] = frame["se"].astype(float)
    return frame


def _number(value: Any, where: str, key: str, part: str) -> float:
    if value is None:
        return float("nan")
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise DataContractError(f"{where}: headline {key!r} has a non-numeric {part} {value!r}") from None


def load_results(results_dir: str | Path = "") -> ResultsCollection:
    """Read every ``<cluster>/<notebook>.results.json`` under the outputs folder (``""`` → the project's).

    The synthesis folder itself is skipped. A file that is not valid JSON or lacks the required keys raises
    :class:`~agrocluster.errors.DataContractError` naming the file; a folder with no results raises
    :class:`~agrocluster.errors.EstimationError` (nothing to compare).
    """
    folder = Path(results_dir) if results_dir else paths.outputs_dir()
    files = sorted(p for p in folder.glob("*/*.results.json") if p.parent.name != COLLECTION_FOLDER)
    if not files:
        raise EstimationError(f"results folder {folder}: no <cluster>/<notebook>.results.json to compare; "
                              "run the per-cluster workbooks first (agrocluster run)")
    documents, runs, sources = [], [], []
    for path in files:
        raw = path.read_bytes()
        try:
            doc = json.loads(raw)
        except ValueError as exc:
            raise DataContractError(f"{path}: not valid JSON ({exc})") from exc
        if not isinstance(doc, dict):
            raise DataContractError(f"{path}: the top level must be a JSON object, not {type(doc).__name__}")
        doc["_file"] = str(path)
        documents.append(doc)
        prov = doc.get("provenance") or {}
        stem = path.name[: -len(".results.json")]
        runs.append({"cluster_id": doc.get("cluster_id", path.parent.name), "notebook": doc.get("notebook", stem),
                     "started": prov.get("started"),
                     "failed_last_run": (path.parent / f"{stem}.failed.json").is_file(),
                     "file": str(path), "sha256": hashlib.sha256(raw).hexdigest()})
        data = (prov.get("params") or {}).get("data") or {}
        for table, spec in sorted(data.items()):
            source = str((spec or {}).get("source", "none"))
            sources.append({"cluster_id": doc.get("cluster_id", path.parent.name),
                            "notebook": doc.get("notebook", stem), "table": table, "source": source,
                            "kind": source_kind(source)})
    return ResultsCollection(
        headlines=tidy_headlines(documents),
        runs=pd.DataFrame(runs, columns=["cluster_id", "notebook", "started", "failed_last_run", "file", "sha256"]),
        sources=pd.DataFrame(sources, columns=["cluster_id", "notebook", "table", "source", "kind"]),
    )


# ---------------------------------------------------------------------------------------------------------
# Scorecard
# ---------------------------------------------------------------------------------------------------------


def _check_headlines(headlines: pd.DataFrame) -> None:
    missing = [c for c in ("cluster_id", "notebook", "key", "value", "se") if c not in headlines.columns]
    if missing:
        raise DataContractError(f"headlines: column {missing[0]!r} is missing (expected {HEADLINE_COLUMNS})")


def pick(headlines: pd.DataFrame, key: str, notebook: str | None = None) -> pd.DataFrame:
    """One row per cluster for headline ``key``: columns ``cluster_id, value, se, notebook, unit``.

    When a cluster records ``key`` in several notebooks, the row of ``notebook`` is used if given and
    present, otherwise the first notebook in name order.
    """
    _check_headlines(headlines)
    rows = headlines[headlines["key"] == key]
    if notebook is not None:
        rows = rows.assign(_pref=(rows["notebook"] != notebook).astype(int))
    else:
        rows = rows.assign(_pref=0)
    rows = rows.sort_values(["cluster_id", "_pref", "notebook"]).drop_duplicates("cluster_id")
    if "unit" not in rows:
        rows = rows.assign(unit="")
    return rows[["cluster_id", "value", "se", "notebook", "unit"]].reset_index(drop=True)


def scorecard(headlines: pd.DataFrame, columns: Mapping[str, tuple[str, str, str]] | None = None) -> pd.DataFrame:
    """Cluster × dimension table of headline values (NaN where a cluster did not record the number).

    Rows are every cluster in ``headlines`` (sorted by id, with ``cluster_name``); columns follow
    :data:`SCORECARD` (or ``columns``), each the value of the headline key it names.
    """
    _check_headlines(headlines)
    columns = SCORECARD if columns is None else columns
    names = (headlines[["cluster_id", "cluster_name"]].drop_duplicates("cluster_id")
             .sort_values("cluster_id").set_index("cluster_id") if "cluster_name" in headlines
             else pd.DataFrame(index=pd.Index(sorted(headlines["cluster_id"].unique()), name="cluster_id")))
    card = names.copy()
    for column, (notebook, key, _) in columns.items():
        card[column] = pick(headlines, key, notebook).set_index("cluster_id")["value"].reindex(card.index)
    return card


def scorecard_long(headlines: pd.DataFrame, columns: Mapping[str, tuple[str, str, str]] | None = None) -> pd.DataFrame:
    """The scorecard in long form with standard errors: ``cluster_id, dimension, key, value, se``."""
    columns = SCORECARD if columns is None else columns
    clusters = sorted(headlines["cluster_id"].unique())
    parts = []
    for column, (notebook, key, _) in columns.items():
        picked = pick(headlines, key, notebook).set_index("cluster_id").reindex(clusters)
        parts.append(pd.DataFrame({"cluster_id": clusters, "dimension": column, "key": key,
                                   "value": picked["value"].to_numpy(), "se": picked["se"].to_numpy()}))
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------------------------------------------------
# Ranking with uncertainty
# ---------------------------------------------------------------------------------------------------------


@dataclass
class RankResult:
    """Ranks of clusters on one headline number, simulated from normal draws around the estimates.

    Attributes
    ----------
    key : str
        The headline key ranked.
    order : list of str
        Cluster ids by mean simulated rank (best first).
    ranks : DataFrame
        ``cluster_id, value, se, point_rank, mean_rank, rank_low, rank_high, p_best``.
    excluded : DataFrame
        ``reason, n`` for clusters left out (no estimate, no standard error).
    draws, seed, level : the simulation settings.
    """

    key: str
    order: list[str]
    ranks: pd.DataFrame
    excluded: pd.DataFrame
    draws: int
    seed: int
    level: float
    higher_is_better: bool = True

    def table(self) -> pd.DataFrame:
        return self.ranks

    def summary(self) -> str:
        if not self.order:
            return f"{self.key}: no cluster has an estimate with a standard error"
        top = self.ranks.iloc[0]
        return (f"{self.key}: {len(self.order)} clusters ranked; {top['cluster_id']} first with probability "
                f"{top['p_best']:.2f} (rank interval {int(top['rank_low'])}–{int(top['rank_high'])}, "
                f"{self.level:.0%}, {self.draws} draws, seed {self.seed})")


def rank_clusters(headlines: pd.DataFrame, key: str, *, notebook: str | None = None, draws: int = 4_000,
                  seed: int = 0, level: float = 0.90, higher_is_better: bool = True) -> RankResult:
    """Rank clusters on headline ``key`` with uncertainty from the standard errors.

    For clusters c = 1..K with estimate m_c and standard error s_c, each draw d sets
    x_dc = m_c + s_c z_dc with z ~ N(0, 1) independent, and r_dc is the rank of x_dc among the K draws
    (1 = highest when ``higher_is_better``; ties averaged). Reported per cluster: the point rank of m_c,
    the mean of r_dc, the equal-tailed ``level`` interval of r_dc and P(r_dc = 1). With two clusters,
    P(c first) → Φ((m_c − m_other) / sqrt(s_c² + s_other²)). Independence across clusters is assumed
    (the estimates come from different samples).

    Clusters without an estimate or without a standard error are left out and counted in ``excluded``;
    a negative standard error raises :class:`~agrocluster.errors.DataContractError`.
    """
    if draws < 1:
        raise ParamsError(f"draws={draws}: must be at least 1")
    if not 0 < level < 1:
        raise ParamsError(f"level={level}: must be strictly between 0 and 1")
    picked = pick(headlines, key, notebook)
    no_value = picked["value"].isna()
    no_se = ~no_value & picked["se"].isna()
    negative = picked["se"] < 0
    if negative.any():
        bad = picked.loc[negative].iloc[0]
        raise DataContractError(f"headline {key!r} of cluster {bad['cluster_id']!r}: standard error "
                                f"{bad['se']} is negative")
    excluded = pd.DataFrame({"reason": ["no estimate recorded", "no standard error recorded"],
                             "n": [int(no_value.sum()), int(no_se.sum())]})
    excluded = excluded[excluded["n"] > 0].reset_index(drop=True)
    use = picked[~no_value & ~no_se].reset_index(drop=True)
    columns = ["cluster_id", "value", "se", "point_rank", "mean_rank", "rank_low", "rank_high", "p_best"]
    if use.empty:
        return RankResult(key, [], pd.DataFrame(columns=columns), excluded, draws, seed, level, higher_is_better)
    sign = -1.0 if higher_is_better else 1.0
    rng = np.random.default_rng(seed)
    mean = use["value"].to_numpy(float)
    se = use["se"].to_numpy(float)
    sims = mean + se * rng.standard_normal((draws, len(use)))
    ranks = stats.rankdata(sign * sims, axis=1)
    tail = (1 - level) / 2
    table = use[["cluster_id", "value", "se"]].assign(
        point_rank=stats.rankdata(sign * mean),
        mean_rank=ranks.mean(axis=0),
        rank_low=np.floor(np.quantile(ranks, tail, axis=0)),
        rank_high=np.ceil(np.quantile(ranks, 1 - tail, axis=0)),
        p_best=(ranks == 1).mean(axis=0),
    ).sort_values(["mean_rank", "cluster_id"]).reset_index(drop=True)
    return RankResult(key, list(table["cluster_id"]), table[columns], excluded, draws, seed, level, higher_is_better)


# ---------------------------------------------------------------------------------------------------------
# Danger flags
# ---------------------------------------------------------------------------------------------------------

FLAGS: dict[str, tuple[str, str, str]] = {
    # flag → (headline key, comparison, params attribute holding the threshold)
    "one-market dependence": ("top_market_share", ">", "top_market_share_threshold"),
    "links only inside": ("inside_link_share", ">", "inside_link_share_threshold"),
    "shrinking market share": ("world_export_share_change", "<", "shrinking_share_threshold"),
}


def danger_flags(headlines: pd.DataFrame, params: SynthesisParams | None = None) -> pd.DataFrame:
    """The seed's dangers, one row per cluster × flag.

    * one-market dependence: ``top_market_share`` > ``top_market_share_threshold``;
    * links only inside: ``inside_link_share`` > ``inside_link_share_threshold``;
    * shrinking market share: ``world_export_share_change`` < ``shrinking_share_threshold``.

    Shares recorded in percent (unit ``"%"``) are divided by 100 first: the thresholds are shares (0-1).
    Columns ``cluster_id, flag, indicator, value, rule, raised``; ``raised`` is a nullable boolean that is
    missing (``<NA>``) when the cluster did not record the indicator, so an absent number never reads as
    "no danger".
    """
    params = params or SynthesisParams()
    _check_headlines(headlines)
    clusters = sorted(headlines["cluster_id"].unique())
    parts = []
    for flag, (key, op, attribute) in FLAGS.items():
        threshold = float(getattr(params, attribute))
        picked = pick(headlines, key).set_index("cluster_id").reindex(clusters)
        percent = picked["unit"].fillna("").astype(str).str.strip().eq("%")
        values = picked["value"].where(~percent, picked["value"] / 100)  # thresholds are shares (0-1)
        raised = values > threshold if op == ">" else values < threshold
        parts.append(pd.DataFrame({
            "cluster_id": clusters, "flag": flag, "indicator": key, "value": values.to_numpy(),
            "rule": f"{key} {op} {threshold:g}",
            "raised": pd.array(np.where(values.isna(), None, raised), dtype="boolean"),
        }))
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------------------------------------------------
# The whole synthesis
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Synthesis:
    """Everything the synthesis workbook shows.

    Attributes
    ----------
    scorecard : DataFrame, cluster × :data:`SCORECARD` dimension (values).
    scorecard_se : DataFrame, the same in long form with standard errors.
    rankings : dict of headline key → :class:`RankResult`.
    flags : DataFrame from :func:`danger_flags`.
    data_kinds : DataFrame, cluster × data table → real / synthetic.
    n_clusters : int
    n_flags_raised : int, flags raised across clusters.
    n_flags_assessed : int, cluster × flag pairs whose indicator was recorded.
    synthetic_share : float, share of the (cluster, table) pairs in use that are synthetic.
    """

    scorecard: pd.DataFrame
    scorecard_se: pd.DataFrame
    rankings: dict[str, RankResult]
    flags: pd.DataFrame
    data_kinds: pd.DataFrame
    n_clusters: int
    n_flags_raised: int
    n_flags_assessed: int
    synthetic_share: float
    missing: pd.DataFrame = field(default_factory=pd.DataFrame)

    def table(self) -> pd.DataFrame:
        return self.scorecard.reset_index()

    def flags_wide(self) -> pd.DataFrame:
        """Cluster × flag: "yes", "no" or "not recorded"."""
        text = self.flags.assign(status=self.flags["raised"].map({True: "yes", False: "no"}).fillna("not recorded"))
        return text.pivot(index="cluster_id", columns="flag", values="status")[list(FLAGS)].rename_axis(columns=None)

    def summary(self) -> pd.DataFrame:
        rows = [("clusters compared", self.n_clusters), ("danger flags raised", self.n_flags_raised),
                ("danger flags assessed", self.n_flags_assessed),
                ("share of data tables that are synthetic", round(self.synthetic_share, 3))]
        rows += [(f"ranked on {k}", len(r.order)) for k, r in self.rankings.items()]
        return pd.DataFrame(rows, columns=["item", "value"])


def synthesise(collection: ResultsCollection, params: SynthesisParams | None = None,
               rank_keys: Iterable[str] = RANK_KEYS) -> Synthesis:
    """Scorecard, rankings (seeded by ``params.seed``) and danger flags of a results collection.

    ``missing`` lists, per scorecard dimension, how many clusters did not record it (nothing is dropped
    silently: those cells are NaN in the scorecard).
    """
    params = params or SynthesisParams()
    heads = collection.headlines
    card = scorecard(heads)
    rankings = {key: rank_clusters(heads, key, draws=params.rank_draws, seed=params.seed + i,
                                   level=params.rank_level)
                for i, key in enumerate(rank_keys)}
    flags = danger_flags(heads, params)
    kinds = collection.data_kinds()
    used = kinds.to_numpy().ravel() if kinds.size else np.array([], dtype=object)
    in_use = [k for k in used if k != "not used"]
    share = float(np.mean([("synthetic" in k) for k in in_use])) if in_use else float("nan")
    missing = pd.DataFrame({"dimension": list(SCORECARD),
                            "clusters_without": [int(card[c].isna().sum()) for c in SCORECARD]})
    return Synthesis(card, scorecard_long(heads), rankings, flags, kinds, len(card),
                     int(flags["raised"].sum()), int(flags["raised"].notna().sum()), share, missing)
