"""What the labelling page needs from the engine: parcel click points, held-out scores of a
label set, survey points sampled from a truth raster, and an RGB picture of the area."""

from __future__ import annotations

import base64
import io as _io
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from PIL import Image
from scipy import ndimage

from paii_core.crops.calendars import CropCalendar
from paii_core.crops.recognize import Label, Prepared, unit_probabilities, validate_labels
from paii_core.errors import ValidationError

__all__ = [
    "heldout_scores",
    "interior_points",
    "nan_median_time",
    "parse_classes_tag",
    "rgb_data_url",
    "survey_points",
]


def interior_points(parcels: NDArray) -> NDArray[np.int64]:
    """``(N, 2)`` row, col of a point well inside each parcel 1..N: the pixel farthest from
    its edge (Euclidean distance transform), which unlike the centroid is always inside
    (a concave field's centroid can fall on its neighbour)."""
    lab = np.asarray(parcels)
    n = int(lab.max())
    if n == 0:
        return np.zeros((0, 2), np.int64)
    pad = np.pad(lab, 1, mode="edge")
    same = np.ones(lab.shape, bool)
    for dr, dc in ((0, 1), (2, 1), (1, 0), (1, 2)):
        same &= pad[dr : dr + lab.shape[0], dc : dc + lab.shape[1]] == lab
    dist = ndimage.distance_transform_edt(same & (lab > 0)) + (lab > 0)
    pos = ndimage.maximum_position(dist, lab, np.arange(1, n + 1))
    return np.asarray(pos, np.int64).reshape(n, 2)


def heldout_scores(
    prepared: Prepared,
    labels: Sequence[Label],
    *,
    region: str | None,
    folds: int = 5,
    calendars: Mapping[str, CropCalendar] | None = None,
) -> pd.DataFrame:
    """Precision and recall per crop on held-out labels: ``folds``-fold cross-validation
    over the label set (leave-one-out when there are fewer labels than folds); each
    held-out point is predicted by a map spread from the other labels only.

    Columns: crop (sorted by name), labels, precision, recall (NaN where a crop was never
    predicted / never held out). Raises ValidationError as :func:`validate_labels` does.
    """
    points = validate_labels(labels, prepared.parcels.shape)
    n = len(points)
    k = min(folds, n)
    order = np.random.default_rng(0).permutation(n)
    truth, pred = [], []
    for f in range(k):
        test = set(order[f::k].tolist())
        train = [p for i, p in enumerate(points) if i not in test]
        if len({c for *_, c in train}) < 2:
            continue  # this fold leaves one class: nothing to learn from it
        classes, prob = unit_probabilities(prepared, train, region=region, calendars=calendars)
        for i in test:
            r, c, crop = points[i]
            unit = int(prepared.units[r, c])
            truth.append(crop)
            pred.append(classes[int(prob[unit - 1].argmax())] if unit > 0 else "")
    rows = []
    t, p = np.asarray(truth, object), np.asarray(pred, object)
    for crop in sorted({q[2] for q in points}):
        tp = int(((t == crop) & (p == crop)).sum())
        n_pred, n_true = int((p == crop).sum()), int((t == crop).sum())
        rows.append(
            {
                "crop": crop,
                "labels": sum(q[2] == crop for q in points),
                "precision": tp / n_pred if n_pred else np.nan,
                "recall": tp / n_true if n_true else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=["crop", "labels", "precision", "recall"])


def survey_points(
    crop_type: NDArray,
    parcels: NDArray,
    *,
    per_crop: int,
    classes: Sequence[str],
    within: NDArray | None = None,
    seed: int = 0,
) -> list[Label]:
    """Field-survey points sampled from a truth raster: ``per_crop`` parcels of each crop
    present, each labelled at its interior point (a surveyor stands inside a field, not
    on its mixed edge) with the crop found there in ``crop_type`` ((H, W) index into
    ``classes``, -1 none; e.g. a simulated world's truth, whose ``CLASSES`` tag
    :func:`parse_classes_tag` reads). ``within`` ((H, W), > 0 where allowed, e.g. on
    delineated recognition units) keeps only the points that fall there. Say where the
    truth is simulated.

    Raises:
        ValidationError: grids of different shapes, a code outside ``classes``, or
            fewer than two crops on parcels.
    """
    crop_type, parcels = np.asarray(crop_type), np.maximum(np.asarray(parcels), 0)
    if crop_type.shape != parcels.shape or (
        within is not None and np.shape(within) != parcels.shape
    ):
        raise ValidationError(
            f"crop_type {crop_type.shape}, parcels {parcels.shape} and within "
            f"{None if within is None else np.shape(within)} differ: pass grids of one shape"
        )
    pts = interior_points(parcels)
    if within is not None and len(pts):
        pts = pts[np.asarray(within)[pts[:, 0], pts[:, 1]] > 0]
    kinds = crop_type[pts[:, 0], pts[:, 1]] if len(pts) else np.zeros(0, int)
    if len(kinds) and kinds.max() >= len(classes):
        raise ValidationError(
            f"crop_type holds code {int(kinds.max())} but classes names only {len(classes)} "
            "crops; pass the names of every code"
        )
    rng = np.random.default_rng(seed)
    out: list[Label] = []
    for code in sorted({int(v) for v in kinds if v >= 0}):
        idx = np.flatnonzero(kinds == code)
        for i in rng.permutation(idx)[:per_crop]:
            out.append((int(pts[i, 0]), int(pts[i, 1]), str(classes[code])))
    if len({c for *_, c in out}) < 2:
        raise ValidationError("the survey found fewer than two crops on the parcels")
    return [out[i] for i in rng.permutation(len(out))]


def parse_classes_tag(tag: str | None) -> list[str]:
    """Class names from a raster's ``CLASSES`` tag ``"0=wheat,1=maize,..."`` (the form
    :func:`paii_core.crops.view.crop_map_geotiff` and the demo truth write), by code.

    Raises:
        ValidationError: a missing or malformed tag.
    """
    if not tag:
        raise ValidationError("the raster has no CLASSES tag naming its codes; rebuild it")
    names: dict[int, str] = {}
    for part in str(tag).split(","):
        code, sep, name = part.partition("=")
        if not sep or not code.strip().isdigit() or not name.strip():
            raise ValidationError(f"CLASSES tag part {part!r} should be CODE=NAME, e.g. 0=wheat")
        names[int(code)] = name.strip()
    if sorted(names) != list(range(len(names))):
        raise ValidationError(f"CLASSES tag codes {sorted(names)} should run 0, 1, 2, ...")
    return [names[i] for i in range(len(names))]


def nan_median_time(stack: NDArray) -> NDArray[np.float32]:
    """The median over axis 0 of ``stack`` ``(T, ...)`` ignoring NaN (NaN where a pixel has
    no value at all), as ``np.nanmedian(stack, axis=0)`` gives it, without its warning on
    all-NaN pixels: one sort along time, NaN last, then the middle of each pixel's values
    (a third of nanmedian's time on a season of 14 dates)."""
    x = np.sort(np.asarray(stack, np.float32), axis=0)
    n = np.isfinite(x).sum(axis=0)
    low = np.take_along_axis(x, np.maximum((n - 1) // 2, 0)[None], axis=0)[0]
    high = np.take_along_axis(x, (n // 2)[None], axis=0)[0]
    with np.errstate(invalid="ignore"):
        return np.where(n > 0, (low + high) / np.float32(2), np.float32(np.nan))


def rgb_data_url(series: NDArray, *, max_px: int = 800) -> str:
    """A PNG data URL of the season's true-colour median composite ``(T, 4, H, W)`` ->
    R, G, B stretched between the 2nd and 98th percentiles; NaN transparent."""
    rgb = nan_median_time(np.asarray(series, np.float32)[:, [2, 1, 0]])
    clear = rgb[np.isfinite(rgb)]
    lo, hi = np.percentile(clear, [2, 98]) if clear.size else (0.0, 1.0)
    img = np.clip((rgb - lo) / max(hi - lo, 1e-6), 0, 1)
    alpha = np.isfinite(img).all(axis=0)
    rgba = np.concatenate([np.nan_to_num(img) * 255, alpha[None] * 255.0]).astype(np.uint8)
    pic = Image.fromarray(np.moveaxis(rgba, 0, -1), "RGBA")
    if max(pic.size) > max_px:
        pic.thumbnail((max_px, max_px))
    buf = _io.BytesIO()
    pic.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
