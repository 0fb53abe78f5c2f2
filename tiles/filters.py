"""Tile filters: whitelisted query parameters, parsed, checked and bound (never formatted).

Every layer declares which of these it accepts; anything else in the query string is a 400
that names the parameter, so a typo never silently serves an unfiltered tile.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import QueryDict

from core.params import ParamError, parse_date_range, parse_id, parse_ids

from .layers import Layer

ALL_FILTERS = ("category", "status", "date_from", "date_to", "team", "mission")
# Not filters, but allowed everywhere: which community a multi-community user looks at.
PASSTHROUGH = frozenset({"community"})


@dataclass(frozen=True)
class TileFilters:
    category: tuple[int, ...] = ()
    status: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    team: int | None = None
    mission: int | None = None
    # Set by the view, never from the query string: the only teams whose rows the caller may
    # read (an agent's own). In `given` as "~teams", so the cache key differs by team set.
    teams: tuple[int, ...] | None = None
    given: dict[str, str] = field(default_factory=dict)

    def only_teams(self, teams: tuple[int, ...]) -> "TileFilters":
        return replace(self, teams=teams, given={**self.given, "~teams": ",".join(map(str, teams)) or "-"})

    @property
    def variant(self) -> str:
        """A short digest of the normalised filters: '' when unfiltered (the cache key part)."""
        if not self.given:
            return ""
        text = "&".join(f"{k}={v}" for k, v in sorted(self.given.items()))
        return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()

    def params(self) -> dict[str, Any]:
        """SQL parameters; dates become [from, to) bounds at local midnight (settings.TIME_ZONE)."""
        tz = ZoneInfo(settings.TIME_ZONE)

        def midnight(day: dt.date | None, plus: int = 0) -> dt.datetime | None:
            if day is None:
                return None
            return dt.datetime.combine(day + dt.timedelta(days=plus), dt.time(), tzinfo=tz)

        return {
            "category": list(self.category) or None,
            "status": list(self.status) or None,
            "date_from": midnight(self.date_from),
            "date_to": midnight(self.date_to, plus=1),  # date_to is inclusive
            "day_from": self.date_from,
            "day_to": self.date_to + dt.timedelta(days=1) if self.date_to else None,
            "team": self.team,
            "mission": self.mission,
            "teams": None if self.teams is None else list(self.teams),
            "tz": settings.TIME_ZONE,
        }


def parse_filters(layer: type[Layer], query: QueryDict) -> TileFilters:
    """Validate the query string against the layer's whitelist; raise ParamError naming the field."""
    given: dict[str, str] = {}
    for name in query:
        if name in PASSTHROUGH:
            continue
        if name not in layer.filters:
            allowed = ", ".join(sorted(layer.filters)) or "none"
            raise ParamError(name, f"Unknown filter '{name}' for layer '{layer.id}' (allowed: {allowed}).")
        values = query.getlist(name)
        if len(values) != 1:
            raise ParamError(name, f"'{name}' is given more than once.")
        given[name] = values[0].strip()
    kwargs: dict[str, Any] = {}
    if "category" in given:
        kwargs["category"] = parse_ids("category", given["category"])
        given["category"] = ",".join(map(str, kwargs["category"]))
    if "status" in given:
        statuses = tuple(sorted({s.strip() for s in given["status"].split(",") if s.strip()}))
        unknown = [s for s in statuses if s not in layer.statuses]
        if not statuses or unknown:
            raise ParamError(
                "status", f"Unknown status {unknown or ''!s} (allowed: {', '.join(layer.statuses)})."
            )
        kwargs["status"] = statuses
        given["status"] = ",".join(statuses)
    date_from, date_to = parse_date_range(given)
    if date_from:
        kwargs["date_from"] = date_from
    if date_to:
        kwargs["date_to"] = date_to
    for name in ("team", "mission"):
        if name in given:
            kwargs[name] = parse_id(name, given[name])
    return TileFilters(given=given, **kwargs)


def empty_params() -> dict[str, Any]:
    return TileFilters().params()
