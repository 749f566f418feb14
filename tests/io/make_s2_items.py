"""Write tiny Sentinel-2 items in their real formats, for the reader and `paii area add` tests.

Every form PAII reads: a stacked COG with band descriptions, a folder of per-band
GeoTIFFs, L1C and L2A .SAFE folders (JPEG2000 bands at their native 10/20/60 m, MTD XML
with baseline, quantification and offsets) and a STAC catalog of COG assets (Earth Search
asset keys, eo:bands, s2:processing_baseline). The scene is a patch of Harvey County,
Kansas (UTM 14N): a 6 x 6 grid of fields with crop-specific NDVI curves, roads, and on
some dates a cloud with its shadow. ``truth(day)`` gives the reflectance the files encode.

Run ``python tests/io/make_s2_items.py OUT`` to write one of each under OUT.
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pystac
import rasterio
import shapely
import shapely.geometry
from affine import Affine
from pyproj import Transformer
from rasterio.crs import CRS
from rasterio.warp import transform_bounds

CRS_UTM14 = CRS.from_epsg(32614)
X0, Y0 = 637_080.0, 4_212_660.0  # upper-left corner, a multiple of 60 m
SIZE = 180  # 10 m pixels: 1.8 km, 90 px at 20 m, 30 px at 60 m
BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12")
RES = {
    "B01": 60, "B02": 10, "B03": 10, "B04": 10, "B05": 20, "B06": 20, "B07": 20,
    "B08": 10, "B8A": 20, "B09": 60, "B10": 60, "B11": 20, "B12": 20,
}  # fmt: skip
KEYS = {
    "B01": "coastal", "B02": "blue", "B03": "green", "B04": "red", "B05": "rededge1",
    "B06": "rededge2", "B07": "rededge3", "B08": "nir", "B8A": "nir08", "B09": "nir09",
    "B10": "cirrus", "B11": "swir16", "B12": "swir22",
}  # fmt: skip
SEASON = [date(2022, m, d) for m, d in ((4, 5), (4, 25), (5, 15), (6, 4), (6, 24), (7, 14),
                                         (8, 3), (8, 23), (9, 12), (10, 2))]  # fmt: skip
CLOUDY = {date(2022, 6, 4), date(2022, 8, 23)}
TILE = "14SPG"

# Soil, vegetation and cloud reflectance per band (typical values; B10 is cirrus).
_SOIL = dict(
    zip(
        BANDS,
        (0.12, 0.10, 0.13, 0.17, 0.20, 0.22, 0.23, 0.25, 0.26, 0.09, 0.005, 0.32, 0.27),
        strict=True,
    )
)
_VEG = dict(
    zip(
        BANDS,
        (0.05, 0.03, 0.07, 0.03, 0.10, 0.30, 0.40, 0.45, 0.46, 0.15, 0.003, 0.22, 0.11),
        strict=True,
    )
)
_CLOUD = dict(zip(BANDS, (0.55, 0.58, 0.57, 0.58, 0.60, 0.62, 0.63, 0.64, 0.64, 0.30, 0.08, 0.45,
                          0.35), strict=True))  # fmt: skip


def transform(res: int = 10) -> Affine:
    return Affine(float(res), 0.0, X0, 0.0, -float(res), Y0)


def field_crops() -> np.ndarray:
    """(6, 6) crop name of each 30 x 30 px field (row-major from the north-west corner)."""
    return np.random.default_rng(0).choice(["corn", "soy", "wheat", "grass"], size=(6, 6))


def _cover(day: date) -> np.ndarray:
    """(SIZE, SIZE) vegetation fraction on ``day``: fields with crop curves, roads bare."""
    rng = np.random.default_rng(0)
    doy = day.timetuple().tm_yday
    peaks = {"corn": 200, "soy": 220, "wheat": 130, "grass": 170}
    widths = {"corn": 35, "soy": 30, "wheat": 30, "grass": 90}
    crops = field_crops()
    rng.choice(list(peaks), size=(6, 6))  # keep the noise draw below as it was
    cover = np.zeros((SIZE, SIZE))
    for i in range(6):
        for j in range(6):
            c = crops[i, j]
            v = 0.05 + 0.85 * np.exp(-0.5 * ((doy - peaks[c]) / widths[c]) ** 2)
            cover[i * 30 : (i + 1) * 30, j * 30 : (j + 1) * 30] = v
    cover[::30, :] = 0.0  # roads
    cover[:, ::30] = 0.0
    return cover + rng.normal(0, 0.01, cover.shape)


def cloud_mask(day: date) -> np.ndarray:
    """(SIZE, SIZE) bool: the cloud of a cloudy date (a disk), else all False."""
    yy, xx = np.mgrid[:SIZE, :SIZE]
    if day not in CLOUDY:
        return np.zeros((SIZE, SIZE), bool)
    return (yy - 60) ** 2 + (xx - 60) ** 2 < 40**2


def shadow_mask(day: date) -> np.ndarray:
    yy, xx = np.mgrid[:SIZE, :SIZE]
    if day not in CLOUDY:
        return np.zeros((SIZE, SIZE), bool)
    return ((yy - 110) ** 2 + (xx - 110) ** 2 < 30**2) & ~cloud_mask(day)


def truth(day: date) -> dict[str, np.ndarray]:
    """Band -> (SIZE, SIZE) reflectance at 10 m on ``day`` (clouds included)."""
    v = np.clip(_cover(day), 0, 1)
    cloud, shadow = cloud_mask(day), shadow_mask(day)
    out = {}
    for b in BANDS:
        r = _SOIL[b] * (1 - v) + _VEG[b] * v
        r = np.where(shadow, 0.4 * r, r)
        out[b] = np.where(cloud, _CLOUD[b], r)
    return out


def scl(day: date) -> np.ndarray:
    """(90, 90) SCL classes at 20 m: 4 vegetation / 5 bare, 9 cloud, 3 shadow."""
    v = _cover(day)[::2, ::2]
    classes = np.where(v > 0.3, 4, 5).astype(np.uint8)
    classes[shadow_mask(day)[::2, ::2]] = 3
    classes[cloud_mask(day)[::2, ::2]] = 9
    return classes


def _at(res: int, values: np.ndarray) -> np.ndarray:
    k = res // 10
    return values.reshape(SIZE // k, k, SIZE // k, k).mean(axis=(1, 3))


def dn(values: np.ndarray, offset: float) -> np.ndarray:
    """Reflectance -> uint16 DN with ESA's rule ``DN = refl * 10000 - offset``."""
    return np.clip(np.rint(values * 10000 - offset), 1, 65535).astype(np.uint16)


def _write(path: Path, bands: list[np.ndarray], res: int, *, driver="GTiff", names=(), tags=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = bands[0].shape
    dtype = bands[0].dtype
    opts = {"driver": driver, "count": len(bands), "height": h, "width": w, "dtype": dtype}
    opts.update(crs=CRS_UTM14, transform=transform(res), nodata=0)
    if driver == "JP2OpenJPEG":
        opts.update(QUALITY=100, REVERSIBLE="YES")
    elif driver == "COG":
        opts.update(compress="deflate", blocksize=128)
    with rasterio.open(path, "w", **opts) as dst:
        for i, band in enumerate(bands, 1):
            dst.write(band, i)
            if names:
                dst.set_band_description(i, names[i - 1])
        if tags:
            dst.update_tags(**tags)
    return path


def write_stack(
    path: Path, day: date, *, baseline: str = "05.10", names=("B02", "B03", "B04", "B08"), tags=None
) -> Path:
    """A stacked COG of ``names`` (descriptions set unless ``names`` is empty)."""
    off = -1000.0 if float(baseline) >= 4 else 0.0
    t = truth(day)
    order = names or ("B02", "B03", "B04", "B08")
    meta = {"PROCESSING_BASELINE": baseline, "DATE": day.isoformat()} if tags is None else tags
    bands = [
        dn(t[b], off)
        if b != "SCL"
        else np.kron(scl(day), np.ones((2, 2), np.uint16)).astype(np.uint16)
        for b in order
    ]
    return _write(path, bands, 10, driver="COG", names=names, tags=meta)


def write_band_folder(
    folder: Path, day: date, *, baseline: str = "04.00", level: str = "L2A"
) -> Path:
    """B02.tif, B03.tif, ... (+ SCL_20m.tif for L2A), tagged with baseline and date."""
    off = -1000.0 if float(baseline) >= 4 else 0.0
    t = truth(day)
    tags = {"PROCESSING_BASELINE": baseline, "DATE": day.isoformat(), "PROCESSING_LEVEL": level}
    for b in BANDS:
        if level == "L2A" and b == "B10":
            continue
        _write(folder / f"{b}.tif", [dn(_at(RES[b], t[b]), off)], RES[b], tags=tags)
    if level == "L2A":
        _write(folder / "SCL_20m.tif", [scl(day)], 20)
    return folder


def _mtd(level: str, day: date, baseline: str, offset: float) -> str:
    ids = "".join(
        f'<{"BOA" if level == "L2A" else "RADIO"}_ADD_OFFSET band_id="{i}">{offset:.0f}'
        f"</{'BOA' if level == 'L2A' else 'RADIO'}_ADD_OFFSET>"
        for i in range(13)
    )
    if level == "L2A":
        quant = (
            '<QUANTIFICATION_VALUES_LIST><BOA_QUANTIFICATION_VALUE unit="none">10000'
            "</BOA_QUANTIFICATION_VALUE></QUANTIFICATION_VALUES_LIST>"
        )
        offsets = (
            f"<BOA_ADD_OFFSET_VALUES_LIST>{ids}</BOA_ADD_OFFSET_VALUES_LIST>" if offset else ""
        )
        ns = "https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd"
        kind = "S2MSI2A"
    else:
        quant = '<QUANTIFICATION_VALUE unit="none">10000</QUANTIFICATION_VALUE>'
        offsets = f"<Radiometric_Offset_List>{ids}</Radiometric_Offset_List>" if offset else ""
        ns = "https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-1C.xsd"
        kind = "S2MSI1C"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<n1:Level-{level[1:]}_User_Product xmlns:n1="{ns}"><n1:General_Info><Product_Info>'
        f"<PRODUCT_START_TIME>{day.isoformat()}T17:09:01.024Z</PRODUCT_START_TIME>"
        f"<PRODUCT_TYPE>{kind}</PRODUCT_TYPE><PROCESSING_LEVEL>Level-{level[1:]}</PROCESSING_LEVEL>"
        f"<PROCESSING_BASELINE>{baseline}</PROCESSING_BASELINE></Product_Info>"
        f"<Product_Image_Characteristics>{quant}{offsets}</Product_Image_Characteristics>"
        f"</n1:General_Info></n1:Level-{level[1:]}_User_Product>\n"
    )


def write_safe(root: Path, day: date, *, level: str = "L2A", baseline: str = "04.00") -> Path:
    """A .SAFE product: MTD XML and JPEG2000 bands in the L1C or L2A folder layout."""
    off = -1000.0 if float(baseline) >= 4 else 0.0
    stamp = f"{day:%Y%m%d}T170901"
    nb = baseline.replace(".", "")
    safe = root / f"S2B_MSI{level}_{stamp}_N{nb}_R069_T{TILE}_{day:%Y%m%d}T210000.SAFE"
    (safe / f"MTD_MSI{level}.xml").parent.mkdir(parents=True, exist_ok=True)
    (safe / f"MTD_MSI{level}.xml").write_text(_mtd(level, day, baseline, off))
    granule = safe / "GRANULE" / f"{level}_T{TILE}_A036000_{stamp}" / "IMG_DATA"
    t = truth(day)
    for b in BANDS:
        res = RES[b]
        if level == "L1C":
            _write(
                granule / f"T{TILE}_{stamp}_{b}.jp2",
                [dn(_at(res, t[b]), off)],
                res,
                driver="JP2OpenJPEG",
            )
        elif b != "B10":
            _write(
                granule / f"R{res}m" / f"T{TILE}_{stamp}_{b}_{res}m.jp2",
                [dn(_at(res, t[b]), off)],
                res,
                driver="JP2OpenJPEG",
            )
    if level == "L2A":
        _write(
            granule / "R20m" / f"T{TILE}_{stamp}_SCL_20m.jp2", [scl(day)], 20, driver="JP2OpenJPEG"
        )
    return safe


def zip_safe(safe: Path) -> Path:
    """The .SAFE zipped as Copernicus Data Space serves it (the .SAFE folder at the zip's
    root), beside the folder, which is removed."""
    archive = safe.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(safe.rglob("*")):
            zf.write(p, p.relative_to(safe.parent).as_posix())
    shutil.rmtree(safe)
    return archive


def write_stac(
    root: Path, days: list[date], *, baseline: str = "05.00", applied: bool | None = False
) -> Path:
    """A STAC catalog with one L2A item per day: COG assets under Earth Search keys with
    eo:bands, ``s2:processing_baseline`` and ``earthsearch:boa_offset_applied`` properties
    (``applied=True``: the DN were already shifted, as Earth Search flags; None: no flag)."""
    off = -1000.0 if float(baseline) >= 4 and not applied else 0.0
    cat = pystac.Catalog("kansas-s2", "Sentinel-2 L2A COGs, Harvey County KS (generated)")
    west, south, east, north = transform_bounds(
        CRS_UTM14, "EPSG:4326", X0, Y0 - 10 * SIZE, X0 + 10 * SIZE, Y0
    )
    inner = shapely.box(X0, Y0 - 10 * SIZE, X0 + 10 * SIZE, Y0)  # the files' exact outline
    to_ll = Transformer.from_crs(CRS_UTM14, "EPSG:4326", always_xy=True)
    outline = shapely.geometry.mapping(
        shapely.transform(inner, lambda xy: np.column_stack(to_ll.transform(xy[:, 0], xy[:, 1])))
    )
    for day in days:
        item_id = f"S2B_{TILE}_{day:%Y%m%d}_0_L2A"
        folder = root / item_id
        t = truth(day)
        props = {
            "s2:processing_baseline": baseline,
            "s2:product_type": "S2MSI2A",
            "s2:mgrs_tile": TILE,
        }
        if applied is not None:
            props["earthsearch:boa_offset_applied"] = applied
        item = pystac.Item(
            item_id,
            outline,
            [west, south, east, north],
            datetime(day.year, day.month, day.day, 17, 9, 1),
            props,
        )
        for b in ("B02", "B03", "B04", "B08", "B05", "B11"):
            res = RES[b]
            href = _write(folder / f"{b}.tif", [dn(_at(res, t[b]), off)], res, driver="COG")
            asset = pystac.Asset(str(href), media_type=pystac.MediaType.COG, roles=["data"])
            asset.extra_fields["eo:bands"] = [{"name": KEYS[b], "common_name": KEYS[b]}]
            asset.extra_fields["raster:bands"] = [
                {"nodata": 0, "data_type": "uint16", "scale": 0.0001, "offset": -0.1}
            ]
            item.add_asset(KEYS[b], asset)
        href = _write(folder / "SCL.tif", [scl(day)], 20, driver="COG")
        item.add_asset(
            "scl", pystac.Asset(str(href), media_type=pystac.MediaType.COG, roles=["data"])
        )
        item.add_asset("thumbnail", pystac.Asset(str(folder / "thumb.jpg"), roles=["thumbnail"]))
        cat.add_item(item)
    cat.normalize_hrefs(str(root))
    cat.make_all_asset_hrefs_relative()
    cat.save(pystac.CatalogType.SELF_CONTAINED)
    return root / "catalog.json"


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "s2-items")
    write_stack(out / "stack" / "S2_14SPG_20220405_L2A.tif", SEASON[0])
    write_band_folder(out / "bands_20220425_L2A", SEASON[1])
    write_safe(out, SEASON[2], level="L2A")
    write_safe(out, SEASON[3], level="L1C")
    write_stac(out / "stac", SEASON)
    print(f"written under {out}")
