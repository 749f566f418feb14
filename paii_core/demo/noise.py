"""Smooth Gaussian random fields and the within-field NDVI texture drawn from them."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage, sparse

from paii_core.demo.classes import LandCover
from paii_core.errors import ValidationError

__all__ = ["ndvi_texture", "smooth_noise"]


def smooth_noise(
    shape: tuple[int, int], rng: np.random.Generator, correlation_px: float
) -> NDArray[np.float32]:
    """Gaussian random field with zero mean and unit variance, ``(H, W)`` float32.

    White noise smoothed by a Gaussian kernel of standard deviation ``correlation_px``.
    Kernels of 2 pixels and more convolve a lattice of white noise spaced sigma / 2
    instead (a process convolution, Higdon 2002, "Space and space-time modeling using
    process convolutions"), two sparse matrix products whose cost does not grow with the
    kernel; the weights are normalised so the variance is one at every pixel.
    """
    h, w = (int(s) for s in shape)
    if h < 1 or w < 1 or correlation_px <= 0:
        raise ValidationError("smooth_noise needs a positive shape and correlation_px > 0")
    sigma = float(correlation_px)
    if sigma < 2.0:
        white = rng.standard_normal((h, w), dtype=np.float32)
        field = ndimage.gaussian_filter(white, sigma, mode="reflect", truncate=3.0)
        radius = int(3.0 * sigma + 0.5)
        k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
        k /= k.sum()
        return field / np.float32(np.sum(k**2))  # (sum k^2)^2 is the variance; sqrt of it
    gy, gx = _lattice_weights(h, sigma), _lattice_weights(w, sigma)
    lattice = rng.standard_normal((gy.shape[1], gx.shape[1]), dtype=np.float32)
    return np.asarray(gy @ (gx @ lattice.T).T, dtype=np.float32)


def _lattice_weights(n: int, sigma: float) -> sparse.csr_matrix:
    """Sparse (n, nodes) Gaussian weights of lattice nodes spaced sigma / 2, rows of unit norm."""
    step = sigma / 2.0
    nodes = np.arange(-3.0 * sigma, n + 3.0 * sigma + step, step)
    centres = np.arange(n) + 0.5
    first = np.searchsorted(nodes, centres - 3.0 * sigma)
    cols = first[:, None] + np.arange(int(np.ceil(6.0 * sigma / step)) + 2)[None, :]
    inside = cols < len(nodes)
    cols = np.minimum(cols, len(nodes) - 1)
    d = (centres[:, None] - nodes[cols]) / sigma
    g = np.where(inside & (np.abs(d) <= 3.0), np.exp(-0.5 * d * d), 0.0)
    g /= np.sqrt(np.sum(g**2, axis=1, keepdims=True))
    rows = np.broadcast_to(np.arange(n)[:, None], cols.shape)
    keep = g > 0
    return sparse.csr_matrix(
        (g[keep].astype(np.float32), (rows[keep], cols[keep])), shape=(n, len(nodes))
    )


def ndvi_texture(
    land_cover: NDArray, rng: np.random.Generator, *, amplitude: float = 0.03
) -> NDArray[np.float32]:
    """Within-field NDVI texture ``(H, W)`` float32: fine plus field-scale variation."""
    shape = np.shape(land_cover)
    fine = smooth_noise(shape, rng, 1.5)
    broad = smooth_noise(shape, rng, 20.0)
    texture = np.float32(0.6 * amplitude) * fine + np.float32(0.8 * amplitude) * broad
    # Water, roofs and roads vary far less than canopies.
    calm = np.ones(max(LandCover) + 1, dtype=np.float32)
    calm[[LandCover.WATER, LandCover.BUILT, LandCover.ROAD]] = 0.3
    return texture * calm[np.asarray(land_cover, dtype=np.intp)]
