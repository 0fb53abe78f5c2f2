"""{% identity_providers as providers %}: the login page's "Sign in with …" buttons (accounts/oidc.py)."""

from django import template

from accounts.models import IdentityProvider
from accounts.selectors import identity_providers_for_login

register = template.Library()


@register.simple_tag
def identity_providers() -> list[IdentityProvider]:
    return list(identity_providers_for_login())
