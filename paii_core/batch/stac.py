"""`paii batch` inputs: STAC Items / ItemCollections as their local GeoTIFF assets,
Sentinel-2 products (a .SAFE folder or its .zip) as a BGRN stack per granule, Landsat
products (a .tar as downloaded, the folder, or the MTL) as a BGRN reflectance stack, and
Sentinel-1 products (a folder or .zip of polarisation GeoTIFFs) as a VV/VH stack."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

from paii_core.errors import FormatError
from paii_core.io.landsat_mtl import find_mtl, is_landsat
from paii_core.io.landsat_vrt import landsat_stack_vrt
from paii_core.io.s1_items import is_s1_product, s1_stack_vrt
from paii_core.io.s2_vrt import is_s2_product, scene_stack_vrt, stack_name

__all__ = ["expand_inputs"]

_TIFF_TYPES = ("image/tiff", "image/vnd.stac.geotiff")


def _item_asset(item: dict, where: Path) -> Path:
    assets = item.get("assets") or {}
    tiffs = [
        (k, a)
        for k, a in assets.items()
        if isinstance(a, dict)
        and (
            str(a.get("type", "")).split(";")[0] in _TIFF_TYPES
            or str(a.get("href", "")).lower().endswith((".tif", ".tiff"))
        )
    ]
    data = [(k, a) for k, a in tiffs if "data" in (a.get("roles") or [])]
    pick = data or tiffs
    if len(pick) != 1:
        raise FormatError(
            where,
            f"STAC item {item.get('id', '?')!r} has {len(pick)} GeoTIFF data assets "
            f"({', '.join(k for k, _ in pick) or 'none'}); paii batch needs one stacked raster",
            "give the item one asset with role 'data' (a B2/B3/B4/B8 stack), or pass the file",
        )
    if not isinstance(pick[0][1].get("href"), str):
        raise FormatError(
            where,
            f"asset {pick[0][0]!r} of STAC item {item.get('id', '?')!r} has no href",
            "give the asset an href with the path of its GeoTIFF",
        )
    href = pick[0][1]["href"]
    parsed = urlparse(href)
    if parsed.scheme not in ("", "file"):
        raise FormatError(
            where,
            f"asset href {href} is remote ({parsed.scheme})",
            "download the assets and point the hrefs at the local files",
        )
    path = Path(parsed.path if parsed.scheme == "file" else href)
    return path if path.is_absolute() else (where.parent / path)


def _product_stacks(product: Path, stacks: Path) -> list[Path]:
    from paii_core.io.s2_items import open_s2_item

    stacks.mkdir(parents=True, exist_ok=True)
    return [scene_stack_vrt(s, stacks / stack_name(s)) for s in open_s2_item(product)]


def _may_be_landsat(path: Path) -> bool:
    """A folder, an MTL or a file named as Landsat names its products and bands (LC08_...,
    LT05_..., LT52240631988227CUB02_B1.TIF): only these are looked at further, so a run over
    thousands of GeoTIFFs in one folder does not search that folder for MTLs once per file."""
    name = path.name
    return path.is_dir() or bool(
        re.search(r"_mtl\.(txt|json)$", name, re.IGNORECASE)
        or re.match(r"L[CTEOM]0?\d", name, re.IGNORECASE)
    )


def expand_inputs(inputs: list[str | Path], stacks: Path | None = None) -> list[Path]:
    """Input files with every ``.json`` STAC Item / ItemCollection replaced by its
    items' GeoTIFF asset (one per item, in order), and, with a ``stacks`` folder, every
    Sentinel-2 product (a ``.SAFE`` folder or its ``.zip``) by a BGRN stack (a VRT in
    ``stacks``) per granule, read in place (:mod:`paii_core.io.s2_vrt`), and every Landsat
    product (its ``.tar``, folder, MTL, or band files: one stack per product) by a BGRN
    reflectance stack (:mod:`paii_core.io.landsat_vrt`), and every Sentinel-1 product (a
    folder or ``.zip`` of one GeoTIFF per polarisation, as ASF's RTC products come) by a
    VV/VH stack (:func:`paii_core.io.s1_items.s1_stack_vrt`).

    Raises:
        FormatError: a JSON that is not STAC or an item without exactly one GeoTIFF data
            asset; a product PAII cannot read (see :func:`paii_core.io.open_s2_item`,
            :func:`paii_core.io.read_landsat`).
        InputNotFoundError: a Landsat product without its MTL or a band file.
    """
    out: list[Path] = []
    landsat: set[Path] = set()  # each product once, however many of its files were passed
    for raw in inputs:
        p = Path(raw)
        if stacks is not None and is_s2_product(p):
            out.extend(_product_stacks(p, stacks))
            continue
        if stacks is not None and is_s1_product(p):
            out.append(s1_stack_vrt(p, stacks))
            continue
        if stacks is not None and _may_be_landsat(p) and is_landsat(p):
            mtl = find_mtl(p)
            if mtl not in landsat:
                landsat.add(mtl)
                out.append(landsat_stack_vrt(p, stacks))
            continue
        if p.suffix.lower() not in (".json", ".geojson"):
            out.append(p)
            continue
        try:
            doc = json.loads(p.read_text())
        except (OSError, ValueError, RecursionError) as e:
            raise FormatError(
                p, f"is not readable JSON ({e})", "pass a STAC Item or ItemCollection"
            ) from None
        if not isinstance(doc, dict):
            raise FormatError(p, "is not a STAC object", "pass a STAC Item or ItemCollection")
        if doc.get("type") == "Feature":
            items = [doc]
        elif doc.get("type") == "FeatureCollection" and isinstance(doc.get("features"), list):
            items = doc["features"]
        else:
            raise FormatError(
                p,
                f"is not a STAC Item or ItemCollection (type {doc.get('type')!r})",
                "pass a STAC Item (type Feature) or ItemCollection (type FeatureCollection)",
            )
        out.extend(_item_asset(i if isinstance(i, dict) else {}, p) for i in items)
    # one product passed twice (its .tar and its folder, a zip and the same zip) is one stack
    return list(dict.fromkeys(out))
