"""Reads about who may do what where. Every tenant-scoped query starts from here."""

from functools import cache
from typing import cast

from django.db.models import QuerySet

from core.sql import ModelColumns, fetch_prepared, sql_path, sql_text

from .models import ApiToken, Community, IdentityProvider, Membership, Role, Team, User, token_digest


class NoCommunity(Exception):
    """The user has no membership in the requested (or any) community."""


def membership_get_for_user(*, user: User, community_slug: str | None = None) -> Membership:
    """The caller's membership: in the named community, or their only/first one.

    A user in several communities picks one with ?community=<slug> or the
    X-Ronde-Community header; without it, the oldest membership is used.
    """
    if not user.is_authenticated:
        raise NoCommunity("not authenticated")
    membership = _membership_of_caller(user_id=user.pk, community_slug=community_slug)
    if membership is None:
        raise NoCommunity(community_slug or "")
    user._ronde_team_ids = membership.user._ronde_team_ids  # type: ignore[attr-defined]
    membership.user = user  # the caller's own instance (sessions, request.user)
    return membership


def membership_get_for_token(*, key: str, community_slug: str | None = None) -> Membership | None:
    """The membership (with its user) of an API token's active user, in ONE query.

    None when the key is unknown, the user inactive, or not a member of the requested (or
    any) community: the caller then tells a bad token (401) from a non-member (403) itself.
    """
    return _membership_of_caller(key=token_digest(key), community_slug=community_slug)


def api_token_get(*, key: str) -> ApiToken | None:
    """The token of this key with its user, expired or not (None: no such key)."""
    return ApiToken.objects.select_related("user").filter(key_hash=token_digest(key)).first()


def api_tokens_for_user(*, user: User) -> QuerySet[ApiToken]:
    """The user's tokens, newest first (expired ones too, until the next token is made)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


# Every authenticated request needs its membership: one hand-written statement (in
# sql/membership_of_caller.sql) instead of the ORM, whose query compilation and joins cost
# 3-4 ms per request, several times the query itself (measured on the tile cache-hit path).


def caller_sql(*, membership: str, user: str, community: str) -> str:
    """The statement that picks the caller's membership, selecting the given columns.

    Parameters %(key)s (API token), %(user_id)s, %(slug)s (community); aliases m, u, c.
    The tile cache's shortcut (tiles/hit_shortcut.py) wraps it, so both choose alike.
    """
    text = sql_text(sql_path(__file__, "membership_of_caller.sql"))
    return text.format(membership=membership, user=user, community=community)


# The caller's team ids ride on the same row (team_ids_of): an agent's every write checks them,
# and under load each extra round trip costs milliseconds of waiting for the database and the GIL.
_CALLER_TEAMS = (
    f"ARRAY(SELECT tm.team_id FROM {Team.members.through._meta.db_table} tm WHERE tm.user_id = u.id)"
)


@cache
def _caller_statement() -> tuple[str, tuple[ModelColumns, ModelColumns, ModelColumns]]:
    parts = (
        ModelColumns(Membership, "m"),
        ModelColumns(User, "u"),
        ModelColumns(Community, "c", without=("territory",)),
    )
    m, u, c = parts
    return caller_sql(membership=m.sql, user=u.sql, community=f"{c.sql}, {_CALLER_TEAMS}"), parts


def _membership_of_caller(
    *, key: str | None = None, user_id: int | None = None, community_slug: str | None = None
) -> Membership | None:
    if "\x00" in (community_slug or "") or "\x00" in (key or ""):
        return None  # PostgreSQL text cannot hold NUL: no such community or key, not a 500
    statement, (m, u, c) = _caller_statement()
    row = fetch_prepared(statement, {"key": key, "user_id": user_id, "slug": community_slug or None})
    if row is None:
        return None
    *columns, team_ids = row
    nm, nu = len(m.names), len(u.names)
    membership = cast(Membership, m.instance(columns[:nm]))
    membership.user = cast(User, u.instance(columns[nm : nm + nu]))
    membership.user._ronde_team_ids = frozenset(team_ids)  # type: ignore[attr-defined]
    membership.community = cast(Community, c.instance(columns[nm + nu :]))
    return membership


def communities_for_user(*, user: User) -> QuerySet[Community]:
    return Community.objects.filter(memberships__user=user).distinct()


def teams_for_community(*, community: Community) -> QuerySet[Team]:
    return Team.objects.filter(community=community).prefetch_related("members")


def team_ids_of_member(*, community_id: int, user_id: int) -> tuple[int, ...]:
    """The ids of the caller's teams in one community (what an agent's reads are scoped to)."""
    ids = Team.objects.filter(community_id=community_id, members__id=user_id).values_list("id", flat=True)
    return tuple(sorted(set(ids)))


def users_with_role(*, community: Community, roles: list[str] | None = None) -> QuerySet[User]:
    qs = User.objects.filter(memberships__community=community)
    if roles:
        qs = qs.filter(memberships__role__in=roles)
    return qs.distinct()


ROLE_RANK = {Role.VIEWER: 0, Role.AGENT: 1, Role.DISPATCHER: 2, Role.ADMIN: 3}


def team_ids_of(*, user: User) -> frozenset[int]:
    """The ids of the user's teams, read once per request (cached on the user object; the
    caller's membership lookup brings them along, _CALLER_TEAMS)."""
    cached: frozenset[int] | None = getattr(user, "_ronde_team_ids", None)
    if cached is None:
        cached = frozenset(user.teams.values_list("pk", flat=True))
        user._ronde_team_ids = cached  # type: ignore[attr-defined]
    return cached


def identity_providers_for_login() -> QuerySet[IdentityProvider]:
    """The OpenID Connect providers the login page offers (every community's enabled one)."""
    return IdentityProvider.objects.filter(enabled=True).order_by("name", "pk")
