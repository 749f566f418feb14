"""A window of a raster as a small GeoTIFF, so the engine's own readers read it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import MaskFlags
from rasterio.errors import RasterioError
from rasterio.windows import Window

from paii_core.batch.tiles import Window4, window_profile
from paii_core.errors import FormatError
from paii_core.io.geotiff import _open_checked

__all__ = ["crop", "window_files"]


def _copy_window(path: Path, win: Window4, dst_path: Path) -> None:
    """Raw values, nodata, internal mask, band descriptions, units and tags kept, so a
    reader applies the same scaling (L2A offsets, dB/linear, feet) as on the file."""
    with _open_checked(path, "GeoTIFF") as src:
        window = Window(*win)
        profile = window_profile(src, win)
        profile["driver"] = "GTiff"
        try:
            values = src.read(window=window)
        except RasterioError as e:  # damaged past its header (a cut download, a bad member)
            raise FormatError(
                path,
                f"could not be read in the window of columns {win[0]}-{win[0] + win[2]}, rows "
                f"{win[1]}-{win[1] + win[3]} ({e})",
                "the file (or, for a product's stack, a band file it reads) is damaged: "
                "download or write it again",
            ) from e
        with rasterio.open(dst_path, "w", **profile) as dst:
            dst.write(values)
            masked = any(MaskFlags.per_dataset in f for f in src.mask_flag_enums)
            if masked and src.nodata is None:
                dst.write_mask(src.dataset_mask(window=window))
            dst.descriptions = src.descriptions
            dst.units = src.units
            dst.update_tags(**src.tags())
            for i in range(1, src.count + 1):
                dst.update_tags(i, **src.tags(i))


@contextmanager
def window_files(paths: tuple[str, ...], win: Window4 | None) -> Iterator[list[Path]]:
    """The files themselves (``win`` None) or copies of their window ``win`` in a
    temporary folder removed on exit."""
    if win is None:
        yield [Path(p) for p in paths]
        return
    with tempfile.TemporaryDirectory(prefix="paii_batch_") as tmp:
        out = []
        for i, p in enumerate(paths):
            dst = Path(tmp) / f"{i:04d}_{Path(p).name}"
            _copy_window(Path(p), win, dst)
            out.append(dst)
        yield out


def crop(array: np.ndarray, core: Window4, read: Window4, scale: int = 1) -> np.ndarray:
    """The ``core`` part of an array computed on the ``read`` window (last two axes),
    with output pixels ``scale`` times smaller than the input's."""
    r0 = (core[1] - read[1]) * scale
    c0 = (core[0] - read[0]) * scale
    return array[..., r0 : r0 + core[3] * scale, c0 : c0 + core[2] * scale]
