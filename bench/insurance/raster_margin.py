"""How far a polygon's pixel count strays from its area when drawn at pixel centres.

Run: .venv/bin/python -m bench.insurance.raster_margin [--n 3000]
An insured plot given as a polygon (`paii policies import` with geometry) is drawn on the
area's 10 m grid by `rasterio.features.rasterize` (a pixel belongs to the plot when its
centre does). The area check then needs a margin for that drawing. This draws random
plots of 10-500 pixels (0.1-5 ha at 10 m: a rectangle of aspect 1-4 with jittered
corners, any rotation, a random sub-pixel offset), compares the drawn pixel count with
the polygon's area, and reports how often the error stays under k x sqrt(boundary pixels)
and under half the boundary ring. paii_core/insurance/area.py uses k = 1.
"""

from __future__ import annotations

import argparse

import numpy as np
from affine import Affine
from rasterio.features import rasterize
from shapely import affinity
from shapely.geometry import Polygon

SIZE = 100


def draw_errors(n: int, seed: int = 0) -> np.ndarray:
    """(M, 3) float: area in pixels, drawn pixel count, boundary pixels of valid plots."""
    rng = np.random.default_rng(seed)
    grid = Affine(1, 0, 0, 0, -1, SIZE)
    rows = []
    for _ in range(n):
        area, aspect = rng.uniform(10, 500), rng.uniform(1, 4)
        w = np.sqrt(area * aspect)
        h = area / w
        corners = [(0, 0), (w, 0), (w, h), (0, h)]
        plot = Polygon(
            [(x + rng.normal(0, 0.1 * h), y + rng.normal(0, 0.1 * h)) for x, y in corners]
        )
        if not plot.is_valid:
            continue
        plot = affinity.rotate(plot, rng.uniform(0, 90), origin="centroid")
        dx, dy = rng.uniform(0, 1, 2)
        plot = affinity.translate(
            plot, SIZE / 2 - plot.centroid.x + dx, SIZE / 2 - plot.centroid.y + dy
        )
        drawn = rasterize([(plot, 1)], out_shape=(SIZE, SIZE), transform=grid, dtype="uint8")
        pad = np.pad(drawn, 1)
        core = pad[1:-1, 1:-1]
        ring = (
            (pad[:-2, 1:-1] != core) | (pad[2:, 1:-1] != core)
            | (pad[1:-1, :-2] != core) | (pad[1:-1, 2:] != core)
        ) & (drawn > 0)  # fmt: skip
        rows.append((plot.area, float(drawn.sum()), float(ring.sum())))
    return np.array(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="random plots to draw")
    args = parser.parse_args()
    a = draw_errors(args.n)
    lost = a[:, 0] - a[:, 1]  # area the drawing lost (negative: it gained)
    edge = a[:, 2]
    print(
        f"{len(a)} random plots of 10-500 pixels; area - drawn count: mean {lost.mean():+.2f}, "
        f"sd {lost.std():.2f} pixels"
    )
    print("| margin | plots whose lost area it covers | median margin / area |")
    print("|---|---|---|")
    for k in (0.5, 1.0, 1.5):
        m = k * np.sqrt(edge)
        print(f"| {k} x sqrt(ring) | {(lost <= m).mean():.4f} | {np.median(m / a[:, 0]):.3f} |")
    half = 0.5 * edge
    print(f"| half the ring | {(lost <= half).mean():.4f} | {np.median(half / a[:, 0]):.3f} |")


if __name__ == "__main__":
    main()
