"""Local STAC catalogs, collections, items and ItemCollections of Sentinel-2 scenes, loaded
through odc-stac onto one grid in dask chunks."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pystac
from numpy.typing import NDArray

from paii_core.errors import FormatError
from paii_core.io.s2_scene import (
    QUANTIFICATION,
    BandRef,
    Grid,
    S2Scene,
    band_code,
    baseline_offset,
    parse_baseline,
)

__all__ = ["load_stac_bands", "open_stac", "scene_from_item"]

_BASELINE_KEYS = ("s2:processing_baseline", "sentinel:processing_baseline", "processing:version")
_APPLIED_KEYS = ("earthsearch:boa_offset_applied", "sentinel:boa_offset_applied")
_CHUNK = 1024


def open_stac(path: Path) -> list[S2Scene]:
    """The Sentinel-2 scenes of a local STAC document (item, ItemCollection, catalog or
    collection, searched recursively), one per item, in date order.

    Raises:
        FormatError: not STAC JSON, no items, an asset outside this machine, an item
            whose bands, level or offset cannot be read (each message says the fix).
    """
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as e:  # RecursionError: absurdly deep nesting
        raise FormatError(path, f"is not readable JSON ({e})", "pass a STAC JSON file") from e
    kind = doc.get("type") if isinstance(doc, dict) else None
    try:
        if kind == "Feature":
            items = [pystac.Item.from_file(str(path))]
        elif kind == "FeatureCollection":
            items = list(pystac.ItemCollection.from_file(str(path)))
        elif kind in ("Catalog", "Collection"):
            items = list(pystac.read_file(str(path)).get_items(recursive=True))
        else:
            raise FormatError(
                path,
                f"has type {kind!r}, not a STAC Feature, FeatureCollection, Catalog or Collection",
                "pass a STAC item, ItemCollection or catalog JSON",
            )
    except (pystac.STACError, pystac.STACTypeError, KeyError, TypeError, ValueError, OSError) as e:
        if isinstance(e, FormatError):
            raise
        raise FormatError(
            path, f"is not valid STAC ({e})", "validate it with stac-validator"
        ) from e
    if not items:
        raise FormatError(path, "holds no STAC items", "pass a catalog with Sentinel-2 items")
    for item in items:
        if item.get_self_href() is None:
            item.set_self_href(str(path))
    return sorted((scene_from_item(i, path) for i in items), key=lambda s: s.day)


def _asset_code(key: str, asset: pystac.Asset) -> str | None:
    listed = asset.extra_fields.get("eo:bands") or asset.extra_fields.get("bands") or []
    if len(listed) > 1:
        return None  # multi-band assets (previews, visual) are not band data
    for band in listed:
        for name in (band.get("name"), band.get("common_name"), band.get("eo:common_name")):
            code = band_code(name) if name else None
            if code is not None:
                return code
    return band_code(key)


def _local_href(item: pystac.Item, key: str, asset: pystac.Asset, where: Path) -> str:
    href = asset.get_absolute_href() or asset.href
    scheme = urlparse(href).scheme
    if scheme not in ("", "file") and len(scheme) > 1:
        raise FormatError(
            where,
            f"item {item.id} asset {key!r} is at {href}, not on this machine (PAII runs offline)",
            "download the assets and point their hrefs at the local files",
        )
    local = urlparse(href).path if scheme == "file" else href
    try:
        exists = Path(local).is_file()
    except OSError:  # a name too long for the file system: it cannot exist either
        exists = False
    if not exists:
        raise FormatError(
            where,
            f"item {item.id} asset {key!r} points at {local}, which does not exist",
            "fix the href (relative hrefs resolve against the item JSON's folder)",
        )
    return local


def _level(item: pystac.Item, keys: dict[str, str]) -> str | None:
    props = item.properties
    text = " ".join(
        str(v)
        for v in (
            props.get("processing:level"),
            props.get("s2:product_type"),
            item.collection_id,
            item.id,
        )
        if v
    ).upper()
    if "L1C" in text or "1C" in str(props.get("s2:product_type", "")).upper():
        return "L1C"
    if "L2A" in text or "2A" in str(props.get("s2:product_type", "")).upper():
        return "L2A"
    return "L2A" if "SCL" in keys else None


def _offset(item: pystac.Item, assets: dict[str, str], where: Path) -> tuple[float, float, str]:
    """(DN offset, scale, rule) of an item. Earth Search flags an offset it already
    subtracted from the DN; else the baseline rule; else raster:bands scale/offset."""
    props = item.properties
    for key in _APPLIED_KEYS:
        if props.get(key) is True:
            return 0.0, QUANTIFICATION, f"{key}=true (offset already in the DN)"
    for key in _BASELINE_KEYS:
        if props.get(key) not in (None, ""):
            b = parse_baseline(str(props[key]), f"{where} item {item.id} {key}")
            return baseline_offset(b), QUANTIFICATION, f"{key} {b:05.2f}"
    first = item.assets[next(iter(assets.values()))]
    rb = (first.extra_fields.get("raster:bands") or [{}])[0]
    if "scale" in rb or "offset" in rb:
        scale = float(rb.get("scale", 1.0 / QUANTIFICATION))
        return float(rb.get("offset", 0.0)) / scale, 1.0 / scale, "raster:bands scale/offset"
    raise FormatError(
        where,
        f"item {item.id} says neither its processing baseline nor its offset, so whether "
        "its DN carry the -1000 offset of baseline 04.00 and later is unknown",
        'add the property s2:processing_baseline (e.g. "05.10", the _Nxxxx_ of the '
        "product name) to the item, or raster:bands scale and offset to its assets",
    )


def scene_from_item(item: pystac.Item, where: Path) -> S2Scene:
    """One scene from a STAC item whose assets are local one-band files."""
    keys: dict[str, str] = {}
    for key, asset in item.assets.items():
        roles = asset.roles or ["data"]
        if "data" not in roles or (key.lower().endswith("-jp2") and band_code(key[:-4]) in keys):
            continue
        code = _asset_code(key, asset)
        if code is not None and code not in keys:
            keys[code] = key
    if not any(c != "SCL" for c in keys):
        raise FormatError(
            where,
            f"item {item.id} has no asset naming a Sentinel-2 band (by eo:bands name or "
            f"common_name, or by asset key); keys: {', '.join(item.assets) or '(none)'}",
            "name each band asset (B02 or blue, B03 or green, B04 or red, B08 or nir, scl)",
        )
    if item.datetime is None and not item.properties.get("start_datetime"):
        raise FormatError(where, f"item {item.id} has no datetime", "set the item's datetime")
    day = (item.datetime or pystac.utils.str_to_datetime(item.properties["start_datetime"])).date()
    level = _level(item, keys)
    if level is None:
        raise FormatError(
            where,
            f"item {item.id} does not say whether it is L1C or L2A",
            "set the property processing:level (L1C or L2A) or s2:product_type",
        )
    refs = {c: BandRef(_local_href(item, k, item.assets[k], where)) for c, k in keys.items()}
    if item.geometry is None:
        raise FormatError(
            where,
            f"item {item.id} has no geometry, so the area it covers is unknown",
            "set the item's geometry and bbox to its footprint (lon/lat polygon)",
        )
    data_keys = {c: k for c, k in keys.items() if c != "SCL"}
    offset, scale, rule = _offset(item, data_keys, where)
    return S2Scene(
        source=f"{where} item {item.id}",
        day=day,
        level=level,  # type: ignore[arg-type]
        bands={c: r for c, r in refs.items() if c != "SCL"},
        offsets=dict.fromkeys(data_keys, offset),
        scale=scale,
        offset_rule=rule,
        scl=refs.get("SCL"),
        tile=item.properties.get("s2:mgrs_tile") or item.properties.get("grid:code"),
        stac=item,
        asset_keys=keys,
    )


def load_stac_bands(scene: S2Scene, codes: list[str], grid: Grid) -> dict[str, NDArray]:
    """Read bands ``codes`` (and ``"SCL"``) of a STAC scene onto ``grid`` with odc-stac:
    a lazy dask array in chunks of 1024 px, computed only over the grid.

    Returns:
        code -> ``(grid.height, grid.width) float32`` DN, NaN where nodata (0) or outside.
    """
    import odc.stac
    from odc.geo.geobox import GeoBox

    keys = [scene.asset_keys[c] for c in codes]
    geobox = GeoBox((grid.height, grid.width), grid.transform, grid.crs.to_wkt())
    resampling = {
        k: ("nearest" if c == "SCL" else "bilinear") for c, k in zip(codes, keys, strict=True)
    }
    cfg = {"*": {"assets": {"*": {"data_type": "uint16", "nodata": 0}}}}
    ds = odc.stac.load(
        [scene.stac],
        bands=keys,
        geobox=geobox,
        chunks={"x": _CHUNK, "y": _CHUNK},
        resampling=resampling,
        stac_cfg=cfg,
        fail_on_error=True,
    )
    out = {}
    for code, key in zip(codes, keys, strict=True):
        raw = np.asarray(ds[key].isel(time=0).compute().values)
        data = raw.astype(np.float32)
        data[raw == 0] = np.nan
        out[code] = data
    return out
