"""The ``agrocluster`` command.

    agrocluster run [--cluster ID ...] [--notebook NAME ...] [-p key=value ...] [--jobs N]
                    [--scheduler ADDRESS] [--force] [--show-code] [--vary KEY=V1,V2,...]
                    [--report FILE.json] [--junit FILE.xml] [--summary FILE.md]
    agrocluster diff OLD_OUTPUTS NEW_OUTPUTS [--rtol R] [--atol A] [--all] [--markdown FILE] [--csv FILE]
                     [--fail-on-change]
    agrocluster params show CLUSTER [-p key=value ...]
    agrocluster params check
    agrocluster data check CLUSTER
    agrocluster data contract [TABLE] [--markdown]
    agrocluster new CLUSTER
    agrocluster site
    agrocluster list [--cluster ID ...] [--notebook NAME ...]

    agrocluster --version

Exit codes: 0 success, 1 a task or check failed (``diff --fail-on-change``: a headline is flagged),
2 bad usage or bad parameters.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence

from ._process import skip_iri_grammars
from .errors import AgroclusterError, ParamsError


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="agrocluster", description="Measure agro-based clusters: run the workbooks.")
    parser.add_argument("--version", action="version", version=f"agrocluster {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute notebooks × clusters, render HTML, rebuild the site index")
    run.add_argument("--cluster", action="append", default=[], metavar="ID", help="a cluster id (repeatable; default all)")
    run.add_argument("--notebook", action="append", default=[], metavar="NAME",
                     help="a notebook stem such as 01_cluster_mapping (repeatable; default all)")
    run.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                     help="override a parameter (dotted keys for nested options; typed by the schema)")
    run.add_argument("--jobs", type=int, default=None, help="parallel tasks in the local pool (default: cores)")
    run.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="send tasks to a Dask distributed scheduler, e.g. tcp://127.0.0.1:8786")
    run.add_argument("--force", action="store_true", help="rerun tasks even when their cache key is unchanged")
    run.add_argument("--show-code", action="store_true", help="keep code cells in the HTML reports")
    run.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="show the progress bar (default: when attached to a terminal and not in CI)")
    run.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar (log lines only)")
    run.add_argument("--vary", action="append", default=[], metavar="KEY=V1,V2,...",
                     help="run the selection once per value into outputs/variants/KEY=VALUE/ (shared cache) and "
                          "write the page outputs/variants/KEY.html of each headline's range (repeatable: one "
                          "variation each)")
    run.add_argument("--report", default=None, metavar="FILE",
                     help="write a JSON report: one entry per task (status, seconds, cached, error, output paths), "
                          "totals, overrides, code version")
    run.add_argument("--junit", default=None, metavar="FILE",
                     help="write JUnit XML (one test case per task; a failed task is a failure, a cached one passes)")
    run.add_argument("--summary", default=None, metavar="FILE",
                     help="write a Markdown summary (for $GITHUB_STEP_SUMMARY or a pull-request comment)")

    params = sub.add_parser("params", help="show or check parameters")
    psub = params.add_subparsers(dest="params_command", required=True)
    show = psub.add_parser("show", help="effective parameters of a cluster and where each value comes from")
    show.add_argument("cluster")
    show.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    show.add_argument("--json", action="store_true", help="print the effective parameters as JSON")
    psub.add_parser("check", help="validate every file under params/")

    data = sub.add_parser("data", help="check a cluster's data")
    dsub = data.add_subparsers(dest="data_command", required=True)
    dcheck = dsub.add_parser("check", help="load and validate every table of a cluster, print an inventory and "
                                           "check the params against the data (sectors, regions, years)")
    dcheck.add_argument("cluster")
    dcontract = dsub.add_parser("contract", help="the data dictionary: column, kind, unit, required, nullable, meaning")
    dcontract.add_argument("table", nargs="?", default=None, help="one table (default: every table)")
    dcontract.add_argument("--markdown", action="store_true", help="print docs/data.md (the whole dictionary)")

    new = sub.add_parser("new", help="scaffold params/clusters/CLUSTER.yaml with every key commented")
    new.add_argument("cluster")

    site = sub.add_parser("site", help="rebuild the site (index, navigation, comparison page) from the results on disk")
    site.add_argument("--single-file", metavar="CLUSTER/NOTEBOOK", default=None,
                      help="instead, write one report as a self-contained HTML file (stylesheet and figures "
                           "inlined) for e-mailing, e.g. chile_wine/03_productivity")
    site.add_argument("-o", "--output", default=None, metavar="FILE",
                      help="where --single-file writes (default: CLUSTER-NOTEBOOK.html in the current folder)")

    compare = sub.add_parser("diff", help="compare every headline number of two outputs folders: old, new, "
                                          "difference, difference in SEs, flags, and the provenance that differs")
    compare.add_argument("old", metavar="OLD_OUTPUTS", help="outputs folder of the earlier run")
    compare.add_argument("new", metavar="NEW_OUTPUTS", help="outputs folder of the later run")
    compare.add_argument("--rtol", type=float, default=None, metavar="R",
                         help="relative tolerance: flag |new - old| > atol + rtol*|old| (default 1e-9)")
    compare.add_argument("--atol", type=float, default=None, metavar="A", help="absolute tolerance (default 0)")
    compare.add_argument("--all", action="store_true", help="list every headline, not only the flagged ones")
    compare.add_argument("--markdown", default=None, metavar="FILE", help="also write the comparison as Markdown")
    compare.add_argument("--csv", default=None, metavar="FILE",
                         help="also write every headline and every provenance difference as CSV (one long table)")
    compare.add_argument("--fail-on-change", action="store_true",
                         help="exit 1 when any headline is flagged (changed, sign flip, missing on one side...)")

    listing = sub.add_parser("list", help="clusters × notebooks with their last status, time and whether cached")
    listing.add_argument("--cluster", action="append", default=[], metavar="ID")
    listing.add_argument("--notebook", action="append", default=[], metavar="NAME")
    return parser


def _params_show(args: argparse.Namespace) -> int:
    from . import params as P

    effective = P.resolve(args.cluster, args.param)
    if args.json:
        print(json.dumps(effective.params.model_dump(mode="json"), indent=2))
        return 0
    rows = effective.rows()
    width = max(len(k) for k, _, _ in rows)
    vwidth = min(48, max(len(json.dumps(v, ensure_ascii=False)) for _, v, _ in rows))
    for key, value, origin in rows:
        text = json.dumps(value, ensure_ascii=False)
        print(f"{key.ljust(width)}  {text.ljust(vwidth)}  # {origin}")
    return 0


def _params_check() -> int:
    from . import params as P

    problems = P.check_all()
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} parameter file(s) with errors", file=sys.stderr)
        return 1
    print(f"all parameter files valid ({len(P.list_clusters())} clusters)")
    return 0


def _data_check(args: argparse.Namespace) -> int:
    from . import params as P
    from .data.checks import check_params_against_data
    from .data.cluster import load_cluster

    params = P.load(args.cluster)
    data = load_cluster(params)
    print(data.inventory().to_string(index=False))
    excluded = data.excluded_table()
    if len(excluded):
        print("\nrows excluded by documented rules:")
        print(excluded.to_string(index=False))
    checks = check_params_against_data(data)
    mismatches = checks[checks["status"] == "mismatch"]
    print(f"\nparams against data: {int((checks['status'] == 'ok').sum())} ok, {len(mismatches)} mismatch(es)")
    for row in mismatches.itertuples(index=False):
        print(f"error: {P.cluster_file(args.cluster).name}: key {row.key!r}: {row.message}", file=sys.stderr)
    return 1 if len(mismatches) else 0


def _data_contract(args: argparse.Namespace) -> int:
    from .data.contracts import dictionary, dictionary_markdown, table_names
    from .errors import DataContractError

    if args.markdown:
        print(dictionary_markdown(), end="")
        return 0
    if args.table is not None and args.table not in table_names():
        import difflib

        hint = difflib.get_close_matches(args.table, table_names(), n=1)
        raise DataContractError(f"unknown table {args.table!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                                + f"; tables: {', '.join(table_names())}")
    frame = dictionary(args.table)
    for table, part in frame.groupby("table", sort=False):
        print(f"{table}")
        print(part.drop(columns="table").assign(required=part["required"].map({True: "yes", False: "no"}),
                                                nullable=part["nullable"].map({True: "yes", False: "no"}))
              .to_string(index=False))
        print()
    return 0


def _new(args: argparse.Namespace) -> int:
    from . import params as P

    path = P.new_cluster(args.cluster)
    print(f"{path}: written; fill in the keys marked EDIT, then `agrocluster params check`")
    return 0


def _single_file(report: str, output: str | None) -> int:
    from pathlib import Path

    from . import paths, site

    folder, _, stem = report.strip("/").removesuffix(".html").partition("/")
    path = paths.outputs_dir() / folder / f"{stem}.html"
    if not stem or not path.is_file():
        print(f"error: --single-file {report!r}: no report {path} (give CLUSTER/NOTEBOOK of a report that was run)",
              file=sys.stderr)
        return 2
    target = Path(output or f"{folder}-{stem}.html")
    try:
        target.write_text(site.single_file(path), encoding="utf-8")
    except (OSError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{target} ({target.stat().st_size / 1e3:.0f} KB, self-contained)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; a reader that closes the pipe early (``| head``) ends it quietly."""
    skip_iri_grammars()
    try:
        return _main(argv)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python flushes stdout at exit: send that flush nowhere
        return 1


def _list(args: argparse.Namespace) -> int:
    from . import runner

    rows = runner.task_statuses(args.cluster or None, args.notebook or None)
    width = max([len(f"{r.cluster_id}/{r.notebook}") for r in rows] + [4])
    print(f"{'task'.ljust(width)}  status   finished                   seconds  up to date")
    for r in rows:
        seconds = f"{r.seconds:7.1f}" if r.seconds is not None else "      –"
        print(f"{(r.cluster_id + '/' + r.notebook).ljust(width)}  {r.status.ljust(7)}  {(r.finished or '–').ljust(25)}  "
              f"{seconds}  {r.up_to_date}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from . import ci_report, paths, runner

    options = {"jobs": args.jobs, "scheduler": args.scheduler, "force": args.force, "show_code": args.show_code,
               "progress": runner.progress_wanted(args.progress)}
    records = []
    if args.vary:
        from . import variants

        for vary in args.vary:  # every variation is checked before anything runs
            variants.check_variation(vary, args.cluster or None, args.notebook or None, args.param)
        for vary in args.vary:
            outcome = variants.run_variation(vary, args.cluster or None, args.notebook or None, args.param, **options)
            for variant, folder, summary in zip(outcome.variants, outcome.folders, outcome.summaries, strict=True):
                print(f"== {variant.override}")
                print(summary.table())
                records.append(ci_report.RunRecord(summary, folder, variant.name))
            print(f"variation page: {outcome.page}")
    else:
        from .variants import share_from_variants

        if not args.force:
            share_from_variants(args.cluster or None, args.notebook or None, args.param)
        summary = runner.run(args.cluster or None, args.notebook or None, args.param, **options)
        print(summary.table())
        if summary.index:
            print(f"site: {summary.index}")
        records.append(ci_report.RunRecord(summary, paths.outputs_dir()))
    if args.report or args.junit or args.summary:
        report = ci_report.build_report(records, overrides=args.param, vary=args.vary)
        try:
            written = ci_report.write(report, json_path=args.report, junit_path=args.junit, markdown_path=args.summary)
        except OSError as exc:
            print(f"error: cannot write the run report: {exc}", file=sys.stderr)
            return 1
        for path in written:
            print(f"report: {path}")
    return 1 if any(r.summary.failed for r in records) else 0


def _diff(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import diff
    from .results_file import atomic_write_text

    options = {k: v for k, v in (("rtol", args.rtol), ("atol", args.atol)) if v is not None}
    result = diff.compare(args.old, args.new, **options)
    print(result.table(everything=args.all))
    for path, text in ((args.markdown, lambda: result.markdown(everything=args.all)),
                       (args.csv, lambda: result.frame().to_csv(index=False))):
        if path:
            try:
                atomic_write_text(Path(path), text())
            except OSError as exc:
                print(f"error: cannot write {path}: {exc}", file=sys.stderr)
                return 1
            print(f"written: {path}")
    return 1 if args.fail_on_change and result.flagged else 0


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM stops a run the way Ctrl-C does (workers and kernels killed, nothing half-written)."""
    raise KeyboardInterrupt


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            signal.signal(signal.SIGTERM, _terminate)
            return _run(args)
        if args.command == "diff":
            from .diff import DiffError

            try:
                return _diff(args)
            except DiffError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
        if args.command == "params":
            return _params_show(args) if args.params_command == "show" else _params_check()
        if args.command == "data":
            return _data_check(args) if args.data_command == "check" else _data_contract(args)
        if args.command == "new":
            return _new(args)
        if args.command == "list":
            return _list(args)
        if args.command == "site" and args.single_file:
            return _single_file(args.single_file, args.output)
        if args.command == "site":
            from . import paths, runner

            index = runner.build_site()
            if index is None:
                print(f"error: cannot write {paths.outputs_dir() / 'index.html'} (is the folder writable?)",
                      file=sys.stderr)
                return 1
            print(index)
            return 0
    except KeyboardInterrupt:
        print("interrupted: the workers and their kernels were stopped; finished reports are kept",
              file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        # leave now: the interpreter's exit handlers would wake the killed pool's manager thread through
        # a pipe that is already closed, and print a traceback after the clean message
        os._exit(130)
    except ParamsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except AgroclusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
