"""The carbon PDF: map, chart, ranking table, method note and provenance (reportlab)."""

from __future__ import annotations

import io
from datetime import date

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import shapely
from matplotlib.patches import Polygon as MplPolygon
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table

from paii_core.carbon.gapfill import INTERVAL_Z

__all__ = ["METHOD_NOTE", "carbon_report_pdf", "ranking"]

METHOD_NOTE = (
    "County means weight each good OCO-2 sounding (xco2_quality_flag 0) by 1/uncertainty^2 "
    "(inverse-variance weighting; Bevington &amp; Robinson, 2003). Counties with at least 20 good "
    "soundings are <b>measured</b>; the others are <b>interpolated</b> (hatched on the map) by a "
    "Gaussian process with a Matern(3/2) covariance on 20 km daily super-observations after "
    "removing a linear trend in space and a quadratic one in time (Rasmussen &amp; Williams, "
    "2006), its uncertainty widened by leave-one-day-out cross-validation and a jackknife over "
    "overpass days (Efron &amp; Stein, 1981); +- values and error bars are 90% intervals "
    "(1.645 sd). The anomaly is the "
    "value minus the regional background: the median of the same period's good soundings within "
    "+-5 degrees of latitude (after Hakkarainen et al., 2016)."
)


_CJK = "STSong-Light"


def ranking(frame: pd.DataFrame, n: int | None = None) -> pd.DataFrame:
    """Counties by anomaly, highest first: the report's and the page's table."""
    cols = ["county_id", "name", "xco2", "xco2_sd", "xco2_anomaly", "n_soundings", "source"]
    out = frame.loc[frame["xco2"].notna(), cols].sort_values("xco2_anomaly", ascending=False)
    return out if n is None else out.head(n)


def _map_png(frame: pd.DataFrame, title: str) -> bytes:
    fig, ax = plt.subplots(figsize=(7, 5.2), dpi=130)
    vals = frame["xco2_anomaly"].to_numpy(float)
    lim = max(np.nanmax(np.abs(vals)) if np.isfinite(vals).any() else 1.0, 0.1)
    cmap, norm = plt.get_cmap("RdBu_r"), plt.Normalize(-lim, lim)
    geoms = shapely.from_wkb([bytes(b) for b in frame["geometry_wkb"]])
    for geom, v, src in zip(geoms, vals, frame["source"], strict=True):
        face = cmap(norm(v)) if np.isfinite(v) else (0.8, 0.8, 0.8, 1)
        for poly in getattr(geom, "geoms", [geom]):
            ax.add_patch(
                MplPolygon(
                    np.asarray(poly.exterior.coords),
                    facecolor=face,
                    edgecolor="#444",
                    linewidth=0.3,
                    hatch="///" if src == "interpolated" else None,
                )
            )
    ax.autoscale_view()
    ax.set_aspect(1 / np.cos(np.deg2rad(np.mean(ax.get_ylim()))))
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(title, fontsize=10)
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, label="XCO2 anomaly (ppm); hatched = interpolated")
    return _png(fig)


def _chart_png(series: pd.DataFrame, label: str) -> bytes:
    fig, ax = plt.subplots(figsize=(7, 2.8), dpi=130)
    t = pd.to_datetime(series["period"])
    yerr = INTERVAL_Z * series["xco2_sd"]
    ax.errorbar(
        t, series["xco2"], yerr=yerr, marker="o", capsize=3, label=f"{label} (90% interval)"
    )
    ax.plot(t, series["background"], "k--", label="regional background (band median)")
    ax.set_ylabel("XCO2 (ppm)")
    ax.legend(fontsize=7)
    fig.autofmt_xdate()
    return _png(fig)


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def carbon_report_pdf(
    frame: pd.DataFrame,
    series: pd.DataFrame,
    *,
    region_name: str,
    period: date,
    county_label: str,
    simulated: bool,
    provenance: str,
    exposure: dict[str, float] | None = None,
) -> bytes:
    """A 2-page A4 PDF for one region and period.

    ``frame``: store.carbon.carbon_frame output; ``series``: carbon_series of the county
    charted. Says SIMULATED in the title and footer when ``simulated``.
    """
    # Chinese county names need a CJK font; reportlab's built-in Adobe CID font has them.
    pdfmetrics.registerFont(UnicodeCIDFont(_CJK))
    styles = getSampleStyleSheet()
    tag = "SIMULATED demo data - " if simulated else ""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title=f"{tag}PAII carbon report", author="PAII")
    story = [
        Paragraph(f"{tag}XCO2 report: {region_name}, {period:%B %Y}", styles["Title"]),
        Image(
            io.BytesIO(_map_png(frame, f"XCO2 anomaly by county, {period:%Y-%m}")),
            width=16 * cm,
            height=11.9 * cm,
        ),
        Image(io.BytesIO(_chart_png(series, county_label)), width=16 * cm, height=6.4 * cm),
    ]
    if exposure is not None:
        story.append(
            Paragraph(
                f"Portfolio exposure: weighted XCO2 {exposure['xco2']:.2f} ppm, anomaly "
                f"{exposure['xco2_anomaly']:+.2f} ppm; {100 * exposure['share_interpolated']:.0f}%"
                f" of the weight interpolated, {100 * exposure['coverage']:.0f}% covered.",
                styles["Normal"],
            )
        )
    top = ranking(frame, 20)
    rows = [["county", "name", "XCO2 ppm", "90% +-", "anomaly", "n", "source"]]
    rows += [
        [
            r.county_id,
            str(r.name)[:18],
            f"{r.xco2:.2f}",
            f"{INTERVAL_Z * r.xco2_sd:.2f}",
            f"{r.xco2_anomaly:+.2f}",
            str(r.n_soundings),
            r.source,
        ]
        for r in top.itertuples(index=False)
    ]
    table = Table(rows, repeatRows=1)
    table.setStyle(
        [
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("FONTNAME", (1, 1), (1, -1), _CJK),
            ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ]
    )
    story += [
        Spacer(1, 0.4 * cm),
        Paragraph("Counties with the highest anomaly", styles["Heading2"]),
        table,
        Paragraph("Method", styles["Heading2"]),
        Paragraph(METHOD_NOTE, styles["Normal"]),
        Paragraph("Data provenance", styles["Heading2"]),
        Paragraph(provenance, styles["Normal"]),
    ]
    if simulated:
        story.append(
            Paragraph(
                "<b>SIMULATED:</b> these soundings come from PAII's demo world generator, not "
                "from NASA OCO-2; boundaries are real.",
                styles["Normal"],
            )
        )
    doc.build(story)
    return buf.getvalue()
