from django.http import HttpRequest

from accounts.access import user_membership
from accounts.selectors import NoCommunity

from .navigation import nav_for


def ronde(request: HttpRequest) -> dict[str, object]:
    """The caller's membership and the menu their role allows, for every template."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    try:
        membership = user_membership(request)
    except NoCommunity:
        return {"membership": None, "ronde_nav": []}
    return {"membership": membership, "ronde_nav": nav_for(membership.role, request.path)}
