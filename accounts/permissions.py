"""One place that turns (user, community, role) into allowed API actions.

Who may do what through /api/v1/ (R read, C create, U update, D delete). Every row
read or written belongs to the caller's community (querysets are scoped before the
role is even looked at); another community's object is a 404, not a 403.

==================  ======  =================  ==========  =====
resource            viewer  agent              dispatcher  admin
==================  ======  =================  ==========  =====
zones               R       R                  R           RCUD
assets              R       R                  R           RCUD
asset-categories    R       R                  R           R (*)
categories          R       R                  R           R (*)
teams               R       R                  RCUD        RCUD
reports             R       RC                 RCUD        RCUD
interventions       R       RU (status, tag    RCUD        RCUD
                            fields only)
missions            owned by interventions/api/missions.py
==================  ======  =================  ==========  =====

(*) categories are managed in the Django admin by the community admin.
A view declares `read_roles`, `write_roles` and, where one action differs from
the others, `action_roles = {"create": (...), ...}` (checked first).
"""

from typing import Any

from rest_framework import permissions
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.request import Request

from .models import Membership, Role
from .selectors import NoCommunity, membership_get_for_user

COMMUNITY_HEADER = "HTTP_X_RONDE_COMMUNITY"


def request_membership(request: Request) -> Membership:
    """The caller's membership, resolved once per request and cached on it."""
    cached = getattr(request, "_ronde_membership", None)
    if cached is not None:
        return cached
    if not request.user or not request.user.is_authenticated:
        raise NotAuthenticated()
    slug = request.query_params.get("community") or request.META.get(COMMUNITY_HEADER)
    try:
        membership = membership_get_for_user(user=request.user, community_slug=slug)
    except NoCommunity as exc:
        raise PermissionDenied("You are not a member of this community.") from exc
    request._ronde_membership = membership  # type: ignore[attr-defined]
    return membership


class CommunityRole(permissions.BasePermission):
    """Read for `read_roles`, write for `write_roles` declared on the view.

    Defaults: every member reads, dispatchers and admins write.
    """

    default_read = (Role.ADMIN, Role.DISPATCHER, Role.AGENT, Role.VIEWER)
    default_write = (Role.ADMIN, Role.DISPATCHER)

    def has_permission(self, request: Request, view: Any) -> bool:
        membership = request_membership(request)
        action_roles = getattr(view, "action_roles", {})
        action = getattr(view, "action", None)
        if action in action_roles:
            allowed = action_roles[action]
        elif request.method in permissions.SAFE_METHODS:
            allowed = getattr(view, "read_roles", self.default_read)
        else:
            allowed = getattr(view, "write_roles", self.default_write)
        if membership.role not in allowed:
            raise PermissionDenied(f"The role '{membership.role}' may not do this.")
        return True

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        # Querysets are already scoped; this is the belt to those braces.
        return getattr(obj, "community_id", None) == request_membership(request).community_id
