"""Number formatting for the dashboards' templates: shares, deltas, money, durations, in the
active language's format (dashboards/formats.py)."""

from django import template

from dashboards import formats

register = template.Library()

register.filter("pct", formats.pct)
register.filter("euros", formats.euros)
register.filter("num", formats.num)
register.filter("delta", formats.delta)
register.filter("days", formats.days)
register.filter("hours", formats.hours)
