"""Dashboard filters (period, category, district, team), parsed from a query string.

Bad input raises core.params.ParamError naming the field, which views turn into a 400.
"""

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Community, Team
from core.params import EARLIEST_DAY, LATEST_DAY, ParamError, parse_date, parse_id, parse_ids
from geo.models import Zone
from interventions.models import Category

PERIODS = ("month", "quarter", "year", "custom")


# Periods are shifted back a year and forward a quarter: stay well inside the calendar.
EARLIEST, LATEST = EARLIEST_DAY, LATEST_DAY


@dataclass(frozen=True)
class Filters:
    """A period [date_from, date_to) in local dates, and optional restrictions."""

    date_from: dt.date
    date_to: dt.date  # exclusive
    period: str = "custom"
    categories: tuple[int, ...] = field(default_factory=tuple)
    zone: int | None = None
    team: int | None = None

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days

    def shifted(self, *, years: int = 0, previous: bool = False) -> "Filters":
        """The same filters on the previous period (same length) or N years earlier."""
        if previous:
            if self.period == "month":
                start = _add_months(self.date_from, -1)
                return replace(self, date_from=start, date_to=self.date_from)
            if self.period == "quarter":
                return replace(self, date_from=_add_months(self.date_from, -3), date_to=self.date_from)
            if self.period == "year":  # not 365 days back: the year before 2025 began on 2024-01-01
                return replace(self, date_from=_add_years(self.date_from, -1), date_to=self.date_from)
            return replace(
                self, date_from=self.date_from - (self.date_to - self.date_from), date_to=self.date_from
            )
        return replace(
            self, date_from=_add_years(self.date_from, -years), date_to=_add_years(self.date_to, -years)
        )

    def clipped(self, *, days: int) -> "Filters":
        """The first `days` days of this period (a like-with-like comparison of a period
        still running)."""
        return replace(self, date_to=min(self.date_to, self.date_from + dt.timedelta(days=days)))

    def elapsed_days(self, today: dt.date) -> int | None:
        """Days of the period up to and including today, or None if the period is over."""
        if self.date_to <= today + dt.timedelta(days=1):
            return None
        return max((today - self.date_from).days + 1, 0)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Aware datetimes of the period's limits, midnight in the site's time zone."""
        tz = ZoneInfo(settings.TIME_ZONE)
        return (
            dt.datetime.combine(self.date_from, dt.time.min, tzinfo=tz),
            dt.datetime.combine(self.date_to, dt.time.min, tzinfo=tz),
        )

    def sql_params(self, community: Community) -> dict[str, object]:
        date_from, date_to = self.bounds()
        return {
            "community": community.pk,
            "date_from": date_from,
            "date_to": date_to,
            "categories": list(self.categories) or None,
            "team": self.team,
            "zone": self.zone,
            "costs": json.dumps(community.settings or {}),
            "now": timezone.now(),
            "tz": settings.TIME_ZONE,
        }

    def query(self) -> dict[str, str]:
        """The query string that rebuilds these filters (links, exports, tiles)."""
        out = {"period": self.period, "date_from": self.date_from.isoformat()}
        if self.period == "custom":
            out["date_to"] = (self.date_to - dt.timedelta(days=1)).isoformat()
        if self.categories:
            out["category"] = ",".join(str(c) for c in self.categories)
        if self.zone:
            out["zone"] = str(self.zone)
        if self.team:
            out["team"] = str(self.team)
        return out


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _parse_date(params: QueryDict | dict, name: str) -> dt.date | None:
    raw = params.get(name) or ""
    return parse_date(name, raw, earliest=EARLIEST, latest=LATEST) if raw else None


def _parse_id(params: QueryDict | dict, name: str) -> int | None:
    raw = params.get(name) or ""
    return parse_id(name, raw) if raw else None


def filters_from_query(
    params: QueryDict | dict, *, community: Community, today: dt.date | None = None, allow_team: bool = True
) -> Filters:
    """Parse period/date_from/date_to/category/zone/team; ids must belong to `community`."""
    today = today or timezone.localdate()
    period = params.get("period") or "month"
    if period not in PERIODS:
        raise ParamError("period", _("Choose a period from the list."))
    start = _parse_date(params, "date_from")
    if period == "month":
        # No month asked: the last complete one, so that the figures compare whole months
        # (the current month, days old, against a full one reads as a collapse).
        start = (start or _add_months(today.replace(day=1), -1)).replace(day=1)
        end = _add_months(start, 1)
    elif period == "quarter":
        base = start or today
        start = dt.date(base.year, 3 * ((base.month - 1) // 3) + 1, 1)
        end = _add_months(start, 3)
    elif period == "year":
        start = dt.date((start or today).year, 1, 1)
        end = dt.date(start.year + 1, 1, 1)
    else:
        last = _parse_date(params, "date_to")
        if start is None or last is None:
            raise ParamError("date_from", _("A custom period needs a start and an end date."))
        if last < start:
            raise ParamError("date_to", _("The end date is before the start date."))
        if (last - start).days > 3660:
            raise ParamError("date_to", _("The period is longer than ten years."))
        end = last + dt.timedelta(days=1)
    raw_categories = (params.get("category") or "").strip(", ")
    categories = list(parse_ids("category", raw_categories)) if raw_categories else []
    if categories:
        known = set(
            Category.objects.filter(community=community, pk__in=categories).values_list("pk", flat=True)
        )
        if missing := [c for c in categories if c not in known]:
            raise ParamError("category", _("Unknown category %(id)s.") % {"id": missing[0]})
    zone = _parse_id(params, "zone")
    if zone is not None and not Zone.objects.filter(community=community, pk=zone).exists():
        raise ParamError("zone", _("Unknown district %(id)s.") % {"id": zone})
    if not allow_team and params.get("team"):
        raise ParamError("team", _("The team filter is not available on a public link."))
    team = _parse_id(params, "team")
    if team is not None and not Team.objects.filter(community=community, pk=team).exists():
        raise ParamError("team", _("Unknown team %(id)s.") % {"id": team})
    return Filters(
        date_from=start, date_to=end, period=period, categories=tuple(categories), zone=zone, team=team
    )


# Period B of the side-by-side comparison ("compare" in the query): the same period a year
# earlier, the previous period (same length), or dates of the official's choosing.
COMPARE_MODES = ("last_year", "previous", "custom")
COMPARE_PARAMS = ("compare", "compare_from", "compare_to")


@dataclass(frozen=True)
class Compared:
    """Period B, with the same restrictions (category, district, team) as period A."""

    mode: str
    filters: Filters
    # Period A is still running: B is cut to as many first days (like with like).
    partial_days: int | None = None

    def query(self) -> dict[str, str]:
        """The query string that rebuilds this comparison (added to period A's)."""
        out = {"compare": self.mode}
        if self.mode == "custom":
            out["compare_from"] = self.filters.date_from.isoformat()
            out["compare_to"] = (self.filters.date_to - dt.timedelta(days=1)).isoformat()
        return out


def _compare_day(params: QueryDict | dict, name: str) -> dt.date:
    raw = (params.get(name) or "").strip()
    if not raw:
        raise ParamError(name, _("Enter the dates of period B."))
    try:
        return parse_date(name, raw, earliest=EARLIEST, latest=LATEST)
    except ParamError:
        raise ParamError(name, _("“%(value)s” is not a date.") % {"value": raw[:40]}) from None


def compare_from_query(
    params: QueryDict | dict, *, filters: Filters, today: dt.date | None = None
) -> Compared | None:
    """Period B asked for in `params` (compare, compare_from, compare_to), or None when no
    comparison is asked. Errors are in the user's language: they are shown next to the field."""
    mode = (params.get("compare") or "").strip()
    if not mode:
        return None
    if mode not in COMPARE_MODES:
        raise ParamError("compare", _("Choose what to compare with from the list."))
    partial = None
    if mode == "custom":
        start, last = _compare_day(params, "compare_from"), _compare_day(params, "compare_to")
        if last < start:
            raise ParamError("compare_to", _("The end of period B is before its start."))
        if (last - start).days > 3660:
            raise ParamError("compare_to", _("Period B is longer than ten years."))
        other = replace(filters, date_from=start, date_to=last + dt.timedelta(days=1), period="custom")
    else:
        other = filters.shifted(years=1) if mode == "last_year" else filters.shifted(previous=True)
        partial = filters.elapsed_days(today or timezone.localdate())
        if partial is not None:
            other = other.clipped(days=partial)
    return Compared(mode=mode, filters=other, partial_days=partial)
