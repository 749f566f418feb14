"""`paii insurance review` (a region's portfolio against PAII's evidence, as CSV), `paii
insurance report` (one policy's review PDF) and `paii policies import` (an insurer's policy
file, validated, written whole or not)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

__all__ = ["register"]


def _asof(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"--asof {text!r}: use a date as YYYY-MM-DD") from e


def _write(out: Path, data: bytes) -> None:
    """``data`` to ``out`` whole (through a temporary file beside it)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)


def _audit_export(
    con, actor: str, action: str, entity_id: str, out: Path, **detail: object
) -> None:
    """An export of policy data from the command line goes to the audit trail as the
    dashboard's do, under the operator's ``cli:<login>`` and with the file written."""
    from paii_core.store import log_event

    log_event(
        con, actor=actor, action=action, entity="policies", entity_id=entity_id,
        detail={**detail, "file": str(out.resolve())},
    )  # fmt: skip


def _review(args: argparse.Namespace) -> int:
    from paii_core import store
    from paii_core.access import local_operator
    from paii_core.insurance.review import filter_review, review_csv, review_portfolio
    from paii_core.io import check_output
    from paii_core.text import count

    check_output(args.out, argument="--out", overwrite=args.overwrite)

    me = local_operator()
    con = store.connect(args.db)
    try:
        review = review_portfolio(
            con, args.region, asof=args.asof, principal=me, data_dir=args.data
        )
        table = filter_review(review.table, flags=args.flag or ())
        out: Path = args.out
        _write(out, review_csv(table))
        _audit_export(
            con, me.user, "export portfolio review", args.region, out,
            policies=len(table), asof=args.asof,
        )  # fmt: skip
    finally:
        con.close()
    for note in review.notes:
        print(note)
    flagged = int((table["n_flags"] > 0).sum())
    tag = " (simulated demo data)" if table["simulated"].any() else ""
    print(f"wrote {count(len(table), 'policy', 'policies')}, {flagged} flagged, to {out}{tag}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from paii_core import store
    from paii_core.access import local_operator
    from paii_core.insurance.report import policy_report
    from paii_core.insurance.review import review_portfolio
    from paii_core.io import check_output
    from paii_core.store import insurance as ins_store

    check_output(args.out, argument="--out", overwrite=args.overwrite)
    me = local_operator()
    con = store.connect(args.db)
    try:
        region = ins_store.policy_region(con, args.policy, principal=me)
        review = review_portfolio(con, region, asof=args.asof, principal=me, data_dir=args.data)
        pdf = policy_report(con, review, args.policy, principal=me, data_dir=args.data)
        out: Path = args.out
        _write(out, pdf)
        _audit_export(con, me.user, "export review report", args.policy, out, asof=args.asof)
    finally:
        con.close()
    simulated = bool(review.policies.set_index("policy_id").at[args.policy, "simulated"])
    tag = " (simulated demo data)" if simulated else ""
    print(f"wrote the review report of {args.policy} ({len(pdf):,} bytes) to {out}{tag}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from paii_core import store
    from paii_core.access import local_operator
    from paii_core.errors import ImportRejectedError
    from paii_core.insurance.imports import import_policies

    con = store.connect(args.db)
    try:
        report = import_policies(
            con, args.file, args.region, replace=args.replace, simulated=args.simulated,
            actor=local_operator().user,
        )  # fmt: skip
    except ImportRejectedError as e:
        print(f"{len(e.problems)} problem(s); nothing was imported:")
        for problem in e.problems:
            print(f"  {problem}")
        return 2
    finally:
        con.close()
    for note in report.notes:
        print(f"note: {note}")
    print(report.summary())
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `paii insurance review` and `paii policies import`."""
    from paii_core.insurance.evidence import FLAGS

    parser = subparsers.add_parser("insurance", help="review an insurance portfolio")
    sub = parser.add_subparsers(dest="insurance_command", required=True)
    rv = sub.add_parser("review", help="every policy of a region with its evidence and flags")
    rv.add_argument("--region", required=True, help="region id (henan, hubei, iowa)")
    rv.add_argument("--asof", type=_asof, default=date.today(), help="YYYY-MM-DD (default today)")
    rv.add_argument(
        "--flag", action="append", choices=list(FLAGS), help="keep policies with this flag"
    )
    rv.add_argument("--out", type=Path, required=True, help="CSV to write")
    rv.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    rv.add_argument("--data", type=Path, help="data folder (default: PAII's)")
    rv.add_argument("--db", type=Path, help="database (default: data/paii.duckdb)")
    rv.set_defaults(run=_review)
    rp = sub.add_parser("report", help="one policy's review report as PDF")
    rp.add_argument("--policy", required=True, help="policy id (as in the review CSV)")
    rp.add_argument("--asof", type=_asof, default=date.today(), help="YYYY-MM-DD (default today)")
    rp.add_argument("--out", type=Path, required=True, help="PDF to write")
    rp.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    rp.add_argument("--data", type=Path, help="data folder (default: PAII's)")
    rp.add_argument("--db", type=Path, help="database (default: data/paii.duckdb)")
    rp.set_defaults(run=_report)

    pol = subparsers.add_parser("policies", help="import an insurer's policies")
    psub = pol.add_subparsers(dest="policies_command", required=True)
    imp = psub.add_parser(
        "import",
        help="validate a policy file (CSV with WKT or plot ids, GeoPackage, GeoJSON) and "
        "store it whole; columns in README.md",
    )
    imp.add_argument("file", type=Path, help="the policy file")
    imp.add_argument("--region", required=True, help="region id (`paii region list`)")
    imp.add_argument("--replace", action="store_true", help="replace the region's stored policies")
    imp.add_argument("--simulated", action="store_true", help="the policies are simulated")
    imp.add_argument("--db", type=Path, help="database (default: data/paii.duckdb)")
    imp.set_defaults(run=_import)
