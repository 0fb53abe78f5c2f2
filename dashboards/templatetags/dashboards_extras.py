"""Number formatting for the dashboards: shares, deltas, money, durations."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f} %"


@register.filter
def euros(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} €".replace(",", "\u202f")


@register.filter
def num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}".replace(",", "\u202f")


@register.filter
def delta(current: float | None, before: float | None) -> str:
    """'+12 %' / '−5 %' change from `before`; '–' when there is nothing to compare."""
    if current is None or before is None or before == 0:
        return "–"
    change = (current - before) / before * 100
    sign = "+" if change >= 0 else "−"
    return f"{sign}{abs(change):.0f} %"


@register.filter
def days(value: float | None) -> str:
    return "–" if value is None else _("%(n)s d") % {"n": f"{value:.1f}"}


@register.filter
def hours(value: float | None) -> str:
    return "–" if value is None else _("%(n)s h") % {"n": f"{value:.1f}"}
