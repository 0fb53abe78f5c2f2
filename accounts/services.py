"""Writes for communities, users and teams. Each service owns its transaction."""

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from .models import ApiToken, Community, Membership, Role, Team, User, token_digest
from .signals import community_created


def as_multipolygon(geom: GEOSGeometry) -> MultiPolygon:
    """Territories and zones are stored as MultiPolygons in the storage SRID."""
    if geom.srid is None:
        raise ValidationError({"territory": "The geometry has no CRS."})
    if geom.srid != settings.RONDE_SRID:
        geom = geom.transform(settings.RONDE_SRID, clone=True)
    if not geom.valid:
        geom = geom.make_valid()  # type: ignore[attr-defined]  # GEOS >= 3.8, missing from the stubs
    if isinstance(geom, Polygon):
        geom = MultiPolygon(geom, srid=geom.srid)
    if not isinstance(geom, MultiPolygon):
        polygons = [g for g in geom if isinstance(g, Polygon)] if hasattr(geom, "__iter__") else []
        if not polygons:
            raise ValidationError({"territory": f"Expected a polygon, got {geom.geom_type}."})
        geom = MultiPolygon(*polygons, srid=geom.srid)
    return geom


@transaction.atomic
def community_create(
    *, slug: str, name: str, territory: GEOSGeometry, default_categories: bool = True
) -> Community:
    """A new community; `default_categories`: it starts with the editable default taxonomy
    (work and asset categories, created by the interventions app on `community_created`)."""
    if Community.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A community with slug '{slug}' already exists."})
    community = Community(slug=slug, name=name, territory=as_multipolygon(territory))
    community.full_clean()
    community.save()
    community_created.send(sender=Community, community=community, default_categories=default_categories)
    return community


def bbox_polygon(*, minlon: float, minlat: float, maxlon: float, maxlat: float) -> Polygon:
    """A WGS84 rectangle, checked: what `create_community --bbox` and API filters take."""
    if not (-180 <= minlon < maxlon <= 180 and -90 <= minlat < maxlat <= 90):
        raise ValidationError({"bbox": "Expected minlon,minlat,maxlon,maxlat in degrees, with min < max."})
    polygon = Polygon.from_bbox((minlon, minlat, maxlon, maxlat))
    polygon.srid = 4326
    return polygon


@transaction.atomic
def user_create(
    *,
    username: str,
    community: Community,
    role: str,
    password: str | None,
    email: str = "",
    validate: bool = True,
) -> User:
    """Create a user with one role in one community (or give an existing user that role)."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role '{role}'; expected one of {', '.join(Role.values)}."})
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, email=email)
        if password:
            if validate:
                validate_password(password, user)
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    Membership.objects.update_or_create(user=user, community=community, defaults={"role": role})
    return user


@transaction.atomic
def team_create(
    *, community: Community, name: str, members: list[User] | None = None, depot: Point | None = None
) -> Team:
    members = members or []
    outsiders = [
        u.username for u in members if not Membership.objects.filter(user=u, community=community).exists()
    ]
    if outsiders:
        raise ValidationError({"members": f"Not members of {community.slug}: {', '.join(outsiders)}."})
    team = Team.objects.create(community=community, name=name, depot=depot)
    team.members.set(members)
    return team


TEAM_FIELDS = {"name", "members", "depot", "hourly_cost", "active"}


@transaction.atomic
def team_update(*, team: Team, data: dict[str, Any]) -> Team:
    """Change the given fields of `team`; members must belong to the team's community."""
    unknown = set(data) - TEAM_FIELDS
    if unknown:
        raise ValueError(f"team_update cannot change {', '.join(sorted(unknown))}")
    members = data.get("members")
    if members is not None:
        member_ids = set(
            Membership.objects.filter(community_id=team.community_id, user__in=members).values_list(
                "user_id", flat=True
            )
        )
        outsiders = [u.username for u in members if u.pk not in member_ids]
        if outsiders:
            raise ValidationError({"members": [f"Not members of this community: {', '.join(outsiders)}."]})
    if (
        Team.objects.filter(community_id=team.community_id, name=data.get("name"))
        .exclude(pk=team.pk)
        .exists()
    ):
        raise ValidationError({"name": ["A team with this name already exists."]})
    for name, value in data.items():
        if name != "members":
            setattr(team, name, value)
    team.full_clean(exclude=["members"])
    team.save()
    if members is not None:
        team.members.set(members)
    return team


@transaction.atomic
def team_delete(*, team: Team) -> None:
    """Delete a team; refused while missions still refer to it (deactivate it instead)."""
    try:
        team.delete()
    except ProtectedError as exc:
        raise ValidationError(
            {"non_field_errors": ["This team has missions; set it inactive instead of deleting it."]}
        ) from exc


@transaction.atomic
def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new API token of `user`, valid RONDE_API_TOKEN_TTL_DAYS; (the row, the key shown once).

    Beyond RONDE_API_TOKENS_PER_USER live tokens, the oldest go; expired ones are dropped.
    """
    now = timezone.now()
    key = secrets.token_hex(20)  # 160 bits, the length DRF's keys had
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        key_hash=token_digest(key),
        prefix=key[:8],
        expires_at=now + dt.timedelta(days=settings.RONDE_API_TOKEN_TTL_DAYS),
    )
    ApiToken.objects.filter(user=user, expires_at__lte=now).delete()
    keep = ApiToken.objects.filter(user=user).order_by("-created_at", "-id")[
        : settings.RONDE_API_TOKENS_PER_USER
    ]
    ApiToken.objects.filter(user=user).exclude(pk__in=keep.values("pk")).delete()
    return token, key


def api_token_revoke(*, user: User, token_id: int) -> bool:
    """Revoke one of `user`'s own tokens; False when they have no such token."""
    deleted, _rows = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return deleted > 0


def api_tokens_revoke_all(*, user_id: int) -> int:
    """Revoke every token of a user (password changed, deactivated, a role removed); how many."""
    deleted, _rows = ApiToken.objects.filter(user_id=user_id).delete()
    return deleted
