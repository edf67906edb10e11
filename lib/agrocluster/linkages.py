"""Inter-firm linkages inside and outside the cluster, and input–output (Rasmussen–Hirschman) linkages.

``firm_links`` (``source, target, year, kind, value``; kind in input_supply, sales, cooperation, knowledge)
is joined to the ``cluster_member`` flag of the ``establishments`` panel. A link is

- *inside* when both firms are cluster members,
- *boundary* when exactly one is (the cluster's links to the outside),
- *outside* when neither is.

Betweenness comes from networkx (Brandes). Counts that are plain group-bys (degrees, density, link shares),
local clustering (sparse matrix products) and the Gould–Fernandez brokerage census (array joins over the
edge list) are vectorised, because walking the graph node by node in Python takes minutes on a 100k-link
graph (see ``benchmarks/linkages.py``); tests check them against networkx and a naive census.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from agrocluster._frames import describe_rows as _rows
from agrocluster._frames import require_columns as _require
from agrocluster.errors import DataContractError, EstimationError
from agrocluster.results import NothingExcluded, ResultProtocol, indicator_tidy, set_exclusions, tidy_frame

__all__ = [
    "LINK_KINDS",
    "LINK_ORIENTATION",
    "InputOutputLinkages",
    "JointAction",
    "LinkOrientation",
    "LinkShares",
    "NetworkMetrics",
    "brokerage_roles",
    "joint_action",
    "link_orientation",
    "link_shares",
    "network_metrics",
    "network_over_time",
    "random_mixing_share",
    "rasmussen_hirschman",
]

LINK_KINDS = ("input_supply", "sales", "cooperation", "knowledge")
#: Kind of link → orientation in the FAO study's terms (Gálvez-Nogales 2010): links along the value chain
#: (buying inputs, selling output) are vertical, links among producers (cooperation, knowledge) horizontal.
LINK_ORIENTATION = {"input_supply": "vertical", "sales": "vertical", "cooperation": "horizontal",
                    "knowledge": "horizontal"}
ROLES = ("coordinator", "itinerant", "representative", "gatekeeper", "liaison")


# --------------------------------------------------------------------------------------------- validation


def _int_years(df: pd.DataFrame, what: str) -> np.ndarray:
    y = df["year"]
    if not pd.api.types.is_integer_dtype(y):
        raise DataContractError(f"{what}: 'year' must be integer, got dtype {y.dtype}")
    return y.to_numpy(dtype=np.int64)


def _links(links: pd.DataFrame, establishments: pd.DataFrame, member: str, what: str) -> pd.DataFrame:
    """Validate links and attach the membership of both ends (``m_source``, ``m_target`` booleans)."""
    keys = ["source", "target", "year", "kind"]
    _require(links, [*keys, "value"], what)
    _require(establishments, ["firm_id", "year", member], what)
    for c in ("source", "target", "kind", "year"):
        na = links[c].isna().to_numpy()
        if na.any():
            raise DataContractError(f"{what}: {c!r} is missing in {_rows(links, na, keys)}")
    bad = ~links["kind"].astype(str).isin(LINK_KINDS).to_numpy()
    if bad.any():
        raise DataContractError(f"{what}: 'kind' must be one of {LINK_KINDS}; other values in {_rows(links, bad, keys)}")
    if not pd.api.types.is_numeric_dtype(links["value"]) or pd.api.types.is_bool_dtype(links["value"]):
        raise DataContractError(f"{what}: 'value' must be numeric, got dtype {links['value'].dtype}")
    v = links["value"].to_numpy(dtype="float64", na_value=np.nan)
    bad = np.isnan(v) | ~np.isfinite(v) | (v < 0)
    if bad.any():
        raise DataContractError(f"{what}: 'value' must be finite and >= 0; bad in {_rows(links, bad, keys)}")
    out = pd.DataFrame(
        {
            "source": links["source"].astype(str).to_numpy(),
            "target": links["target"].astype(str).to_numpy(),
            "year": links["year"].to_numpy(),
            "kind": links["kind"].astype(str).to_numpy(),
            "value": v,
        }
    )
    loops = (out["source"] == out["target"]).to_numpy()
    if loops.any():
        raise DataContractError(f"{what}: a firm linked to itself (source == target) in {_rows(links, loops, keys)}")
    flag = establishments[member]
    if flag.isna().any():
        raise DataContractError(
            f"{what}: {member!r} is missing in {_rows(establishments, flag.isna().to_numpy(), ['firm_id', 'year'])}"
        )
    est_firm = establishments["firm_id"].astype(str).to_numpy()
    firm_index = pd.Index(pd.unique(est_firm))
    code = {end: firm_index.get_indexer(out[end].to_numpy()) for end in ("source", "target")}
    for end in ("source", "target"):
        unknown = sorted(set(out[end].to_numpy()[code[end] < 0]))
        if unknown:
            raise DataContractError(
                f"{what}: link {end}(s) not in the establishment table: {unknown[:10]}"
                + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
            )
    # membership looked up by (firm, year) in a dense firm x year array; -1 marks a firm-year not recorded
    est_code = firm_index.get_indexer(est_firm)
    est_year = _int_years(establishments, what)
    link_year = _int_years(out, what)
    y0 = int(min(est_year.min(), link_year.min()))
    span = int(max(est_year.max(), link_year.max())) - y0 + 1
    lookup = np.full(len(firm_index) * span, -1, dtype=np.int8)
    est_flag = flag.astype(bool).to_numpy().astype(np.int8)
    lookup[est_code * span + (est_year - y0)] = est_flag
    lo = np.full(len(firm_index), 1, dtype=np.int8)
    hi = np.zeros(len(firm_index), dtype=np.int8)
    np.minimum.at(lo, est_code, est_flag)
    np.maximum.at(hi, est_code, est_flag)
    for end in ("source", "target"):
        m = lookup[code[end] * span + (link_year - y0)]
        gap = m < 0
        if gap.any():
            ambiguous = gap & (lo[code[end]] != hi[code[end]])
            if ambiguous.any():
                firms = sorted(set(out[end].to_numpy()[ambiguous]))[:10]
                raise DataContractError(
                    f"{what}: membership of {end} firm(s) {firms} is not recorded in the link's year and changes "
                    "over the years in the establishment table: add those firm-years"
                )
            m = np.where(gap, lo[code[end]], m)
        out[f"m_{end}"] = m.astype(bool)
    n_members = out["m_source"].astype(int) + out["m_target"].astype(int)
    out["link_type"] = pd.Series(np.array(["outside", "boundary", "inside"])[n_members], dtype="string")
    return out


# -------------------------------------------------------------------------------------------- link shares


@dataclass(frozen=True)
class LinkShares(NothingExcluded, ResultProtocol):
    """Shares of links inside the cluster vs across its boundary, by count and by value.

    Attributes
    ----------
    inside_share_count : inside / (inside + boundary) links, over all years and kinds: of the links a cluster
        member has, the share with another member.
    inside_share_value : the same weighted by link value.
    n_inside, n_boundary, n_outside : numbers of links of each type.
    """

    inside_share_count: float
    inside_share_value: float
    n_inside: int
    n_boundary: int
    n_outside: int
    shares: pd.DataFrame = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """Inside shares by count and value and the link counts (descriptive: no SEs)."""
        return indicator_tidy(self.summary().set_index("indicator")["value"].to_dict())

    @property
    def nobs(self) -> int:
        """Links of every type."""
        return int(self.n_inside + self.n_boundary + self.n_outside)

    def table(self) -> pd.DataFrame:
        return self.shares.copy()

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "indicator": ["inside_share_count", "inside_share_value", "n_inside", "n_boundary", "n_outside"],
                "value": [self.inside_share_count, self.inside_share_value, self.n_inside, self.n_boundary,
                          self.n_outside],
            }
        )


def _share_table(lk: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    types = ["inside", "boundary", "outside"]
    keys = list(by) or ["_all"]
    d = lk.assign(_all=0) if not by else lk
    grouped = d.groupby([*keys, "link_type"], observed=True)["value"]
    n = grouped.size().unstack("link_type", fill_value=0).reindex(columns=types, fill_value=0)
    v = grouped.sum().unstack("link_type", fill_value=0.0).reindex(columns=types, fill_value=0.0)
    out = pd.DataFrame(index=n.index)
    for t in types:
        out[f"n_{t}"] = n[t].astype("int64")
    for t in types:
        out[f"value_{t}"] = v[t].astype("float64")
    out["n_links"] = n.sum(axis=1).astype("int64")
    out["value"] = v.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["inside_share_count"] = n["inside"] / (n["inside"] + n["boundary"])
        out["inside_share_value"] = v["inside"] / (v["inside"] + v["boundary"])
    out = out.reset_index()
    return out.drop(columns="_all") if not by else out


def link_shares(
    links: pd.DataFrame,
    establishments: pd.DataFrame,
    member: str = "cluster_member",
    by: tuple[str, ...] = ("year", "kind"),
) -> LinkShares:
    """Share of cluster members' links that stay inside the cluster, by count and value, by ``by`` groups.

    ``inside_share = L_inside / (L_inside + L_boundary)`` where ``L`` counts links (or sums their value);
    links between two non-members (``outside``) are reported but do not enter the share. Membership is the
    flag of the link's year; a firm-year missing from the establishment table takes the firm's flag when
    it never changes (else an error).

    Raises
    ------
    DataContractError
        Missing columns, unknown ``kind``, negative or missing values, self-links, links to firms not in the
        establishment table (named), ambiguous membership.
    EstimationError
        No link involves a cluster member (the share is 0/0).

    Examples
    --------
    >>> links = pd.DataFrame({"source": ["F1", "F1", "F2", "F3", "F4"], "target": ["F2", "F3", "F3", "F4", "F5"],
    ...                       "year": 2020, "kind": "input_supply", "value": [10.0, 5.0, 5.0, 20.0, 8.0]})
    >>> est = pd.DataFrame({"firm_id": ["F1", "F2", "F3", "F4", "F5"], "year": 2020,
    ...                     "cluster_member": [True, True, True, False, False]})
    >>> res = link_shares(links, est)
    >>> round(res.inside_share_count, 3), round(res.inside_share_value, 3), res.nobs
    (0.75, 0.5, 5)
    """
    what = "link_shares"
    lk = _links(links, establishments, member, what)
    bad = [b for b in by if b not in ("year", "kind")]
    if bad:
        raise DataContractError(f"{what}: by={by!r} may only contain 'year' and 'kind'")
    total = _share_table(lk, [])
    n_in, n_b, n_out = (int(total[f"n_{t}"].iloc[0]) for t in ("inside", "boundary", "outside"))
    if n_in + n_b == 0:
        raise EstimationError(f"{what}: no link involves a cluster member ({member!r} true): inside share is 0/0")
    return LinkShares(
        inside_share_count=float(total["inside_share_count"].iloc[0]),
        inside_share_value=float(total["inside_share_value"].iloc[0]),
        n_inside=n_in,
        n_boundary=n_b,
        n_outside=n_out,
        shares=_share_table(lk, list(by)),
    )


# ----------------------------------------------------------------------------------------------- brokerage


def brokerage_roles(edges: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Gould–Fernandez (1989) brokerage role counts of every node of a directed graph.

    As R ``sna::brokerage`` (raw counts): node ``b`` brokers for ``a`` and ``c`` when ``a -> b -> c``,
    ``a != c`` and there is no direct tie ``a -> c`` (open two-path). With ``g()`` the group of a node:

    - coordinator ``w_I``: ``g(a) = g(b) = g(c)``;
    - itinerant (consultant) ``w_O``: ``g(a) = g(c) != g(b)``;
    - representative ``b_IO``: ``g(a) = g(b) != g(c)``;
    - gatekeeper ``b_OI``: ``g(b) = g(c) != g(a)``;
    - liaison ``b_O``: all three groups differ (needs three or more groups; with the two groups
      member / non-member it is always 0).

    Parameters
    ----------
    edges : DataFrame
        ``source, target`` (duplicates are collapsed to one tie; self-ties ignored).
    groups : Series
        Group label of each node, indexed by node id.

    Returns
    -------
    DataFrame
        ``node`` and one column per role, plus ``total`` and ``boundary`` (= representative + gatekeeper,
        the brokerage that crosses the group boundary in and out), one row per node in ``groups``.
    """
    e = edges[["source", "target"]].astype(str).drop_duplicates()
    e = e[e["source"] != e["target"]]
    nodes = pd.Index(groups.index.astype(str))
    missing = sorted(set(e["source"]).union(e["target"]) - set(nodes))
    if missing:
        raise DataContractError(f"brokerage_roles: node(s) without a group: {missing[:10]}")
    codes = {n: i for i, n in enumerate(nodes)}
    s = e["source"].map(codes).to_numpy(dtype=np.int64)
    t = e["target"].map(codes).to_numpy(dtype=np.int64)
    g = pd.factorize(groups.astype(str).to_numpy())[0]
    n = len(nodes)
    # two-paths a -> b -> c: join edges (a, b) with edges (b, c) on b
    order = np.argsort(s, kind="stable")
    s_sorted, t_sorted = s[order], t[order]
    starts = np.searchsorted(s_sorted, np.arange(n + 1))
    out_deg = np.diff(starts)
    reps = out_deg[t]  # for edge (a, b): number of edges leaving b
    a = np.repeat(s, reps)
    b = np.repeat(t, reps)
    offs = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    c = t_sorted[np.repeat(starts[t], reps) + offs]
    keep = a != c
    a, b, c = a[keep], b[keep], c[keep]
    direct = np.isin(a * n + c, s * n + t)
    a, b, c = a[~direct], b[~direct], c[~direct]
    ga, gb, gc = g[a], g[b], g[c]
    role = np.select(
        [(ga == gb) & (gb == gc), (ga == gc) & (ga != gb), (ga == gb) & (gb != gc), (gb == gc) & (ga != gb)],
        [0, 1, 2, 3],
        default=4,
    )
    counts = np.zeros((n, len(ROLES)), dtype=np.int64)
    np.add.at(counts, (b, role), 1)
    out = pd.DataFrame(counts, columns=list(ROLES))
    out.insert(0, "node", nodes)
    out["total"] = counts.sum(axis=1)
    out["boundary"] = out["representative"] + out["gatekeeper"]
    return out


# ---------------------------------------------------------------------------------------- network metrics


@dataclass(frozen=True)
class NetworkMetrics(NothingExcluded, ResultProtocol):
    """Firm network metrics for one selection of links (a year and/or kinds).

    Attributes
    ----------
    n_firms, n_ties : nodes (firms with at least one link) and distinct directed ties.
    density : ``n_ties / (n_firms (n_firms - 1))`` (directed).
    avg_clustering : mean local clustering coefficient of the undirected graph (= networkx ``average_clustering``).
    mean_degree : mean total (in + out) degree.
    inside_share_count, inside_share_value : as :func:`link_shares` on the selected links.
    members_density, members_avg_clustering : density and clustering of the subgraph of member firms.
    nodes : per-firm DataFrame (``table()``): membership, degrees, clustering, betweenness, brokerage roles.
    """

    n_firms: int
    n_ties: int
    density: float
    avg_clustering: float
    mean_degree: float
    inside_share_count: float
    inside_share_value: float
    members_density: float
    members_avg_clustering: float
    nodes: pd.DataFrame = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """The network indicators of :meth:`summary` (descriptive: no SEs)."""
        return indicator_tidy(self.summary().set_index("indicator")["value"].to_dict())

    @property
    def nobs(self) -> int:
        """Firms with at least one link."""
        return int(self.n_firms)

    def table(self) -> pd.DataFrame:
        return self.nodes.copy()

    def summary(self) -> pd.DataFrame:
        names = ["n_firms", "n_ties", "density", "avg_clustering", "mean_degree", "inside_share_count",
                 "inside_share_value", "members_density", "members_avg_clustering"]
        return pd.DataFrame({"indicator": names, "value": [getattr(self, k) for k in names]})

    def brokers(self, top: int = 10) -> pd.DataFrame:
        """Firms that broker most between the cluster and the outside (boundary brokerage, then betweenness)."""
        cols = ["firm_id", "member", "boundary", "gatekeeper", "representative", "itinerant", "betweenness"]
        t = self.nodes[cols].sort_values(["boundary", "betweenness", "firm_id"], ascending=[False, False, True])
        return t.head(top).reset_index(drop=True)


def _density(n_nodes: int, n_ties: int) -> float:
    return n_ties / (n_nodes * (n_nodes - 1)) if n_nodes > 1 else float("nan")


def _local_clustering(source: pd.Series, target: pd.Series, nodes: pd.Index) -> np.ndarray:
    """Local clustering coefficient of each node of the undirected simple graph of the ties.

    ``C_i = 2 T_i / (k_i (k_i - 1))`` with ``T_i`` the triangles through ``i`` and ``k_i`` its number of
    distinct neighbours (0 when ``k_i < 2``), as networkx ``clustering`` and igraph
    ``transitivity(type="local", isolates="zero")``. Triangles come from the sparse product
    ``T = diag(S S S) / 2`` of the symmetric 0/1 adjacency ``S``: networkx walks neighbour sets in Python,
    which takes tens of seconds on a 100k-link graph; the sparse product takes well under a second.
    """
    from scipy import sparse

    n = len(nodes)
    if n == 0:
        return np.zeros(0)
    pos = pd.Series(np.arange(n), index=nodes)
    i = pos.reindex(source.to_numpy()).to_numpy()
    j = pos.reindex(target.to_numpy()).to_numpy()
    S = sparse.coo_matrix((np.ones(2 * len(i)), (np.r_[i, j], np.r_[j, i])), shape=(n, n)).tocsr()
    S.data[:] = 1.0  # collapse reciprocal ties and duplicates to one undirected edge
    S.setdiag(0)
    S.eliminate_zeros()
    k = np.asarray(S.sum(axis=1)).ravel()
    tri = np.asarray((S @ S).multiply(S).sum(axis=1)).ravel() / 2.0
    denom = k * (k - 1)
    return np.divide(2.0 * tri, denom, out=np.zeros(n), where=denom > 0)


def network_metrics(
    links: pd.DataFrame,
    establishments: pd.DataFrame,
    year: int | None = None,
    kinds: Iterable[str] | None = None,
    member: str = "cluster_member",
    betweenness: bool = True,
    betweenness_k: int | None = None,
    seed: int | None = 0,
) -> NetworkMetrics:
    """Degree, density, clustering, betweenness and brokerage of the firm network.

    The directed graph has one tie ``source -> target`` per pair with at least one selected link (links of
    several kinds between the same pair collapse into one tie; nodes are the firms that appear in the
    selected links). Degrees and density count ties; ``clustering`` is networkx's local clustering of the
    undirected graph (Watts–Strogatz, as networkx ``clustering`` and igraph ``transitivity(type="local")``
    with 0 for degree < 2; computed by sparse matrix products, see ``_local_clustering``);
    ``betweenness`` is networkx normalised betweenness of the directed graph (Brandes 2001), sampled on
    ``betweenness_k`` pivots with ``seed`` when given (exact otherwise; exact costs O(n m)). Brokerage:
    :func:`brokerage_roles` with groups member / non-member.

    Examples
    --------
    >>> links = pd.DataFrame({"source": ["F1", "F1", "F2", "F3", "F4"], "target": ["F2", "F3", "F3", "F4", "F5"],
    ...                       "year": 2020, "kind": "input_supply", "value": [10.0, 5.0, 5.0, 20.0, 8.0]})
    >>> est = pd.DataFrame({"firm_id": ["F1", "F2", "F3", "F4", "F5"], "year": 2020,
    ...                     "cluster_member": [True, True, True, False, False]})
    >>> res = network_metrics(links, est)
    >>> res.n_firms, res.n_ties, round(res.density, 3)
    (5, 5, 0.25)
    """
    what = "network_metrics"
    lk = _links(links, establishments, member, what)
    if year is not None:
        lk = lk[lk["year"] == year]
    if kinds is not None:
        kinds = [str(k) for k in kinds]
        bad = sorted(set(kinds) - set(LINK_KINDS))
        if bad:
            raise DataContractError(f"{what}: unknown link kind(s) {bad}; kinds are {LINK_KINDS}")
        lk = lk[lk["kind"].isin(kinds)]
    if lk.empty:
        raise EstimationError(f"{what}: no links for year={year!r}, kinds={kinds!r}")
    ties = lk.drop_duplicates(["source", "target"])
    member_of = pd.concat(
        [pd.Series(lk["m_source"].to_numpy(), index=lk["source"]), pd.Series(lk["m_target"].to_numpy(), index=lk["target"])]
    )
    member_of = member_of[~member_of.index.duplicated()].sort_index()
    nodes = member_of.index
    out_deg = ties.groupby("source").size().reindex(nodes, fill_value=0)
    in_deg = ties.groupby("target").size().reindex(nodes, fill_value=0)
    clustering = pd.Series(_local_clustering(ties["source"], ties["target"], nodes), index=nodes)
    if betweenness:
        k = None if betweenness_k is None or betweenness_k >= len(nodes) else int(betweenness_k)
        G = nx.DiGraph()
        G.add_nodes_from(nodes)
        G.add_edges_from(zip(ties["source"], ties["target"]))
        btw = pd.Series(nx.betweenness_centrality(G, k=k, seed=seed, normalized=True)).reindex(nodes)
    else:
        btw = pd.Series(np.nan, index=nodes)
    roles = brokerage_roles(ties, member_of.map({True: "member", False: "other"})).set_index("node").reindex(nodes)
    table = pd.DataFrame(
        {
            "firm_id": nodes,
            "member": member_of.to_numpy(),
            "in_degree": in_deg.to_numpy(),
            "out_degree": out_deg.to_numpy(),
            "degree": (in_deg + out_deg).to_numpy(),
            "clustering": clustering.to_numpy(),
            "betweenness": btw.to_numpy(),
        }
    )
    for col in [*ROLES, "total", "boundary"]:
        table[col] = roles[col].to_numpy()
    shares = _share_table(lk, [])
    is_member = member_of.to_numpy()
    members = nodes[is_member]
    inner = ties[ties["source"].isin(members) & ties["target"].isin(members)]
    members_clustering = _local_clustering(inner["source"], inner["target"], members)
    return NetworkMetrics(
        n_firms=len(nodes),
        n_ties=len(ties),
        density=_density(len(nodes), len(ties)),
        avg_clustering=float(clustering.mean()),
        mean_degree=float(table["degree"].mean()),
        inside_share_count=float(shares["inside_share_count"].iloc[0]),
        inside_share_value=float(shares["inside_share_value"].iloc[0]),
        members_density=_density(len(members), len(inner)),
        members_avg_clustering=float(members_clustering.mean()) if len(members) else float("nan"),
        nodes=table,
    )


def network_over_time(
    links: pd.DataFrame,
    establishments: pd.DataFrame,
    kinds: Iterable[str] | None = None,
    member: str = "cluster_member",
) -> pd.DataFrame:
    """Graph-level network metrics year by year, with their change from the previous year.

    One row per year present in ``links`` with the :class:`NetworkMetrics` headline numbers (betweenness is
    not computed) and ``d_<metric>`` columns holding the difference from the previous year in the table.
    """
    _require(links, ["year"], "network_over_time")
    rows = []
    for y in sorted(pd.unique(links["year"])):
        m = network_metrics(links, establishments, year=y, kinds=kinds, member=member, betweenness=False)
        rows.append({"year": y, **m.summary().set_index("indicator")["value"].to_dict()})
    out = pd.DataFrame(rows)
    metrics = [c for c in out.columns if c != "year"]
    for c in metrics:
        out[c] = out[c].astype("float64")
        out[f"d_{c}"] = out[c].diff()
    return out


# --------------------------------------------------------------------------------- input-output linkages


@dataclass(frozen=True)
class InputOutputLinkages(NothingExcluded, ResultProtocol):
    """Rasmussen–Hirschman backward and forward linkages of the sectors of an input–output table.

    Attributes
    ----------
    leontief : DataFrame ``L = (I - A)^-1`` (sectors × sectors).
    key_sectors : sectors with both indices above 1.
    forward_basis : "leontief" (row sums of L, Rasmussen 1956) or "ghosh" (row sums of the Ghosh inverse).
    indices : per-sector DataFrame (``table()``).
    """

    leontief: pd.DataFrame = field(repr=False)
    key_sectors: tuple[str, ...]
    forward_basis: str
    indices: pd.DataFrame = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """Power of dispersion of each sector (term ``"<sector>: power_of_dispersion"``) and sensitivity of
        dispersion (``"<sector>: sensitivity_of_dispersion"``); no SEs."""
        s = self.indices.set_index("sector")[["power_of_dispersion", "sensitivity_of_dispersion"]].stack()
        return tidy_frame([f"{sector}: {name}" for sector, name in s.index], s.to_numpy())

    @property
    def nobs(self) -> int:
        """Sectors of the table."""
        return len(self.indices)

    def table(self) -> pd.DataFrame:
        return self.indices.copy()

    def summary(self) -> pd.DataFrame:
        return self.indices[["sector", "power_of_dispersion", "sensitivity_of_dispersion", "classification"]].copy()


def _square(m: pd.DataFrame, what: str, name: str) -> np.ndarray:
    if not isinstance(m, pd.DataFrame):
        raise DataContractError(f"{what}: {name} must be a square DataFrame with sectors as index and columns")
    if m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise DataContractError(f"{what}: {name} must be square and non-empty, got shape {m.shape}")
    if list(map(str, m.index)) != list(map(str, m.columns)):
        raise DataContractError(f"{what}: {name} rows and columns must list the same sectors in the same order")
    x = m.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(x) | (x < 0)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataContractError(
            f"{what}: {name} must be finite and >= 0; entry (row {m.index[i]!r}, column {m.columns[j]!r}) = {x[i, j]}"
        )
    return x


def _inverse(M: np.ndarray, what: str, name: str) -> np.ndarray:
    cond = np.linalg.cond(M)
    if not np.isfinite(cond) or cond > 1e12:
        raise EstimationError(
            f"{what}: I - {name} is singular (condition number {cond:.3g}): some sector(s) use up all their "
            "output as intermediate inputs (a column of A sums to 1?)"
        )
    return np.linalg.inv(M)


def rasmussen_hirschman(
    io: pd.DataFrame,
    output: pd.Series | None = None,
    forward: str = "leontief",
) -> InputOutputLinkages:
    """Rasmussen (1956) / Hirschman (1958) power and sensitivity of dispersion from an input–output table.

    ``io`` is the technical-coefficient matrix ``A`` (``a_ij`` = input from sector ``i`` per unit of output
    of ``j``), or, when ``output`` (total output ``x_j`` by sector) is given, the intermediate flows ``Z``
    with ``A = Z diag(x)^-1``. With ``L = (I - A)^-1`` and ``n`` sectors (Miller & Blair 2009, sect. 12.2):

    - power of dispersion (backward) ``U_j = (1/n) sum_i l_ij / ((1/n^2) sum_ij l_ij)``;
    - sensitivity of dispersion (forward) ``U_i = (1/n) sum_j l_ij / ((1/n^2) sum_ij l_ij)``
      (``forward="leontief"``, Rasmussen's original), or the same with the Ghosh inverse
      ``G = (I - B)^-1``, ``B = diag(x)^-1 Z`` (``forward="ghosh"``, needs ``output``; the convention of the
      Eurostat manual and Miller & Blair's recommended supply-side measure).

    Both indices average to 1; a *key sector* has both above 1. Classification: "key", "backward"
    (only backward > 1), "forward" (only forward > 1), "weak".

    Raises
    ------
    DataContractError
        Non-square table, mismatched labels, negative or missing entries, non-positive output.
    EstimationError
        ``I - A`` singular, or a Leontief inverse with negative entries (the table is not productive: the
        Hawkins–Simon condition fails).

    Examples
    --------
    >>> z = pd.DataFrame([[10.0, 40.0, 5.0], [5.0, 10.0, 20.0], [10.0, 15.0, 30.0]],
    ...                  index=["agri", "food", "services"], columns=["agri", "food", "services"])
    >>> res = rasmussen_hirschman(z, pd.Series([200.0, 250.0, 300.0], index=z.index))
    >>> res.summary().round(3)
         sector  power_of_dispersion  sensitivity_of_dispersion classification
    0      agri                0.936                      1.032        forward
    1      food                1.065                      0.944       backward
    2  services                0.999                      1.023        forward
    """
    what = "rasmussen_hirschman"
    if forward not in ("leontief", "ghosh"):
        raise DataContractError(f"{what}: forward={forward!r} must be 'leontief' or 'ghosh'")
    sectors = [str(s) for s in io.index] if isinstance(io, pd.DataFrame) else []
    Z = _square(io, what, "io")
    n = Z.shape[0]
    if output is not None:
        x = pd.Series(output).reindex(io.index).to_numpy(dtype="float64", na_value=np.nan)
        bad = ~np.isfinite(x) | (x <= 0)
        if bad.any():
            raise DataContractError(
                f"{what}: output must be given and > 0 for every sector; bad for {[sectors[i] for i in np.flatnonzero(bad)]}"
            )
        A = Z / x[None, :]
    elif forward == "ghosh":
        raise DataContractError(f"{what}: forward='ghosh' needs the flows table and output=")
    else:
        A = Z
    L = _inverse(np.eye(n) - A, what, "A")
    if (L < -1e-12).any():
        raise EstimationError(
            f"{what}: the Leontief inverse has negative entries: the table is not productive (Hawkins–Simon "
            "condition fails; do columns of A sum to more than 1?)"
        )
    total = L.sum()
    backward_total = L.sum(axis=0)
    if forward == "ghosh":
        B = Z / x[:, None]
        G = _inverse(np.eye(n) - B, what, "B")
        forward_total = G.sum(axis=1)
    else:
        forward_total = L.sum(axis=1)
    f_index = forward_total / forward_total.mean()
    b_index = n * backward_total / total
    cls = np.select(
        [(b_index > 1) & (f_index > 1), b_index > 1, f_index > 1], ["key", "backward", "forward"], default="weak"
    )
    table = pd.DataFrame(
        {
            "sector": sectors,
            "backward_total": backward_total,
            "forward_total": forward_total,
            "power_of_dispersion": b_index,
            "sensitivity_of_dispersion": f_index,
            "key_sector": (b_index > 1) & (f_index > 1),
            "classification": pd.Series(cls, dtype="string"),
        }
    )
    return InputOutputLinkages(
        leontief=pd.DataFrame(L, index=sectors, columns=sectors),
        key_sectors=tuple(table.loc[table["key_sector"], "sector"]),
        forward_basis=forward,
        indices=table,
    )


# ------------------------------------------------------------------------------ orientation and mixing


@dataclass(frozen=True)
class LinkOrientation(NothingExcluded, ResultProtocol):
    """Inside shares of the members' vertical and horizontal links against random mixing.

    Attributes
    ----------
    shares : DataFrame
        One row per orientation (``vertical``, ``horizontal``, ``all``) and per kind: ``n_inside,
        n_boundary, inside_share, std_error, conf_low, conf_high`` (member-clustered bootstrap, percentile
        interval), ``benchmark`` (random mixing), ``excess`` (= share - benchmark), ``ratio``
        (= share / benchmark) and ``verdict`` (``above chance``, ``below chance``, ``as chance``: whether the
        interval lies above, below or around the benchmark).
    member_share : float, members over firms (mean over the years with links).
    draws, level, seed : the bootstrap.
    """

    shares: pd.DataFrame
    member_share: float
    draws: int
    level: float
    seed: int

    def table(self) -> pd.DataFrame:
        return self.shares.copy()

    def summary(self) -> pd.DataFrame:
        return self.shares[self.shares["kind"] == "all"].reset_index(drop=True)

    @property
    def nobs(self) -> int:
        """Members' links classified (inside or across the boundary), all orientations."""
        every = self.shares[(self.shares["orientation"] == "all") & (self.shares["kind"] == "all")]
        return int((every["n_inside"] + every["n_boundary"]).sum())

    def tidy(self) -> pd.DataFrame:
        """Excess inside share (share − benchmark) per orientation, in the tidy protocol."""
        rows = self.summary()
        z = rows["excess"] / rows["std_error"]
        return pd.DataFrame({"term": rows["orientation"], "estimate": rows["excess"], "std_error": rows["std_error"],
                             "statistic": z, "p_value": 2 * (1 - _normal_cdf(np.abs(z))),
                             "conf_low": rows["conf_low"] - rows["benchmark"],
                             "conf_high": rows["conf_high"] - rows["benchmark"]})


def _normal_cdf(x):
    from scipy.stats import norm

    return norm.cdf(x)


def random_mixing_share(n_members: np.ndarray, n_firms: np.ndarray) -> np.ndarray:
    """Inside share expected when links join uniformly random pairs of distinct firms.

    With ``M`` members among ``N`` firms, a random pair holds two members with probability
    ``M(M-1)/(N(N-1))`` and exactly one with ``2M(N-M)/(N(N-1))``, so the share of member links that stay
    inside is ``(M-1) / ((M-1) + 2(N-M))`` (about ``p / (2 - p)`` for a member share ``p`` of firms).
    """
    m, n = np.asarray(n_members, dtype=float), np.asarray(n_firms, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (m - 1) / ((m - 1) + 2 * (n - m))


def link_orientation(
    links: pd.DataFrame,
    establishments: pd.DataFrame,
    member: str = "cluster_member",
    draws: int = 499,
    level: float = 0.95,
    seed: int = 0,
) -> LinkOrientation:
    """Vertical and horizontal links of cluster members: inside shares against a random-mixing benchmark.

    Kinds map to orientations by :data:`LINK_ORIENTATION`. For the members' links of an orientation (inside
    or boundary, counted as :func:`link_shares`) the inside share ``s = L_in / (L_in + L_b)`` is compared
    with the share random mixing gives, ``b = sum_t w_t (M_t - 1)/((M_t - 1) + 2(N_t - M_t))`` with the
    members ``M_t`` and firms ``N_t`` of the establishment table in year ``t`` and ``w_t`` the year's share
    of the member links (:func:`random_mixing_share`; the baseline of Coleman's 1958 homophily index and of
    the "inbreeding" ratio, ``s / b``). ``s > b`` beyond sampling error means links stay inside more than
    chance: for horizontal links the FAO study's "too much inward cooperation", for vertical links its
    "neglected links outside the cluster" (suppliers and buyers found inside only).

    Uncertainty: bootstrap over member firms (``draws`` resamples, seeded). Firm ``i`` holds ``a_i`` inside
    and ``c_i`` boundary link ends; ``s = (sum a / 2) / (sum a / 2 + sum c)`` is recomputed on each resample,
    so links of the same firm move together; percentile interval at ``level``.

    Raises
    ------
    DataContractError
        As :func:`link_shares` (kinds, values, unknown firms, membership).
    EstimationError
        No link involves a cluster member.

    Examples
    --------
    >>> est = pd.DataFrame({"firm_id": list("abcdef"), "year": 2020,
    ...                     "cluster_member": [True, True, True, False, False, False]})
    >>> links = pd.DataFrame({"source": list("aabcd"), "target": list("bdcee"), "year": 2020, "value": 1.0,
    ...                       "kind": ["cooperation", "sales", "knowledge", "input_supply", "cooperation"]})
    >>> res = link_orientation(links, est, draws=99, seed=1)
    >>> res.summary()[["orientation", "n_inside", "n_boundary", "inside_share", "benchmark"]]
      orientation  n_inside  n_boundary  inside_share  benchmark
    0         all         2           2           0.5       0.25
    1    vertical         0           2           0.0       0.25
    2  horizontal         2           0           1.0       0.25
    """
    what = "link_orientation"
    lk = _links(links, establishments, member, what)
    if not (lk["link_type"] != "outside").any():
        raise EstimationError(f"{what}: no link involves a cluster member ({member!r} true)")
    est = establishments[["firm_id", "year", member]].copy()
    est["firm_id"] = est["firm_id"].astype(str)
    est = est.drop_duplicates(["firm_id", "year"])
    per_year = est.groupby("year")[member].agg(n_members=lambda m: int(m.astype(bool).sum()), n_firms="size")
    lk["orientation"] = lk["kind"].map(LINK_ORIENTATION)
    rng = np.random.default_rng(seed)
    mem = lk[lk["link_type"] != "outside"]
    firms = pd.Index(sorted(set(mem.loc[mem["m_source"], "source"]) | set(mem.loc[mem["m_target"], "target"])))
    weights = rng.multinomial(len(firms), np.full(len(firms), 1 / len(firms)), size=draws).astype(float)
    alpha = (1 - level) / 2
    rows = []
    groups = [("all", "all", mem)]
    groups += [(o, "all", mem[mem["orientation"] == o]) for o in ("vertical", "horizontal")]
    groups += [(LINK_ORIENTATION[k], k, mem[mem["kind"] == k]) for k in LINK_KINDS]
    for orientation, kind, part in groups:
        inside = part["link_type"] == "inside"
        n_in, n_b = int(inside.sum()), int((~inside).sum())
        row = {"orientation": orientation, "kind": kind, "n_inside": n_in, "n_boundary": n_b}
        if n_in + n_b == 0:
            rows.append(row)
            continue
        ends = pd.concat([part.loc[part["m_source"], ["source"]].rename(columns={"source": "firm"}).assign(inside=inside),
                          part.loc[part["m_target"], ["target"]].rename(columns={"target": "firm"}).assign(inside=inside)])
        a = ends[ends["inside"]].groupby("firm").size().reindex(firms, fill_value=0).to_numpy(dtype=float)
        c = ends[~ends["inside"]].groupby("firm").size().reindex(firms, fill_value=0).to_numpy(dtype=float)
        share = n_in / (n_in + n_b)
        with np.errstate(divide="ignore", invalid="ignore"):
            boot = (weights @ a / 2) / (weights @ a / 2 + weights @ c)
        boot = boot[np.isfinite(boot)]
        year_w = part.groupby("year").size()
        years = per_year.reindex(year_w.index)
        bench = float(np.sum(year_w.to_numpy() * random_mixing_share(years["n_members"], years["n_firms"]))
                      / year_w.sum())
        lo, hi = np.quantile(boot, [alpha, 1 - alpha])
        verdict = "above chance" if lo > bench else "below chance" if hi < bench else "as chance"
        row.update({"inside_share": share, "std_error": float(boot.std(ddof=1)), "conf_low": lo, "conf_high": hi,
                    "benchmark": bench, "excess": share - bench, "ratio": share / bench if bench > 0 else np.nan,
                    "verdict": verdict})
        rows.append(row)
    shares = pd.DataFrame(rows)
    member_share = float((per_year["n_members"] / per_year["n_firms"]).mean())
    return LinkOrientation(shares, member_share, draws, level, seed)


# ------------------------------------------------------------------------------------------ joint action


@dataclass(frozen=True)
class JointAction(ResultProtocol):
    """Outcomes of members with horizontal (cooperation, knowledge) links to other members.

    Attributes
    ----------
    effects : DataFrame
        Tidy rows, one per outcome × specification: ``outcome, specification, term, estimate, std_error,
        statistic, p_value, conf_low, conf_high, nobs``. ``pooled``: members compared within sector × year;
        ``within firm``: firm and year effects (the same firm in years with more and fewer such links).
        ``estimate`` is the gap per additional joint-action link.
    share_cooperating : float, share of member firm-years with at least one such link.
    mean_links : float, mean number of such links per member-year.
    excluded : DataFrame ``reason, n, unit, table`` (the protocol's exclusions, with the table they come from).
    """

    effects: pd.DataFrame
    share_cooperating: float
    mean_links: float
    excluded: pd.DataFrame

    def __post_init__(self) -> None:
        set_exclusions(self, unit="rows")

    def tidy(self) -> pd.DataFrame:
        """One row per outcome × specification; ``term`` reads ``outcome (specification)``."""
        e = self.effects
        return tidy_frame(e["outcome"] + " (" + e["specification"] + ")", e["estimate"], e["std_error"],
                          e["statistic"], e["p_value"], e["conf_low"], e["conf_high"])

    def summary(self) -> pd.DataFrame:
        return self.effects.copy()

    @property
    def nobs(self) -> int:
        """Member firm-years in the largest of the regressions."""
        return int(self.effects["nobs"].max()) if len(self.effects) else 0


def joint_action(
    links: pd.DataFrame,
    establishments: pd.DataFrame,
    outcomes: tuple[str, ...],
    member: str = "cluster_member",
    kinds: tuple[str, ...] = ("cooperation", "knowledge"),
) -> JointAction:
    """Do members engaged in joint action do better? Within-cluster comparisons, as ``pyfixest.feols``.

    ``joint_it`` = number of links of ``kinds`` member ``i`` has with other members in year ``t`` (Schmitz
    1995's joint action: deliberate cooperation among producers, the active part of collective efficiency;
    a count, since in dense clusters nearly every member has at least one such link). For each outcome ``y`` (e.g. log TFP, an export dummy), over members only:

    * pooled: ``y_it = d joint_it + (sector × year) effects + e_it``;
    * within firm: ``y_it = d joint_it + firm effects + year effects + e_it``;

    both with SEs clustered by firm (CRV1). ``d`` is a descriptive gap: firms choose to cooperate, and
    better firms may be sought as partners (selection); the within-firm version removes selection on
    permanent firm traits only. Rows with a missing outcome are left out and counted.

    Raises
    ------
    DataContractError
        As :func:`link_shares`; outcome or ``sector`` column missing; unknown kinds.
    EstimationError
        No member, or no variation of ``joint`` among members.

    Examples
    --------
    >>> est = pd.DataFrame({"firm_id": list("abcdabcd"), "year": [2019] * 4 + [2020] * 4, "cluster_member": True,
    ...                     "sector": "1102", "log_tfp": [0.1, 0.2, 0.0, 0.3, 0.2, 0.25, 0.1, 0.35]})
    >>> links = pd.DataFrame({"source": list("abacb"), "target": list("bccdd"), "year": [2019, 2019, 2020, 2020, 2020],
    ...                       "kind": "cooperation", "value": 1.0})
    >>> res = joint_action(links, est, ("log_tfp",))
    >>> res.summary()[["outcome", "specification", "estimate", "nobs"]].round(3)
       outcome specification  estimate  nobs
    0  log_tfp        pooled    -0.033     8
    1  log_tfp   within firm     0.000     8
    """
    import pyfixest as pf

    what = "joint_action"
    bad = [k for k in kinds if k not in LINK_KINDS]
    if bad:
        raise DataContractError(f"{what}: kinds {bad} not in {LINK_KINDS}")
    _require(establishments, ["firm_id", "year", "sector", member, *outcomes], what)
    lk = _links(links, establishments, member, what)
    inside = lk[(lk["link_type"] == "inside") & lk["kind"].isin(kinds)]
    ends = pd.concat([inside[["source", "year"]].rename(columns={"source": "firm_id"}),
                      inside[["target", "year"]].rename(columns={"target": "firm_id"})])
    joint = ends.groupby(["firm_id", "year"]).size().rename("joint").reset_index()
    est = establishments[establishments[member].astype(bool)].copy()
    if est.empty:
        raise EstimationError(f"{what}: no cluster member ({member!r} true)")
    est["firm_id"] = est["firm_id"].astype(str)
    est["year"] = est["year"].astype("int64")
    joint["year"] = joint["year"].astype("int64")
    est = est.merge(joint, on=["firm_id", "year"], how="left")
    est["joint"] = est["joint"].fillna(0).astype(float)
    if est["joint"].nunique() < 2:
        raise EstimationError(f"{what}: every member-year has the same number of joint-action links: nothing to compare")
    est["sector_year"] = est["sector"].astype(str) + ":" + est["year"].astype(str)
    rows, excluded = [], []
    for y in outcomes:
        d = est[["firm_id", "year", "sector_year", "joint"]].assign(y=pd.to_numeric(est[y], errors="coerce")
                                                                   .astype("float64"))
        miss = d["y"].isna() | ~np.isfinite(d["y"].fillna(0))
        excluded.append((what, f"{y} missing", int(miss.sum())))
        d = d[~miss]
        for spec, fe in (("pooled", "sector_year"), ("within firm", "firm_id + year")):
            fit = pf.feols(f"y ~ joint | {fe}", data=d, vcov={"CRV1": "firm_id"})
            t = fit.tidy().loc["joint"]
            rows.append({"outcome": y, "specification": spec, "term": "joint", "estimate": float(t["Estimate"]),
                         "std_error": float(t["Std. Error"]), "statistic": float(t["t value"]),
                         "p_value": float(t["Pr(>|t|)"]), "conf_low": float(t["2.5%"]),
                         "conf_high": float(t["97.5%"]), "nobs": int(fit._N)})
    return JointAction(pd.DataFrame(rows), float((est["joint"] > 0).mean()), float(est["joint"].mean()),
                       pd.DataFrame(excluded, columns=["table", "reason", "rows"]))
