"""What a heatmap shows: source, weight, period, category, district, team, status, scale.

Dates are local dates and a period is half-open, [date_from, date_to), as the dashboards'
Filters. The query string's date_to is the last day shown (what a person types): `parse`
and `query` are the only places that convert between the two.
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import QueryDict

from core.params import ParamError, parse_date_range, parse_id, parse_ids
from geo.models import Zone
from interventions.models import InterventionStatus

WEIGHTS = ("count", "m2", "returns")
SOURCES = ("interventions", "reports")
ALLOWED = frozenset(
    {"category", "date_from", "date_to", "zone", "team", "weight", "source", "status", "vmax", "engine"}
)
# Top of the colour ramp at zoom 16; each zoom level out multiplies it by VMAX_STEP (points
# pile up as pixels grow; 3 fits clustered city data better than the uniform 4).
VMAX16 = {"count": 20.0, "m2": 60.0, "returns": 10.0}
VMAX_STEP = 3.0
ONE_DAY = dt.timedelta(days=1)


HeatmapFilterError = ParamError  # one error type for every query parameter (core/params.py)
MAX_HEAT_ID = 2**31 - 1  # the point store keeps ids as int32


@dataclass(frozen=True)
class HeatmapFilters:
    source: str = "interventions"
    weight: str = "count"
    categories: tuple[int, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None  # exclusive: the day after the last one shown
    zone: int | None = None
    team: int | None = None
    statuses: tuple[str, ...] = (InterventionStatus.DONE,)
    vmax: float | None = None
    engine: str = "auto"  # "memory", "sql" (benchmarks, checks) or "auto"
    given: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return "&".join(f"{k}={v}" for k, v in sorted(self.given.items()))

    @property
    def in_memory(self) -> bool:
        """Whether the worker's store can answer (else SQL binning)."""
        if self.engine != "auto":
            return self.engine == "memory"
        return self.source == "interventions" and self.statuses == (InterventionStatus.DONE,)

    def vmax_at(self, z: int) -> float:
        if self.vmax:
            return self.vmax
        return VMAX16[self.weight] * VMAX_STEP ** max(0, 16 - z)

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """Aware datetimes of the period's limits, midnight in the site's time zone."""
        tz = ZoneInfo(settings.TIME_ZONE)
        lo = dt.datetime.combine(self.date_from, dt.time(), tzinfo=tz) if self.date_from else None
        hi = dt.datetime.combine(self.date_to, dt.time(), tzinfo=tz) if self.date_to else None
        return lo, hi

    def query(self) -> dict[str, str]:
        """The query string that `parse_heatmap_filters` reads back as these filters (tile
        URLs built by other pages); defaults are left out."""
        out: dict[str, str] = {}
        if self.date_from:
            out["date_from"] = self.date_from.isoformat()
        if self.date_to:
            out["date_to"] = (self.date_to - ONE_DAY).isoformat()
        if self.categories:
            out["category"] = ",".join(map(str, self.categories))
        if self.zone:
            out["zone"] = str(self.zone)
        if self.team:
            out["team"] = str(self.team)
        if self.source != "interventions":
            out["source"] = self.source
        if self.weight != "count":
            out["weight"] = self.weight
        if self.statuses != (InterventionStatus.DONE,):
            out["status"] = ",".join(self.statuses)
        if self.vmax:
            out["vmax"] = repr(self.vmax)
        if self.engine != "auto":
            out["engine"] = self.engine
        return out


def parse_heatmap_filters(query: QueryDict | dict[str, str], *, community_id: int) -> HeatmapFilters:
    """Validate the query string; raise HeatmapFilterError naming the parameter."""
    given: dict[str, str] = {}
    for name in query:
        if name in ("community", "share"):
            continue
        if name not in ALLOWED:
            raise HeatmapFilterError(
                name, f"Unknown parameter '{name}' (allowed: {', '.join(sorted(ALLOWED))})."
            )
        value = query.get(name)
        given[name] = str(value or "").strip()
    kwargs: dict[str, object] = {}
    if "source" in given:
        if given["source"] not in SOURCES:
            raise HeatmapFilterError("source", f"'source' must be one of {', '.join(SOURCES)}.")
        kwargs["source"] = given["source"]
    if "weight" in given:
        if given["weight"] not in WEIGHTS:
            raise HeatmapFilterError("weight", f"'weight' must be one of {', '.join(WEIGHTS)}.")
        if kwargs.get("source") == "reports" and given["weight"] != "count":
            raise HeatmapFilterError("weight", "reports are weighted by count only.")
        kwargs["weight"] = given["weight"]
    if given.get("category"):
        kwargs["categories"] = parse_ids("category", given["category"], high=MAX_HEAT_ID)
    date_from, date_to = parse_date_range(given)  # date_to's next day must exist: see below
    if date_from:
        kwargs["date_from"] = date_from
    if date_to:
        kwargs["date_to"] = date_to + ONE_DAY  # the last day shown → the period's end
    if given.get("zone"):
        zone = parse_id("zone", given["zone"], high=MAX_HEAT_ID)
        edited = (
            Zone.objects.filter(pk=zone, community_id=community_id)
            .values_list("updated_at", flat=True)
            .first()
        )
        if edited is None:
            raise HeatmapFilterError("zone", f"Unknown district {zone}.")
        kwargs["zone"] = zone
        # The district's shape masks the picture: its version is part of the tile's identity
        # (ETag and PNG cache), so redrawing the district redraws the heatmap.
        given["zone"] = f"{zone}@{edited.timestamp():.6f}"
    if given.get("team"):
        kwargs["team"] = parse_id("team", given["team"], high=MAX_HEAT_ID)
    if given.get("status"):
        statuses = tuple(sorted({s.strip() for s in given["status"].split(",") if s.strip()}))
        if not statuses or any(s not in InterventionStatus.values for s in statuses):
            raise HeatmapFilterError(
                "status", f"'status' must be among {', '.join(InterventionStatus.values)}."
            )
        kwargs["statuses"] = statuses
    if given.get("vmax"):
        try:
            vmax = float(given["vmax"])
        except ValueError:
            vmax = -1.0
        if not 0 < vmax < 1e9:
            raise HeatmapFilterError("vmax", "'vmax' must be a positive number.")
        kwargs["vmax"] = vmax
    if given.get("engine"):
        if given["engine"] not in ("memory", "sql", "auto"):
            raise HeatmapFilterError("engine", "'engine' must be memory, sql or auto.")
        kwargs["engine"] = given["engine"]
    filters = HeatmapFilters(given=given, **kwargs)  # type: ignore[arg-type]
    if filters.engine == "memory" and not (
        filters.source == "interventions" and filters.statuses == (InterventionStatus.DONE,)
    ):
        raise HeatmapFilterError("engine", "these filters need engine=sql.")
    return filters
