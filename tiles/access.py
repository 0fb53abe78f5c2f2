"""Who is asking for tiles: a session (the map page) or an API token; always one community."""

from django.http import HttpRequest
from rest_framework.exceptions import AuthenticationFailed

from accounts.access import ANONYMOUS, request_principal
from accounts.models import Membership

from .layers import Layer


class TileAccessError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def tile_membership(request: HttpRequest, layer: type[Layer] | None = None) -> Membership:
    """The caller's membership (401 anonymous, 403 not a member or role not allowed).

    A user in several communities picks one with ?community=<slug> or X-Ronde-Community.
    AccessMiddleware has usually resolved the caller already: this reuses it, no query.
    """
    try:
        principal = request_principal(request)
    except AuthenticationFailed as exc:
        raise TileAccessError(401, str(exc.detail)) from exc
    if principal.role == ANONYMOUS:
        raise TileAccessError(401, "Authentication credentials were not provided.")
    if principal.membership is None:
        raise TileAccessError(403, "You are not a member of this community.")
    membership = principal.membership
    if layer is not None and membership.role not in layer.read_roles:
        raise TileAccessError(403, f"The role '{membership.role}' may not read the layer '{layer.id}'.")
    return membership
