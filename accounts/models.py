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


class IdentityProvider(models.Model):
    """A community's OpenID Connect provider (Keycloak, Entra ID, ProConnect…): accounts/oidc.py.

    Set by the platform operator (superusers, in the Django admin). Signing in through it only
    ever opens an existing membership of THIS community whose user has the same email: nobody
    joins a community by signing in.
    """

    community = models.OneToOneField(
        Community, on_delete=models.CASCADE, related_name="identity_provider", verbose_name=_("community")
    )
    name = models.CharField(_("name shown on the login page"), max_length=100)
    # The issuer URL; its /.well-known/openid-configuration gives the endpoints and keys.
    issuer = models.URLField(_("issuer"), max_length=500)
    client_id = models.CharField(_("client id"), max_length=255)
    # Stored as given: the provider needs it in clear at every sign-in.
    client_secret = models.CharField(_("client secret"), max_length=500)
    allowed_email_domains = models.CharField(
        _("allowed email domains"),
        max_length=500,
        blank=True,
        default="",
        help_text=_("Separated by spaces or commas, e.g. ville-exemple.fr. Empty: any domain."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("identity provider (OpenID Connect)")
        verbose_name_plural = _("identity providers (OpenID Connect)")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} — {self.community}"

    def email_domains(self) -> list[str]:
        return [d.strip().lstrip("@").lower() for d in self.allowed_email_domains.replace(",", " ").split()]
