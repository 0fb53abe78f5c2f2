"""The monthly trend chart as inline SVG built on the server (no chart library, no CDN).

The SVG is decorative for screen readers (role="img" with a label); the same numbers are in
the table next to it.
"""

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .formats import num
from .selectors import Month

WIDTH, HEIGHT = 720, 240
LEFT, BOTTOM, TOP = 44, 28, 12


def trend_svg(months: list[Month]) -> SafeString:
    """Bars = removals per month, dark part = returns; y axis with 4 ticks."""
    top = max((m.cleanings for m in months), default=0) or 1
    # A round axis maximum: 1, 2, 5 × 10^k.
    steps = sorted(m * 10**k for k in range(9) for m in (1, 2, 5))
    step = next(s for s in steps if s * 4 >= top)
    axis_max = step * 4
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(months), 1)
    parts = []
    for tick in range(5):
        value = axis_max * tick // 4
        y = TOP + plot_h - plot_h * value / axis_max
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d1d5db"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12">{num(value)}</text>'
        )
    for i, month in enumerate(months):
        x = LEFT + i * slot + slot * 0.15
        w = slot * 0.7
        h = plot_h * month.cleanings / axis_max
        hr = plot_h * month.returns / axis_max
        base = TOP + plot_h
        parts.append(
            f"<g><title>{escape(month.month)}: {month.cleanings} {escape(_('removals'))}, "
            f"{month.returns} {escape(_('returns'))}</title>"
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{w:.1f}" height="{h:.1f}" fill="#6baed6"/>'
            f'<rect x="{x:.1f}" y="{base - hr:.1f}" width="{w:.1f}" height="{hr:.1f}" fill="#08306b"/>'
            f'<text x="{x + w / 2:.1f}" y="{HEIGHT - 10}" text-anchor="middle" font-size="11">'
            f"{escape(month.month[5:])}</text></g>"
        )
    label = _("Removals per month (light) and returns (dark), last %(n)s months") % {"n": len(months)}
    svg = format_html(
        '<svg class="trend" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'preserveAspectRatio="xMinYMin meet">{}</svg>',
        WIDTH,
        HEIGHT,
        label,
        mark_safe("".join(parts)),  # noqa: S308 - built above from numbers and escaped text
    )
    return svg
