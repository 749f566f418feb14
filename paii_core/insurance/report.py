"""The review report of one policy as a PDF: maps, evidence images, NDVI, loss range, history."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import matplotlib
import matplotlib.dates

matplotlib.use("Agg")
from xml.sax.saxutils import escape

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table

from paii_core import io as pio
from paii_core.access import Principal
from paii_core.config import paths
from paii_core.crops.view import crop_colour
from paii_core.errors import InputNotFoundError, ValidationError
from paii_core.insurance.evidence import FLAGS
from paii_core.insurance.render import plot_mask
from paii_core.insurance.review import PortfolioReview, evidence_summary, loss_summary
from paii_core.store import flood as flood_store
from paii_core.store import insurance as ins_store

__all__ = ["ReportInputs", "policy_report", "report_inputs", "report_pdf"]

MARGIN = 12
"""Pixels of context around the plot in the maps and evidence images."""
_CJK = "STSong-Light"  # county and insured names may be Chinese


def _names(text: object) -> str:
    if _CJK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_CJK))
    return f'<font name="{_CJK}">{escape(str(text))}</font>'


@dataclass(frozen=True, eq=False)
class ReportInputs:
    """What the report shows beyond the review: images, flood extent, history."""

    window: tuple[slice, slice]
    plot: NDArray[np.bool_]
    """(h, w) the plot within ``window``."""
    composite: NDArray[np.float32]
    """(4, h, w) the season's median BGRN in the window."""
    flood: NDArray[np.bool_] | None
    """(h, w) the mapped water at the policy's flood peak; None without a mapped flood."""
    flood_note: str
    images: tuple[tuple[str, NDArray[np.float32]], ...]
    """(caption, (4, h', w') BGRN): the capture, dehazed, dehazed and sharpened 4x."""
    history: pd.DataFrame


def _window(mask: NDArray[np.bool_]) -> tuple[slice, slice]:
    rows, cols = np.nonzero(mask)
    h, w = mask.shape
    return (
        slice(max(rows.min() - MARGIN, 0), min(rows.max() + MARGIN + 1, h)),
        slice(max(cols.min() - MARGIN, 0), min(cols.max() + MARGIN + 1, w)),
    )


def _flood(con, data: Path, review: PortfolioReview, policy_id: str, window) -> tuple:
    fc = review.evidence[policy_id].flood
    if fc.event_id is None or fc.peak_date is None:
        return None, fc.note
    products = flood_store.event_frame(con, "flood_products", fc.event_id)
    hit = products[pd.to_datetime(products["acquired"]).dt.date == fc.peak_date]
    if hit.empty:
        return None, f"{fc.note}; no flood map of {fc.peak_date} is stored"
    raster = pio.read_geotiff(data / str(hit["path"].iloc[0]))
    policy = review.policies.set_index("policy_id").loc[policy_id]
    grid = review.maps[policy["aoi_id"]].fine_plots.shape
    if raster.data.shape[-2:] != grid:
        return None, f"{fc.note}; its flood map is on another grid than the area's imagery"
    # PAII's flood GeoTIFFs hold water, flooded, depth, ...: the flood is band 2 of 4.
    band = raster.data[1] if raster.data.shape[0] >= 2 else raster.data[0]
    return np.nan_to_num(band)[window] > 0.5, fc.note


def _evidence_images(series: NDArray, dates, season, window) -> tuple:
    """The in-season capture where the window is clearest, dehazed, then sharpened 4x."""
    from paii_core.enhance import dehaze, haze_index, super_resolve

    inside = [i for i, d in enumerate(dates) if season[0] <= d <= season[1]] or list(
        range(len(dates))
    )
    crops = [series[i][:, window[0], window[1]] for i in inside]
    valid = [float(np.isfinite(c).all(axis=0).mean()) for c in crops]
    best = int(np.argmax(valid))
    raw = np.nan_to_num(crops[best]).astype(np.float32)
    level = haze_index(raw).level
    out = [(f"capture of {dates[inside[best]]} (haze index {level:.0f})", raw)]
    try:
        clear, how = dehaze(raw, method="model"), "PAII dehazing network"
    except InputNotFoundError:
        clear, how = dehaze(raw, method="dcp"), "dark channel prior (no trained network)"
    clear = np.nan_to_num(clear).astype(np.float32)
    out.append((f"dehazed: {how}", clear))
    try:
        sharp, how = super_resolve(clear, method="model"), "PAII 4x super-resolution"
    except InputNotFoundError:
        sharp, how = super_resolve(clear, method="bicubic"), "bicubic 4x (no trained network)"
    out.append((f"dehazed and sharpened: {how}", np.nan_to_num(sharp).astype(np.float32)))
    return tuple(out)


def report_inputs(
    con: duckdb.DuckDBPyConnection,
    review: PortfolioReview,
    policy_id: str,
    *,
    principal: Principal | None,
    data_dir: Path | None = None,
) -> ReportInputs:
    """Load what :func:`report_pdf` draws for ``policy_id`` of ``review``.

    Raises:
        ValidationError: the policy is not in the review, or its area has no imagery.
        AccessDeniedError: ``principal`` may not read decisions.
    """
    if policy_id not in review.evidence:
        raise ValidationError(
            f"policy {policy_id!r} is not in the {review.region_id} review; pick one of its "
            "policies (paii insurance review lists them)"
        )
    data = Path(data_dir) if data_dir is not None else paths().data
    policy = review.policies.set_index("policy_id").loc[policy_id]
    if pd.isna(policy["aoi_id"]):
        raise ValidationError(
            f"policy {policy_id} lies in no area of region {review.region_id}: no imagery "
            "covers its plot, and the report shows the plot on an area's season of imagery. "
            f"Fix: add an area over it (`paii area add AOI --region {review.region_id} "
            "--s2 ITEM...`)"
        )
    maps = review.maps.get(policy["aoi_id"])
    if maps is None or maps.rgb_series is None or not maps.dates:
        raise ValidationError(
            f"policy {policy_id}: the imagery of its area {policy['aoi_id']!r} is not loaded; "
            "the report needs the area's season of imagery"
        )
    mask = plot_mask(maps, {**policy.to_dict(), "policy_id": policy_id})
    window = _window(mask)
    series = maps.rgb_series[:, :, window[0], window[1]]
    composite = np.nanmedian(series, axis=0).astype(np.float32)
    season = (policy["start_date"], min(policy["end_date"], review.asof))
    flood, flood_note = _flood(con, data, review, policy_id, window)
    images = _evidence_images(maps.rgb_series, maps.dates, season, window)
    history = ins_store.decisions(con, principal=principal, policy_id=policy_id)
    return ReportInputs(window, mask[window], composite, flood, flood_note, images, history)


def _rgb(bgrn: NDArray) -> NDArray:
    rgb = np.nan_to_num(np.moveaxis(bgrn[[2, 1, 0]], 0, -1))
    lo, hi = np.percentile(rgb, 2), np.percentile(rgb, 98)
    return np.clip((rgb - lo) / max(hi - lo, 1e-6), 0, 1)


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _map_png(review: PortfolioReview, policy_id: str, inputs: ReportInputs) -> bytes:
    policy = review.policies.set_index("policy_id").loc[policy_id]
    maps = review.maps[policy["aoi_id"]]
    fig, ax = plt.subplots(figsize=(6, 5), dpi=110)
    ax.imshow(_rgb(inputs.composite))
    handles = []
    if maps.crop_map is not None:
        labels = maps.crop_map.label_map[inputs.window]
        over = np.zeros((*labels.shape, 4))
        for k, crop in enumerate(maps.crop_map.classes):
            r, g, b = crop_colour(crop)
            over[labels == k] = (r / 255, g / 255, b / 255, 0.45)
            if (labels == k).any():
                handles.append(plt.Rectangle((0, 0), 1, 1, color=(r / 255, g / 255, b / 255)))
                handles[-1].set_label(crop)
        ax.imshow(over)
    if inputs.flood is not None and inputs.flood.any():
        water = np.zeros((*inputs.flood.shape, 4))
        water[inputs.flood] = (0.1, 0.3, 1.0, 0.55)
        ax.imshow(water)
        handles.append(plt.Rectangle((0, 0), 1, 1, color=(0.1, 0.3, 1.0), label="flood at peak"))
    ax.contour(inputs.plot.astype(float), levels=[0.5], colors="red", linewidths=1.8)
    handles.append(plt.Line2D([], [], color="red", label="insured plot"))
    ax.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.8)
    ax.set_axis_off()
    ax.set_title(f"{policy_id} over PAII's crop map and flood extent", fontsize=9)
    return _png(fig)


def _images_png(inputs: ReportInputs) -> bytes:
    fig, axes = plt.subplots(1, len(inputs.images), figsize=(9, 3.4), dpi=110)
    for ax, (caption, img) in zip(np.atleast_1d(axes), inputs.images, strict=True):
        scale = img.shape[-1] / inputs.plot.shape[-1]
        ax.imshow(_rgb(img))
        rows, cols = np.indices(inputs.plot.shape)
        ax.contour(
            (cols + 0.5) * scale - 0.5, (rows + 0.5) * scale - 0.5, inputs.plot.astype(float),
            levels=[0.5], colors="red", linewidths=1.0,
        )  # fmt: skip
        ax.set_title(caption, fontsize=7)
        ax.set_axis_off()
    return _png(fig)


def _ndvi_png(review: PortfolioReview, policy_id: str) -> bytes | None:
    curve = review.curves.get(policy_id)
    if curve is None:
        return None
    policy = review.policies.set_index("policy_id").loc[policy_id]
    fig, ax = plt.subplots(figsize=(7, 2.8), dpi=110)
    days = pd.to_datetime(list(curve.dates))
    ax.plot(days, curve.plot, "o-", color="#c0392b", label="insured plot")
    ax.plot(days, curve.county, "s--", color="#2c3e50", label=f"county: {curve.reference}")
    ax.axvspan(
        pd.Timestamp(policy["start_date"]), pd.Timestamp(policy["end_date"]), color="#f1c40f",
        alpha=0.15, label="insured period",
    )  # fmt: skip
    ax.set_ylabel("NDVI")
    ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%Y-%m"))
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return _png(fig)


def _table(rows: list[list[str]], widths=None) -> Table:
    styles = getSampleStyleSheet()
    cells = [[Paragraph(escape(str(c)), styles["BodyText"]) for c in row] for row in rows]
    t = Table(cells, colWidths=widths, repeatRows=1)
    t.setStyle(
        [
            ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    return t


def report_pdf(review: PortfolioReview, policy_id: str, inputs: ReportInputs) -> bytes:
    """The review report of ``policy_id`` as PDF bytes. The word "simulated" appears
    exactly when the policy's row says its data is simulated."""
    styles = getSampleStyleSheet()
    policy = review.policies.set_index("policy_id").loc[policy_id]
    ev = review.evidence[policy_id]
    simulated = bool(policy["simulated"])
    tag = "SIMULATED demo data - " if simulated else ""
    cur = str(policy["currency"])
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, title=f"{tag}PAII review {policy_id}", author="PAII",
        leftMargin=1.6 * cm, rightMargin=1.6 * cm, topMargin=1.4 * cm, bottomMargin=1.4 * cm,
    )  # fmt: skip
    head = (
        f"{_names(policy['insured'])} - {policy['declared_crop']} on "
        f"{policy['declared_area_ha']:,.3f} ha, coverage {policy['coverage_level']:.0%}, "
        f"{policy['start_date']} to {policy['end_date']}, county {_names(policy['county_name'])} "
        f"({policy['county_id']}); evidence as of {review.asof:%Y-%m-%d}"
    )
    story = [
        Paragraph(f"{tag}Policy review {policy_id}", styles["Title"]),
        Paragraph(head, styles["Normal"]),
        Paragraph(
            "<b>Data:</b> "
            + (
                "SIMULATED - this policy and its imagery come from PAII's demo world "
                "generator, not from an insurer or a satellite."
                if simulated
                else "observed: the insurer's policy record and the area's imagery."
            ),
            styles["Normal"],
        ),
        Spacer(1, 0.2 * cm),
        Image(io.BytesIO(_map_png(review, policy_id, inputs)), width=12 * cm, height=10 * cm),
        Paragraph(escape(f"Flood: {inputs.flood_note}"), styles["Italic"]),
        Paragraph("Evidence images", styles["Heading2"]),
        Image(io.BytesIO(_images_png(inputs)), width=17 * cm, height=6.4 * cm),
    ]
    ndvi = _ndvi_png(review, policy_id)
    story.append(Paragraph("NDVI of the plot against its county", styles["Heading2"]))
    if ndvi is not None:
        story.append(Image(io.BytesIO(ndvi), width=16 * cm, height=6.4 * cm))
    else:
        story.append(Paragraph("No NDVI curve: the plot is not on the imagery.", styles["Normal"]))
    crop, area = ev.crop, ev.area
    diff = area.relative_difference
    seen_crop = f"{crop.satellite_crop or 'n/a'}"
    if crop.share is not None:
        seen_crop += f" ({crop.share:.0%} of the plot)"
    seen_area = "n/a" if area.mapped_ha is None else f"{area.mapped_ha:,.2f}"
    if diff is not None and np.isfinite(diff):
        seen_area += f" (declared {diff:+.0%})"
    story += [
        Paragraph("Declared versus detected", styles["Heading2"]),
        _table(
            [
                ["", "declared", "detected by PAII"],
                ["crop", crop.declared_crop, seen_crop],
                ["area (ha)", f"{area.declared_ha:,.3f}", seen_area],
            ],
            widths=[3 * cm, 5 * cm, 9 * cm],
        ),
    ]
    loss = review.losses[policy_id]
    rows = [["quantile", "plot yield", f"implied indemnity ({cur})"]]
    if loss.yields is not None and loss.indemnity is not None:
        for name, k in (("P90 (good year)", 2), ("P50", 1), ("P10 (bad year)", 0)):
            rows.append(
                [name, f"{loss.yields[k]:,.4g} {ev.outlook.unit}", f"{loss.indemnity[k]:,.0f}"]
            )
    else:
        rows.append(["n/a", "n/a", "n/a"])
    story += [
        Paragraph("Loss range", styles["Heading2"]),
        _table(rows, widths=[5 * cm, 5 * cm, 7 * cm]),
        Paragraph(escape(loss.note), styles["Italic"]),
        Paragraph("Flags and reasons", styles["Heading2"]),
        Paragraph(escape(", ".join(FLAGS[f] for f in ev.flags) or "no flags"), styles["Normal"]),
        _table(
            [["evidence", "value", "basis"]]
            + [
                list(r)
                for r in evidence_summary(ev)
                + loss_summary(loss, review.priorities[policy_id], cur)
            ],
            widths=[3.5 * cm, 4.5 * cm, 9 * cm],
        ),
        Paragraph("Decision history", styles["Heading2"]),
    ]
    hist = inputs.history
    if hist.empty:
        story.append(Paragraph("No decision recorded yet.", styles["Normal"]))
    else:
        story.append(
            _table(
                [["decided (UTC)", "reviewer", "decision", "note"]]
                + [
                    [
                        f"{pd.Timestamp(r.decided_at):%Y-%m-%d %H:%M}",
                        r.reviewer,
                        r.decision,
                        r.note or "",
                    ]
                    for r in hist.itertuples(index=False)
                ],
                widths=[3.5 * cm, 3 * cm, 2.5 * cm, 8 * cm],
            )
        )
    story.append(Paragraph(f"Made by PAII on {date.today():%Y-%m-%d}.", styles["Italic"]))
    doc.build(story)
    return buf.getvalue()


def policy_report(
    con: duckdb.DuckDBPyConnection,
    review: PortfolioReview,
    policy_id: str,
    *,
    principal: Principal | None,
    data_dir: Path | None = None,
) -> bytes:
    """:func:`report_inputs` then :func:`report_pdf`: the PDF bytes of one policy.

    Raises:
        ValidationError, AccessDeniedError: from :func:`report_inputs`.
    """
    inputs = report_inputs(con, review, policy_id, principal=principal, data_dir=data_dir)
    return report_pdf(review, policy_id, inputs)
