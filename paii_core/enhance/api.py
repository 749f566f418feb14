"""Public enhancement functions on BGRN reflectance arrays: haze index, dehaze, 4x SR."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

from paii_core.config import paths, torch_device
from paii_core.enhance._checks import check_bgrn
from paii_core.enhance.dcp import dcp_dehaze
from paii_core.enhance.fusion import estimate_shift, fuse_captures
from paii_core.enhance.haze_index import HazeIndex
from paii_core.enhance.haze_index import haze_index as _haze_index
from paii_core.enhance.haze_path import THICK_T as PATH_THICK_T
from paii_core.enhance.haze_path import path_dehaze
from paii_core.enhance.haze_physics import clear_sky_path, thick_haze
from paii_core.enhance.nets import DehazeNet, SRNet
from paii_core.enhance.sensor import SensorModel, estimate_blur, keep_nonnegative
from paii_core.enhance.tiling import fill_nodata, tiled_apply, tiled_crop
from paii_core.enhance.weights import WEIGHTS_FILE, load_weights, model_version
from paii_core.errors import ValidationError

__all__ = [
    "BOX_SPECIALIST",
    "DEHAZE_METHODS",
    "SR_METHODS",
    "dehaze",
    "dehaze_method",
    "detail_weight",
    "estimate_sensor",
    "haze_index",
    "load_model",
    "model_dir",
    "sr_net_for",
    "super_resolve",
]

DEHAZE_METHODS: tuple[str, ...] = ("model", "dcp", "path")
SR_METHODS: tuple[str, ...] = ("model", "bicubic")
SR_CORE, SR_MARGIN = 320, 32
"""SR tiles in input pixels: a 320 px core (1280 px out, five 256 px GeoTIFF blocks) seen
with 32 px of context, more than the network's receptive field (~25 px), so cores join
without seams; tiles of 384 px waste 1.2x per axis on context."""
Progress = Callable[[int, int], None]


def haze_index(image: NDArray) -> HazeIndex:
    """Dark Channel Prior haze level (0..255) and map of a ``(4, H, W)`` BGRN image."""
    return _haze_index(image)


def model_dir(name: Literal["dehaze", "sr"]) -> Path:
    """Folder of a model's weights: ``models/<name>``."""
    return paths().models / name


BOX_SPECIALIST = "box"
"""Subfolder of an SR model folder with the weights :func:`super_resolve` runs on
captures read as a box sensor (:data:`BOX_MAX_SIGMA`): the same network trained on box
captures alone, so the box case no longer shares its 459 k parameters with every blurred
sensor (issue 11, eleventh pass). Optional: without it the main weights serve every
sensor."""
BOX_MAX_SIGMA = 0.1
"""A capture whose estimated blur is under this (coarse px) on both axes is taken by the
box specialist; the estimator reads 0.0 on box-averaged real captures
(:func:`paii_core.enhance.sensor.estimate_blur`)."""


def load_model(name: Literal["dehaze", "sr"], folder: Path | None = None) -> torch.nn.Module:
    """The trained network ``name`` in eval mode on the CPU, with ``.version`` set. For
    ``"sr"`` a box specialist in ``folder/box`` (:data:`BOX_SPECIALIST`) is loaded too,
    as the network's ``box_net`` (``None`` without one), and ``.version`` then names both
    weights (``MAIN+box.BOX``). Raises ValidationError for an unknown name,
    InputNotFoundError when not trained, InputFileError for weights that do not fit."""
    nets = {"dehaze": DehazeNet, "sr": SRNet}
    if name not in nets:
        raise ValidationError(f"model must be one of {sorted(nets)}, got {name!r}")
    folder = model_dir(name) if folder is None else Path(folder)
    net = load_weights(nets[name](), folder)
    net.version = model_version(folder)
    if name == "sr":
        box_dir = folder / BOX_SPECIALIST
        box = None
        if (box_dir / WEIGHTS_FILE).is_file():
            box = load_weights(SRNet(), box_dir)
            box.version = net.version = f"{net.version}+box.{model_version(box_dir)}"
        net.__dict__["box_net"] = box  # not a submodule: the main state dict stays as saved
    return net


def sr_net_for(net: torch.nn.Module, sensor: SensorModel) -> torch.nn.Module:
    """The network :func:`super_resolve` runs for a capture by ``sensor``: ``net``'s box
    specialist (``box_net``, :data:`BOX_SPECIALIST`) when the blur is under
    :data:`BOX_MAX_SIGMA` on both axes and it has one, else ``net`` itself."""
    box = getattr(net, "box_net", None)
    sx = sensor.sigma if sensor.sigma_x is None else sensor.sigma_x
    if box is not None and max(sensor.sigma, sx) < BOX_MAX_SIGMA:
        return box
    return net


def _pad_to(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, int, int]:
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        mode = "reflect" if min(h, w) > max(ph, pw) else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    return x, h, w


def dehaze_method(method: str, toa: bool) -> str:
    """The method :func:`dehaze` runs for ``method`` on a TOA (``toa``) or surface
    image: ``"model"`` on top-of-atmosphere input is ``"path"``, the per-band path
    inversion of :mod:`paii_core.enhance.haze_path` (the network, trained on surface
    reflectance, misjudged the airlight per band of TOA captures: NDVI of
    dehaze(hazy) against dehaze(clear) 0.107 on the development TOA scenes against 0.031
    by the path). ``"path"`` needs TOA input (its clear dark-object levels are those of
    TOA reflectance). Raises ValidationError for an unknown method or ``"path"`` on a
    surface image."""
    if method not in DEHAZE_METHODS:
        raise ValidationError(f"method must be one of {DEHAZE_METHODS}, got {method!r}")
    if method == "path" and not toa:
        raise ValidationError(
            "method 'path' needs top-of-atmosphere input (L1C, Landsat L1): pass toa=True "
            "(`--level TOA`), or use 'model' or 'dcp' on surface (L2A) reflectance"
        )
    return "path" if toa and method == "model" else method


def dehaze(
    image: NDArray,
    *,
    method: Literal["model", "dcp", "path"] = "model",
    net: torch.nn.Module | None = None,
    toa: bool = False,
    flag_thick: bool = True,
    tile: int = 256,
    overlap: int = 32,
    progress: Progress | None = None,
) -> NDArray[np.float32]:
    """Remove haze from a ``(4, H, W)`` BGRN reflectance image; NaN nodata stays NaN.

    ``method="model"`` runs the trained network (``net``, default the one in
    models/dehaze) tile by tile on CUDA when present; ``"dcp"`` the Dark Channel Prior
    baseline; ``"path"`` the per-band path inversion for TOA input. ``toa``: the image
    is top-of-atmosphere reflectance (L1C, Landsat L1); ``"model"`` then runs
    ``"path"`` (:func:`dehaze_method`), and for ``"dcp"`` the clear sky's path
    reflectance is taken off before and put back after
    (:mod:`paii_core.enhance.haze_physics`). The output is never negative; with
    ``flag_thick`` pixels whose haze is too thick to recover are NaN (transmission at
    550 nm under :data:`~paii_core.enhance.haze_path.THICK_T` by the path's own
    estimate for ``"path"``, under :data:`~paii_core.enhance.haze_physics.THICK_T` by
    the Dark Channel Prior otherwise).
    Returns ``(4, H, W)`` float32. Raises ValidationError for a bad image or method,
    InputNotFoundError when the model has not been trained.
    """
    arr = check_bgrn(image)
    method = dehaze_method(method, toa)
    if method == "path":
        out, t550 = path_dehaze(arr)
        if progress:
            progress(1, 1)
        if flag_thick:
            with np.errstate(invalid="ignore"):
                out[:, t550 < PATH_THICK_T] = np.nan
        return out
    path = clear_sky_path(arr) if toa else None
    surface = arr if path is None else arr - path[:, None, None]
    if method == "dcp":
        out = dcp_dehaze(surface)
        if progress:
            progress(1, 1)
    else:
        out = _dehaze_net(surface, net, tile, overlap, progress)
    np.maximum(out, 0.0, out=out)  # NaN stays NaN
    if path is not None:
        out += path[:, None, None]
    if flag_thick:
        out[:, thick_haze(surface)] = np.nan
    return out.astype(np.float32, copy=False)


def _dehaze_net(arr, net, tile, overlap, progress) -> NDArray[np.float32]:
    net = load_model("dehaze") if net is None else net
    device = torch_device()
    net = net.to(device)

    def run(y0: int, y1: int, x0: int, x1: int) -> NDArray[np.float32]:
        x = torch.from_numpy(fill_nodata(arr[:, y0:y1, x0:x1]))[None].to(device)
        x, h, w = _pad_to(x, 8)
        with torch.inference_mode():
            return net(x)[0, :, :h, :w].float().cpu().numpy()

    return tiled_apply(run, arr, out_channels=4, tile=tile, overlap=overlap, progress=progress)


def _check_extras(arr: NDArray, temporal: NDArray | None, sar: NDArray | None):
    t = s = None
    if temporal is not None:
        t = np.asarray(temporal, dtype=np.float32)
        if t.ndim != 4 or t.shape[1:] != arr.shape:
            raise ValidationError(
                f"temporal must be (T, 4, H, W) = (T, *{arr.shape}) other captures, got {t.shape}"
            )
    if sar is not None:
        s = np.asarray(sar, dtype=np.float32)
        if s.shape != (2, *arr.shape[1:]):
            raise ValidationError(
                f"sar must be (2, H, W) VV, VH in dB on the image grid {arr.shape[1:]}, "
                f"got {s.shape}"
            )
    return t, s


REGISTER_WINDOW = 192
"""Input pixels on a side of the central window where other captures are registered."""


def _valid(a: NDArray) -> torch.Tensor:
    return torch.from_numpy(~np.isnan(a).any(axis=-3))


FUSE_MIN_SIGMA = 0.25
"""Other dates are fused only into captures whose optics blur is at least this (coarse
px). Multi-frame reconstruction recovers what the blur and the sampling took; on real
Sentinel-2 dates 3-9 weeks apart it added +0.02 to +0.10 dB under a Gaussian sensor and
cost 0.14 to 0.45 dB under a box sensor, where the dates' changes outweigh the little
the sharper capture leaves to recover (bench.enhance.real)."""


def estimate_sensor(image: NDArray) -> SensorModel:
    """The sensor model of a ``(4, H, W)`` capture, estimated from the image: the
    detector box plus the Gaussian optics blur read off its power spectrum
    (:func:`paii_core.enhance.sensor.estimate_blur`). Assuming too much blur
    over-sharpens (-1.5 to -3.6 dB on real box-averaged captures assumed to have sigma
    0.5), too little only forgoes part of the gain; the estimator errs low by itself, and
    shading it down further (by 0.05 px) cost 0.3 dB on the held-out simulator.
    Raises ValidationError for a bad image."""
    arr = check_bgrn(image)
    sy, sx = (round(v, 2) for v in estimate_blur(arr))
    return SensorModel(sy, sx)


def detail_weight(sensor: SensorModel, net: torch.nn.Module | None = None) -> float:
    """How much of the network's learned detail to add over the back-projected bicubic
    upsampling for a capture by ``sensor`` (0..1). A network that reads the blur
    (``SRNet.reads_blur``: trained under random sensors with the blur as an input) gets
    all of it. Otherwise that detail helps where the optics blur is clear and costs up to
    0.4 dB on box-averaged captures (bench.enhance.real), so it fades in from sigma 0.1
    to 0.3 coarse px."""
    if net is not None and getattr(net, "reads_blur", False):
        return 1.0
    sx = sensor.sigma if sensor.sigma_x is None else sensor.sigma_x
    mean = 0.5 * (sensor.sigma + sx)
    return float(np.clip((mean - 0.1) / 0.2, 0.0, 1.0))


def _register(net, arr, temporal, sar, device, sigma) -> list[tuple[float, float]]:
    """Each other capture's sub-pixel offset, estimated once on the central window of the
    raster against the network's estimate, so that every tile uses the same offsets."""
    _, h, w = arr.shape
    y0, x0 = max((h - REGISTER_WINDOW) // 2, 0), max((w - REGISTER_WINDOW) // 2, 0)
    win = np.s_[:, y0 : y0 + REGISTER_WINDOW, x0 : x0 + REGISTER_WINDOW]

    def tensor(a: NDArray) -> torch.Tensor:
        return torch.from_numpy(fill_nodata(a)).to(device)

    ref = tensor(arr[win])[None]
    others = torch.stack([tensor(f[win]) for f in temporal])
    sa = None if sar is None else tensor(sar[win])[None]
    sig = torch.tensor([sigma], dtype=torch.float32, device=device)
    with torch.inference_mode():
        estimate = net(ref, None, sa, sig)[0]
        return [
            estimate_shift(estimate, others[k], _valid(f[win]).to(device), sigma=sigma)
            for k, f in enumerate(temporal)
        ]


def super_resolve(
    image: NDArray,
    *,
    scale: int = 4,
    temporal: NDArray | None = None,
    sar: NDArray | None = None,
    method: Literal["model", "bicubic"] = "model",
    net: torch.nn.Module | None = None,
    sensor: SensorModel | None = None,
    core: int = SR_CORE,
    margin: int = SR_MARGIN,
    sink: Callable[[int, int, NDArray[np.float32]], None] | None = None,
    progress: Progress | None = None,
) -> NDArray[np.float32] | None:
    """4x super-resolution of a ``(4, H, W)`` BGRN image -> ``(4, 4H, 4W)`` float32.

    ``temporal`` ``(T, 4, H, W)``: other captures of the same place (registered to the
    image's grid, sub-pixel shifts allowed, NaN where cloudy); the network's one-date
    estimate is refined by multi-frame reconstruction from them
    (:func:`paii_core.enhance.fusion.fuse_captures`). The network is not given them:
    trained to use them it learned to ignore them, and with stronger weights seeing them
    cost 0.02-0.07 dB on simulated training scenes (bench/BENCHMARKS.md, issue 11 sixth
    pass). ``sar`` ``(2, H, W)``: Sentinel-1
    VV, VH dB. Both are optional and used only by the model. ``sensor``: the sensor
    model the capture was taken with (default: :func:`estimate_sensor`); the output is
    back-projected to be consistent with it, a box sensor is served by the network's box
    specialist when it has one (:func:`sr_net_for`), and the network's learned detail is
    weighted by :func:`detail_weight`; no output value is negative
    (:func:`~paii_core.enhance.sensor.keep_nonnegative`). ``"bicubic"`` is the baseline.
    NaN nodata stays NaN (as 4x4 blocks). Tiles are ``core`` px seen with
    ``margin`` px of context; with ``sink`` each finished tile goes to
    ``sink(row0, col0, block)`` and None is returned.
    Raises ValidationError for a bad image, scale, extras or method.
    """
    arr = check_bgrn(image)
    if scale != 4:
        raise ValidationError(f"scale must be 4 (the trained factor), got {scale}")
    if method not in SR_METHODS:
        raise ValidationError(f"method must be one of {SR_METHODS}, got {method!r}")
    t, s = _check_extras(arr, temporal, sar)
    device = torch_device()
    shifts = None
    if method == "model":
        sensor = estimate_sensor(arr) if sensor is None else sensor
        net = sr_net_for(load_model("sr") if net is None else net, sensor).to(device)
        sigma = (sensor.sigma, sensor.sigma if sensor.sigma_x is None else sensor.sigma_x)
        sig = torch.tensor([sigma], dtype=torch.float32, device=device)
        detail = detail_weight(sensor, net)
        if t is not None and 0.5 * (sigma[0] + sigma[1]) < FUSE_MIN_SIGMA:
            t = None  # a sharp (box) capture: other dates would bring change, not detail
        if t is not None:
            shifts = _register(net, arr, t, s, device, sigma)

    def run(y0: int, y1: int, x0: int, x1: int) -> NDArray[np.float32]:
        win = np.s_[:, y0:y1, x0:x1]
        ref = torch.from_numpy(fill_nodata(arr[win]))[None].to(device)
        with torch.inference_mode():
            if method == "bicubic":
                out = F.interpolate(ref, scale_factor=scale, mode="bicubic", align_corners=False)
                return out[0].float().cpu().numpy()
            sa = None if s is None else torch.from_numpy(fill_nodata(s[win]))[None].to(device)
            out = net(ref, None, sa, sig, detail)[0]
            if t is not None:
                oth = torch.from_numpy(np.stack([fill_nodata(f[win]) for f in t])).to(device)
                out = fuse_captures(
                    out,
                    ref[0],
                    oth,
                    reference_valid=_valid(arr[win]).to(device),
                    others_valid=_valid(t[(slice(None), *win)]).to(device),
                    shifts=shifts,
                    sigma=sigma,
                )
            return keep_nonnegative(out, scale).float().cpu().numpy()

    return tiled_crop(
        run,
        arr,
        out_channels=4,
        scale=scale,
        core=core,
        margin=margin,
        sink=sink,
        progress=progress,
    )
