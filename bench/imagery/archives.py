"""What reading a product inside its archive costs: a window and a whole band of a
Sentinel-2-sized JPEG2000 read unzipped, from a stored zip and from a deflated zip.

    .venv/bin/python -m bench.imagery.archives [--size 5490] [--window 1000] [--json OUT]

PAII reads a zipped .SAFE (and a Landsat .tar, an RTC zip) in place through GDAL's
/vsizip/ and /vsitar/ instead of unpacking it. A JPEG2000 band is read tile by tile, so
GDAL seeks inside the member; in a deflated zip a backward seek means inflating again.
The band is written lossless with 1024 px tiles, as Sentinel-2's are, from a smooth
field with noise (so it compresses like a real band, not like zeros).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.windows import Window

from bench.jsonout import write_json

MEMBER = (
    "S2B_MSIL2A_20230601T101559_N0509_R065_T33UUU_20230601T140000.SAFE/GRANULE/"
    "L2A_T33UUU_A000000_20230601T101559/IMG_DATA/R20m/T33UUU_20230601T101559_B04_20m.jp2"
)


def _band(path: Path, size: int) -> None:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[:size, :size]
    dn = 1500 + 800 * np.sin(x / 37.0) * np.cos(y / 53.0) + rng.normal(0, 60, (size, size))
    profile = {
        "driver": "JP2OpenJPEG", "width": size, "height": size, "count": 1, "dtype": "uint16",
        "crs": "EPSG:32633", "transform": Affine(20, 0, 300000, 0, -20, 5100000),
        "QUALITY": 100, "REVERSIBLE": "YES", "BLOCKXSIZE": 1024, "BLOCKYSIZE": 1024,
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(dn.astype(np.uint16), 1)


def _read(path: str, window: Window | None) -> tuple[float, int]:
    t = time.perf_counter()
    with rasterio.open(path) as src:
        total = int(src.read(1, window=window).sum(dtype=np.int64))
    return time.perf_counter() - t, total


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=5490, help="band side, px (a 20 m S2 band)")
    ap.add_argument("--window", type=int, default=1000, help="window side, px")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="paii-archives-") as tmp:
        band = Path(tmp) / "band.jp2"
        _band(band, args.size)
        forms = {"unzipped": str(band)}
        for name, mode in (
            ("stored zip", zipfile.ZIP_STORED),
            ("deflated zip", zipfile.ZIP_DEFLATED),
        ):
            archive = Path(tmp) / f"{name.split()[0]}.zip"
            with zipfile.ZipFile(archive, "w", compression=mode) as z:
                z.write(band, MEMBER)
            forms[name] = f"/vsizip/{{{archive}}}/{MEMBER}"
        off = (args.size - args.window) // 2
        window = Window(off, off, args.window, args.window)
        sums = set()
        for name, path in forms.items():
            w_s, w_sum = _read(path, window)
            b_s, b_sum = _read(path, None)
            sums.add((w_sum, b_sum))
            rows.append({"form": name, "window_s": round(w_s, 3), "band_s": round(b_s, 3)})
            print(f"{name:<13} window {args.window} px {w_s:6.2f} s   whole band {b_s:6.2f} s")
        assert len(sums) == 1, "the three forms read different pixels"
    result = {"size_px": args.size, "window_px": args.window, "rows": rows}
    if args.json:
        write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
