"""Reads about who may do what where. Every tenant-scoped query starts from here."""

from django.db.models import QuerySet

from .models import Community, Membership, Role, Team, User


class NoCommunity(Exception):
    """The user has no membership in the requested (or any) community."""


def membership_get_for_user(*, user: User, community_slug: str | None = None) -> Membership:
    """The caller's membership: in the named community, or their only/first one.

    A user in several communities picks one with ?community=<slug> or the
    X-Ronde-Community header; without it, the oldest membership is used.
    """
    if not user.is_authenticated:
        raise NoCommunity("not authenticated")
    memberships = (
        Membership.objects.select_related("community").filter(user=user).order_by("created_at", "pk")
    )
    if community_slug:
        memberships = memberships.filter(community__slug=community_slug)
    membership = memberships.first()
    if membership is None:
        raise NoCommunity(community_slug or "")
    return membership


def communities_for_user(*, user: User) -> QuerySet[Community]:
    return Community.objects.filter(memberships__user=user).distinct()


def teams_for_community(*, community: Community) -> QuerySet[Team]:
    return Team.objects.filter(community=community).prefetch_related("members")


def users_with_role(*, community: Community, roles: list[str] | None = None) -> QuerySet[User]:
    qs = User.objects.filter(memberships__community=community)
    if roles:
        qs = qs.filter(memberships__role__in=roles)
    return qs.distinct()


ROLE_RANK = {Role.VIEWER: 0, Role.AGENT: 1, Role.DISPATCHER: 2, Role.ADMIN: 3}
