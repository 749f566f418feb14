"""Speed and peak memory of reading OCO-2 Lite files and of aggregating onto 6,108 counties.

One case per process (``python -m bench.carbon.speed read|aggregate N``) so that the peak
resident memory (``ru_maxrss``) belongs to that case alone. Soundings are synthetic: uniform
over the US and China county boxes, times spread over 2019, quality flag 1 for about a third.
Aggregation streams chunks of ``CHUNK`` soundings, so memory is set by the chunk and the
county-month sums, not by N.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from paii_core.carbon import CountyIndex, XCO2Accumulator, iter_soundings
from paii_core.config import REPO_ROOT
from paii_core.io import read_boundaries, write_oco2_lite

CHUNK = 1_000_000
BOXES = ((-125.0, 24.5, -66.9, 49.4), (73.5, 18.2, 134.8, 53.6))  # CONUS, China
YEAR_NS = (np.datetime64("2019-01-01", "ns").astype(np.int64), 365 * 86_400 * 10**9)


def all_counties():
    """Every US and Chinese county (data/boundaries/*_counties_all.parquet), 6,108 polygons."""
    folder = REPO_ROOT / "data" / "boundaries"
    frames = [read_boundaries(folder / f"{c}_counties_all.parquet") for c in ("us", "cn")]
    return pd.concat([f[["county_id", "geometry"]] for f in frames], ignore_index=True)


def synthetic(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """n soundings with the read_oco2_lite columns."""
    box = np.array(BOXES)[rng.integers(0, 2, n)]
    lon = box[:, 0] + rng.random(n) * (box[:, 2] - box[:, 0])
    lat = box[:, 1] + rng.random(n) * (box[:, 3] - box[:, 1])
    t = YEAR_NS[0] + rng.integers(0, YEAR_NS[1], n)
    return pd.DataFrame(
        {
            "sounding_id": np.arange(n, dtype=np.int64),
            "time": pd.to_datetime(t, utc=True),
            "latitude": lat,
            "longitude": lon,
            "xco2": 410.0 + rng.standard_normal(n),
            "xco2_uncertainty": rng.uniform(0.4, 1.2, n),
            "xco2_quality_flag": (rng.random(n) < 0.35).astype(np.int8),
        }
    )


def chunks(n: int, seed: int = 0) -> Iterator[pd.DataFrame]:
    rng = np.random.default_rng(seed)
    for start in range(0, n, CHUNK):
        yield synthetic(min(CHUNK, n - start), rng)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_aggregate(n: int) -> dict:
    counties = all_counties()
    t0 = time.perf_counter()
    index = CountyIndex(counties.geometry.values)
    build_s = time.perf_counter() - t0
    acc = XCO2Accumulator(counties, index=index)
    gen_s, agg_s = 0.0, 0.0
    it = chunks(n)
    while True:
        t0 = time.perf_counter()
        chunk = next(it, None)
        gen_s += time.perf_counter() - t0
        if chunk is None:
            break
        t0 = time.perf_counter()
        acc.add(chunk)
        agg_s += time.perf_counter() - t0
    t0 = time.perf_counter()
    table = acc.result()
    agg_s += time.perf_counter() - t0
    return {
        "case": "aggregate",
        "n": n,
        "counties": len(counties),
        "index_build_s": round(build_s, 1),
        "aggregate_s": round(agg_s, 1),
        "soundings_per_s": round(n / agg_s),
        "synthesis_s": round(gen_s, 1),
        "rows": len(table),
        "counties_hit": int(table.loc[table["n_soundings"] > 0, "county_id"].nunique()),
        "peak_rss_mb": round(peak_mb()),
    }


def bench_read(n: int, files: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        per = n // files
        rng = np.random.default_rng(1)
        for i in range(files):
            write_oco2_lite(Path(tmp) / f"oco2_LtCO2_19{i:04d}_B11014Ar_x.nc4", synthetic(per, rng))
        base = peak_mb()
        errors: list = []
        t0 = time.perf_counter()
        count = sum(len(f) for f in iter_soundings(Path(tmp), errors=errors))
        read_s = time.perf_counter() - t0
    return {
        "case": "read",
        "n": count,
        "files": files,
        "read_s": round(read_s, 1),
        "soundings_per_s": round(count / read_s),
        "peak_rss_mb": round(peak_mb()),
        "peak_rss_before_read_mb": round(base),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("case", choices=("read", "aggregate"))
    parser.add_argument("n", type=int)
    parser.add_argument("--files", type=int, default=20)
    args = parser.parse_args(argv)
    out = bench_read(args.n, args.files) if args.case == "read" else bench_aggregate(args.n)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
