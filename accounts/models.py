"""Tenants (communities), users, their one role per community, teams and API tokens."""

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    DISPATCHER = "dispatcher", _("Dispatcher")
    AGENT = "agent", _("Field agent")
    VIEWER = "viewer", _("Viewer (elected official, manager)")


class Community(models.Model):
    """The tenant: every other row in Ronde belongs to exactly one community."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    territory = models.MultiPolygonField(_("territory"), srid=settings.RONDE_SRID, spatial_index=False)
    # Hourly cost per agent, contractor day rate… (EUR), read by dashboards.
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name"]
        indexes = [GistIndex(name="community_territory_gist", fields=["territory"])]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person; what they may do comes from their Membership in a community."""

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class Membership(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            # One role per community per user.
            models.UniqueConstraint(fields=["user", "community"], name="membership_one_per_community"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.community} ({self.role})"


class Team(models.Model):
    """A brigade: agents who go out together; missions are assigned to a team."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=120)
    members = models.ManyToManyField(User, blank=True, related_name="teams", verbose_name=_("members"))
    # Where rounds start and end by default (storage SRID).
    depot = models.PointField(_("depot"), srid=settings.RONDE_SRID, null=True, blank=True)
    hourly_cost = models.DecimalField(
        _("hourly cost (EUR per agent)"), max_digits=8, decimal_places=2, default=35
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="team_name_unique_per_community"),
            models.CheckConstraint(condition=Q(hourly_cost__gte=0), name="team_hourly_cost_positive"),
        ]

    def __str__(self) -> str:
        return self.name


def token_digest(key: str) -> str:
    """What is stored of an API token key: its SHA-256, hex (a stolen table gives no key)."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """An API key of one user: `Authorization: Token <key>`, until it expires or is revoked.

    Only the digest of the key is stored; the key is shown once, when it is made. A user may
    hold several (a script, QGIS…), lists them and revokes any (accounts/api.py). Every token
    of a user is revoked when their password changes, they are deactivated or a role of theirs
    is removed or changed (accounts/signals.py).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True, default="")
    key_hash = models.CharField(max_length=64, unique=True)
    # The first characters of the key, to tell tokens apart in a list.
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"], name="api_token_user_created")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
