"""Numbers as the reader writes them: decimal comma and space-grouped thousands in French
("20,0 j", "1 234 €"), decimal point in English ("20.0 d"), from Django's locale formats
(django.utils.formats) of the active language. Used by the templates (templatetags) and by
the map's tooltips and popups (maps.py)."""

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

DASH = "–"  # nothing to show (no value, nothing to compare with)
NBSP = "\u00a0"  # "75 %", "278 €": the unit never wraps alone onto the next line


def num(value: float | Decimal | None, digits: int = 0) -> str:
    if value is None:
        return DASH
    return number_format(value, decimal_pos=digits, use_l10n=True, force_grouping=True)


def pct(value: float | None) -> str:
    """A share (0..1) as a whole percentage."""
    return DASH if value is None else f"{num(value * 100)}{NBSP}%"


def euros(value: float | None) -> str:
    return DASH if value is None else f"{num(value)}{NBSP}€"


def delta(current: float | None, before: float | None) -> str:
    """'+12 %' / '−5 %' change from `before`; '–' when there is nothing to compare."""
    if current is None or before is None or before == 0:
        return DASH
    change = (current - before) / before * 100
    sign = "+" if change >= 0 else "−"
    return f"{sign}{num(abs(change))}{NBSP}%"


def days(value: float | None) -> str:
    return DASH if value is None else _("%(n)s d") % {"n": num(value, 1)}


def hours(value: float | None) -> str:
    return DASH if value is None else _("%(n)s h") % {"n": num(value, 1)}
