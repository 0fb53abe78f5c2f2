"""{% csp_nonce %}: the request's CSP nonce where the template has no request (form widgets)."""

from django import template

from core.security import current_nonce

register = template.Library()


@register.simple_tag
def csp_nonce() -> str:
    return current_nonce()
