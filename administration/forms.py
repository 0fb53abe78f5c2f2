"""The administration's forms: plain Django forms, validated here, written by the services."""

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Community, Membership, Role, Team, User
from core.geometry import NotProjectable, transformed
from geo.models import AssetKind, ZoneKind
from interventions.models import Category

INVITE, PASSWORD = "invite", "password"


def _teams_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=gettext_lazy("Teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class UserCreateForm(forms.Form):
    username = forms.RegexField(
        label=gettext_lazy("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": gettext_lazy("Letters, digits and @ . + - _ only, no spaces.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices, initial=Role.AGENT)
    teams = _teams_field()
    how = forms.ChoiceField(
        label=gettext_lazy("Password"),
        choices=[
            (INVITE, gettext_lazy("Send an invitation by email: they choose their password")),
            (PASSWORD, gettext_lazy("Set a password now and give it to them")),
        ],
        initial=INVITE,
        widget=forms.RadioSelect,
    )
    password1 = forms.CharField(
        label=gettext_lazy("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Password again"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["teams"]).queryset = Team.objects.filter(
            community=community
        ).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("how") == INVITE and not data.get("email"):
            self.add_error("email", _("An invitation needs an email address."))
        if data.get("how") == PASSWORD:
            first, second = data.get("password1") or "", data.get("password2") or ""
            if not first:
                self.add_error("password1", _("Type the password."))
            elif first != second:
                self.add_error("password2", _("The two passwords differ."))
            else:
                candidate = User(
                    username=data.get("username", ""),
                    email=data.get("email", ""),
                    first_name=data.get("first_name", ""),
                    last_name=data.get("last_name", ""),
                )
                try:
                    validate_password(first, candidate)
                except ValidationError as exc:
                    self.add_error("password1", exc)
        return data


class UserEditForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)
    teams = _teams_field()

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        user = membership.user
        initial = {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "role": membership.role,
            "teams": list(user.teams.filter(community_id=membership.community_id)),
        }
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["teams"]).queryset = Team.objects.filter(
            community_id=membership.community_id
        ).order_by("name")


def _degrees(label: Any, limit: int) -> forms.DecimalField:
    """A longitude or latitude in WGS84 degrees, typed with a dot whatever the language."""
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal(-limit),
        max_value=Decimal(limit),
        decimal_places=7,
        localize=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class TeamForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    members = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Members"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    depot_lon = _degrees(gettext_lazy("Depot longitude (°E, WGS84)"), 180)
    depot_lat = _degrees(gettext_lazy("Depot latitude (°N, WGS84)"), 90)
    hourly_cost = forms.DecimalField(
        label=gettext_lazy("Hourly cost per agent (EUR)"),
        min_value=Decimal(0),
        max_digits=8,
        decimal_places=2,
        initial=Decimal(35),
        localize=True,
    )
    active = forms.BooleanField(
        label=gettext_lazy("Active (offered when planning missions)"), required=False, initial=True
    )

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.community = community
        cast(forms.ModelMultipleChoiceField, self.fields["members"]).queryset = User.objects.filter(
            memberships__community=community, is_active=True
        ).order_by("username")
        self.fields["members"].label_from_instance = _person  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lon, lat = data.get("depot_lon"), data.get("depot_lat")
        if (lon is None) != (lat is None):
            self.add_error(
                "depot_lon" if lon is None else "depot_lat",
                _("Give both longitude and latitude, or neither."),
            )
            return data
        depot = None
        if lon is not None and lat is not None:
            depot = Point(float(lon), float(lat), srid=4326)
            try:
                inside = transformed(depot, settings.RONDE_SRID)
            except NotProjectable as exc:
                self.add_error("depot_lat", exc.text)
                return data
            if not self.community.territory.covers(inside):
                self.add_error("depot_lon", _("The depot is outside the community's territory."))
                return data
        data["depot"] = depot
        return data


def _person(user: User) -> str:
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["code", "name", "description", "service_minutes", "is_tag", "public", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "code": gettext_lazy("Letters, digits and hyphens; Open311 partners send it as service_code."),
            "public": gettext_lazy("Partner applications (Open311) may file reports of this category."),
        }

    def validate_unique(self) -> None:
        """The service checks the code (with a clear message); the form does not pre-empt it."""

    def _post_clean(self) -> None:
        # No model validation here (the instance has no community yet): the service runs it.
        pass


class AssetCategoryForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=64)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=AssetKind.choices)
    active = forms.BooleanField(
        label=gettext_lazy("Active (takes new assets: imports, the API)"), required=False, initial=True
    )


class PartnerKeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Partner application"), max_length=200)
    rate_limit = forms.IntegerField(
        label=gettext_lazy("Requests per minute"), min_value=1, max_value=10_000, initial=60
    )


class ZoneForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ZoneKind.choices)


class TerritoryForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Polygon file (GeoJSON, GeoPackage, zipped Shapefile, KML)"), required=False
    )
    minlon = forms.FloatField(label=gettext_lazy("West (min. longitude)"), required=False, localize=False)
    minlat = forms.FloatField(label=gettext_lazy("South (min. latitude)"), required=False, localize=False)
    maxlon = forms.FloatField(label=gettext_lazy("East (max. longitude)"), required=False, localize=False)
    maxlat = forms.FloatField(label=gettext_lazy("North (max. latitude)"), required=False, localize=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        box = [data.get(k) for k in ("minlon", "minlat", "maxlon", "maxlat")]
        if data.get("file") is None and any(v is None for v in box):
            if any(v is not None for v in box):
                self.add_error("minlon", _("Give the four edges of the box."))
            else:
                self.add_error("file", _("Choose a file, or give a box."))
        return data
