"""Exports of the dashboard tables: CSV, and a GeoPackage of the hotspots (geopandas).

No personal data in any of them: sites, districts, streets and months only.
"""

import io
import tempfile
from pathlib import Path

import geopandas as gpd
from django.utils.translation import gettext as _
from shapely.geometry import Point

from accounts.models import Community
from core.spreadsheet import EXCEL_BOM, csv_writer
from interventions.labels import support_label

from .filters import Filters
from .models import RecurrenceState
from .selectors import districts_figures, hotspots, monthly_trend, streets_figures

TABLES = ("districts", "sites", "streets", "months")


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def table_rows(
    *, community: Community, filters: Filters, table: str, state: RecurrenceState
) -> list[list[object]]:
    """Header + rows of one dashboard table, from the facts `state` describes."""
    if table == "districts":
        rows: list[list[object]] = [
            [
                "district_id",
                "district",
                "removals",
                "m2",
                "returns",
                "sites",
                "recurrence_30d",
                "median_retag_days",
                "cost_eur",
            ]
        ]
        for d in districts_figures(community=community, filters=filters):
            rows.append(
                [d.zone_id, d.name, d.cleanings, f"{d.m2:.2f}", d.returns, d.sites, _rate(d.rate30),
                 "" if d.median_retag_days is None else f"{d.median_retag_days:.1f}", f"{d.cost:.2f}"]
            )  # fmt: skip
        return rows
    if table == "sites":
        rows = [
            [
                "site_id",
                "street",
                "district",
                "support",
                "removals",
                "returns",
                "m2",
                "last_cleaned",
                "lon",
                "lat",
                "address",
            ]
        ]
        for s in hotspots(community=community, filters=filters, limit=1000):
            rows.append(
                [s.site_id, s.street, s.district or "", s.support, s.cleanings, s.returns, f"{s.m2:.2f}",
                 s.last_cleaned.date().isoformat(), f"{s.lon:.6f}", f"{s.lat:.6f}", s.address]
            )  # fmt: skip
        return rows
    if table == "streets":
        rows = [["street", "sites", "removals", "returns", "m2"]]
        for st in streets_figures(community=community, filters=filters, limit=1000):
            rows.append([st.name, st.sites, st.cleanings, st.returns, f"{st.m2:.2f}"])
        return rows
    rows = [["month", "removals", "returns", "m2", "cost_eur"]]
    for m in monthly_trend(community=community, filters=filters, state=state):
        rows.append([m.month, m.cleanings, m.returns, f"{m.m2:.2f}", f"{m.cost:.2f}"])
    return rows


def _french_headers() -> dict[str, str]:
    """Column names as a French spreadsheet user reads them (the machine names otherwise)."""
    return {
        "district_id": _("District no."),
        "district": _("District"),
        "removals": _("Removals"),
        "m2": _("Surface (m²)"),
        "returns": _("Returns"),
        "sites": _("Sites"),
        "recurrence_30d": _("Re-tagged within 30 days"),
        "median_retag_days": _("Median re-tag delay (days)"),
        "cost_eur": _("Cost (EUR)"),
        "site_id": _("Site no."),
        "street": _("Street"),
        "support": _("Support"),
        "last_cleaned": _("Last removal"),
        "lon": _("Longitude"),
        "lat": _("Latitude"),
        "address": _("Address"),
        "month": _("Month"),
    }


def table_csv(
    *, community: Community, filters: Filters, table: str, state: RecurrenceState, excel_fr: bool = False
) -> str:
    """The table as CSV; `excel_fr`: what French Excel opens by double-click (byte-order mark,
    `;`, decimal commas, headers and supports in the user's language)."""
    rows = table_rows(community=community, filters=filters, table=table, state=state)
    buf = io.StringIO()
    if excel_fr:
        headers = _french_headers()
        support = rows[0].index("support") if "support" in rows[0] else None
        rows[0] = [headers.get(str(name), str(name)) for name in rows[0]]
        if support is not None:
            for row in rows[1:]:
                row[support] = support_label(str(row[support]))
        buf.write(EXCEL_BOM)
    writer = csv_writer(buf, excel_fr=excel_fr)
    writer.writerows(rows)
    return buf.getvalue()


def hotspots_gpkg(*, community: Community, filters: Filters, limit: int = 1000) -> bytes:
    """The hotspot sites as a GeoPackage layer 'hotspots' (EPSG:4326 points)."""
    spots = hotspots(community=community, filters=filters, limit=limit)
    frame = gpd.GeoDataFrame(
        {
            "site_id": [s.site_id for s in spots],
            "street": [s.street for s in spots],
            "address": [s.address for s in spots],
            "district": [s.district or "" for s in spots],
            "support": [s.support for s in spots],
            "removals": [s.cleanings for s in spots],
            "returns": [s.returns for s in spots],
            "m2": [s.m2 for s in spots],
            "median_retag_days": [s.median_retag_days for s in spots],
            "last_cleaned": [s.last_cleaned.date().isoformat() for s in spots],
        },
        geometry=[Point(s.lon, s.lat) for s in spots],
        crs="EPSG:4326",
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hotspots.gpkg"
        frame.to_file(path, layer="hotspots", driver="GPKG", engine="pyogrio", geometry_type="Point")
        return path.read_bytes()


def export_title(table: str) -> str:
    return {
        "districts": _("Districts"),
        "sites": _("Recurrent sites"),
        "streets": _("Streets"),
        "months": _("Monthly trend"),
    }[table]
