"""Query-string parsing of ids and dates, for every edge (tiles, heatmaps, dashboards, exports, API).

One error type, ParamError, names the parameter at fault; each edge turns it into its own 400
(a JSON body, an HTML page, a DRF ValidationError, a command error). Digits are ASCII only:
`str.isdigit()` accepts '²' and `int()` accepts '١٢', neither is an id in a URL.
"""

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

# Ids are PostgreSQL bigints (DEFAULT_AUTO_FIELD = BigAutoField).
MAX_ID = 2**63 - 1
_ID = re.compile(r"[0-9]{1,19}")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


class ParamError(ValueError):
    """A bad query parameter: `name` (also `field`) is the parameter, `message` says why."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.field = name
        self.message = message


def is_id(text: str) -> bool:
    """Whether `text` is a positive id (ASCII digits, within a bigint)."""
    return bool(_ID.fullmatch(text)) and 0 < int(text) <= MAX_ID


def parse_ids(name: str, raw: str, *, high: int = MAX_ID) -> tuple[int, ...]:
    """'3, 1,3' -> (1, 3): distinct positive ids, sorted; at least one."""
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts or not all(_ID.fullmatch(part) for part in parts):
        raise ParamError(name, f"'{name}' must be one or more integer ids separated by commas.")
    values = tuple(sorted({int(part) for part in parts}))
    if any(v <= 0 or v > high for v in values):
        raise ParamError(name, f"'{name}' must be positive integer ids.")
    return values


def parse_id(name: str, raw: str, *, high: int = MAX_ID) -> int:
    """One positive id."""
    values = parse_ids(name, raw, high=high)
    if len(values) != 1:
        raise ParamError(name, f"'{name}' takes one id.")
    return values[0]


# Days a person may mean (dashboards, Open311, OGC, the dispatch board): beyond them, a typo.
EARLIEST_DAY, LATEST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def day_in_range(day: dt.date) -> bool:
    return EARLIEST_DAY <= day <= LATEST_DAY


def parse_date(
    name: str,
    raw: str,
    *,
    bounded_end: bool = False,
    earliest: dt.date = dt.date.min,
    latest: dt.date = dt.date.max,
) -> dt.date:
    """'YYYY-MM-DD' -> a date within [earliest, latest].

    `bounded_end`: the day after must exist too (an inclusive end becomes the next midnight),
    so 9999-12-31 is refused rather than overflowing later.
    """
    match = _DATE.fullmatch(raw.strip())
    day = None
    if match:
        try:
            day = dt.date(*(int(group) for group in match.groups()))
        except ValueError:  # month 13, 30 February, year 0000
            day = None
    if day is None:
        raise ParamError(name, _("%(name)s must be a date as YYYY-MM-DD.") % {"name": name})
    if bounded_end and latest == dt.date.max:
        latest = dt.date.max - dt.timedelta(days=1)
    if not earliest <= day <= latest:
        raise ParamError(
            name,
            _("%(name)s must be between %(earliest)s and %(latest)s.")
            % {"name": name, "earliest": earliest.isoformat(), "latest": latest.isoformat()},
        )
    return day


def parse_date_range(
    params: Mapping[str, Any],
    names: tuple[str, str] = ("date_from", "date_to"),
    *,
    earliest: dt.date = dt.date.min,
    latest: dt.date = dt.date.max,
    next_day: bool = True,
) -> tuple[dt.date | None, dt.date | None]:
    """The (from, to) dates of a query, both inclusive and optional; to must not be before from.

    `next_day`: the caller turns `to` into the next midnight, so its day after must exist.
    """
    lo_name, hi_name = names
    lo = hi = None
    if params.get(lo_name):
        lo = parse_date(lo_name, params[lo_name], earliest=earliest, latest=latest)
    if params.get(hi_name):
        hi = parse_date(hi_name, params[hi_name], bounded_end=next_day, earliest=earliest, latest=latest)
    if lo and hi and lo > hi:
        raise ParamError(hi_name, _("%(end)s is before %(start)s.") % {"end": hi_name, "start": lo_name})
    return lo, hi
