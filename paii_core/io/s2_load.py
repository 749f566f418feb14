"""Sentinel-2 scenes of any form read onto one grid: BGRN reflectance and clouds per date."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray
from rasterio.warp import Resampling

from paii_core.errors import FormatError, PaiiWarning
from paii_core.io.s2_scene import Grid, S2Scene, read_band
from paii_core.io.s2cloud import CLOUD_MODEL_BANDS, cloud_mask, cloud_probability
from paii_core.io.sentinel2 import CLOUD_SCL_CLASSES

__all__ = ["BGRN", "LoadedScene", "load_scene", "load_season", "require_bgrn"]

BGRN: tuple[str, ...] = ("B02", "B03", "B04", "B08")
"""The bands PAII's engine uses (its B2, B3, B4, B8), in its order."""


@dataclass(frozen=True, eq=False)
class LoadedScene:
    """One date on the grid. ``reflectance`` is not cloud-masked; ``clouds`` says where."""

    day: date
    level: str
    reflectance: NDArray[np.float32]
    """(4, H, W) float32 B2, B3, B4, B8 reflectance (TOA for L1C), NaN = no data."""
    clouds: NDArray[np.bool_] | None
    """(H, W) True = cloud or shadow; None when the item gives no way to tell."""
    scl: NDArray[np.uint8] | None
    """(H, W) SCL classes of an L2A scene (0 = no data), else None."""
    cloud_probability: NDArray[np.float32] | None
    """(H, W) s2cloudless probability of an L1C scene, else None."""
    cloud_source: str
    offset_rule: str
    sources: tuple[str, ...]

    @property
    def valid_fraction(self) -> float:
        ok = np.isfinite(self.reflectance).all(axis=0)
        if self.clouds is not None:
            ok &= ~self.clouds
        return float(ok.mean())


def _dn(scene: S2Scene, codes: list[str], grid: Grid) -> dict[str, NDArray[np.float32]]:
    if scene.stac is not None:
        from paii_core.io.stac import load_stac_bands

        return load_stac_bands(scene, codes, grid)
    out = {}
    for code in codes:
        ref = scene.scl if code == "SCL" else scene.bands[code]
        rs = Resampling.nearest if code == "SCL" else Resampling.bilinear
        out[code] = read_band(ref, grid, resampling=rs)  # type: ignore[arg-type]
    return out


def require_bgrn(scene: S2Scene, fix: str) -> None:
    """Raise FormatError (with ``fix``) when the scene lacks one of B02, B03, B04, B08."""
    missing = [b for b in BGRN if b not in scene.bands]
    if missing:
        raise FormatError(
            scene.source,
            f"lacks band(s) {', '.join(missing)} (has {', '.join(sorted(scene.bands))})",
            fix,
        )


def load_scene(scene: S2Scene, grid: Grid) -> LoadedScene:
    """Read one scene onto ``grid``: ``(DN + offset) / scale`` of B2, B3, B4, B8 (DN 0 is
    no data), SCL clouds (classes 3, 8, 9, 10) for L2A, s2cloudless for L1C.

    Raises:
        FormatError: a BGRN band is missing; an L1C product has some but not all of the
            10 bands s2cloudless needs (a BGRN-only L1C stack is read with a warning, its
            clouds unmasked); SCL values outside 0..11. InputNotFoundError: a band file is missing.
    """
    require_bgrn(scene, "pass an item with B02, B03, B04 and B08")
    codes = list(BGRN)
    lacking = [b for b in CLOUD_MODEL_BANDS if b not in scene.bands]
    # A BGRN-only L1C stack (reflectance written by `paii reflectance`, eo-learn, openEO)
    # has its clouds unmasked, as an L2A without SCL; a product with some but not all of
    # the model's other bands is a broken download and is refused.
    bgrn_only = scene.level == "L1C" and not (set(scene.bands) - set(BGRN))
    if scene.level == "L1C" and not bgrn_only:
        if lacking:
            raise FormatError(
                scene.source,
                f"is L1C but lacks {', '.join(lacking)}, which the s2cloudless cloud model "
                "needs (L1C has no SCL), so its clouds cannot be found",
                "pass the full L1C product (all 13 bands), or its L2A product with SCL",
            )
        codes += [b for b in CLOUD_MODEL_BANDS if b not in codes]
    elif scene.scl is not None:
        codes.append("SCL")
    dn = _dn(scene, codes, grid)

    def refl(code: str) -> NDArray[np.float32]:
        return ((dn[code] + np.float32(scene.offsets[code])) / np.float32(scene.scale)).astype(
            np.float32
        )

    bgrn = np.stack([refl(b) for b in BGRN])
    scl = prob = clouds = None
    if scene.level == "L1C" and not bgrn_only:
        toa = np.stack([refl(b) for b in CLOUD_MODEL_BANDS])
        prob = cloud_probability(toa, pixel_size_m=grid.pixel_size)
        clouds = cloud_mask(prob, pixel_size_m=grid.pixel_size)
        source = "s2cloudless"
    elif scene.scl is not None:
        raw = dn["SCL"]
        finite = raw[np.isfinite(raw)]
        if finite.size and finite.max() > 11:
            raise FormatError(
                scene.scl.path, f"SCL values reach {finite.max():g}, above 11", "pass SCL_20m"
            )
        scl = np.nan_to_num(raw, nan=0).astype(np.uint8)
        clouds = np.isin(scl, CLOUD_SCL_CLASSES)
        source = "SCL"
    elif bgrn_only:
        warnings.warn(
            f"{scene.source}: L1C with only B02, B03, B04 and B08, so its clouds are not "
            f"masked (the s2cloudless model also needs {', '.join(lacking)}); pass the full "
            "L1C product, or its L2A product with SCL, to mask them",
            PaiiWarning,
            stacklevel=2,
        )
        source = "none"
    else:
        warnings.warn(
            f"{scene.source}: L2A without an SCL band, so its clouds are not masked; add "
            "the SCL file (or an SCL band) to the item",
            PaiiWarning,
            stacklevel=2,
        )
        source = "none"
    return LoadedScene(
        scene.day, scene.level, bgrn, clouds, scl, prob, source, scene.offset_rule, (scene.source,)
    )


def _merge(a: LoadedScene, b: LoadedScene) -> LoadedScene:
    """Fill ``a``'s no-data pixels from ``b`` (two tiles of one date)."""
    take = ~np.isfinite(a.reflectance).all(axis=0) & np.isfinite(b.reflectance).all(axis=0)

    def pick(x, y):
        if x is None or y is None:
            return x if y is None else (y if x is None else None)
        return np.where(take, y, x)

    return LoadedScene(
        a.day,
        a.level if a.level == b.level else "mixed",
        np.where(take[None], b.reflectance, a.reflectance).astype(np.float32),
        pick(a.clouds, b.clouds),
        pick(a.scl, b.scl),
        pick(a.cloud_probability, b.cloud_probability),
        a.cloud_source
        if a.cloud_source == b.cloud_source
        else f"{a.cloud_source}+{b.cloud_source}",
        a.offset_rule if a.offset_rule == b.offset_rule else f"{a.offset_rule}; {b.offset_rule}",
        a.sources + b.sources,
    )


def load_season(scenes: list[S2Scene], grid: Grid) -> list[LoadedScene]:
    """All scenes on ``grid``, one per date (scenes of one date mosaicked in the order
    given), in date order; dates with no valid pixel on the grid are dropped with a
    :class:`PaiiWarning`."""
    by_day: dict[date, LoadedScene] = {}
    for scene in scenes:
        loaded = load_scene(scene, grid)
        by_day[scene.day] = _merge(by_day[scene.day], loaded) if scene.day in by_day else loaded
    out = []
    for day in sorted(by_day):
        s = by_day[day]
        if not np.isfinite(s.reflectance).all(axis=0).any():
            warnings.warn(
                f"{', '.join(s.sources)}: no pixel of {day} falls on the area; date skipped",
                PaiiWarning,
                stacklevel=2,
            )
            continue
        out.append(s)
    return out
