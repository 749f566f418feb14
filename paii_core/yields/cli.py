"""`paii yield backtest|forecast` (the yield model on files) and `paii yields import` (a
Quick Stats export into a region's county yields)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from paii_core.errors import InputNotFoundError, ValidationError
from paii_core.yields.backtest import ASOF_DATES, lead_time_backtest, summarize_backtest
from paii_core.yields.nass import read_yield_csv
from paii_core.yields.table import COMMON_UNITS
from paii_core.yields.units import UNITS, convert_yield

__all__ = ["register"]

_SIMULATED = "simulated demo data; not observations"


def _asofs(text: str) -> tuple[str, ...]:
    picked = tuple(a.strip() for a in text.split(",") if a.strip())
    unknown = [a for a in picked if a not in ASOF_DATES]
    if unknown or not picked:
        raise ValidationError(
            f"--asof {text!r}: use comma-separated dates from {', '.join(ASOF_DATES)}"
        )
    return picked


def _write_csv(frame: pd.DataFrame, out: Path, simulated: bool) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if simulated:
        frame = frame.assign(data_note=_SIMULATED)
    tmp = out.with_name(out.name + ".tmp")
    frame.to_csv(tmp, index=False, float_format="%.4f")
    tmp.replace(out)


def _read_features(path: Path | None) -> pd.DataFrame:
    if path is None:
        raise ValidationError("pass --features FILE.parquet (as-of features)")
    if not path.exists():
        raise InputNotFoundError(f"{path}: features Parquet not found; check --features")
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as e:
        raise ValidationError(f"{path} is not a readable Parquet file ({e})") from e


def _region_backtest(args: argparse.Namespace) -> int:
    from paii_core import store
    from paii_core.yields.region import backtest_region, read_feature_table

    features = read_feature_table(args.features) if args.features else None
    con = store.connect(args.db, read_only=True)
    try:
        bt = backtest_region(
            con, args.region, features=features, asofs=_asofs(args.asof),
            progress=_printer(args.quiet),
        )  # fmt: skip
    finally:
        con.close()
    model = "LightGBM on the feature table" if features is not None else "trend from yields alone"
    print(f"{args.region}: leave-one-year-out backtest, {model}")
    summary = summarize_backtest(bt)
    print(summary.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if args.out:
        _write_csv(bt, Path(args.out), args.simulated)
        print(f"wrote {len(bt)} backtest rows to {args.out}")
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from paii_core.io import check_output

    if args.out:
        check_output(args.out, argument="--out", overwrite=args.overwrite)
    if args.region:
        return _region_backtest(args)
    features = _read_features(args.features)
    if args.yields is None:
        raise ValidationError("pass --yields FILE.csv (a NASS Quick Stats export)")
    yields, notes = read_yield_csv(args.yields, maize=args.maize)
    bt = lead_time_backtest(
        features, yields, asofs=_asofs(args.asof), progress=_printer(args.quiet)
    )
    for note in notes + bt.attrs.get("notes", []):
        print(f"note: {note}")
    summary = summarize_backtest(bt)
    print(summary.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if args.out:
        _write_csv(bt, Path(args.out), args.simulated)
        print(f"wrote {len(bt)} backtest rows to {args.out}")
    return 0


def _printer(quiet: bool):
    def report(frac: float, msg: str) -> None:
        if not quiet:
            print(f"\r{100 * frac:5.1f}% {msg:<40}", end="", flush=True)
            if frac >= 1.0:
                print()

    return report


def _forecast(args: argparse.Namespace) -> int:
    from paii_core import store
    from paii_core.config import paths
    from paii_core.io import check_output
    from paii_core.yields.run import forecast_files

    if args.out:
        check_output(args.out, argument="--out", overwrite=args.overwrite)
    asofs = _asofs(args.asof)
    progress = _printer(args.quiet)
    if args.region:
        from paii_core.yields.region import forecast_stored_region

        con = store.connect(args.db)
        try:
            run = forecast_stored_region(
                con, args.data or paths().data, args.region, features_path=args.features,
                features_simulated=args.features_simulated, year=args.year, asofs=asofs,
                with_backtest=not args.no_backtest, progress=progress,
            )  # fmt: skip
        finally:
            con.close()
        print(f"stored {len(run.forecasts)} forecasts of {run.year} ({run.model_version})")
    elif args.features and args.yields:
        run = forecast_files(
            args.features,
            args.yields,
            maize=args.maize,
            year=args.year,
            asofs=asofs,
            with_backtest=False,
            progress=progress,
        )
    else:
        raise ValidationError("pass --region R (stored yields) or --features and --yields")
    for note in run.notes:
        print(f"note: {note}")
    if args.out:
        fc = run.forecasts.copy()
        unit = args.unit or run.unit
        for col in ("trend", "p10", "p50", "p90"):
            for crop, idx in fc.groupby("crop").groups.items():
                fc.loc[idx, col] = convert_yield(fc.loc[idx, col], run.unit, unit, crop=crop)
        simulated = args.simulated if run.simulated is None else run.simulated
        _write_csv(fc.assign(unit=unit), Path(args.out), simulated)
        print(f"wrote {len(fc)} forecasts ({unit}) to {args.out}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from paii_core import store
    from paii_core.yields.imports import import_yields

    con = store.connect(args.db)
    try:
        report = import_yields(
            con, args.file, args.region, unit=args.unit, crop=args.crop, simulated=args.simulated
        )
    finally:
        con.close()
    print(report.summary())
    for reason, n in sorted(report.skipped.items(), key=lambda kv: -kv[1]):
        print(f"  skipped {n:>6} rows: {reason}")
    for note in report.notes:
        print(f"note: {note}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `paii yield backtest|forecast` and `paii yields import`."""
    imp = (
        subparsers.add_parser("yields", help="import county yields")
        .add_subparsers(dest="yields_command", required=True)
        .add_parser(
            "import",
            help="store county yields, converted to the region's unit: a county yield table "
            "(CSV or Excel: county_id or county, crop, year, yield, unit) or any USDA NASS "
            "Quick Stats CSV export; rows of other counties are skipped and counted",
        )
    )
    imp.add_argument("file", type=Path, help="yield table (.csv, .xlsx) or Quick Stats CSV")
    imp.add_argument(
        "--unit",
        help="the yield table's unit where the file names none: "
        f"{', '.join(COMMON_UNITS)} (a file may spell more)",
    )
    imp.add_argument("--crop", help="the yield table's crop where it has no crop column")
    imp.add_argument("--region", required=True, help="region id (`paii region list`)")
    imp.add_argument("--simulated", action="store_true", help="the yields are simulated")
    imp.add_argument("--db", type=Path, help="database (default: data/paii.duckdb)")
    imp.set_defaults(run=_import)

    parser = subparsers.add_parser("yield", help="county yield forecasts and backtests")
    sub = parser.add_subparsers(dest="yield_command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--features", type=Path, help="feature table, Parquet or CSV (columns in README)"
        )
        p.add_argument("--yields", type=Path, help="USDA NASS Quick Stats CSV of yields")
        p.add_argument("--maize", action="store_true", help="read CORN as maize (China)")
        p.add_argument("--asof", default=",".join(ASOF_DATES), help="MM-DD dates, comma-sep.")
        p.add_argument("--out", type=Path, help="CSV to write")
        p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
        p.add_argument(
            "--real", dest="simulated", action="store_false", help="inputs are real data"
        )
        p.add_argument("--quiet", action="store_true", help="no progress line")

    bt = sub.add_parser("backtest", help="leave-one-year-out backtest at each as-of date")
    common(bt)
    bt.add_argument(
        "--region", help="backtest the region's stored yields (trend, or --features LightGBM)"
    )
    bt.add_argument("--db", type=Path, help="database (default: data/paii.duckdb)")
    bt.set_defaults(run=_backtest)
    fc = sub.add_parser("forecast", help="forecast the latest season (stored with --region)")
    common(fc)
    fc.add_argument(
        "--region",
        help="forecast a region's stored yields (trend, or LightGBM with --features; a demo "
        "region without --features uses its demo panels) and store the forecasts",
    )
    fc.add_argument("--data", type=Path, help="data folder (default: PAII's)")
    fc.add_argument("--db", type=Path, help="database (default: data/paii.duckdb)")
    fc.add_argument("--year", type=int, help="season to forecast (default: the latest)")
    fc.add_argument("--unit", choices=UNITS, help="unit of --out (default: the input's)")
    fc.add_argument("--no-backtest", action="store_true", help="skip the backtest")
    fc.add_argument(
        "--features-simulated",
        action="store_true",
        help="the --features table is simulated (stored forecasts say so)",
    )
    fc.set_defaults(run=_forecast)
