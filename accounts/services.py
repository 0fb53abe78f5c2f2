"""Writes for communities, users and teams. Each service owns its transaction."""

import datetime as dt
import logging
import secrets
import smtplib
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import ProtectedError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record, diff, snapshot
from core.geometry import transformed

from .models import ApiToken, Community, Membership, Role, Team, User, token_digest
from .signals import community_created

logger = logging.getLogger(__name__)

# What the community's administration records of a person (no password hash, no flags).
USER_AUDITED = ("username", "email", "first_name", "last_name", "is_active")


def as_multipolygon(geom: GEOSGeometry) -> MultiPolygon:
    """Territories and zones are stored as MultiPolygons in the storage SRID."""
    if geom.srid is None:
        raise ValidationError({"territory": "The geometry has no CRS."})
    if geom.srid != settings.RONDE_SRID:
        geom = transformed(geom, settings.RONDE_SRID)
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
    new_only: bool = False,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a user with one role in one community (or give an existing user that role).

    `new_only` (the administration pages): an existing username or email is an error on that
    field, never a way to pull someone of another community into this one.
    """
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role '{role}'; expected one of {', '.join(Role.values)}."})
    if new_only:
        _ensure_unique_identity(username=username, email=email)
    user = User.objects.filter(username=username).first()
    created = user is None
    if user is None:
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        if password:
            if validate:
                validate_password(password, user)
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    old_role = (
        Membership.objects.filter(user=user, community=community).values_list("role", flat=True).first()
    )
    Membership.objects.update_or_create(user=user, community=community, defaults={"role": role})
    if created:
        changes = {name: [None, value] for name, value in snapshot(user, USER_AUDITED).items() if value}
    else:
        changes = {}
    if old_role != role:
        changes["role"] = [old_role, role]
    audit_record(
        obj=user,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        changes=changes,
        community_id=community.pk,
        label=_user_label(user),
    )
    return user


def _user_label(user: User) -> str:
    return f"{user._meta.verbose_name_raw} #{user.pk} {user.username}"


def _ensure_unique_identity(*, username: str, email: str, exclude: User | None = None) -> None:
    """Usernames and emails are unique across the platform (case-insensitive)."""
    errors: dict[str, list[str]] = {}
    others = User.objects.exclude(pk=exclude.pk) if exclude is not None else User.objects.all()
    if username and others.filter(username__iexact=username).exists():
        errors["username"] = [_("This username is already taken; choose another one.")]
    if email and others.filter(email__iexact=email).exists():
        errors["email"] = [_("A user with this email address already exists.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def team_create(
    *,
    community: Community,
    name: str,
    members: list[User] | None = None,
    depot: Point | None = None,
    hourly_cost: Decimal | None = None,
    active: bool = True,
) -> Team:
    members = members or []
    if Team.objects.filter(community=community, name=name).exists():
        raise ValidationError({"name": [_("A team with this name already exists.")]})
    outsiders = [
        u.username for u in members if not Membership.objects.filter(user=u, community=community).exists()
    ]
    if outsiders:
        raise ValidationError({"members": f"Not members of {community.slug}: {', '.join(outsiders)}."})
    team = Team(community=community, name=name, depot=depot, active=active)
    if hourly_cost is not None:
        team.hourly_cost = hourly_cost
    team.full_clean()
    team.save()
    team.members.set(members)
    changes = {name: [None, value] for name, value in snapshot(team).items() if value not in (None, "")}
    if members:
        changes["members"] = [None, sorted(u.username for u in members)]
    audit_record(obj=team, action=AuditAction.CREATE, changes=changes)
    return team


def _member_names(team: Team) -> list[str]:
    return sorted(team.members.values_list("username", flat=True))


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
    before = snapshot(team)
    before_members = _member_names(team) if members is not None else []
    for name, value in data.items():
        if name != "members":
            setattr(team, name, value)
    team.full_clean(exclude=["members"])
    team.save()
    changes = diff(before, snapshot(team))
    if members is not None:
        team.members.set(members)
        after_members = _member_names(team)
        if after_members != before_members:
            changes["members"] = [before_members, after_members]
    audit_record(obj=team, action=AuditAction.UPDATE, changes=changes)
    return team


@transaction.atomic
def team_delete(*, team: Team) -> None:
    """Delete a team; refused while missions still refer to it (deactivate it instead)."""
    try:
        with transaction.atomic():
            audit_record(obj=team, action=AuditAction.DELETE, changes={"name": [team.name, None]})
            team.delete()
    except ProtectedError as exc:
        raise ValidationError(
            {"non_field_errors": ["This team has missions; set it inactive instead of deleting it."]}
        ) from exc


# --- A community's administration of its people ------------------------------------------


def _active_admin_count(*, community: Community) -> int:
    return Membership.objects.filter(community=community, role=Role.ADMIN, user__is_active=True).count()


def _ensure_not_last_admin(*, membership: Membership, message: str) -> None:
    """Refuse a change that would leave the community with no active administrator."""
    if membership.role != Role.ADMIN or not membership.user.is_active:
        return
    # Locks the community's admin memberships: two administrators demoting each other at
    # the same moment cannot both succeed.
    list(Membership.objects.select_for_update().filter(community_id=membership.community_id, role=Role.ADMIN))
    if _active_admin_count(community=membership.community) <= 1:
        raise ValidationError({"role": [message]})


def _ensure_only_here(*, membership: Membership) -> None:
    """A person's account (name, email, active) is changed only by their only community."""
    if Membership.objects.filter(user_id=membership.user_id).exclude(pk=membership.pk).exists():
        raise ValidationError(
            {
                "__all__": [
                    _(
                        "This person also belongs to another community: their account can only be "
                        "changed by the platform's operator."
                    )
                ]
            }
        )


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str) -> Membership:
    """Give a member another role in their community; the last administrator keeps theirs."""
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role.")]})
    if role == membership.role:
        return membership
    if role != Role.ADMIN:
        _ensure_not_last_admin(
            membership=membership,
            message=_("This is the community's last administrator: name another administrator first."),
        )
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        obj=membership.user,
        action=AuditAction.UPDATE,
        changes={"role": [old, role]},
        community_id=membership.community_id,
        label=_user_label(membership.user),
    )
    return membership


USER_FIELDS = {"email", "first_name", "last_name"}


@transaction.atomic
def member_update(*, membership: Membership, data: dict[str, Any]) -> User:
    """Change a member's name or email (only for people who belong to this community alone)."""
    unknown = set(data) - USER_FIELDS
    if unknown:
        raise ValueError(f"member_update cannot change {', '.join(sorted(unknown))}")
    user = membership.user
    before = snapshot(user, USER_AUDITED)
    if any(before.get(name) != value for name, value in data.items()):
        _ensure_only_here(membership=membership)
    if data.get("email"):
        _ensure_unique_identity(username="", email=data["email"], exclude=user)
    for name, value in data.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password", "username"])
    user.save(update_fields=list(data))
    audit_record(
        obj=user,
        action=AuditAction.UPDATE,
        changes=diff(before, snapshot(user, USER_AUDITED)),
        community_id=membership.community_id,
        label=_user_label(user),
    )
    return user


@transaction.atomic
def member_set_active(*, membership: Membership, active: bool) -> User:
    """Deactivate (or reactivate) a member: never a deletion, their work stays attributed.

    A deactivated user cannot log in and their API tokens stop working (tokens are only
    accepted for active users).
    """
    user = membership.user
    if user.is_active == active:
        return user
    _ensure_only_here(membership=membership)
    if not active:
        _ensure_not_last_admin(
            membership=membership,
            message=_("This is the community's last administrator: they cannot be deactivated."),
        )
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        obj=user,
        action=AuditAction.UPDATE,
        changes={"is_active": [not active, active]},
        community_id=membership.community_id,
        label=_user_label(user),
    )
    return user


@transaction.atomic
def password_link_send(*, membership: Membership, link_base: str, invitation: bool) -> None:
    """Email the member a link to choose a password (Django's signed password-reset token).

    `link_base` is the site's address as the administrator reached it (scheme and host). The
    link stops working once used, when the password changes, or after
    PASSWORD_RESET_TIMEOUT. The email goes through Django's backend (console when developing,
    SMTP from settings in production), after the transaction commits.
    """
    user = membership.user
    if not user.email:
        raise ValidationError({"email": [_("This person has no email address: add one first.")]})
    if not user.is_active:
        raise ValidationError({"__all__": [_("This account is deactivated: reactivate it first.")]})
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "community": membership.community,
        "link": link_base.rstrip("/") + path,
        "invitation": invitation,
    }
    subject = render_to_string("accounts/email/password_link_subject.txt", context).strip()
    body = render_to_string("accounts/email/password_link.txt", context)
    audit_record(
        obj=user,
        action=AuditAction.UPDATE,
        changes={"password_link": [None, user.email]},
        community_id=membership.community_id,
        label=_user_label(user),
    )
    transaction.on_commit(lambda: _send_quietly(subject, body, user.email))


def _send_quietly(subject: str, body: str, to: str) -> None:
    """Send after commit; a mail server that is down is logged, not a 500 after the change
    was saved (the administrator can send the link again from the users page)."""
    try:
        send_mail(subject, body, None, [to])
    except (OSError, smtplib.SMTPException):
        logger.exception("Could not send the password link to %s", to)


@transaction.atomic
def community_set_territory(*, community: Community, territory: GEOSGeometry) -> Community:
    """Replace the community's territory (what its zones, assets and reports must lie in)."""
    before = snapshot(community, ["territory"])
    community.territory = as_multipolygon(territory)
    if community.territory.empty:
        raise ValidationError({"territory": [_("The territory is empty.")]})
    community.save(update_fields=["territory", "updated_at"])
    audit_record(
        obj=community,
        action=AuditAction.UPDATE,
        changes=diff(before, snapshot(community, ["territory"])),
        community_id=community.pk,
    )
    return community


@transaction.atomic
def member_create(
    *,
    community: Community,
    username: str,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    teams: list[Team] | None = None,
    invite_link_base: str | None = None,
) -> User:
    """A new person in the community: with a password now, or invited by email to choose one
    (`invite_link_base` set; the email is then required). They join `teams` of the community."""
    if invite_link_base is not None and not email:
        raise ValidationError({"email": [_("An invitation needs an email address.")]})
    user = user_create(
        username=username,
        community=community,
        role=role,
        password=password,
        email=email,
        first_name=first_name,
        last_name=last_name,
        new_only=True,
    )
    membership = Membership.objects.select_related("user", "community").get(user=user, community=community)
    member_set_teams(membership=membership, teams=teams or [])
    if invite_link_base is not None:
        password_link_send(membership=membership, link_base=invite_link_base, invitation=True)
    return user


@transaction.atomic
def member_set_teams(*, membership: Membership, teams: list[Team]) -> None:
    """Put the member in exactly these teams of their community (each team's change audited)."""
    wanted = {t.pk for t in teams}
    if any(t.community_id != membership.community_id for t in teams):
        raise ValidationError({"teams": [_("Unknown team.")]})
    for team in Team.objects.filter(community_id=membership.community_id).prefetch_related("members"):
        members = list(team.members.all())
        inside = any(u.pk == membership.user_id for u in members)
        if team.pk in wanted and not inside:
            team_update(team=team, data={"members": [*members, membership.user]})
        elif team.pk not in wanted and inside:
            team_update(team=team, data={"members": [u for u in members if u.pk != membership.user_id]})


@transaction.atomic
def member_edit(*, membership: Membership, data: dict[str, Any], role: str, teams: list[Team]) -> User:
    """The administration's edit form: name and email, role, teams, all or nothing."""
    user = member_update(membership=membership, data=data)
    membership_set_role(membership=membership, role=role)
    member_set_teams(membership=membership, teams=teams)
    return user


@transaction.atomic
def community_set_second_factor(*, community: Community, required: bool) -> Community:
    """Ask (or stop asking) the community's administrators and dispatchers for a TOTP code."""
    locked = Community.objects.select_for_update().get(pk=community.pk)
    before = bool((locked.settings or {}).get("require_totp"))
    if before == required:
        return locked
    locked.settings = {**(locked.settings or {}), "require_totp": required}
    locked.save(update_fields=["settings", "updated_at"])
    audit_record(
        obj=locked,
        action=AuditAction.UPDATE,
        changes={"require_totp": [before, required]},
        community_id=locked.pk,
    )
    community.settings = locked.settings
    return locked


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
