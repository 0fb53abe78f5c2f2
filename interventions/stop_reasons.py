"""Why a stop is out of the round, in the reader's language.

The optimiser (geo.routing.planner) and the booking rule (services.bookings) store English
reasons in MissionStop.reason; this turns the known ones into translated text on display.
"""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

_UNREACHABLE = re.compile(r"^unreachable: no street of the network's main part within (\d+) m$")
_ALREADY_PLANNED = re.compile(r"^already planned in mission (\d+)$")
# The planner's fixed reasons (msgids: the French is in locale/fr).
_FIXED = (
    gettext_noop("time window cannot be met: it closes before the team can get there"),
    gettext_noop("does not fit in the shift, even alone"),
    gettext_noop("no time left in the shift"),
    gettext_noop("not planned"),
)


def stop_reason_text(reason: str) -> str:
    if not reason:
        return ""
    if match := _UNREACHABLE.match(reason):
        return _("unreachable: no street of the network's main part within %(m)s m") % {"m": match[1]}
    if match := _ALREADY_PLANNED.match(reason):
        return _("already planned in mission %(id)s") % {"id": match[1]}
    return _(reason) if reason in _FIXED else reason
