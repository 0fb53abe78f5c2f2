"""One place that turns (user, community, role) into allowed API actions.

Who may do what is declared once, per URL, in accounts/access.py (RULES; written out in
docs/permissions.md); AccessMiddleware applies it before any view and CommunityRole applies
it again inside DRF. Every row read or written belongs to the caller's community (querysets
are scoped before the role is even looked at); another community's object is a 404.
A view without a rule in the table (only views called outside the URLconf, e.g. in unit
tests; the middleware refuses undeclared URLs in production) gets the defaults below.
"""

from collections.abc import Collection
from typing import Any

from rest_framework import permissions
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.request import Request

from .access import roles_allowed, user_membership
from .models import Membership, Role
from .selectors import NoCommunity


def request_membership(request: Request) -> Membership:
    """The caller's membership (accounts/access.py `user_membership`), its refusal as DRF's."""
    if not request.user or not request.user.is_authenticated:
        raise NotAuthenticated()
    try:
        return user_membership(request)
    except NoCommunity as exc:
        raise PermissionDenied("You are not a member of this community.") from exc


class CommunityRole(permissions.BasePermission):
    """The roles of accounts/access.py RULES for this URL and method.

    Without a rule: every member reads, dispatchers and admins write.
    """

    default_read = (Role.ADMIN, Role.DISPATCHER, Role.AGENT, Role.VIEWER)
    default_write = (Role.ADMIN, Role.DISPATCHER)

    def has_permission(self, request: Request, view: Any) -> bool:
        membership = request_membership(request)
        match = getattr(request, "resolver_match", None)
        declared = roles_allowed(match.view_name, request.method or "GET") if match is not None else None
        allowed: Collection[str]
        if declared is not None:
            allowed = declared
        elif request.method in permissions.SAFE_METHODS:
            allowed = self.default_read
        else:
            allowed = self.default_write
        if membership.role not in allowed:
            raise PermissionDenied(f"The role '{membership.role}' may not do this.")
        return True

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        # Querysets are already scoped; this is the belt to those braces.
        return getattr(obj, "community_id", None) == request_membership(request).community_id
