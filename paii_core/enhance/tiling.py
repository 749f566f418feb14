"""Tiled inference over rasters of any size, in two ways.

:func:`tiled_apply` (dehazing, whose receptive field is ~100 px): tiles overlap by
``overlap`` input pixels; inside each overlap the outer quarter of each tile is dropped
(where a CNN sees the padded border) and the middle half is blended with complementary
sin^2 ramps, which sum to one, so no seam remains (the windowed overlap-add used for
large-image inference, e.g. torchgeo and Real-ESRGAN). The whole output is returned.

:func:`tiled_crop` (4x SR, receptive field ~25 input px): each tile is its core plus a
margin of context; the margin is cropped off and the core is final at once ("overlap-
tile", Ronneberger et al. 2015, U-Net). Where the margin covers the receptive field the
result equals an untiled run, and each core can be handed to a sink (a file) as soon as
it is done, so memory is bounded by one tile, not by the raster's width.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from paii_core.errors import ValidationError

__all__ = ["core_windows", "fill_nodata", "tile_starts", "tiled_apply", "tiled_crop"]

TileFn = Callable[[int, int, int, int], NDArray[np.float32]]
"""fn(y0, y1, x0, x1) -> ``(C_out, (y1-y0) s, (x1-x0) s)`` output for that input window."""
Sink = Callable[[int, int, NDArray[np.float32]], None]
"""sink(row0, col0, block ``(C_out, rows, cols)``) receives each finished output block,
placed at output pixel (row0, col0), in raster order of the tiles."""


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


def _check_args(arr: NDArray, out_channels: int, scale: int) -> None:
    if arr.ndim != 3:
        raise ValidationError(f"image must be (C, H, W), got shape {arr.shape}")
    if scale < 1 or out_channels < 1:
        raise ValidationError(f"scale and out_channels must be >= 1, got {scale}, {out_channels}")


def _run_tile(fn: TileFn, win: tuple[int, int, int, int], out_channels: int, scale: int):
    out = np.asarray(fn(*win), dtype=np.float32)
    y0, y1, x0, x1 = win
    expect = (out_channels, (y1 - y0) * scale, (x1 - x0) * scale)
    if out.shape != expect:
        raise ValidationError(f"tile function returned {out.shape}, expected {expect}")
    return out


def _mask_nodata(block: NDArray, image: NDArray, ys: slice, xs: slice, scale: int) -> None:
    nodata = np.isnan(image[:, ys, xs]).any(axis=0)
    if nodata.any():
        block[:, nodata.repeat(scale, axis=0).repeat(scale, axis=1)] = np.nan


def tiled_apply(
    fn: TileFn,
    image: NDArray,
    *,
    out_channels: int,
    scale: int = 1,
    tile: int = 256,
    overlap: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> NDArray[np.float32]:
    """Run ``fn`` over overlapping tiles of ``image`` ``(C, H, W)`` and blend the results.

    Returns ``(out_channels, H scale, W scale)`` float32, NaN wherever any input band is
    NaN. ``progress(done, total)`` is called after each tile.
    Raises ValidationError for a tile not larger than twice the overlap, or bad sizes.
    """
    arr = np.asarray(image)
    _check_args(arr, out_channels, scale)
    if overlap < 0 or tile <= 2 * overlap:
        raise ValidationError(f"tile ({tile}) must exceed twice the overlap ({overlap}) >= 0")
    _, h, w = arr.shape
    rows, cols = tile_starts(h, tile, overlap), tile_starts(w, tile, overlap)
    wy, wx = _weights(rows, scale), _weights(cols, scale)
    # The tile weights are outer products on one grid, so their sum is too.
    acc = np.zeros((out_channels, h * scale, w * scale), np.float32)
    wrow = np.zeros(h * scale, np.float32)
    wcol = np.zeros(w * scale, np.float32)
    for (y0, y1), wgt in zip(rows, wy, strict=True):
        wrow[y0 * scale : y1 * scale] += wgt
    for (x0, x1), wgt in zip(cols, wx, strict=True):
        wcol[x0 * scale : x1 * scale] += wgt
    done, total = 0, len(rows) * len(cols)
    for i, (y0, y1) in enumerate(rows):
        for j, (x0, x1) in enumerate(cols):
            out = _run_tile(fn, (y0, y1, x0, x1), out_channels, scale)
            out *= wy[i][:, None] * wx[j][None, :]
            acc[:, y0 * scale : y1 * scale, x0 * scale : x1 * scale] += out
            done += 1
            if progress:
                progress(done, total)
    acc /= wrow[None, :, None]
    acc /= wcol[None, None, :]
    _mask_nodata(acc, arr, slice(None), slice(None), scale)
    return acc


def core_windows(size: int, core: int) -> list[tuple[int, int]]:
    """Consecutive ``(start, stop)`` cores of length ``core`` covering ``0..size``."""
    return [(a, min(a + core, size)) for a in range(0, size, core)]


def tiled_crop(
    fn: TileFn,
    image: NDArray,
    *,
    out_channels: int,
    scale: int = 1,
    core: int = 320,
    margin: int = 32,
    sink: Sink | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> NDArray[np.float32] | None:
    """Run ``fn`` on each ``core`` x ``core`` block of ``image`` ``(C, H, W)`` seen with
    ``margin`` pixels of context (less at the raster edge) and keep the core's output.

    Output is ``(out_channels, H scale, W scale)`` float32, NaN wherever any input band is
    NaN. With ``sink`` each finished core goes to ``sink(row0, col0, block)`` (output
    pixels) and None is returned, so one tile's output is all that is held; otherwise the
    full array is returned. ``progress(done, total)`` is called after each tile.
    Raises ValidationError for a core below 1 or a negative margin, or bad sizes.
    """
    arr = np.asarray(image)
    _check_args(arr, out_channels, scale)
    if core < 1 or margin < 0:
        raise ValidationError(f"core ({core}) must be >= 1 and margin ({margin}) >= 0")
    _, h, w = arr.shape
    rows, cols = core_windows(h, core), core_windows(w, core)
    full = None if sink is not None else np.empty((out_channels, h * scale, w * scale), np.float32)
    done, total = 0, len(rows) * len(cols)
    for cy0, cy1 in rows:
        for cx0, cx1 in cols:
            y0, y1 = max(cy0 - margin, 0), min(cy1 + margin, h)
            x0, x1 = max(cx0 - margin, 0), min(cx1 + margin, w)
            out = _run_tile(fn, (y0, y1, x0, x1), out_channels, scale)
            block = out[
                :,
                (cy0 - y0) * scale : (cy1 - y0) * scale,
                (cx0 - x0) * scale : (cx1 - x0) * scale,
            ]
            _mask_nodata(block, arr, slice(cy0, cy1), slice(cx0, cx1), scale)
            if sink is not None:
                sink(cy0 * scale, cx0 * scale, block)
            else:
                full[:, cy0 * scale : cy1 * scale, cx0 * scale : cx1 * scale] = block
            done += 1
            if progress:
                progress(done, total)
    return full
