"""A Landsat product's blue, green, red and NIR band files as one BGRN reflectance stack (a
VRT), read in place: the GeoTIFFs of a product folder, or inside its ``.tar`` as USGS
delivers it.

`paii batch` cuts its inputs into windows and reads each window of one raster; a product
becomes that raster without a pixel copied. The stack applies the product's calibration
(:func:`paii_core.io.landsat.calibration`, the same that :func:`paii_core.io.read_landsat`
applies) as each band's scale and offset, so a window of it is reflectance: top of
atmosphere for Level-1, surface for Collection 2 Level-2, NaN where the DN is 0 (fill).
"""

from __future__ import annotations

from pathlib import Path

import rasterio
from rasterio.errors import RasterioError

from paii_core.errors import FormatError
from paii_core.io.landsat import LANDSAT_BANDS, Calibration, calibration
from paii_core.io.vrt import add_band, source_stamp, vrt_dataset, write_vrt

__all__ = ["landsat_stack_vrt", "stack_name"]


def stack_name(cal: Calibration) -> str:
    """A file name for the product's stack: its product id (which holds the path, row,
    date and level), else the MTL's name without ``_MTL``."""
    name = cal.tags.get("LANDSAT_PRODUCT_ID") or cal.mtl.name.rsplit("_MTL", 1)[0]
    return f"{name}.vrt"


def landsat_stack_vrt(path: str | Path, stacks: Path) -> Path:
    """The Landsat product ``path`` (its archive, folder, MTL or a band file beside the
    MTL) as a 4-band float32 reflectance VRT in the folder ``stacks`` (bands described
    blue, green, red, nir; nodata NaN), tagged as :func:`paii_core.io.read_landsat` tags
    what it reads; rewritten only if changed.

    Raises:
        InputNotFoundError, FormatError: as :func:`paii_core.io.landsat.calibration`; a
            band file GDAL cannot read, or the four not on one grid.
    """
    cal = calibration(path)
    grids = []
    for file in cal.files:
        try:
            with rasterio.open(file) as src:
                grids.append((src.crs, src.transform, src.width, src.height))
        except RasterioError as e:
            raise FormatError(
                file, f"is a Landsat band file GDAL cannot read ({e})", "download it again"
            ) from e
    if len(set(grids)) != 1 or grids[0][0] is None:
        sizes = ", ".join(
            f"{f.name} {g[2]} x {g[3]} px" for f, g in zip(cal.files, grids, strict=True)
        )
        raise FormatError(
            cal.mtl,
            f"has its blue, green, red and NIR files on different grids or without a CRS ({sizes})",
            "pass the product as USGS delivered it (its band files, unresampled)",
        )
    crs, transform, width, height = grids[0]
    tags = {
        **cal.tags,
        "PAII_SOURCE": str(Path(path)),
        "PAII_SOURCE_STAMP": source_stamp((cal.mtl, *cal.files)),
    }
    root = vrt_dataset(crs, transform, width, height, tags)
    for name, file, gain, offset in zip(
        LANDSAT_BANDS, cal.files, cal.gains, cal.offsets, strict=True
    ):
        add_band(
            root,
            "Float32",
            description=name,
            nodata=float("nan"),
            source=(str(file), 1),
            scale=(gain, offset),
            source_nodata=0,
        )
    stacks.mkdir(parents=True, exist_ok=True)
    return write_vrt(root, stacks / stack_name(cal))
