"""Who is asking for tiles: a session (the map page) or an API token; always one community."""

from django.http import HttpRequest
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import Membership
from accounts.selectors import NoCommunity, membership_get_for_user

from .layers import Layer


class TileAccessError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def tile_membership(request: HttpRequest, layer: type[Layer] | None = None) -> Membership:
    """The caller's membership (401 anonymous, 403 not a member or role not allowed).

    A user in several communities picks one with ?community=<slug> or X-Ronde-Community.
    """
    user = request.user if request.user.is_authenticated else None
    if user is None:
        try:
            found = TokenAuthentication().authenticate(request)  # type: ignore[arg-type]
        except AuthenticationFailed as exc:
            raise TileAccessError(401, str(exc.detail)) from exc
        user = found[0] if found else None
    if user is None:
        raise TileAccessError(401, "Authentication credentials were not provided.")
    slug = request.GET.get("community") or request.headers.get("X-Ronde-Community")
    try:
        membership = membership_get_for_user(user=user, community_slug=slug)
    except NoCommunity:
        raise TileAccessError(403, "You are not a member of this community.") from None
    if layer is not None and membership.role not in layer.read_roles:
        raise TileAccessError(403, f"The role '{membership.role}' may not read the layer '{layer.id}'.")
    return membership
