"""`paii region add` and `paii region list`: a user's own regions in the store."""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from paii_core.errors import FormatError, ValidationError
from paii_core.text import count
from paii_core.yields.units import UNITS

__all__ = ["register"]

_OPTIONS = {
    "id_column=": "--id-column",
    "name_column=": "--name-column",
    "source_crs=": "--source-crs ",
}
"""The engine's keyword arguments, as `paii region add` spells them in an error's text."""


def _named(text: str) -> str:
    """An engine message with this command's options for the engine's keywords (in a fix,
    ``source_crs='EPSG:4326'``; in a problem, ``source_crs 'X' is not a CRS``)."""
    for keyword, option in _OPTIONS.items():
        text = text.replace(keyword + " ", option.strip() + " ").replace(keyword, option)
        text = text.replace(keyword[:-1] + " ", option.strip() + " ")
    # the engine's "--replace (replace=True)" names the option and the keyword
    return text.replace(" (replace=True)", "")


def _with_options(error: FormatError) -> FormatError:
    """The boundary reader's error, naming this command's options for its keywords."""
    return FormatError(error.path, _named(error.problem), _named(error.fix))


def _add(args: argparse.Namespace) -> int:
    from paii_core import store, workspace

    con = store.connect(args.db)
    try:
        with warnings.catch_warnings(record=True) as caught, _options_hint():
            warnings.simplefilter("always")
            region = workspace.add_region(
                con,
                args.region_id,
                args.counties,
                country=args.country,
                yield_unit=args.yield_unit,
                name=args.name,
                id_column=args.id_column,
                name_column=args.name_column,
                source_crs=args.source_crs,
                yield_crops=tuple(c.strip().lower() for c in args.crops.split(",") if c.strip())
                if args.crops
                else (),
                replace=args.replace,
            )
        store.log_event(
            con,
            actor=args.actor,
            action="region add",
            entity="region",
            entity_id=region.region_id,
            detail={"counties_file": region.counties_file, "counties": region.n_counties},
        )
    finally:
        con.close()
    for w in caught:
        print(f"warning: {w.message}")
    print(
        f"Added region {region.region_id} ({region.name}, {region.country}): "
        f"{count(region.n_counties, 'county', 'counties')} from {region.counties_file}, "
        f"UTM EPSG:{region.utm_epsg}, "
        f"yields in {region.yield_unit}"
    )
    if region.note:
        print(f"note: {region.note}")
    return 0


@contextmanager
def _options_hint() -> Iterator[None]:
    try:
        yield
    except FormatError as e:
        raise _with_options(e) from None
    except ValidationError as e:
        raise ValidationError(_named(str(e))) from None


def _list(args: argparse.Namespace) -> int:
    from paii_core import store, workspace

    con = store.connect(args.db, read_only=True)
    try:
        regions = workspace.list_regions(con)
        areas = workspace.list_areas(con)
    finally:
        con.close()
    if not regions:
        print("No region yet: add one with `paii region add ID --counties FILE ...`.")
        return 0
    print("region\tname\tcountry\tcounties\tyield unit\tareas")
    for r in regions:
        mine = [
            a.aoi_id + (" (simulated)" if a.simulated else "")
            for a in areas
            if a.region_id == r.region_id
        ]
        print(
            f"{r.region_id}\t{r.name}\t{r.country}\t{r.n_counties}\t{r.yield_unit}\t"
            f"{', '.join(mine) or '-'}"
        )
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add `paii region add` and `paii region list` to the `paii` parser."""
    region = commands.add_parser("region", help="your regions: county boundaries and units")
    sub = region.add_subparsers(dest="region_command", required=True)
    add = sub.add_parser("add", help="add a region from a county GeoJSON, GeoPackage or shapefile")
    add.add_argument("region_id", metavar="ID", help="new region id, e.g. kansas")
    add.add_argument("--counties", type=Path, required=True, help="county boundary file")
    add.add_argument("--id-column", help="column of county ids (default: guessed, e.g. GEOID)")
    add.add_argument("--name-column", help="column of county names (default: guessed)")
    add.add_argument("--name", help="display name (default: from the id)")
    add.add_argument("--country", required=True, help="ISO 3166-1 alpha-2 code, e.g. US, CN")
    add.add_argument("--yield-unit", required=True, choices=UNITS, help="unit yields are read in")
    add.add_argument("--crops", help="crops with county yields, main first: corn,soybean")
    add.add_argument(
        "--source-crs",
        help="CRS of a file without one, or GCJ-02 for Chinese boundaries in GCJ-02",
    )
    add.add_argument("--replace", action="store_true", help="replace a region of this id")
    add.add_argument("--db", type=Path, help="database (default: data/paii.duckdb)")
    add.add_argument("--actor", default="paii region add", help="who adds it (audit trail)")
    add.set_defaults(run=_add)
    lst = sub.add_parser("list", help="the regions in the store and their areas")
    lst.add_argument("--db", type=Path, help="database (default: data/paii.duckdb)")
    lst.set_defaults(run=_list)
