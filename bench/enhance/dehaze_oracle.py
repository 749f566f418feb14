"""Oracle decomposition of the TOA haze path's same-scene NDVI error: DEVELOPMENT captures only.

Issue 11's TOA line compares NDVI of dehaze(hazy) with NDVI of dehaze(clear) of the same
capture (target 0.05, land only). :func:`paii_core.enhance.haze_path.path_dehaze` writes
every band as ``(I_b - P_b) / t_b`` with an ESTIMATED path ``P_b`` and transmission ``t_b``:

- B, G, R: ``t_b = 1 - e_b / (A_b - Dc_b)`` from the dark objects' excess ``e_b`` over the
  clear level ``Dc_b`` with the prior airlight ``A_b``; ``P_b = e_b + Dc_b (1 - t_b)``;
  since session 11 red's ``t`` is that of the mean of the three bands' depths instead
  (``red-own``: its own, the module before);
- NIR: ``t_N = exp(-tau550 r_N)`` with ``tau550`` the median of the visible bands' depths
  (Angstrom exponent 1.3) and ``P_N = A_N (1 - t_N)`` with the prior NIR airlight.

:func:`inversion` re-implements that with each quantity swappable (equal to the module
within float precision when nothing is swapped); :func:`decompose` replaces ONE estimate of
the hazy capture's inversion at a time by the value the simulation used (the draw's
airlights, Angstrom exponent, per-band transmission and path, the optical depth field's
spatial pattern or its level) and reports the same-scene NDVI error each time, on the
development draws of :mod:`bench.enhance.dehaze_dev` (same captures, seeds, optical depths
and land mask). ``clear-id`` replaces dehaze(clear) by the clear capture itself (a clear
scene left alone), so the error is then dehaze(hazy)'s own against the clear truth.

Oracles (``ORACLES``; ``+`` combines them, e.g. ``clear-id+A-nir``):

- ``A-vis`` / ``A-red`` / ``A-nir`` / ``A-all``: the draw's airlight for B, G, R / red /
  NIR / all bands;
- ``alpha``: the draw's Angstrom exponent (the visible depths' conversion and NIR's);
- ``t-vis`` / ``P-vis`` / ``vis``: the true transmission / path / both of B, G, R (the NIR
  still from the module's estimates); ``red``: red's both; ``tc-vis``: the transmission the
  metric needs, the true one times the clear capture's own read one (dehaze(clear) reads
  some "phantom" haze: its dark objects sit above ``Dc``), with the path recomputed;
- ``t-nir`` / ``P-nir`` / ``nir``: the same for NIR (``t-nir`` keeps the prior airlight in
  the path, ``P-nir`` the module's transmission);
- ``shape``: NIR's depth with the TRUE field's spatial pattern, scaled to the module's
  scene-mean depth; ``level``: the module's pattern scaled to the true scene-mean NIR depth;
- ``clear-id``: dehaze(clear) replaced by the clear input (its NDVI change set to 0);
- ``base-map``: the clear capture's own dark-object map as the clear level, for both
  captures (no "phantom" haze on the clear capture).

Estimates, not oracles (``ESTIMATES``, run on the clear capture too): ``red-own``,
``red-common`` (red by the median depth) and ``vis-common`` (B, G, R by the median depth).

Command: ``PYTHONPATH=$PWD python -m bench.enhance.dehaze_oracle [--seeds 900 905] [--taus
0.5 0.75 1.0] [--oracles none A-nir red-own+A-nir ...] [--cases]``; 1-3 min per oracle.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from bench.enhance.dehaze_dev import dev_cases, draw_truth, ndvi
from paii_core.enhance import haze_path as hp
from paii_core.enhance.dcp import ANGSTROM, WAVELENGTHS_NM

ORACLES = (
    "none", "A-vis", "A-red", "A-nir", "A-all", "alpha", "A-all+alpha", "t-vis", "tc-vis",
    "P-vis", "vis", "red", "t-nir", "P-nir", "nir", "shape", "level", "clear-id", "base-map",
)  # fmt: skip
ESTIMATES = ("red-own", "red-common", "vis-common")
"""Not oracles: red inverted with the transmission of its OWN depth (the module before
session 11), or red (B, G, R) with that of the median depth (by the prior Angstrom exponent)
instead of the mean's (the module)."""
WL = np.asarray(WAVELENGTHS_NM, np.float64)


def draw(clear: np.ndarray, rng: np.random.Generator, tau: float) -> dict:
    """``bench.enhance.dehaze_dev.draw`` (the same random sequence), returning the truth
    too: the depth field, airlights, Angstrom exponent, per-band transmission and path."""
    hazy, field, air, alpha = draw_truth(clear, rng, tau)
    t = np.exp(-field[None].astype(np.float64) * ((WL / 550.0) ** -alpha)[:, None, None])
    return {"hazy": hazy, "field": field, "air": air, "alpha": alpha, "t": t,
            "path": air[:, None, None] * (1.0 - t)}  # fmt: skip


def inversion(image: np.ndarray, swap: set[str], truth: dict | None = None, levels=None):
    """``path_dehaze`` with the estimates named in ``swap`` replaced by ``truth``'s
    (module docstring). Returns the dehazed image ``(4, H, W)`` and the module's own
    transmission at 550 nm (flags are read from the estimate, whatever is swapped)."""
    img = image.astype(np.float64)
    alpha = truth["alpha"] if "alpha" in swap else ANGSTROM
    ratio = (WL / 550.0) ** -alpha
    base = np.asarray(hp.CLEAR_DARK if levels is None else levels, np.float64)
    base = base[:, None, None] if base.ndim == 1 else base
    dark = hp.dark_objects(image).astype(np.float64)
    brightest = np.percentile(dark[:, ::4, ::4].reshape(3, -1), 99.9, axis=1)
    air = np.maximum(hp.AIRLIGHT[:3], brightest + hp.AIRLIGHT_MARGIN).astype(np.float64)
    if swap & {"A-vis", "A-all"}:
        air = truth["air"][:3].copy()
    if "A-red" in swap:
        air[2] = truth["air"][2]
    t, path, ex = np.empty_like(img), np.empty_like(img), np.empty_like(img[:3])
    for b in range(3):
        lv = base[b]
        ex[b] = np.maximum(dark[b] - lv, -hp.DARK_SLACK)
        t[b] = np.clip(1.0 - np.maximum(ex[b], 0.0) / (air[b] - lv), hp.T_FLOOR, 1.0)
        path[b] = ex[b] + lv * (1.0 - t[b])
    tau550 = np.median(-np.log(t[:3]) / ratio[:3, None, None], axis=0)
    t550 = np.exp(-tau550)
    # The module: red divided by the transmission of the MEAN of the three depths (session
    # 11); "red-own": by its own (the module before); "red-common": by the median's.
    if "red-own" not in swap:
        common = [0, 1, 2] if "vis-common" in swap else [2]
        depth = -np.log(t[:3]) / ratio[:3, None, None]
        depth = tau550 if swap & {"red-common", "vis-common"} else depth.mean(axis=0)
        for b in common:  # an estimate, not an oracle: the band's depth from the common one
            t[b] = np.maximum(np.exp(-depth * ratio[b]), hp.T_FLOOR)
            path[b] = ex[b] + base[b] * (1.0 - t[b])
    if "tc-vis" in swap:  # the haze's true transmission times the clear capture's read one
        for b in range(3):
            t[b] = truth["t"][b] * truth["t_clear"][b]
            path[b] = ex[b] + base[b] * (1.0 - t[b])
    tau_n = tau550 * ratio[3]
    if "shape" in swap:
        tau_n = truth["field"] * (tau_n.mean() / truth["field"].mean())
    if "level" in swap:
        true_n = -np.log(truth["t"][3])
        tau_n = tau_n * (true_n.mean() / tau_n.mean())
    t[3] = np.exp(-tau_n)
    a_n = truth["air"][3] if swap & {"A-nir", "A-all"} else float(hp.AIRLIGHT[3])
    path[3] = a_n * (1.0 - t[3])
    for name, bands in (("vis", (0, 1, 2)), ("red", (2,)), ("nir", (3,))):
        if name in swap or f"t-{name}" in swap:
            t[list(bands)] = truth["t"][list(bands)]
            if name == "nir" and "t-nir" in swap:
                path[3] = a_n * (1.0 - t[3])
        if name in swap or f"P-{name}" in swap:
            path[list(bands)] = truth["path"][list(bands)]
    out = np.maximum((img - path) / t, 0.0)
    return out.astype(np.float32), t550


def _read_t(clear: np.ndarray, levels) -> np.ndarray:
    """The clear capture's own read transmission of B, G, R ``(3, H, W)`` (module's)."""
    base = np.asarray(hp.CLEAR_DARK if levels is None else levels, np.float64)
    base = base[:, None, None] if base.ndim == 1 else base
    dark = hp.dark_objects(clear).astype(np.float64)
    brightest = np.percentile(dark[:, ::4, ::4].reshape(3, -1), 99.9, axis=1)
    air = np.maximum(hp.AIRLIGHT[:3], brightest + hp.AIRLIGHT_MARGIN)[:, None, None]
    ex = np.maximum(dark - base, 0.0)
    return np.clip(1.0 - ex / (air - base), hp.T_FLOOR, 1.0)


def decompose(oracle: str, taus, seeds, cases: bool = False, scenes=None) -> dict:
    """Same-scene NDVI error over the development draws with ``oracle`` swapped in (module
    docstring), and its two parts: dehaze(hazy) against the clear truth (``e_hazy``) and
    dehaze(clear) against it (``e_clear``). ``scenes``: capture names to keep (all)."""
    swap = set(oracle.split("+")) - {"none"}
    unknown = swap - set(ORACLES) - set(ESTIMATES)
    if unknown:
        raise SystemExit(f"unknown oracle(s) {sorted(unknown)}: choose from {ORACLES + ESTIMATES}")
    errs, per, rows = [], {}, []
    for name, (clear, scored) in dev_cases().items():
        if scenes is not None and name not in scenes:
            continue
        levels = hp.dark_objects(clear) if "base-map" in swap else None
        est = swap & set(ESTIMATES)  # estimates run on the clear capture too
        out_clear = clear if "clear-id" in swap else inversion(clear, est, None, levels)[0]
        t_clear = _read_t(clear, levels)
        land = scored & ((clear[3] + clear[2]) > 0.05) & (clear[3] > clear[1])
        nd_true, nd_clear = ndvi(clear), ndvi(out_clear)
        for tau, seed in itertools.product(taus, seeds):
            truth = draw(clear, np.random.default_rng(seed * 10 + int(tau * 100)), tau)
            truth["t_clear"] = t_clear
            out, t550 = inversion(truth["hazy"], swap, truth, levels)
            m = land & (t550 >= hp.THICK_T)
            nd = ndvi(out)
            e = float(np.abs(nd - nd_clear)[m].mean())
            errs.append(e)
            per.setdefault(name, []).append(e)
            row = {"scene": name, "tau": tau, "seed": seed, "err": round(e, 4),
                   "e_hazy": round(float(np.abs(nd - nd_true)[m].mean()), 4),
                   "e_clear": round(float(np.abs(nd_clear - nd_true)[m].mean()), 4),
                   "d_air_nir": round(float(truth["air"][3] - hp.AIRLIGHT[3]), 3),
                   "alpha": round(truth["alpha"], 2)}  # fmt: skip
            rows.append(row)
    e = np.asarray(errs)
    res = {
        "oracle": oracle,
        "cases": len(e),
        "within_0.05": int((e <= 0.05).sum()),
        "mean": round(float(e.mean()), 4),
        "worst": round(float(e.max()), 4),
        "tau1_mean": round(
            float(np.mean([r["err"] for r in rows if r["tau"] == 1.0] or [np.nan])), 4
        ),
        "e_hazy": round(float(np.mean([r["e_hazy"] for r in rows])), 4),
        "e_clear": round(float(np.mean([r["e_clear"] for r in rows])), 4),
        "per_scene_mean": {k: round(float(np.mean(v)), 3) for k, v in per.items()},
    }
    if cases:
        res["rows"] = rows
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs=2, default=(900, 905), help="first, end")
    ap.add_argument("--taus", type=float, nargs="+", default=(0.5, 0.75, 1.0))
    ap.add_argument("--oracles", nargs="+", default=list(ORACLES))
    ap.add_argument("--cases", action="store_true", help="print every draw's figures")
    args = ap.parse_args(argv)
    for o in args.oracles:
        print(decompose(o, args.taus, range(*args.seeds), args.cases), flush=True)


if __name__ == "__main__":
    main()
