"""Sentinel-2 product metadata (MTD_MSIL1C.xml / MTD_MSIL2A.xml): level, date, baseline,
quantification and the per-band RADIO_ADD_OFFSET / BOA_ADD_OFFSET of baseline 04.00+."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from paii_core.errors import FormatError
from paii_core.io.archives import member_bytes
from paii_core.io.s2_scene import QUANTIFICATION, S2_ALL_BANDS, parse_baseline

__all__ = ["Metadata", "read_mtd"]


@dataclass(frozen=True)
class Metadata:
    path: Path
    level: str | None
    """``"L1C"``, ``"L2A"`` or None when the file does not say."""
    start: str | None
    """PRODUCT_START_TIME (or DATATAKE_SENSING_START), ISO text."""
    baseline: float | None
    scale: float
    offsets: dict[str, float] = field(default_factory=dict)
    """Band code -> DN offset, from the offset list (empty when the file has none)."""
    offset_name: str = ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_mtd(path: Path) -> Metadata:
    """Read the product metadata XML of a Sentinel-2 L1C or L2A product.

    Raises:
        FormatError: not XML, a baseline that is not NN.NN, offsets or quantification
            that are not numbers, an offset band_id outside 0..12.
    """
    try:  # a file, or a member of the product's zip (paii_core.io.archives)
        inside = str(path).startswith("/vsi")
        root = ET.fromstring(member_bytes(path) if inside else path.read_bytes())
    except (ET.ParseError, OSError) as e:
        raise FormatError(path, f"is not readable XML ({e})", "pass the product's MTD file") from e
    texts: dict[str, str] = {}
    offsets: dict[str, float] = {}
    offset_name = ""
    for el in root.iter():
        name = _local(el.tag)
        text = (el.text or "").strip()
        if name in ("BOA_ADD_OFFSET", "RADIO_ADD_OFFSET"):
            offset_name = name
            band_id = el.get("band_id", "")
            try:
                band = S2_ALL_BANDS[int(band_id)]
                offsets[band] = float(text)
            except (ValueError, IndexError):
                raise FormatError(
                    path,
                    f"{name} band_id={band_id!r} value {text!r} is not a band 0..12 and a number",
                    "pass the product's unmodified MTD file",
                ) from None
        elif text and name not in texts:
            texts[name] = text
    product_type = texts.get("PRODUCT_TYPE", "") + " " + texts.get("PROCESSING_LEVEL", "")
    level = None
    if "1C" in product_type.upper() or path.name.upper().startswith("MTD_MSIL1C"):
        level = "L1C"
    elif "2A" in product_type.upper() or path.name.upper().startswith("MTD_MSIL2A"):
        level = "L2A"
    baseline = None
    if "PROCESSING_BASELINE" in texts:
        baseline = parse_baseline(texts["PROCESSING_BASELINE"], str(path))
    quant = next(
        (texts[k] for k in ("BOA_QUANTIFICATION_VALUE", "QUANTIFICATION_VALUE") if k in texts),
        None,
    )
    scale = QUANTIFICATION
    if quant is not None:
        try:
            scale = float(quant)
        except ValueError:
            scale = float("nan")
        if not scale > 0:
            raise FormatError(
                path, f"quantification value {quant!r} is not positive", "pass the unmodified MTD"
            )
    start = texts.get("PRODUCT_START_TIME") or texts.get("DATATAKE_SENSING_START")
    return Metadata(path, level, start, baseline, scale, offsets, offset_name)
