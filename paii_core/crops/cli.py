"""`paii crops ...`: train the crop models."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def _train(args: argparse.Namespace) -> int:
    from paii_core.crops.train import train_boundary, train_cropland
    from paii_core.demo.cli import progress_printer

    report = None if args.quiet else progress_printer
    if args.model in ("cropland", "all"):
        path = train_cropland(progress=report)
        print(f"cropland model written to {path}")
    if args.model in ("boundary", "all"):
        fine, coarse = train_boundary(progress=report)
        print(f"parcel boundary models written to {fine} and {coarse}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add `paii crops train` to the `paii` parser."""
    crops = commands.add_parser("crops", help="cropland, parcels and crop types")
    sub = crops.add_subparsers(dest="crops_command", required=True)
    train = sub.add_parser(
        "train", help="train the cropland and parcel-boundary models on generated scenes (CPU)"
    )
    train.add_argument("model", nargs="?", choices=("all", "cropland", "boundary"), default="all")
    train.add_argument("--quiet", action="store_true", help="no progress output")
    train.set_defaults(run=_train)
