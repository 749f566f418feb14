"""Open a Sentinel-2 item given as a stacked GeoTIFF, a folder of band files or a .SAFE."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from os import PathLike
from pathlib import Path

import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from paii_core.errors import FormatError, InputNotFoundError
from paii_core.io.archives import archive_members, member_path
from paii_core.io.geotiff import band_descriptions
from paii_core.io.s2_mtd import Metadata, read_mtd
from paii_core.io.s2_scene import (
    QUANTIFICATION,
    BandRef,
    S2Scene,
    band_code,
    baseline_offset,
    parse_baseline,
    parse_date,
)
from paii_core.text import count

__all__ = [
    "open_folder",
    "open_s2_item",
    "open_s2_items",
    "open_safe",
    "open_safe_zip",
    "open_stack",
]

_RASTER_SUFFIXES = (".tif", ".tiff", ".jp2")
_SAFE_BASELINE_RE = re.compile(r"_N(\d{2})(\d{2})_")
_TILE_RE = re.compile(r"(?:^|_)T?(\d{2}[C-X][A-Z]{2})(?:_|$)")
_DATE_TAGS = ("DATE", "DATATAKE_SENSING_START", "SENSING_TIME", "PRODUCT_START_TIME", "DATETIME")
_DESCRIBE_FIX = (
    "name each band in the file, e.g. `rio edit-info --bidx 1 --description B02 FILE` for "
    "every band (B02 blue, B03 green, B04 red, B08 nir; SCL for the scene classification)"
)


def open_s2_item(item: str | PathLike[str]) -> list[S2Scene]:
    """The scenes of one Sentinel-2 item, whatever its form.

    Forms: a ``.SAFE`` folder (L1C or L2A) or its ``.zip``, a folder of per-band files (``B02.tif``,
    ``T15SUC_..._B02_10m.jp2``...), a stacked GeoTIFF / COG with band descriptions, or a
    local STAC catalog, collection, item or ItemCollection JSON (one scene per item).

    Raises:
        InputNotFoundError: nothing at ``item``.
        FormatError: the form is not recognised, or its bands, date, level or offset
            cannot be read from it (each message says what to fix).
    """
    path = Path(item).expanduser()
    if not path.exists():
        raise InputNotFoundError(f"{path}: Sentinel-2 item not found; check the path")
    if path.is_dir():
        if path.suffix.upper() == ".SAFE" or any(path.glob("MTD_MSIL*.xml")):
            return open_safe(path)
        return [open_folder(path)]
    if path.suffix.lower() == ".zip":
        return open_safe_zip(path)
    if path.suffix.lower() == ".json":
        from paii_core.io.stac import open_stac

        return open_stac(path)
    if path.suffix.lower() in _RASTER_SUFFIXES:
        return [open_stack(path)]
    raise FormatError(
        path,
        "is not a Sentinel-2 item PAII reads",
        "pass a stacked GeoTIFF/COG, a folder of band files, a .SAFE folder or its .zip, or a "
        "local STAC catalog / item / ItemCollection .json",
    )


def _describe(path: Path) -> tuple[tuple[str, ...], dict[str, str], int]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                return band_descriptions(src), dict(src.tags()), src.count
    except RasterioError as e:
        raise FormatError(path, f"is not a readable raster ({e})", "re-download it") from e
    except UnicodeDecodeError as e:
        raise FormatError(
            path, f"has band metadata that is not valid UTF-8 text ({e.reason})", "re-download it"
        ) from e


def _level_from(text: str, tags: Mapping[str, str]) -> str | None:
    upper = {k.upper(): str(v).upper() for k, v in tags.items()}
    level = upper.get("PROCESSING_LEVEL", "")
    if upper.get("REFLECTANCE") == "TOA":
        return "L1C"
    if upper.get("REFLECTANCE") in ("SURFACE", "BOA"):
        return "L2A"
    if "1C" in level or "RADIO_ADD_OFFSET" in upper:
        return "L1C"
    if "2A" in level or "BOA_ADD_OFFSET" in upper:
        return "L2A"
    name = text.upper()
    if "MSIL1C" in name or re.search(r"(?:^|[_\-/.])L1C(?:[_\-/.]|$)", name):
        return "L1C"
    if "MSIL2A" in name or re.search(r"(?:^|[_\-/.])L2A(?:[_\-/.]|$)", name):
        return "L2A"
    return None


def _tag_metadata(path: Path, tags: Mapping[str, str], level: str) -> tuple[dict, float, str]:
    """Per-band offsets, scale and the rule that gave them, from a file's tags or name."""
    upper = {k.upper(): v for k, v in tags.items()}
    kind = str(upper.get("REFLECTANCE", "")).upper()
    if kind in ("TOA", "SURFACE", "BOA"):
        # reflectance already (`paii reflectance` output, eo-learn or openEO float stacks):
        # no DN offset or quantification applies
        return {"*": 0.0}, 1.0, f"REFLECTANCE={kind} tag (reflectance, not DN)"
    scale = QUANTIFICATION
    if "QUANTIFICATION_VALUE" in upper:
        try:
            scale = float(upper["QUANTIFICATION_VALUE"])
        except ValueError:
            scale = float("nan")
        if not scale > 0:
            raise FormatError(
                path,
                f"QUANTIFICATION_VALUE tag {upper['QUANTIFICATION_VALUE']!r} is not positive",
                "set it to 10000 or remove it",
            )
    offset_tag = "RADIO_ADD_OFFSET" if level == "L1C" else "BOA_ADD_OFFSET"
    if offset_tag in upper:
        try:
            return {"*": float(upper[offset_tag])}, scale, f"{offset_tag} tag"
        except ValueError:
            raise FormatError(
                path,
                f"{offset_tag} tag {upper[offset_tag]!r} is not a number",
                "set it to -1000 (baseline 04.00 and later) or 0",
            ) from None
    if "PROCESSING_BASELINE" in upper:
        b = parse_baseline(upper["PROCESSING_BASELINE"], str(path))
        return {"*": baseline_offset(b)}, scale, f"PROCESSING_BASELINE {b:05.2f} tag"
    m = _SAFE_BASELINE_RE.search(path.as_posix())
    if m is not None:
        b = int(m.group(1)) + int(m.group(2)) / 100.0
        return {"*": baseline_offset(b)}, scale, f"baseline N{m.group(1)}{m.group(2)} in the path"
    raise FormatError(
        path,
        f"says neither its {offset_tag} nor its processing baseline, so whether its DN "
        "carry the -1000 offset of baseline 04.00 and later is unknown",
        f"tag it: `rio edit-info --tag PROCESSING_BASELINE=05.10 FILE` (the baseline in the "
        f"product name, _N0510_) or `--tag {offset_tag}=-1000`; DN already harmonised "
        f"(Sentinel Hub, openEO) take `--tag {offset_tag}=0`",
    )


def _scene(
    path: Path,
    bands: dict[str, BandRef],
    scl: BandRef | None,
    level: str,
    day_text: list[str],
    meta: tuple[dict, float, str],
) -> S2Scene:
    day = next((d for d in map(parse_date, day_text) if d is not None), None)
    if day is None:
        raise FormatError(
            path,
            "has no acquisition date (no DATE tag, no date in its name)",
            "tag it: `rio edit-info --tag DATE=2022-06-01 FILE`, or put YYYYMMDD in the name",
        )
    offsets, scale, rule = meta
    per_band = {b: offsets.get(b, offsets.get("*", 0.0)) for b in bands}
    tile = next((m.group(1) for m in map(_TILE_RE.search, path.parts) if m), None)
    return S2Scene(str(path), day, level, bands, per_band, scale, rule, scl, tile)  # type: ignore[arg-type]


def open_stack(path: Path) -> S2Scene:
    """A stacked GeoTIFF / COG: bands named by their descriptions, never by position."""
    descriptions, tags, n_bands = _describe(path)
    codes = [band_code(d) if d else None for d in descriptions]
    if not any(c for c in codes if c != "SCL"):
        raise FormatError(
            path,
            f"has {count(n_bands, 'band')} without descriptions naming Sentinel-2 bands "
            f"({', '.join(d or '(none)' for d in descriptions)}); PAII never guesses band "
            "order (a B4, B3, B2, B8 stack read as B2, B3, B4, B8 swaps red and blue)",
            _DESCRIBE_FIX,
        )
    twice = sorted({c for c in codes if c and codes.count(c) > 1})
    if twice:
        raise FormatError(path, f"names band(s) {', '.join(twice)} twice", _DESCRIBE_FIX)
    bands = {c: BandRef(str(path), i + 1) for i, c in enumerate(codes) if c and c != "SCL"}
    scl = BandRef(str(path), codes.index("SCL") + 1) if "SCL" in codes else None
    level = _level_from(path.name, tags) or "L2A"
    upper = {k.upper(): v for k, v in tags.items()}
    dates = [upper[t] for t in _DATE_TAGS if t in upper] + [path.stem]
    return _scene(path, bands, scl, level, dates, _tag_metadata(path, tags, level))


def _band_files(
    paths: Iterable[Path], resolution: Callable[[Path], float] | None = None
) -> dict[str, Path]:
    """Band code -> the finest-resolution file of that band among ``paths`` (files; other
    names are skipped). A resolution not in the name (``_10m``) is read by ``resolution``
    (default: opening the file), only where a band has several files."""
    candidates: dict[str, list[Path]] = {}
    for p in paths:
        if p.suffix.lower() in _RASTER_SUFFIXES and (code := band_code(p.stem)) is not None:
            candidates.setdefault(code, []).append(p)
    read = resolution or _resolution

    def res(p: Path) -> float:
        m = re.search(r"_(\d{2})m$", p.stem)
        return float(m.group(1)) if m else read(p)

    return {c: ps[0] if len(ps) == 1 else min(ps, key=res) for c, ps in candidates.items()}


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _resolution(path: Path) -> float:
    try:
        with rasterio.open(path) as src:
            return float(abs(src.transform.a))
    except RasterioError as e:
        raise FormatError(path, f"is not a readable raster ({e})", "re-download it") from e


def _from_mtd(path: Path, meta: Metadata, bands: dict[str, BandRef]) -> tuple[dict, float, str]:
    if meta.offsets:
        return dict(meta.offsets), meta.scale, f"{meta.offset_name} in {meta.path.name}"
    if meta.baseline is not None:
        return (
            {"*": baseline_offset(meta.baseline)},
            meta.scale,
            f"baseline {meta.baseline:05.2f} in {meta.path.name}",
        )
    first = Path(next(iter(bands.values())).path)
    return _tag_metadata(first, _describe(first)[1], meta.level or "L2A")


def open_folder(folder: Path) -> S2Scene:
    """A folder of per-band files (``B02.tif``, ``*_B02_10m.jp2``, ``SCL_20m.tif``...)."""
    mtd = next(iter(sorted(folder.glob("MTD*.xml"))), None)
    return _band_scene(folder, _band_files(_files(folder)), mtd, folder.as_posix())


def _band_scene(source: Path, files: dict[str, Path], mtd: Path | None, named: str) -> S2Scene:
    """One date's band files (band code -> file), with its product MTD XML when there is
    one; ``named`` is the text the level may be read from (a folder's path, file names)."""
    bands = {c: BandRef(str(p)) for c, p in files.items() if c != "SCL"}
    if not bands:
        raise FormatError(
            source,
            "holds no Sentinel-2 band files (names like B02.tif or T15SUC_..._B02_10m.jp2)",
            "pass a folder with one file per band named by its band code",
        )
    scl = BandRef(str(files["SCL"])) if "SCL" in files else None
    meta = read_mtd(mtd) if mtd is not None else None
    first = Path(next(iter(bands.values())).path)
    tags = _describe(first)[1]
    level = (meta.level if meta else None) or _level_from(named, tags)
    if level is None and scl is not None:
        level = "L2A"
    if level is None:
        raise FormatError(
            source,
            "does not say whether it is L1C (top of atmosphere) or L2A (surface "
            "reflectance): no MTD XML, no PROCESSING_LEVEL tag, no L1C/L2A in its name, no SCL",
            "rename the folder with _L2A or _L1C, or add the product's MTD_MSIL2A.xml"
            if source.is_dir()
            else "pass the product's MTD_MSIL2A.xml (or MTD_MSIL1C.xml) with the band files, "
            "or put L2A or L1C in their names",
        )
    try:
        metadata = _from_mtd(source, meta, bands) if meta else _tag_metadata(first, tags, level)
    except FormatError as e:
        if meta is not None or source.is_dir():
            raise
        raise FormatError(
            e.path, e.problem, f"pass the product's MTD XML with the band files, or {e.fix}"
        ) from None
    upper = {k.upper(): v for k, v in tags.items()}
    dates = ([meta.start] if meta and meta.start else []) + [
        upper[t] for t in _DATE_TAGS if t in upper
    ]
    dates += [source.name] + [Path(b.path).stem for b in bands.values()]
    return _scene(source, bands, scl, level, dates, metadata)


def open_s2_items(items: Sequence[str | PathLike[str]]) -> list[S2Scene]:
    """The scenes of several Sentinel-2 items: each as :func:`open_s2_item`, except loose
    band files (one band each, the band code in the name: ``T33UUU_20230601T101559_B02_10m.jp2``,
    ``B04.tif``), which are grouped by the date and tile in their names into one scene
    each, and product metadata files (``MTD_MSIL2A.xml``), each joined to the band files
    of its date. So the files of a .SAFE's IMG_DATA (or of any band-per-file download)
    can be passed as they are, without their folders.

    Raises:
        InputNotFoundError: an item that does not exist.
        FormatError: as :func:`open_s2_item`; a band file without a date in its name, a
            band given twice for one date, an MTD file no band file's date matches.
    """
    scenes: list[S2Scene] = []
    groups: dict[tuple[date, str | None], list[Path]] = {}
    mtds: list[Path] = []
    for item in items:
        path = Path(item).expanduser()
        if path.is_file() and path.suffix.lower() == ".xml" and path.name.upper().startswith("MTD"):
            mtds.append(path)
        elif _loose_band(path):
            day = parse_date(path.stem)
            if day is None:
                raise FormatError(
                    path,
                    "is a single band file without a date in its name, so which date's "
                    "other bands it goes with is unknown",
                    "keep the product's file names (T33UUU_20230601T101559_B02_10m.jp2), or "
                    "put each date's band files in a folder named with the date",
                )
            tile = next((m.group(1) for m in [_TILE_RE.search(path.stem)] if m), None)
            groups.setdefault((day, tile), []).append(path)
        else:
            scenes.extend(open_s2_item(path))
    by_day = {}
    for mtd in mtds:
        meta = read_mtd(mtd)
        day = parse_date(meta.start or "")
        keys = [k for k in groups if k[0] == day]
        if not keys:
            raise FormatError(
                mtd,
                f"is the metadata of a product of {day or 'an unknown date'}, but no band "
                f"file of that date was given (band files' dates: "
                f"{', '.join(sorted({str(k[0]) for k in groups})) or 'none'})",
                "pass it with the band files of its product, or leave it out",
            )
        for key in keys:
            by_day[key] = mtd
    for (day, tile), paths in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        codes: dict[str, list[Path]] = {}
        for p in paths:
            codes.setdefault(band_code(p.stem) or "", []).append(p)
        twice = {c: ps for c, ps in codes.items() if len(ps) > 1}
        if twice:
            code, ps = next(iter(twice.items()))
            raise FormatError(
                ps[1],
                f"is band {code} of {day}{f' tile {tile}' if tile else ''}, as is {ps[0].name}",
                "pass each band of a date once (the finest resolution)",
            )
        files = _band_files(paths)
        source = Path(" + ".join(str(files[c]) for c in sorted(files)))
        named = " ".join(p.name for p in paths)
        scenes.append(_band_scene(source, files, by_day.get((day, tile)), named))
    return scenes


def _loose_band(path: Path) -> bool:
    """A single-band raster file named by its band code and not describing its band
    otherwise (a stack's one band described B02 is read as a stack, as before)."""
    if not path.is_file() or path.suffix.lower() not in _RASTER_SUFFIXES:
        return False
    if band_code(path.stem) is None:
        return False
    descriptions, _, n_bands = _describe(path)
    return n_bands == 1 and not any(band_code(d) for d in descriptions if d)


def open_safe(safe: Path) -> list[S2Scene]:
    """A ``.SAFE`` product (L1C or L2A): MTD XML for level, date, baseline and offsets;
    one scene per granule under GRANULE/ (band files from IMG_DATA, finest resolution)."""
    mtd = next(iter(sorted(safe.glob("MTD_MSIL*.xml"))), None)
    if mtd is None:
        raise FormatError(
            safe,
            "has no MTD_MSIL1C.xml or MTD_MSIL2A.xml product metadata",
            "pass the whole .SAFE folder as downloaded (unzipped), metadata included",
        )
    granules = {
        p: _files(p / "IMG_DATA")
        for p in sorted((safe / "GRANULE").glob("*"))
        if (p / "IMG_DATA").is_dir()
    }
    return _safe_scenes(safe, read_mtd(mtd), granules)


def _safe_scenes(safe: Path, meta: Metadata, granules: dict[Path, list[Path]]) -> list[S2Scene]:
    """One scene per granule of a .SAFE (granule folder -> its IMG_DATA files)."""
    if not granules:
        raise FormatError(
            safe, "has no GRANULE/*/IMG_DATA folder", "pass the complete .SAFE product"
        )
    scenes = []
    for granule, paths in granules.items():
        files = _band_files(paths)
        bands = {c: BandRef(str(p)) for c, p in files.items() if c != "SCL"}
        if not bands:
            raise FormatError(
                granule / "IMG_DATA", "holds no band files", "pass the complete .SAFE product"
            )
        scl = BandRef(str(files["SCL"])) if "SCL" in files else None
        level = meta.level or "L2A"
        dates = [meta.start or "", safe.name]
        scenes.append(_scene(granule, bands, scl, level, dates, _from_mtd(safe, meta, bands)))
    return scenes


_SAFE_MTD_RE = re.compile(r"(?:[^/]+/)*[^/]+\.SAFE/MTD_MSIL(?:1C|2A)\.xml", re.IGNORECASE)


def open_safe_zip(archive: Path) -> list[S2Scene]:
    """A zipped ``.SAFE`` product as downloaded (Copernicus Data Space and most other
    sources), read in place: the MTD XML from the zip, the band files through GDAL's
    ``/vsizip/``; nothing is unpacked. A zip of several products gives all their scenes.

    Raises:
        FormatError: not a zip, or no ``X.SAFE/MTD_MSIL1C.xml`` / ``MTD_MSIL2A.xml`` in it,
            or what :func:`open_safe` refuses.
    """
    archive = archive.resolve()
    names = archive_members(archive)
    mtds = sorted(n for n in names if _SAFE_MTD_RE.fullmatch(n))
    if not mtds:
        raise FormatError(
            archive,
            "holds no Sentinel-2 product (no X.SAFE/MTD_MSIL1C.xml or MTD_MSIL2A.xml in it)",
            "pass the product's .zip as downloaded, or its .SAFE folder",
        )
    scenes = []
    for mtd in mtds:
        meta = read_mtd(member_path(archive, mtd))
        safe = mtd.rsplit("/", 1)[0]
        granules: dict[Path, list[Path]] = {}
        for name in names:
            parts = name.split("/")
            k = safe.count("/") + 1  # parts[k] == "GRANULE"
            if name.startswith(f"{safe}/GRANULE/") and len(parts) > k + 3:
                if parts[k + 2] == "IMG_DATA":  # named as inside the zip, read through GDAL
                    granule = Path(archive, safe, "GRANULE", parts[k + 1])
                    granules.setdefault(granule, []).append(member_path(archive, name))
        scenes += _safe_scenes(Path(archive, safe), meta, granules)
    return scenes
