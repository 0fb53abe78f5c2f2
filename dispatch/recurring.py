"""Pages of the recurring missions (dispatchers and admins): list, create, edit, pause, delete.

Server-rendered forms over the same services as the API (interventions.services.recurrence).
The zone is a district of the community, the zone drawn on the board (handed over as GeoJSON,
EPSG:4326, in ?zone=) or, when editing, the template's current zone.
"""

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.geos import GEOSException, GEOSGeometry, Polygon
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Community, Membership, Role, Team
from geo.models import Zone
from interventions.models import MissionTemplate, RoutingProfile, Weekday
from interventions.services.recurrence import (
    mission_template_create,
    mission_template_delete,
    mission_template_set_active,
    mission_template_update,
)

from .mapsvg import mission_map_svg
from .selectors import mission_template_get, mission_templates_for_community, zone_polygon
from .views import _membership

PLANNERS = (Role.ADMIN, Role.DISPATCHER)
ZONE_DISTRICT, ZONE_DRAWN, ZONE_KEEP = "district", "drawn", "keep"


def _planner(request: HttpRequest) -> Membership:
    membership = _membership(request)
    if membership.role not in PLANNERS:
        raise PermissionDenied(_("Only dispatchers and administrators plan missions."))
    return membership


def _template(request: HttpRequest, pk: int) -> tuple[Membership, MissionTemplate]:
    membership = _planner(request)
    template = mission_template_get(community=membership.community, template_id=pk)
    if template is None:
        raise Http404
    return membership, template


def _redirect(request: HttpRequest, name: str, *args: Any) -> HttpResponseRedirect:
    """To another page of the dispatcher, in the same community (?community= kept)."""
    url = reverse(name, args=args)
    slug = request.GET.get("community")
    return HttpResponseRedirect(f"{url}?{urlencode({'community': slug})}" if slug else url)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        # <input type=time> only takes HH:MM, whatever the page's language.
        super().__init__(attrs, format="%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        # <input type=date> only takes ISO dates (a French 02/06/2025 would show as empty).
        super().__init__(attrs, format="%Y-%m-%d")


class TemplateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    zone_source = forms.ChoiceField(label=gettext_lazy("Zone"), widget=forms.RadioSelect)
    district = forms.ModelChoiceField(
        label=gettext_lazy("District"),
        queryset=Zone.objects.none(),
        required=False,
        empty_label=gettext_lazy("Choose a district"),
    )
    drawn_zone = forms.CharField(widget=forms.HiddenInput, required=False)
    team = forms.ModelChoiceField(label=gettext_lazy("Team"), queryset=Team.objects.none())
    weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Days of the week"),
        choices=Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    every_weeks = forms.IntegerField(label=gettext_lazy("Every n weeks"), min_value=1, max_value=8, initial=1)
    starts_on = forms.DateField(label=gettext_lazy("First day"), widget=DateInput)
    ends_on = forms.DateField(label=gettext_lazy("Last day (optional)"), required=False, widget=DateInput)
    shift_start = forms.TimeField(label=gettext_lazy("Start time"), initial="08:00", widget=TimeInput)
    shift_end = forms.TimeField(label=gettext_lazy("End time"), initial="16:00", widget=TimeInput)
    profile = forms.ChoiceField(
        label=gettext_lazy("Travel mode"), choices=RoutingProfile.choices, initial=RoutingProfile.DRIVE
    )
    open_round = forms.BooleanField(
        label=gettext_lazy("Open round: end at the last site (otherwise back to the depot)"), required=False
    )
    active = forms.BooleanField(
        label=gettext_lazy("Active (unticked: paused, no mission is created)"), required=False, initial=True
    )

    def __init__(self, *args: Any, community: Community, editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.community = community
        self.fields["district"].queryset = Zone.objects.filter(community=community).order_by("name")  # type: ignore[attr-defined]
        self.fields["team"].queryset = Team.objects.filter(community=community, active=True).order_by("name")  # type: ignore[attr-defined]
        drawn = self.data.get("drawn_zone") if self.is_bound else self.initial.get("drawn_zone")
        choices = []
        if editing:
            choices.append((ZONE_KEEP, _("Keep the current zone")))
        if drawn:
            choices.append((ZONE_DRAWN, _("The zone drawn on the map")))
        choices.append((ZONE_DISTRICT, _("A district")))
        self.fields["zone_source"].choices = choices  # type: ignore[attr-defined]

    def clean_drawn_zone(self) -> Polygon | None:
        # The field is hidden: its errors are shown on the zone choice.
        raw = self.cleaned_data.get("drawn_zone") or ""
        if not raw:
            return None
        try:
            geom = GEOSGeometry(raw)
        except (GEOSException, ValueError):
            self.add_error("zone_source", _("The drawn zone is not GeoJSON."))
            return None
        if not isinstance(geom, Polygon) or not geom.valid:
            self.add_error("zone_source", _("The drawn zone must be a simple polygon."))
            return None
        geom.srid = 4326  # GeoJSON is always longitude/latitude (RFC 7946)
        return geom

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source = data.get("zone_source")
        if source == ZONE_DISTRICT:
            district = data.get("district")
            if district is None:
                self.add_error("district", _("Choose a district."))
            else:
                data["zone"] = zone_polygon(community=self.community, zone_id=district.pk)
        elif source == ZONE_DRAWN:
            if data.get("drawn_zone") is None and "zone_source" not in self.errors:
                self.add_error(
                    "zone_source", _("No zone was drawn: draw one on the board or choose a district.")
                )
            data["zone"] = data.get("drawn_zone")
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The last day is before the first day."))
        start, end = data.get("shift_start"), data.get("shift_end")
        if start and end and end <= start:
            self.add_error("shift_end", _("The end time is before the start time."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs = {
            name: data[name]
            for name in (
                "name",
                "team",
                "weekdays",
                "every_weeks",
                "starts_on",
                "ends_on",
                "shift_start",
                "shift_end",
                "profile",
                "open_round",
                "active",
            )
        }
        if data.get("zone") is not None:
            kwargs["zone"] = data["zone"]
        return kwargs

    def add_service_errors(self, error: ValidationError) -> None:
        """A service's ValidationError, shown beside the field it names."""
        for field, messages_ in error.message_dict.items():
            target = "zone_source" if field == "zone" else field
            self.add_error(target if target in self.fields else None, messages_)


def _form_context(form: TemplateForm, template: MissionTemplate | None) -> dict[str, Any]:
    zone_svg = ""
    if template is not None:
        zone_svg = mission_map_svg(
            community_id=template.community_id,
            zone=template.zone,
            route=None,
            stops=[],
            depot=template.team.depot,
            title=_("Map of the current zone of the recurring mission"),
        )
    return {"form": form, "template": template, "zone_svg": zone_svg}


def _initial_from_query(request: HttpRequest) -> dict[str, Any]:
    """What the board hands over: the drawn zone (GeoJSON) and the plan's team/name/profile."""
    initial: dict[str, Any] = {
        "starts_on": timezone.localdate(),
        "weekdays": [timezone.localdate().weekday()],
    }
    zone = request.GET.get("zone", "")
    if zone:
        initial["drawn_zone"] = zone
        initial["zone_source"] = ZONE_DRAWN
    else:
        initial["zone_source"] = ZONE_DISTRICT
    for name in ("name", "team", "profile"):
        if request.GET.get(name):
            initial[name] = request.GET[name]
    if (weekday := request.GET.get("weekday", "")).isascii() and weekday.isdigit():
        initial["weekdays"] = [int(request.GET["weekday"])]
    return initial


@login_required
@require_http_methods(["GET"])
def template_list(request: HttpRequest) -> HttpResponse:
    membership = _planner(request)
    templates: QuerySet[MissionTemplate] = mission_templates_for_community(community=membership.community)
    return render(request, "dispatch/template_list.html", {"templates": templates})


@login_required
@require_http_methods(["GET", "POST"])
def template_create(request: HttpRequest) -> HttpResponse:
    membership = _planner(request)
    if request.method == "POST":
        form = TemplateForm(request.POST, community=membership.community, editing=False)
        if form.is_valid():
            try:
                template = mission_template_create(
                    community=membership.community, created_by=membership.user, **form.service_kwargs()
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request, _("Recurring mission “%(name)s” created.") % {"name": template.name}
                )
                return _redirect(request, "dispatch:templates")
        return render(request, "dispatch/template_form.html", _form_context(form, None), status=400)
    form = TemplateForm(initial=_initial_from_query(request), community=membership.community, editing=False)
    return render(request, "dispatch/template_form.html", _form_context(form, None))


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership, template = _template(request, pk)
    if request.method == "POST":
        form = TemplateForm(request.POST, community=membership.community, editing=True)
        if form.is_valid():
            try:
                template = mission_template_update(template=template, **form.service_kwargs())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Recurring mission “%(name)s” saved.") % {"name": template.name})
                return _redirect(request, "dispatch:templates")
        return render(request, "dispatch/template_form.html", _form_context(form, template), status=400)
    initial = {
        "name": template.name,
        "zone_source": ZONE_KEEP,
        "team": template.team_id,
        "weekdays": template.weekdays,
        "every_weeks": template.every_weeks,
        "starts_on": template.starts_on,
        "ends_on": template.ends_on,
        "shift_start": template.shift_start,
        "shift_end": template.shift_end,
        "profile": template.profile,
        "open_round": template.open_round,
        "active": template.active,
    }
    if request.GET.get("zone"):
        initial.update(drawn_zone=request.GET["zone"], zone_source=ZONE_DRAWN)
    form = TemplateForm(initial=initial, community=membership.community, editing=True)
    return render(request, "dispatch/template_form.html", _form_context(form, template))


@login_required
@require_POST
def template_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Pause or resume: the form posts active=0 or active=1 (anything else is a 400)."""
    _membership_, template = _template(request, pk)
    value = request.POST.get("active")
    if value not in ("0", "1"):
        return HttpResponse(
            _("Say active=1 (resume) or active=0 (pause)."), status=400, content_type="text/plain"
        )
    template = mission_template_set_active(template=template, active=value == "1")
    if template.active:
        messages.success(request, _("Recurring mission “%(name)s” resumed.") % {"name": template.name})
    else:
        messages.success(request, _("Recurring mission “%(name)s” paused.") % {"name": template.name})
    return _redirect(request, "dispatch:templates")


@login_required
@require_http_methods(["GET", "POST"])
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST with confirm=yes deletes (the missions it made stay)."""
    _membership_, template = _template(request, pk)
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            context = {"template": template, "error": _("Confirm the deletion with the button.")}
            return render(request, "dispatch/template_delete.html", context, status=400)
        name = template.name
        mission_template_delete(template=template)
        messages.success(request, _("Recurring mission “%(name)s” deleted.") % {"name": name})
        return _redirect(request, "dispatch:templates")
    return render(request, "dispatch/template_delete.html", {"template": template})
