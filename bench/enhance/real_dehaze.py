"""Dehaze rows of bench.enhance.real: real L2A and real TOA scenes, judged as issue 11 asks.

L2A (Italy, held-out north): physically simulated haze tau550 0.5 / 0.75 / 1.0
(I = J t + A (1 - t)); PSNR against the clear scene for hazy, DCP and model, NDVI MAE.

TOA, the issue's criterion (``criterion: "same scene"``): simulated haze over a real
top-of-atmosphere scene, NDVI of dehaze(hazy) against NDVI of dehaze(clear) of the SAME
capture; target <= 0.05. Scenes: Landsat-7 Olinda and the three clear Slovenian L1C dates,
each at tau 0.5 and 1.0 (the haze field scaled so that the scene's mean depth is exactly
that tau: one log-normal draw's mean can sit far from the tau asked).

TOA, thick haze (``criterion: "thick haze"``, beyond the issue's 0.5-1.0): the same scenes
at tau 2.0, where most of the ground is not recoverable. Reported, not judged: the flagged
share beside the share truly under t550 0.15, and NDVI consistency on what is not flagged.

TOA, real haze (``criterion: "real haze, other date"``): Slovenia's hazy date (Jul 31)
against its clear dates (Jul 11, Aug 30). Two dates differ by the season as well as by
the haze, so these rows are judged against the date-to-date floor: the NDVI difference of
the two clear inputs that bracket the hazy date (Jul 11 vs Aug 30, 50 days apart), plus
0.05. The floor of the dehazed clear dates is reported beside it, and so is the share of
the hazy date that eo-learn's s2cloudless mask calls cloud (all of it: it is thin cloud).

Every NDVI term is over land (clear N + R > 0.05) and over the pixels the dehazer did not
flag as too thick (THICK_HAZE, NaN in the output); the flagged share is reported per row,
and for simulated haze beside the share of pixels whose true transmission is under 0.15
and the field's drawn mean depth. On TOA input ``dehaze`` runs the per-band path
inversion (``paii_core.enhance.haze_path``; the network only on L2A).
"""

from __future__ import annotations

import numpy as np
from skimage.metrics import structural_similarity

from bench.enhance import quality
from paii_core.enhance import dehaze, real_scenes, scenes
from paii_core.enhance.tiling import fill_nodata

L2A_TAUS = (0.5, 0.75, 1.0)
TOA_TAUS = (0.5, 1.0)
THICK_TAU = 2.0
SLOVENIA_CLEAR = ("2015-07-11", "2015-08-30", "2015-09-09")
SLOVENIA_HAZY = "2015-07-31"
FLOOR_PAIR = ("2015-07-11", "2015-08-30")
"""The clear dates that bracket the hazy one: their NDVI difference is the seasonal floor."""
NDVI_TARGET = 0.05
TRUE_THICK_T = 0.15
"""Simulated rows report the share of pixels whose TRUE transmission at 550 nm is under
this, beside the share the dehazer flagged THICK_HAZE."""
SAME, REAL, THICK = "same scene", "real haze, other date", "thick haze"


def ndvi(x: np.ndarray) -> np.ndarray:
    return (x[3] - x[2]) / np.maximum(x[3] + x[2], 1e-3)


def _ssim(a: np.ndarray, b: np.ndarray, valid: np.ndarray) -> float:
    """Mean SSIM over bands and over ``valid`` pixels (flagged ones are NaN in ``a``)."""
    maps = [
        structural_similarity(np.nan_to_num(x), y, data_range=1.0, full=True)[1]
        for x, y in zip(a, b, strict=True)
    ]
    return float(np.mean([m[valid].mean() for m in maps]))


def _consistency(out: np.ndarray, out_clear: np.ndarray, mask: np.ndarray) -> float:
    """Mean |NDVI difference| over ``mask``; NaN when the mask is empty (a scene of water)."""
    if not mask.any():
        return float("nan")
    return float(np.nanmean(np.abs(ndvi(out) - ndvi(out_clear))[mask]))


def dehaze_metrics(hazy, clear, out, out_clear) -> dict:
    """Scores over pixels the dehazer did not flag as too thick (NaN in ``out``); NDVI
    terms over land: clear N + R > 0.05 and not open water (clear NIR below green, NDWI > 0,
    McFeeters 1996). Over water NDVI is a ratio of two numbers near zero (Landsat-7
    Olinda's sea: red 0.09, NIR 0.014, a quarter of that scene), which no crop analysis
    reads; until session 10 the sea was scored although this docstring said it was not, and
    the consistency with it is still reported (``ndvi_consistency_with_water``)."""
    valid = ~np.isnan(out).any(axis=0)
    water = clear[3] < clear[1]
    lit = valid & ((clear[3] + clear[2]) > 0.05)
    land = lit & ~water
    return {
        "flagged_share": float(1.0 - valid.mean()),
        "psnr_hazy": quality.psnr(hazy[:, valid], clear[:, valid]),
        "psnr_model": quality.psnr(out[:, valid], clear[:, valid]),
        "ssim_hazy": _ssim(hazy, clear, valid),
        "ssim_model": _ssim(out, clear, valid),
        "ndvi_mae_hazy": float(np.mean(np.abs(ndvi(hazy) - ndvi(clear))[land])),
        "ndvi_mae_model": float(np.mean(np.abs(ndvi(out) - ndvi(clear))[land])),
        "negative_share": float(np.mean(out[:, valid] < 0)),
        "ndvi_consistency": _consistency(out, out_clear, land),
        # Vegetated ground only (clear N + R > 0.2): NDVI is a ratio, and on dark ground a
        # reflectance error of 0.005 moves it by 0.1.
        "ndvi_consistency_bright": _consistency(
            out, out_clear, valid & (clear[3] + clear[2] > 0.2)
        ),
        # dehaze(clear) against the clear input itself: what the dehazer does to NDVI
        # where there is no haze.
        "ndvi_clear_change": float(np.nanmean(np.abs(ndvi(out_clear) - ndvi(clear))[land])),
        # Reported, not judged: the water N + R > 0.05 would have kept, and the consistency
        # with it scored (the judged figure until session 10).
        "water_left_out_share": float((lit & water).sum() / max(int(lit.sum()), 1)),
        "ndvi_consistency_with_water": _consistency(out, out_clear, lit),
    }


def l2a_rows(net, kw: dict) -> list[dict]:
    rows = []
    italy = fill_nodata(real_scenes.italy_l2a("bench").image)
    italy_out = dehaze(italy, net=net, **kw)
    for k, tau in enumerate(L2A_TAUS):
        hazy, _ = scenes.hazy_version(
            italy, np.random.default_rng(500 + k), mean_tau=tau, scene_mean=True
        )
        out = dehaze(hazy, net=net, **kw)
        dcp = dehaze(hazy, method="dcp")
        row = {"scene": "italy_l2a_bench", "haze": f"simulated tau {tau}", "level": "L2A"}
        row.update(dehaze_metrics(hazy, italy, out, italy_out))
        row["psnr_dcp"] = quality.psnr(dcp, italy)
        row["ndvi_mae_dcp"] = quality.ndvi_mae(dcp, italy)
        row["clear_change_mae"] = float(np.nanmean(np.abs(italy_out - italy)))
        rows.append(row)
    return rows


def toa_same_scene_rows(net, kw: dict) -> list[dict]:
    """Simulated haze over real TOA captures; dehaze(hazy) against dehaze(clear) of the
    same capture (issue 11's criterion)."""
    cases = [(real_scenes.landsat7_toa(), 700)]
    cases += [(real_scenes.slovenia_l1c(d), 710 + 10 * k) for k, d in enumerate(SLOVENIA_CLEAR)]
    rows = []
    for sc, seed in cases:
        clear = sc.image
        out_clear = dehaze(clear, net=net, **kw)
        for k, tau in enumerate((*TOA_TAUS, THICK_TAU)):
            hazy, field = scenes.hazy_version(
                fill_nodata(clear), np.random.default_rng(seed + k), mean_tau=tau, scene_mean=True
            )
            nodata = np.isnan(clear).any(axis=0)
            hazy[:, nodata] = np.nan
            out = dehaze(hazy, net=net, **kw)
            crit = SAME if tau in TOA_TAUS else THICK
            row = {"scene": sc.name, "haze": f"simulated tau {tau}", "level": "TOA",
                   "criterion": crit, "target": NDVI_TARGET}  # fmt: skip
            row.update(dehaze_metrics(hazy, clear, out, out_clear))
            # What the draw really was: the field's mean depth (the tau asked, by
            # construction) and the share of pixels whose true transmission at 550 nm is
            # under 0.15, against which the flagged share reads.
            row["tau_drawn_mean"] = float(field[~nodata].mean())
            row["true_thick_share"] = float(np.mean(np.exp(-field[~nodata]) < TRUE_THICK_T))
            row["clear_change_mae"] = float(np.nanmean(np.abs(out_clear - clear)))
            row["met"] = row["ndvi_consistency"] <= NDVI_TARGET if crit == SAME else None
            rows.append(row)
    return rows


def toa_real_haze_rows(net, kw: dict) -> list[dict]:
    """Slovenia's real hazy date against its clear dates, judged against the seasonal
    floor (the clear dates' own NDVI difference) plus 0.05."""
    a, b = (real_scenes.slovenia_l1c(d).image for d in FLOOR_PAIR)
    land = (a[3] + a[2]) > 0.05
    da, db = dehaze(a, net=net, **kw), dehaze(b, net=net, **kw)
    floor = float(np.nanmean(np.abs(ndvi(a) - ndvi(b))[land]))
    floor_dehazed = _consistency(da, db, land)
    hazy = real_scenes.slovenia_l1c(SLOVENIA_HAZY).image
    out = dehaze(hazy, net=net, **kw)
    rows = []
    for d, out_clear in zip(FLOOR_PAIR, (da, db), strict=True):
        clear = real_scenes.slovenia_l1c(d).image
        row = {"scene": f"slovenia_l1c {SLOVENIA_HAZY} vs {d}", "haze": f"real ({SLOVENIA_HAZY})",
               "level": "TOA", "criterion": REAL}  # fmt: skip
        row.update(dehaze_metrics(hazy, clear, out, out_clear))
        row["clear_change_mae"] = float(np.nanmean(np.abs(out_clear - clear)))
        # eo-learn's s2cloudless mask of the hazy date: a cloud-masking pipeline would drop
        # these pixels before any dehazing.
        row["cloud_mask_share"] = real_scenes.slovenia_cloud_share(SLOVENIA_HAZY)
        row["floor_inputs"] = floor
        row["floor_dehazed"] = floor_dehazed
        row["target"] = floor + NDVI_TARGET
        row["met"] = row["ndvi_consistency"] <= row["target"]
        rows.append(row)
    return rows


def toa_summary(rows: list[dict]) -> dict:
    """Worst figures per criterion, as the registry and BENCHMARKS report them."""
    out: dict = {}
    for crit in (SAME, REAL):
        sel = [r for r in rows if r.get("criterion") == crit]
        worst = max(sel, key=lambda r: r["ndvi_consistency"])
        out[crit] = {
            "rows": len(sel),
            "worst_ndvi_consistency": round(worst["ndvi_consistency"], 4),
            "worst_row": f"{worst['scene']}, {worst['haze']}",
            "target": round(worst["target"], 4),
            "met_rows": sum(bool(r["met"]) for r in sel),
            "max_flagged_share": round(max(r["flagged_share"] for r in sel), 4),
            "worst_row_flagged_share": round(worst["flagged_share"], 4),
            "worst_negative_share": round(max(r["negative_share"] for r in sel), 4),
            "ssim_no_lower_than_hazy": all(r["ssim_model"] >= r["ssim_hazy"] for r in sel),
        }
        if crit == SAME:
            out[crit]["worst_row_true_thick_share"] = round(worst["true_thick_share"], 4)
            out[crit]["worst_row_tau_drawn_mean"] = round(worst["tau_drawn_mean"], 3)
            # reported beside the judged figure, not judged (dehaze_metrics)
            out[crit]["worst_row_water_left_out_share"] = round(worst["water_left_out_share"], 4)
            out[crit]["worst_ndvi_consistency_with_water"] = round(
                max(r["ndvi_consistency_with_water"] for r in sel), 4
            )
        if crit == REAL:
            out[crit]["floor_inputs"] = round(worst["floor_inputs"], 4)
            out[crit]["floor_dehazed"] = round(worst["floor_dehazed"], 4)
            out[crit]["cloud_mask_share"] = round(worst["cloud_mask_share"], 4)
    thick = [r for r in rows if r.get("criterion") == THICK]
    if thick:
        worst = max(thick, key=lambda r: r["ndvi_consistency"])
        out[THICK] = {
            "rows": len(thick),
            "tau": THICK_TAU,
            "worst_unflagged_ndvi_consistency": round(worst["ndvi_consistency"], 4),
            "worst_row": f"{worst['scene']}, {worst['haze']}",
            "flagged_vs_true_thick": [
                (r["scene"], round(r["flagged_share"], 3), round(r["true_thick_share"], 3))
                for r in thick
            ],
        }
    return out


def dehaze_rows(net, dehaze_kw: dict) -> list[dict]:
    toa_kw = {**dehaze_kw, "toa": True}
    return (
        l2a_rows(net, dehaze_kw)
        + toa_same_scene_rows(net, toa_kw)
        + toa_real_haze_rows(net, toa_kw)
    )
