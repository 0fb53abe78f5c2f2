"""The key figures of two periods side by side, with their differences, as rows that the
page's columns, its differences table and the PDF report all read (one list of figures)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .formats import DASH, days, delta, euros, hours, num
from .formats import pct as share
from .selectors import Kpis


@dataclass
class FigureRow:
    key: str  # data-kpi in the page (tests and styles)
    label: str
    a: str
    b: str
    difference: str


def _signed(value: float, text: Callable[[float], str]) -> str:
    return ("+" if value >= 0 else "−") + text(abs(value))


def _change(a: float | None, b: float | None, text: Callable[[float], str], relative: bool) -> str:
    """A − B as the reader wants it: absolute (signed, in the figure's unit), then relative."""
    if a is None or b is None:
        return DASH
    out = _signed(a - b, text)
    return f"{out} ({delta(a, b)})" if relative and b else out


def _points(value: float) -> str:
    return _("%(n)s points") % {"n": num(value * 100)}


def figure_rows(a: Kpis, b: Kpis) -> list[FigureRow]:
    """Period A's and period B's key figures and A − B, in the active language."""

    def row(
        key: str, label: str, get: Callable[[Kpis], float | None], fmt: Callable, diff: Callable, rel: bool
    ):
        va, vb = get(a), get(b)
        return FigureRow(key, label, fmt(va), fmt(vb), _change(va, vb, diff, rel))

    def area(value: float | None) -> str:
        return DASH if value is None else f"{num(value)} m²"

    return [
        row("cleanings", _("Tags removed"), lambda k: k.cleanings, num, num, True),
        row("m2", _("Surface cleaned"), lambda k: k.m2, area, area, True),
        row("recurrence", _("Sites re-tagged within 30 days"), lambda k: k.rate30, share, _points, False),
        row("retag", _("Median delay before re-tagging"), lambda k: k.median_retag_days, days, days, False),
        row("delay", _("Median delay from report to removal"), lambda k: k.median_report_hours, hours, hours, False),
        row("cost", _("Cost per tag"), lambda k: k.cost_per_tag, euros, euros, True),
        row("total-cost", _("Total cost"), lambda k: k.total_cost, euros, euros, True),
        row("offensive", _("Offensive tags removed within 24 h"), lambda k: k.offensive_24h_share, share, _points, False),
    ]  # fmt: skip
