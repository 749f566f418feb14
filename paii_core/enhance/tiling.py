"""Tiled inference over rasters of any size: overlapping tiles, cosine blending, tile
margins cropped, output streamed in row strips so memory is bounded by the tile size.

Tiles overlap by ``overlap`` input pixels; inside each overlap the outer quarter of each
tile is dropped (where a CNN sees the padded border) and the middle half is blended
with complementary sin^2 ramps, which sum to one, so no seam remains (the windowed
overlap-add used for large-image inference, e.g. torchgeo and Real-ESRGAN).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from paii_core.errors import ValidationError

__all__ = ["fill_nodata", "tile_starts", "tiled_apply"]

TileFn = Callable[[int, int, int, int], NDArray[np.float32]]
"""fn(y0, y1, x0, x1) -> ``(C_out, (y1-y0) s, (x1-x0) s)`` output for that input window."""
Sink = Callable[[int, NDArray[np.float32]], None]
"""sink(row0, block ``(C_out, rows, W s)``) receives finished output rows in order; the
block is a view into a buffer that is reused, so the sink copies what it keeps."""


def fill_nodata(tile: NDArray) -> NDArray[np.float32]:
    """Replace NaN in a ``(C, H, W)`` tile by each band's mean (0 where a band is empty),
    so a network sees plausible values; the caller masks those pixels afterwards."""
    arr = np.asarray(tile, dtype=np.float32)
    if not np.isnan(arr).any():
        return arr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN band has no mean
        mean = np.nan_to_num(np.nanmean(arr, axis=(-2, -1), keepdims=True))
    return np.where(np.isnan(arr), mean, arr).astype(np.float32)


def tile_starts(size: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """Evenly spread ``(start, stop)`` windows of length ``tile`` covering ``0..size``
    with at least ``overlap`` shared pixels between neighbours (one window if it fits)."""
    if size <= tile:
        return [(0, size)]
    n = int(np.ceil((size - overlap) / (tile - overlap)))
    starts = np.round(np.linspace(0, size - tile, n)).astype(int)
    return [(int(s), int(s) + tile) for s in starts]


def _ramp(n: int) -> NDArray[np.float32]:
    """Rising weight over an overlap of ``n`` px: 0 over the first quarter, sin^2 over
    the middle half, 1 over the last quarter; ramp + reversed ramp == 1."""
    u = (np.arange(n, dtype=np.float64) + 0.5) / n
    v = np.clip((u - 0.25) / 0.5, 0.0, 1.0)
    return np.sin(0.5 * np.pi * v).astype(np.float32) ** 2


def _weights(windows: list[tuple[int, int]], scale: int) -> list[NDArray[np.float32]]:
    out = []
    for i, (a, b) in enumerate(windows):
        w = np.ones((b - a) * scale, dtype=np.float32)
        if i > 0:
            n = (windows[i - 1][1] - a) * scale
            w[:n] *= _ramp(n)
        if i < len(windows) - 1:
            n = (b - windows[i + 1][0]) * scale
            w[len(w) - n :] *= _ramp(n)[::-1]
        out.append(w)
    return out


def tiled_apply(
    fn: TileFn,
    image: NDArray,
    *,
    out_channels: int,
    scale: int = 1,
    tile: int = 256,
    overlap: int = 32,
    sink: Sink | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> NDArray[np.float32] | None:
    """Run ``fn`` over overlapping tiles of ``image`` ``(C, H, W)`` and blend the results.

    Output is ``(out_channels, H scale, W scale)`` float32, NaN wherever any input band is
    NaN. With ``sink`` the finished rows are handed over strip by strip and None is
    returned, so only about one row of tiles is ever in memory; otherwise the full array
    is returned. ``progress(done, total)`` is called after each tile.
    Raises ValidationError for a tile not larger than twice the overlap, or bad sizes.
    """
    arr = np.asarray(image)
    if arr.ndim != 3:
        raise ValidationError(f"image must be (C, H, W), got shape {arr.shape}")
    if overlap < 0 or tile <= 2 * overlap:
        raise ValidationError(f"tile ({tile}) must exceed twice the overlap ({overlap}) >= 0")
    if scale < 1 or out_channels < 1:
        raise ValidationError(f"scale and out_channels must be >= 1, got {scale}, {out_channels}")
    _, h, w = arr.shape
    rows, cols = tile_starts(h, tile, overlap), tile_starts(w, tile, overlap)
    wy, wx = _weights(rows, scale), _weights(cols, scale)
    full = None if sink is not None else np.empty((out_channels, h * scale, w * scale), np.float32)
    # One strip buffer for a row of tiles, reused: finished rows leave it, the overlap
    # with the next row of tiles moves to its top (no strip-sized temporaries). The
    # tile weights are outer products on one grid, so their sum is too: one weight sum
    # per output row (wrow) times one per output column (wcol).
    span = max(b - a for a, b in rows) * scale
    acc = np.zeros((out_channels, span, w * scale), np.float32)
    wrow = np.zeros(span, np.float32)
    wcol = np.zeros(w * scale, np.float32)
    for (x0, x1), wgt in zip(cols, wx, strict=True):
        wcol[x0 * scale : x1 * scale] += wgt
    acc_y0, done, total = 0, 0, len(rows) * len(cols)
    for i, (y0, y1) in enumerate(rows):
        ys = slice(y0 * scale - acc_y0, y1 * scale - acc_y0)
        wrow[ys] += wy[i]
        for j, (x0, x1) in enumerate(cols):
            out = np.asarray(fn(y0, y1, x0, x1), dtype=np.float32)
            expect = (out_channels, (y1 - y0) * scale, (x1 - x0) * scale)
            if out.shape != expect:
                raise ValidationError(f"tile function returned {out.shape}, expected {expect}")
            weight = wy[i][:, None] * wx[j][None, :]
            xs = slice(x0 * scale, x1 * scale)
            out *= weight
            acc[:, ys, xs] += out
            done += 1
            if progress:
                progress(done, total)
        flush = rows[i + 1][0] * scale if i + 1 < len(rows) else h * scale
        n = flush - acc_y0
        block = acc[:, :n]
        with np.errstate(invalid="ignore", divide="ignore"):
            block /= wrow[None, :n, None]  # in place: no second strip-sized array
            block /= wcol[None, None, :]
        nodata = np.isnan(arr[:, acc_y0 // scale : flush // scale]).any(axis=0)
        if scale > 1:
            nodata = nodata.repeat(scale, axis=0).repeat(scale, axis=1)
        block[:, nodata] = np.nan
        if sink is not None:
            sink(acc_y0, block)  # a view: the sink copies what it keeps
        else:
            full[:, acc_y0:flush] = block
        keep = max(y1 * scale - flush, 0)  # rows the next row of tiles adds to
        acc[:, :keep] = acc[:, n : n + keep]
        wrow[:keep] = wrow[n : n + keep]
        acc[:, keep:] = 0.0
        wrow[keep:] = 0.0
        acc_y0 = flush
    return full
