"""Cross-cluster synthesis: compare what every cluster's workbooks recorded, side by side.

The synthesis reads each cluster's ``<notebook>.results.json`` (never the HTML) that the runner recorded
as completed (:class:`agrocluster.results_file.RunLedger`; notebooks run by hand write to a scratch folder
it never reads), through the one typed reader :class:`agrocluster.results_file.ResultsFile`, and builds

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from . import headlines as headlines_module
from . import paths
from .data.files import source_kind
from .errors import DataContractError, EstimationError, ParamsError, ResultsFileError
from .params import SynthesisParams
from .results import ResultProtocol, exclusions, indicator_tidy, set_exclusions, tidy_frame
from .results_file import ResultsFile, RunLedger

__all__ = [
    "FLAGS", "HEADLINE_COLUMNS", "RANK_KEYS", "SCORECARD", "RankResult", "ResultsCollection", "Synthesis",
    "danger_flags", "load_results", "pick", "rank_clusters", "scorecard", "scorecard_dimensions", "scorecard_long",
    "synthesise",
    "tidy_headlines",
]

COLLECTION_FOLDER = paths.COLLECTION_ID

#: Scorecard column → the headline key it shows. The notebook that records it, its label, unit and
#: direction come from :data:`agrocluster.headlines.REGISTRY` (see :func:`scorecard_dimensions`).
SCORECARD: dict[str, str] = {
    "specialisation": "cluster_lq",
    "concentration": "eg_gamma",
    "agglomeration elasticity": "localisation_elasticity",
    "member productivity premium": "member_tfp_premium",
    "programme effect": "programme_att",
    "export orientation": "export_orientation",
    "market dependence": "top_market_share",
    "inside-link share": "inside_link_share",
    "inward cooperation": "horizontal_inward_excess",
    "joint action": "joint_action_tfp",
    "GHG of production": "ghg_production_kt",
    "footprint growth": "ghg_growth_pct",
    "collapse exposure": "worst_collapse_output_share",
    "historical export collapse": "largest_export_fall",
}

#: Headline keys ranked with uncertainty by default (all have standard errors; the direction of each
#: ranking comes from the registry).
RANK_KEYS: tuple[str, ...] = ("member_tfp_premium", "programme_att", "localisation_elasticity",
                              "member_export_premium")


def scorecard_dimensions(columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The scorecard's columns with what the registry declares about each: ``dimension, key, notebook,
    label, unit, direction``."""
    columns = SCORECARD if columns is None else columns
    rows = []
    for dimension, key in columns.items():
        declared = headlines_module.get(key)
        rows.append({"dimension": dimension, "key": key, "notebook": declared.notebook, "label": declared.label,
                     "unit": declared.symbol, "direction": declared.direction})
    return pd.DataFrame(rows, columns=["dimension", "key", "notebook", "label", "unit", "direction"])

HEADLINE_COLUMNS = ["cluster_id", "cluster_name", "notebook", "key", "label", "unit", "value", "se", "origin"]

#: Causal estimates → the headline flag (1 credible, 0 not) that says whether the cluster's pre-trend test
#: let the estimate stand as a causal effect. A cluster recording 0 is neither ranked nor flagged on it.
CREDIBILITY: dict[str, str] = {"programme_att": "programme_credible"}


def _not_credible(headlines: pd.DataFrame, key: str) -> set:
    """Clusters whose credibility headline for ``key`` is recorded as 0 (pre-trend test rejected)."""
    flag = CREDIBILITY.get(key)
    if flag is None:
        return set()
    rows = headlines[(headlines["key"] == flag) & (headlines["value"] == 0)]
    return set(rows["cluster_id"].tolist())


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
    not_recorded : DataFrame
        ``file, reason``: results files present in the folder that the runner did not record as completed
        (written by hand or left by an interrupted run), listed rather than read.
    """

    headlines: pd.DataFrame
    runs: pd.DataFrame
    sources: pd.DataFrame
    not_recorded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["file", "reason"]))

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


def tidy_headlines(documents: Sequence[ResultsFile | Mapping[str, Any]]) -> pd.DataFrame:
    """The headline numbers of results documents as one tidy frame (see :class:`ResultsCollection`).

    Documents are :class:`~agrocluster.results_file.ResultsFile` objects or their JSON mappings; a mapping
    that is not of the results shape raises :class:`~agrocluster.errors.ResultsFileError` naming the
    document and the key. Labels of declared keys come from :mod:`agrocluster.headlines`; the unit is the
    one recorded with the number (the registry's, for files the recorder wrote), else the registry's.
    """
    rows = []
    for i, doc in enumerate(documents):
        if not isinstance(doc, ResultsFile):
            doc = ResultsFile.from_mapping(doc, f"results document {i}")
        for key, entry in doc.headline.items():
            declared = headlines_module.REGISTRY.get(key)
            rows.append({
                "cluster_id": doc.cluster_id, "cluster_name": doc.cluster_name or doc.cluster_id,
                "notebook": doc.notebook, "key": key,
                "label": declared.label if declared else (entry.label or key),
                "unit": entry.unit or (declared.symbol if declared else ""),
                "value": float("nan") if entry.value is None else float(entry.value),
                "se": float("nan") if entry.se is None else float(entry.se),
                "origin": entry.origin or "",
            })
    frame = pd.DataFrame(rows, columns=HEADLINE_COLUMNS)
    frame["value"] = frame["value"].astype(float)
    frame["se"] = frame["se"].astype(float)
    return frame


def load_results(results_dir: str | Path = "") -> ResultsCollection:
    """Read the results files the runner recorded as completed under the outputs folder (``""`` → the project's).

    Only files listed in the runner's ledger (:class:`agrocluster.results_file.RunLedger`) are read; the
    synthesis folder itself and the scratch folder of notebooks run by hand never are. Other
    ``<cluster>/<notebook>.results.json`` files are listed in ``not_recorded``. A recorded file that is not
    valid JSON or not of the results shape raises :class:`~agrocluster.errors.ResultsFileError` (a
    :class:`~agrocluster.errors.DataContractError`) naming the file; a folder with no recorded results raises
    :class:`~agrocluster.errors.EstimationError` (nothing to compare).
    """
    folder = Path(results_dir) if results_dir else paths.outputs_dir()
    ledger = RunLedger.read(folder)
    recorded = sorted((e for e in ledger.tasks.values() if e.cluster_id != COLLECTION_FOLDER),
                      key=lambda e: (e.cluster_id, e.notebook))
    if not recorded:
        raise EstimationError(f"results folder {folder}: no <cluster>/<notebook>.results.json recorded by the "
                              f"runner ({RunLedger.path(folder).name}) to compare; run the per-cluster workbooks "
                              "first (agrocluster run)")
    listed = {folder / e.results for e in recorded}
    unlisted = sorted(str(p) for p in folder.glob("*/*.results.json")
                      if p.parent.name != COLLECTION_FOLDER and p not in listed)
    documents, runs, sources = [], [], []
    for entry in recorded:
        path = folder / entry.results
        raw = path.read_bytes() if path.is_file() else b""
        doc = ResultsFile.from_bytes(raw, path) if raw else _missing(path)
        documents.append(doc)
        prov = doc.provenance
        runs.append({"cluster_id": doc.cluster_id, "notebook": doc.notebook, "started": prov.started,
                     "failed_last_run": (path.parent / f"{doc.notebook}.failed.json").is_file(),
                     "file": str(path), "sha256": hashlib.sha256(raw).hexdigest()})
        for table, spec in sorted((prov.params.get("data") or {}).items()):
            source = str((spec or {}).get("source", "none"))
            sources.append({"cluster_id": doc.cluster_id, "notebook": doc.notebook, "table": table,
                            "source": source, "kind": source_kind(source)})
    return ResultsCollection(
        headlines=tidy_headlines(documents),
        runs=pd.DataFrame(runs, columns=["cluster_id", "notebook", "started", "failed_last_run", "file", "sha256"]),
        sources=pd.DataFrame(sources, columns=["cluster_id", "notebook", "table", "source", "kind"]),
        not_recorded=pd.DataFrame({"file": unlisted, "reason": "not recorded by the runner as a completed task"},
                                  columns=["file", "reason"]),
    )


def _missing(path: Path) -> ResultsFile:
    raise ResultsFileError(f"{path}: recorded by the runner as completed but missing or empty; rerun that "
                           "task (agrocluster run --force)")


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
    if "origin" not in rows:
        rows = rows.assign(origin=None)
    return rows[["cluster_id", "value", "se", "notebook", "unit", "origin"]].reset_index(drop=True)


def scorecard(headlines: pd.DataFrame, columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Cluster × dimension table of headline values (NaN where a cluster did not record the number).

    Rows are every cluster in ``headlines`` (sorted by id, with ``cluster_name``); columns follow
    :data:`SCORECARD` (or ``columns``: dimension → headline key), each the value of the headline key it
    names, taken from the notebook the registry says records it.
    """
    _check_headlines(headlines)
    columns = SCORECARD if columns is None else columns
    names = (headlines[["cluster_id", "cluster_name"]].drop_duplicates("cluster_id")
             .sort_values("cluster_id").set_index("cluster_id") if "cluster_name" in headlines
             else pd.DataFrame(index=pd.Index(sorted(headlines["cluster_id"].unique()), name="cluster_id")))
    card = names.copy()
    for column, key in columns.items():
        card[column] = (pick(headlines, key, headlines_module.get(key).notebook).set_index("cluster_id")["value"]
                        .reindex(card.index))
    return card


def scorecard_long(headlines: pd.DataFrame, columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The scorecard in long form with standard errors: ``cluster_id, dimension, key, label, unit,
    direction, value, se, origin`` (label, unit and direction from :mod:`agrocluster.headlines`; origin, real
    or synthetic, as the cluster recorded the number)."""
    columns = SCORECARD if columns is None else columns
    clusters = sorted(headlines["cluster_id"].unique())
    parts = []
    for column, key in columns.items():
        declared = headlines_module.get(key)
        picked = pick(headlines, key, declared.notebook).set_index("cluster_id").reindex(clusters)
        parts.append(pd.DataFrame({"cluster_id": clusters, "dimension": column, "key": key,
                                   "label": declared.label, "unit": declared.symbol,
                                   "direction": declared.direction,
                                   "value": picked["value"].to_numpy(), "se": picked["se"].to_numpy(),
                                   "origin": picked["origin"].to_numpy()}))
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------------------------------------------------
# Ranking with uncertainty
# ---------------------------------------------------------------------------------------------------------


@dataclass
class RankResult(ResultProtocol):
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
        ``reason, n, unit`` for clusters left out (no estimate, no standard error).
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

    def __post_init__(self) -> None:
        set_exclusions(self, unit="clusters")

    def tidy(self) -> pd.DataFrame:
        """Each ranked cluster's estimate and standard error (term = cluster id); the ranks are in :meth:`table`."""
        return tidy_frame(self.ranks["cluster_id"], self.ranks["value"], self.ranks["se"])

    @property
    def nobs(self) -> int:
        """Clusters ranked."""
        return len(self.order)

    def table(self) -> pd.DataFrame:
        return self.ranks

    def summary(self) -> pd.DataFrame:
        """The ranks table (as :meth:`table`)."""
        return self.ranks

    def reading(self) -> str:
        """One sentence: how many clusters were ranked and which comes first with what probability."""
        if not self.order:
            return f"{self.key}: no cluster has an estimate with a standard error"
        top = self.ranks.iloc[0]
        return (f"{self.key}: {len(self.order)} clusters ranked; {top['cluster_id']} first with probability "
                f"{top['p_best']:.2f} (rank interval {int(top['rank_low'])}–{int(top['rank_high'])}, "
                f"{self.level:.0%}, {self.draws} draws, seed {self.seed})")


def rank_clusters(headlines: pd.DataFrame, key: str, *, notebook: str | None = None, draws: int = 4_000,
                  seed: int = 0, level: float = 0.90, higher_is_better: bool = True,
                  exclude_synthetic: bool = False, leave_out: Mapping[str, str] | None = None) -> RankResult:
    """Rank clusters on headline ``key`` with uncertainty from the standard errors.

    For clusters c = 1..K with estimate m_c and standard error s_c, each draw d sets
    x_dc = m_c + s_c z_dc with z ~ N(0, 1) independent, and r_dc is the rank of x_dc among the K draws
    (1 = highest when ``higher_is_better``; ties averaged). Reported per cluster: the point rank of m_c,
    the mean of r_dc, the equal-tailed ``level`` interval of r_dc and P(r_dc = 1). With two clusters,
    P(c first) → Φ((m_c − m_other) / sqrt(s_c² + s_other²)). Independence across clusters is assumed
    (the estimates come from different samples).

    Clusters without an estimate or without a standard error are left out and counted in ``excluded``;
    a negative standard error raises :class:`~agrocluster.errors.DataContractError`. With
    ``exclude_synthetic`` a number recorded from synthetic data is left out too (it recovers a parameter
    the generator planted: ranking it would rank the generator's settings as if they were findings);
    ``leave_out`` maps cluster ids to the reason they are left out (e.g. failed pre-trends).
    Clusters whose credibility flag (:data:`CREDIBILITY`, e.g. ``programme_credible`` = 0 for
    ``programme_att``) says the pre-trend test rejected are left out and counted too.

    Examples
    --------
    >>> heads = pd.DataFrame({"cluster_id": ["aa", "bb", "cc"], "notebook": "03_productivity", "key": "member_tfp_premium",
    ...                       "value": [0.30, 0.10, 0.20], "se": [0.05, 0.05, 0.05]})
    >>> res = rank_clusters(heads, "member_tfp_premium", draws=1000, seed=1)
    >>> res.order
    ['aa', 'cc', 'bb']
    >>> res.ranks[["cluster_id", "point_rank", "p_best"]].round(2)
      cluster_id  point_rank  p_best
    0         aa         1.0    0.92
    1         cc         2.0    0.07
    2         bb         3.0    0.00
    """
    if draws < 1:
        raise ParamsError(f"draws={draws}: must be at least 1")
    if not 0 < level < 1:
        raise ParamsError(f"level={level}: must be strictly between 0 and 1")
    picked = pick(headlines, key, notebook)
    doubtful = picked["cluster_id"].isin(_not_credible(headlines, key))
    picked = picked.assign(value=picked["value"].mask(doubtful))
    no_value = picked["value"].isna() & ~doubtful
    no_se = ~no_value & ~doubtful & picked["se"].isna()
    negative = picked["se"] < 0
    if negative.any():
        bad = picked.loc[negative].iloc[0]
        raise DataContractError(f"headline {key!r} of cluster {bad['cluster_id']!r}: standard error "
                                f"{bad['se']} is negative")
    synthetic = ~no_value & ~no_se & ~doubtful & (picked["origin"] == "synthetic").fillna(False).astype(bool) \
        if exclude_synthetic else pd.Series(False, index=picked.index)
    leave_out = dict(leave_out or {})
    other = ~no_value & ~no_se & ~synthetic & ~doubtful & picked["cluster_id"].isin(list(leave_out))
    reasons = ["no estimate recorded", "no standard error recorded",
               "synthetic data: recovers a planted parameter, not a finding",
               "pre-trend test rejects: not credible as a causal effect"]
    counts = [int(no_value.sum()), int(no_se.sum()), int(synthetic.sum()), int(doubtful.sum())]
    for reason in sorted({leave_out[c] for c in picked.loc[other, "cluster_id"]}):
        reasons.append(reason)
        counts.append(int((other & picked["cluster_id"].map(leave_out).eq(reason)).sum()))
    excluded = pd.DataFrame({"reason": reasons, "n": counts})
    excluded = excluded[excluded["n"] > 0].reset_index(drop=True)
    use = picked[~no_value & ~no_se & ~synthetic & ~doubtful & ~other].reset_index(drop=True)
    columns = ["cluster_id", "value", "se", "point_rank", "mean_rank", "rank_low", "rank_high", "p_best", "origin"]
    if use.empty:
        return RankResult(key, [], pd.DataFrame(columns=columns), excluded, draws, seed, level, higher_is_better)
    sign = -1.0 if higher_is_better else 1.0
    rng = np.random.default_rng(seed)
    mean = use["value"].to_numpy(float)
    se = use["se"].to_numpy(float)
    sims = mean + se * rng.standard_normal((draws, len(use)))
    ranks = stats.rankdata(sign * sims, axis=1)
    tail = (1 - level) / 2
    table = use[["cluster_id", "value", "se", "origin"]].assign(
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

#: Flag → the headline its indicator is compared with (the benchmark), see :func:`danger_flags`.
BENCHMARKS: dict[str, str] = {
    "links only inside": "member_firm_share",
    "shrinking market share": "world_export_share",
}


def random_mixing_inside_share(member_share: Any) -> Any:
    """The inside share of members' links when links join random pairs of firms: ``p / (2 - p)`` for a
    members' share ``p`` of the firms (a random link with a member end joins two members with probability
    ``p^2`` and one with ``2p(1 - p)``; the many-firm limit of :func:`agrocluster.linkages.random_mixing_share`)."""
    return member_share / (2 - member_share)


def danger_flags(headlines: pd.DataFrame, params: SynthesisParams | None = None) -> pd.DataFrame:
    """The seed's dangers, one row per cluster × flag.

    * one-market dependence: ``top_market_share`` > ``top_market_share_threshold``;
    * links only inside: ``inside_link_share`` > ``inside_link_share_threshold`` **and** above random
      mixing. If members chose partners at random among all firms, the expected share of their links that
      stay inside is ``p / (2 - p)`` with ``p`` the members' share of firms (``member_firm_share``,
      :func:`random_mixing_inside_share`); a high inside share in a cluster that holds most firms is no
      closure. Without the benchmark recorded, the threshold alone decides and
      the rule says so;
    * shrinking market share: the change of the world export share relative to its own size,
      ``world_export_share_change / (world_export_share - world_export_share_change)`` (the base-year
      share), < ``shrinking_share_threshold`` (a fall of 0.2 pp means little for a 30 % share and much
      for a 0.5 % share); without the share recorded, any fall of the absolute change raises it.

    Shares recorded in percent (unit ``"%"``) are divided by 100 first: the thresholds are shares (0-1).
    Columns ``cluster_id, flag, indicator, value, rule, raised``; ``raised`` is a nullable boolean that is
    missing (``<NA>``) when the cluster did not record the indicator, so an absent number never reads as
    "no danger", and when the indicator is a causal estimate that the cluster's pre-trend test made not
    credible (:data:`CREDIBILITY`).
    """
    params = params or SynthesisParams()
    _check_headlines(headlines)
    clusters = sorted(headlines["cluster_id"].unique())
    parts = []
    for flag, (key, op, attribute) in FLAGS.items():
        threshold = float(getattr(params, attribute))
        picked = pick(headlines, key).set_index("cluster_id").reindex(clusters)
        picked.loc[picked.index.isin(_not_credible(headlines, key)), "value"] = np.nan  # no flag from it
        percent = picked["unit"].fillna("").astype(str).str.strip().eq("%")
        values = picked["value"].where(~percent, picked["value"] / 100)  # thresholds are shares (0-1)
        rule = pd.Series(f"{key} {op} {threshold:g}", index=values.index)
        benchmark = pd.Series(np.nan, index=values.index)
        if flag in BENCHMARKS:
            bench = pick(headlines, BENCHMARKS[flag]).set_index("cluster_id").reindex(clusters)
            bench_percent = bench["unit"].fillna("").astype(str).str.strip().eq("%")
            benchmark = bench["value"].where(~bench_percent, bench["value"] / 100)
            if flag == "links only inside":
                benchmark = random_mixing_inside_share(benchmark)
        has_bench = benchmark.notna()
        cut = pd.Series(threshold, index=values.index)
        if flag == "shrinking market share":   # change in pp against the share in percent
            base = bench["value"].where(bench_percent, bench["value"] * 100) - values
            values = values.where(~has_bench, values / base.where(base > 0))
            rule = rule.where(~has_bench, f"{key} relative to the base-year share {op} {threshold:g}")
            cut = cut.where(has_bench, 0.0)
            rule = rule.where(has_bench, f"{key} < 0 (any fall: world_export_share not recorded)")
        raised = values > cut if op == ">" else values < cut
        if flag == "links only inside":
            raised = raised & (~has_bench | (values > benchmark))
            rule = rule.where(~has_bench, rule + " and above random mixing (p / (2 - p), p the members' share of "
                                                 "firms)")
            rule = rule.where(has_bench, rule + " (no random-mixing benchmark recorded)")
        parts.append(pd.DataFrame({
            "cluster_id": clusters, "flag": flag, "indicator": key, "value": values.to_numpy(),
            "benchmark": benchmark.to_numpy(), "rule": rule.to_numpy(),
            "raised": pd.array(np.where(values.isna(), None, raised), dtype="boolean"),
        }))
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------------------------------------------------
# Typology: cluster profiles → the policy levers of the FAO study
# ---------------------------------------------------------------------------------------------------------

#: The policy levers of Gálvez-Nogales (2010), *Agro-based clusters in developing countries: staying
#: competitive in a globalized economy* (FAO Agricultural Management, Marketing and Finance Occasional
#: Paper 25), and the profile that points to each.
LEVERS: dict[str, str] = {
    "upgrading": "members are not more productive than other firms of their sector "
                 "(member_tfp_premium not above zero at 95 %)",
    "market diversification": "one market takes most exports or the world share is shrinking "
                              "(danger flags one-market dependence / shrinking market share)",
    "joint action": "the sector is concentrated in the cluster (cluster_lq > 1) but its members link "
                    "with each other no more than random mixing would (inside_link_share <= p / (2 - p), "
                    "p = member_firm_share)",
    "outside links": "the members' links stay inside (danger flag links only inside)",
}

TYPOLOGY_COLUMNS = ["cluster_id", "lever", "reason", "origin"]


def typology(headlines: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """Map each cluster's profile to the FAO study's policy levers (:data:`LEVERS`).

    One row per cluster × lever that its numbers point to: ``cluster_id, lever, reason, origin``; origin
    is "synthetic" when any number behind the row comes from synthetic data (the row then illustrates the
    mapping, it is no advice to the real cluster). A lever whose indicators were not recorded is not
    listed. Pure function of the tidy headlines and :func:`danger_flags`.
    """
    _check_headlines(headlines)
    rows = []

    def value(key: str, cluster: str) -> tuple[float, float, str | None]:
        got = pick(headlines, key).set_index("cluster_id")
        if cluster not in got.index:
            return np.nan, np.nan, None
        row = got.loc[cluster]
        return float(row["value"]), float(row["se"]) if pd.notna(row["se"]) else np.nan, row["origin"]

    def origin(*origins: str | None) -> str:
        return "synthetic" if "synthetic" in origins else "real"

    raised = flags[flags["raised"].fillna(False).astype(bool)]
    for cluster in sorted(headlines["cluster_id"].unique()):
        premium, se, o_premium = value("member_tfp_premium", cluster)
        if np.isfinite(premium) and (not np.isfinite(se) or premium - 1.96 * se <= 0):
            rows.append((cluster, "upgrading", f"member TFP premium {premium:+.3f} log points"
                         + (f" (se {se:.3f})" if np.isfinite(se) else ""), origin(o_premium)))
        mine = raised[raised["cluster_id"] == cluster]
        market = mine[mine["flag"].isin(["one-market dependence", "shrinking market share"])]
        if len(market):
            keys = list(market["indicator"])
            rows.append((cluster, "market diversification", "raised: " + ", ".join(market["flag"]),
                         origin(*(value(k, cluster)[2] for k in keys))))
        lq, _, o_lq = value("cluster_lq", cluster)
        inside, _, o_inside = value("inside_link_share", cluster)
        members, _, o_members = value("member_firm_share", cluster)
        mixing = random_mixing_inside_share(members)
        if np.isfinite(lq) and lq > 1 and np.isfinite(inside) and np.isfinite(mixing) and inside <= mixing:
            reason = (f"LQ {lq:.2f}; inside-link share {inside:.2f} <= {mixing:.2f} under random mixing (members' "
                      f"share of firms {members:.2f})")
            rows.append((cluster, "joint action", reason, origin(o_lq, o_inside, o_members)))
        if (mine["flag"] == "links only inside").any():
            rows.append((cluster, "outside links", f"inside-link share {inside:.2f} (danger flag)",
                         origin(o_inside, o_members)))
    return pd.DataFrame(rows, columns=TYPOLOGY_COLUMNS)


# ---------------------------------------------------------------------------------------------------------
# The whole synthesis
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Synthesis(ResultProtocol):
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
    levers: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TYPOLOGY_COLUMNS))

    def tidy(self) -> pd.DataFrame:
        """The counts of :meth:`summary` (descriptive: no SEs)."""
        return indicator_tidy(self.summary().set_index("item")["value"].to_dict())

    @property
    def nobs(self) -> int:
        """Clusters compared."""
        return int(self.n_clusters)

    @property
    def excluded(self) -> pd.DataFrame:
        """Clusters left out of a ranking, by headline key (column ``key``)."""
        parts = [r.excluded.assign(key=k) for k, r in self.rankings.items() if len(r.excluded)]
        return pd.concat(parts, ignore_index=True) if parts else exclusions(unit="clusters").assign(
            key=pd.Series(dtype="string"))

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
    """Scorecard, rankings (seeded by ``params.seed``), danger flags and policy levers of a results collection.

    Rankings hold only comparable, credible numbers: numbers from synthetic data are left out (they
    recover planted parameters), and so is a programme effect whose test of no pre-programme trends
    rejects at :data:`PRETREND_ALPHA`; both are counted in each ranking's ``excluded``.
    ``missing`` lists, per scorecard dimension, how many clusters did not record it (nothing is dropped
    silently: those cells are NaN in the scorecard).

    Examples
    --------
    >>> heads = pd.DataFrame({"cluster_id": ["aa", "bb"], "cluster_name": ["A", "B"], "notebook": "03_productivity",
    ...                       "key": "member_tfp_premium", "label": "TFP premium", "unit": "log points",
    ...                       "value": [0.30, 0.10], "se": [0.05, 0.05]})
    >>> runs = pd.DataFrame({"cluster_id": ["aa", "bb"], "notebook": "03_productivity", "started": "2026-12-01",
    ...                      "failed_last_run": False, "file": "x.json", "sha256": "0"})
    >>> sources = pd.DataFrame({"cluster_id": ["aa", "bb"], "notebook": "03_productivity", "table": "establishments",
    ...                         "source": "synthetic", "kind": "synthetic"})
    >>> result = synthesise(ResultsCollection(heads, runs, sources))
    >>> result.nobs, result.rankings["member_tfp_premium"].order
    (2, ['aa', 'bb'])
    """
    params = params or SynthesisParams()
    heads = collection.headlines
    card = scorecard(heads)
    rankings = {key: rank_clusters(heads, key, notebook=headlines_module.get(key).notebook,
                                   draws=params.rank_draws, seed=params.seed + i, level=params.rank_level,
                                   higher_is_better=headlines_module.get(key).direction != "lower is better",
                                   exclude_synthetic=True, leave_out=failed_pretrends(heads) if
                                   key == "programme_att" else None)
                for i, key in enumerate(rank_keys)}
    flags = danger_flags(heads, params)
    kinds = collection.data_kinds()
    used = kinds.to_numpy().ravel() if kinds.size else np.array([], dtype=object)
    in_use = [k for k in used if k != "not used"]
    share = float(np.mean([("synthetic" in k) for k in in_use])) if in_use else float("nan")
    missing = pd.DataFrame({"dimension": list(SCORECARD),
                            "clusters_without": [int(card[c].isna().sum()) for c in SCORECARD]})
    return Synthesis(card, scorecard_long(heads), rankings, flags, kinds, len(card),
                     int(flags["raised"].sum()), int(flags["raised"].notna().sum()), share, missing,
                     typology(heads, flags))


#: Pre-trend tests rejecting below this p-value make a programme effect not credible enough to rank.
PRETREND_ALPHA = 0.05


def failed_pretrends(headlines: pd.DataFrame, alpha: float = PRETREND_ALPHA) -> dict[str, str]:
    """Cluster id → reason, for clusters whose ``programme_pretrend_pvalue`` is below ``alpha``."""
    tests = pick(headlines, "programme_pretrend_pvalue")
    failed = tests[tests["value"] < alpha]
    return {c: f"pre-programme trends rejected (p < {alpha:g})" for c in failed["cluster_id"]}
