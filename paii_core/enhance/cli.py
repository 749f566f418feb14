"""`paii dehaze`, `paii sr` and `paii train`: the enhancement models on GeoTIFFs;
`paii reflectance`: a Landsat product (or a stack named by --bands) as BGRN reflectance."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from paii_core.enhance import api, files
from paii_core.enhance.sensor import MAX_SIGMA, SensorModel
from paii_core.errors import BandOrderError, FormatError, ValidationError
from paii_core.io.bands import BandSelection

__all__ = ["register"]


def _progress(label: str):
    def report(done: int, total: int) -> None:
        print(
            f"\r{label}: tile {done}/{total}",
            end="" if done < total else "\n",
            file=sys.stderr,
            flush=True,
        )

    return report


def _psf_sigma(text: str) -> float:
    """--psf-sigma: a blur the sensor model takes (argparse names the option)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 <= value <= MAX_SIGMA:
        raise argparse.ArgumentTypeError(
            f"{text!r} should be a number of input pixels from 0 to {MAX_SIGMA} (0 = plain "
            "area average); leave it out to estimate it from the image"
        )
    return value


def _band_selection(args: argparse.Namespace) -> BandSelection | None:
    """The --bands statement, or None; --reflectance/--scale/--offset need --bands."""
    if args.bands is None:
        given = [f"--{k}" for k in ("reflectance", "scale", "offset") if getattr(args, k)]
        if given:
            raise ValidationError(
                f"{', '.join(given)} given without --bands; add --bands B,G,R,N (the 1-based "
                "numbers of the blue, green, red and NIR bands of the input file)"
            )
        return None
    return BandSelection.parse(args.bands, args.reflectance, args.scale, args.offset)


@contextmanager
def _band_options_hint(args: argparse.Namespace) -> Iterator[None]:
    """An input whose bands are not named gets the command's own way to name them."""
    try:
        yield
    except BandOrderError as e:
        if args.bands is not None:
            raise
        raise FormatError(
            e.path,
            e.problem,
            f"{e.fix}; or say which bands are blue, green, red and NIR: --bands B,G,R,N "
            "(1-based) with --reflectance toa|surface and, for integer DN, --scale/--offset; "
            "or pass a Landsat product's MTL file",
        ) from None


def _check_output(args: argparse.Namespace) -> None:
    """OUT must be a file path that is none of the inputs, nor a file of the input's
    Landsat product (checked before any work)."""
    from paii_core.io import GEOTIFF_SUFFIXES, check_output
    from paii_core.io.landsat_mtl import product_files

    inputs = [args.input, *(getattr(args, "temporal", None) or ()), getattr(args, "sar", None)]
    inputs += product_files(args.input)  # a product given by its MTL or folder: its bands
    check_output(
        args.output,
        inputs=inputs,
        argument="OUTPUT",
        suffixes=GEOTIFF_SUFFIXES,
        overwrite=args.overwrite,
    )


def _dehaze(args: argparse.Namespace) -> int:
    _check_output(args)
    with _band_options_hint(args):
        out = files.dehaze_geotiff(
            args.input,
            args.output,
            method=args.method,
            level=args.level,
            progress=_progress("dehaze"),
            bands=_band_selection(args),
            source=_source(args.input),
        )
    print(_wrote("Dehazed", args.input, out))
    return 0


def _sr(args: argparse.Namespace) -> int:
    _check_output(args)
    with _band_options_hint(args):
        out = files.sr_geotiff(
            args.input,
            args.output,
            method=args.method,
            temporal=args.temporal,
            sar=args.sar,
            sensor=None if args.psf_sigma is None else SensorModel(args.psf_sigma),
            progress=_progress("sr"),
            bands=_band_selection(args),
            source=_source(args.input),
        )
    print(_wrote("Super-resolved 4x", args.input, out))
    return 0


def _reflectance(args: argparse.Namespace) -> int:
    from paii_core.io import write_geotiff

    _check_output(args)
    with _band_options_hint(args):
        raster = files.read_bgrn(args.input, _band_selection(args))
    # The DN scaling tags were applied: on a reflectance file they would be applied again
    scaling = ("BOA_ADD_OFFSET", "RADIO_ADD_OFFSET", "QUANTIFICATION_VALUE")
    tags = {k: v for k, v in raster.tags.items() if k.upper() not in scaling}
    tags["PAII_PRODUCT"] = "BGRN reflectance"
    tags["PAII_SOURCE"] = _source(args.input)
    out = write_geotiff(
        args.output,
        raster.data,
        crs=raster.crs,
        transform=raster.transform,
        band_names=("blue", "green", "red", "nir"),
        tags=tags,
    )
    print(_wrote("Read", args.input, out))
    return 0


def _source(path: str) -> str:
    """The input as the output's ``PAII_SOURCE`` tag names it: a Landsat product's folder
    or MTL by the product's name, a file by its own."""
    p = Path(path).expanduser()
    return p.resolve().name if p.name in ("", ".", "..") else p.name


def _wrote(verb: str, source: str, out: Path) -> str:
    """What a command made, for its user: the input, its capture and reflectance level,
    the method, the grid and the file written (read back from the file's own tags)."""
    import rasterio

    with rasterio.open(out) as dst:
        tags, crs, (w, h), (rx, ry) = dst.tags(), dst.crs, (dst.width, dst.height), dst.res
        bands = ", ".join(d or "?" for d in dst.descriptions)
    capture = ", ".join(
        t
        for t in (
            tags.get("SPACECRAFT_NAME"),
            tags.get("DATE"),
            {"TOA": "top-of-atmosphere", "SURFACE": "surface"}.get(
                tags.get("PAII_REFLECTANCE_LEVEL", tags.get("REFLECTANCE", "")).upper(),
                "surface" if tags.get("PAII_REFLECTANCE_LEVEL") == "L2A" else "",
            )
            + (
                " reflectance"
                if tags.get("PAII_REFLECTANCE_LEVEL") or tags.get("REFLECTANCE")
                else ""
            ),
        )
        if t
    )
    how = ""
    if "PAII_METHOD" in tags:
        version = tags.get("PAII_MODEL_VERSION", "")
        how = f" by the {tags['PAII_METHOD']} method" + (
            f" (model {version})" if version not in ("", tags["PAII_METHOD"]) else ""
        )
    haze = tags.get("PAII_THICK_HAZE_SHARE")
    thick = (
        f"; haze too thick to recover on {float(haze):.1%} of pixels (NaN, THICK_HAZE 1)"
        if haze
        else ""
    )
    simulated = "; SIMULATED demo data" if "SIMULATED" in tags else ""
    size = f"{rx:g} m" if crs is not None and crs.is_projected else f"{rx:g} x {ry:g}"
    return (
        f"{verb} {source} ({capture}){how}: {w} x {h} px at {size}, "
        f"{crs.to_string() if crs else 'no CRS'}{thick}{simulated}; wrote {out} "
        f"(float32 {bands}, NaN nodata)"
    )


def _train(args: argparse.Namespace) -> int:
    from paii_core.enhance.train import train

    out = api.model_dir(args.model) if args.out is None else Path(args.out)
    meta = train(
        args.model,
        out,
        minutes=args.minutes,
        max_steps=args.max_steps,
        seed=args.seed,
        threads=args.threads,
        init=args.init,
        lr=args.lr,
        ndvi_weight=args.ndvi_weight,
        thick_share=args.thick_share,
        batch=args.batch,
        patch=args.patch,
        warmup_steps=args.warmup_steps,
        sensor=args.sensor,
        real_share=args.real_share,
        box_share=args.box_share,
        sr_loss=args.sr_loss,
        nir_weight=args.nir_weight,
        ema=args.ema,
        keep_every=args.keep_every,
        sr_others=args.others,
        progress=lambda step, loss: print(
            f"\rstep {step} loss {loss:.5f}", end="", file=sys.stderr, flush=True
        ),
    )
    print(f"\n{out}: {meta['steps']} steps, loss {meta['final_loss']}, version {meta['version']}")
    return 0


_INPUT_HELP = (
    "BGRN GeoTIFF (Sentinel-2 L2A stack or float reflectance), or a Landsat 4-9 product: "
    "its *_MTL.txt / *_MTL.json, its folder, or one of its band files (Level-1 is read as "
    "TOA reflectance, Collection 2 Level-2 SR_B* as surface reflectance)"
)


def _add_band_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("inputs without band names (nothing is guessed)")
    g.add_argument(
        "--bands",
        default=None,
        metavar="B,G,R,N",
        help="1-based numbers of the input's blue, green, red and NIR bands, e.g. 1,2,3,4 "
        "(a Landsat 4-7 stack) or 2,3,4,5 (Landsat 8-9)",
    )
    g.add_argument(
        "--reflectance",
        choices=("toa", "surface"),
        default=None,
        help="with --bands: top-of-atmosphere (Level-1) or surface (Level-2) reflectance",
    )
    g.add_argument(
        "--scale",
        default=None,
        help="with --bands: reflectance = value * scale + offset; one number or four "
        "(B,G,R,N); required for integer DN",
    )
    g.add_argument(
        "--offset",
        default=None,
        help="with --bands: see --scale (default 0); several negative values need the = "
        "form: --offset=-0.03,-0.03,-0.02,-0.05",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the dehaze, sr, reflectance and train subcommands."""
    p = subparsers.add_parser(
        "dehaze", help="remove haze from a BGRN reflectance GeoTIFF or a Landsat product"
    )
    p.add_argument("input", type=Path, help=_INPUT_HELP)
    p.add_argument(
        "output", type=Path, help="dehazed float32 GeoTIFF to write (B, G, R, NIR, THICK_HAZE)"
    )
    p.add_argument("--method", choices=api.DEHAZE_METHODS, default="model")
    p.add_argument(
        "--level",
        choices=("auto", "L2A", "TOA"),
        default="auto",
        help="surface (L2A) or top-of-atmosphere (L1C, Landsat L1) reflectance; "
        "auto reads the file's tags (PRODUCT_TYPE, PROCESSING_LEVEL, REFLECTANCE), "
        "a Landsat MTL or --reflectance",
    )
    _add_band_options(p)
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.set_defaults(run=_dehaze)

    p = subparsers.add_parser(
        "sr", help="4x super-resolve a BGRN reflectance GeoTIFF or a Landsat product"
    )
    p.add_argument("input", type=Path, help=_INPUT_HELP)
    p.add_argument("output", type=Path, help="float32 GeoTIFF at a quarter of the pixel size")
    p.add_argument("--method", choices=api.SR_METHODS, default="model")
    p.add_argument(
        "--temporal",
        type=Path,
        nargs="*",
        default=None,
        help="other BGRN captures of the same grid (a few days apart)",
    )
    p.add_argument("--sar", type=Path, default=None, help="Sentinel-1 VV, VH dB GeoTIFF")
    p.add_argument(
        "--psf-sigma",
        type=_psf_sigma,
        default=None,
        help="the input's optics blur in input pixels on top of the detector box, "
        f"0..{MAX_SIGMA} (0 = plain area average; default: estimated from the image)",
    )
    _add_band_options(p)
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.set_defaults(run=_sr)

    p = subparsers.add_parser(
        "reflectance",
        help="write a Landsat product (or a stack named by --bands) as a BGRN reflectance "
        "GeoTIFF, e.g. for `paii batch`",
    )
    p.add_argument("input", type=Path, help=_INPUT_HELP)
    p.add_argument("output", type=Path, help="float32 GeoTIFF: blue, green, red, NIR, NaN nodata")
    _add_band_options(p)
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.set_defaults(run=_reflectance)

    p = subparsers.add_parser("train", help="train an enhancement model on simulated scenes")
    p.add_argument("model", choices=("dehaze", "sr"))
    p.add_argument("--minutes", type=float, default=24.0, help="time budget (default 24)")
    p.add_argument("--max-steps", type=int, default=100_000)
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--out", type=Path, default=None, help="folder (default models/<model>)")
    p.add_argument("--init", type=Path, default=None, help="model folder to fine-tune from")
    p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (default 2e-3)")
    p.add_argument(
        "--ndvi-weight", type=float, default=0.2, help="dehaze loss NDVI term weight (0.2)"
    )
    p.add_argument(
        "--thick-share",
        type=float,
        default=0.0,
        help="dehaze: share of samples with mean tau550 drawn from 0.8..1.7 (default 0)",
    )
    p.add_argument("--batch", type=int, default=None, help="samples per step (8 dehaze, 12 sr)")
    p.add_argument("--patch", type=int, default=None, help="patch pixels (80 dehaze, 24 sr)")
    p.add_argument(
        "--warmup-steps", type=int, default=0, help="linear learning-rate warm-up (default 0)"
    )
    p.add_argument(
        "--sensor",
        choices=("fixed", "random"),
        default="fixed",
        help="sr: one sensor model (box + Gaussian 0.5) or a random one per batch",
    )
    p.add_argument(
        "--real-share",
        type=float,
        default=0.0,
        help="share of samples from the real training scenes (self-supervised)",
    )
    p.add_argument(
        "--box-share",
        type=float,
        default=1 / 3,
        help="sr --sensor random: share of batches captured by the detector box alone (1/3)",
    )
    p.add_argument(
        "--sr-loss",
        choices=("l1", "rmse"),
        default="l1",
        help="sr --sensor random: pixel loss, l1 or rmse (PSNR's squared error; default l1)",
    )
    p.add_argument(
        "--nir-weight",
        type=float,
        default=1.0,
        help="sr: weight of the NIR band's error in the pixel loss (visible bands 1; default 1)",
    )
    p.add_argument(
        "--ema",
        type=float,
        default=0.0,
        help="save an exponential moving average of the weights with this decay, e.g. "
        "0.998 (raw weights in OUT/raw; default 0 = off)",
    )
    p.add_argument(
        "--keep-every",
        type=int,
        default=0,
        help="also keep the saved weights every N steps in OUT/step_N (default 0 = off)",
    )
    p.add_argument(
        "--others",
        type=int,
        default=3,
        help="sr: most other dates given to the network per batch, 0-3 (default 3); 0 trains "
        "only the one-date network that `paii sr` runs (other dates are fused after it)",
    )
    p.set_defaults(run=_train)
