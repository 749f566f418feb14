"""A Sentinel-2 product's blue, green, red and NIR band files as one BGRN stack (a VRT),
read in place: the JPEG2000 files of a ``.SAFE`` folder, or inside its ``.zip``.

`paii batch` cuts its inputs into windows and reads each window of one raster; a product
becomes that raster without a pixel copied (a whole tile's four bands unpacked would be
about 1 GB). The stack carries what :func:`paii_core.io.read_sentinel2_l2a` needs to turn
its DN into reflectance: the offset, the quantification value, the level and the date.
"""

from __future__ import annotations

from pathlib import Path

import rasterio
from rasterio.errors import RasterioError

from paii_core.errors import FormatError
from paii_core.io.s2_load import BGRN, require_bgrn
from paii_core.io.s2_scene import S2Scene
from paii_core.io.vrt import add_band, source_stamp, vrt_dataset, write_vrt

__all__ = ["is_s2_product", "scene_stack_vrt", "stack_name"]


def is_s2_product(path: Path) -> bool:
    """Whether ``path`` is a Sentinel-2 product as downloaded: a ``.SAFE`` folder or a
    ``.zip`` whose name says Sentinel-2 (``S2A_MSIL2A_...zip``)."""
    name = path.name.upper()
    if path.is_dir():
        return name.endswith(".SAFE") or any(path.glob("MTD_MSIL*.xml"))
    return name.endswith(".ZIP") and name.startswith(("S2A_", "S2B_", "S2C_"))


def stack_name(scene: S2Scene) -> str:
    """A file name for the scene's stack that keeps its date, tile and level: the
    granule's folder name (``L2A_T33TWM_A012345_20200601T100031``) and the date."""
    granule = Path(str(scene.source)).name
    return f"{granule}_{scene.day:%Y%m%d}.vrt"


def scene_stack_vrt(scene: S2Scene, vrt: Path) -> Path:
    """The scene's B02, B03, B04, B08 files as a 4-band VRT at ``vrt`` (bands described B2,
    B3, B4, B8; nodata 0) with the tags of a Sentinel-2 stack; rewritten only if changed.

    Raises:
        FormatError: a band is missing or unreadable, the four are not on one grid (they
            are the 10 m bands of one granule), or their offsets differ.
    """
    require_bgrn(scene, "pass the complete product as downloaded")
    grids = []
    for code in BGRN:
        ref = scene.bands[code]
        try:
            with rasterio.open(ref.path) as src:
                grids.append((src.crs, src.transform, src.width, src.height, src.dtypes[0]))
        except RasterioError as e:
            raise FormatError(
                scene.source, f"has a {code} file GDAL cannot read ({e})", "download it again"
            ) from e
    if len(set(grids)) != 1 or grids[0][0] is None:
        sizes = ", ".join(f"{c} {g[2]} x {g[3]} px" for c, g in zip(BGRN, grids, strict=True))
        raise FormatError(
            scene.source,
            f"has its B02, B03, B04 and B08 files on different grids or without a CRS ({sizes})",
            "pass the product as downloaded (its 10 m band files)",
        )
    offsets = {scene.offsets.get(b, 0.0) for b in BGRN}
    if len(offsets) != 1:
        raise FormatError(
            scene.source,
            f"gives its bands different offsets ({sorted(offsets)}); one stack needs one",
            "stack the bands yourself with reflectance values and pass that GeoTIFF",
        )
    crs, transform, width, height, dtype = grids[0]
    l1c = scene.level == "L1C"
    tags = {
        "PRODUCT_TYPE": "S2MSI1C" if l1c else "S2MSI2A",
        "RADIO_ADD_OFFSET" if l1c else "BOA_ADD_OFFSET": f"{offsets.pop():g}",
        "QUANTIFICATION_VALUE": f"{scene.scale:g}",
        "DATE": scene.day.isoformat(),
        "PAII_SOURCE": str(scene.source),
        "PAII_OFFSET_RULE": scene.offset_rule,
        "PAII_SOURCE_STAMP": source_stamp(scene.bands[b].path for b in BGRN),
    }
    if scene.tile:
        tags["TILE"] = scene.tile
    root = vrt_dataset(crs, transform, width, height, tags)
    gdal_type = {"uint16": "UInt16", "int16": "Int16", "uint8": "Byte"}.get(dtype, "Float32")
    for code in BGRN:
        ref = scene.bands[code]
        add_band(
            root, gdal_type, description=f"B{int(code[1:])}", nodata=0, source=(ref.path, ref.index)
        )
    return write_vrt(root, vrt)
