"""JSON endpoints of the dispatcher's map (session or token auth, DRF error format).

/dispatch/api/board/            GET  open reports, interventions, the day's missions (EPSG:4326)
/dispatch/api/preview/          POST what a zone (GeoJSON Polygon or district id) would hold
/dispatch/api/fit-estimate/     POST about how many of its jobs fit the shift (read-only)
/dispatch/api/missions/<id>/progress/  GET per-stop state, polled by the live map
/dispatch/api/interventions/bulk/      POST reassign / cancel / close several interventions
/dispatch/api/mission-templates/       GET, POST recurring missions
/dispatch/api/mission-templates/<id>/  GET, PATCH, DELETE one recurring mission
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Community
from accounts.permissions import CommunityRole, request_membership
from core.api.fields import geojson_out
from core.api.filters import parse_date
from core.geometry import NotProjectable, transformed
from core.params import day_in_range
from interventions.api.mission_schema import PolygonField, TeamIdField
from interventions.api.missions import mission_feature
from interventions.models import InterventionStatus, MissionTemplate, NotDoneReason, RoutingProfile, Weekday
from interventions.selectors_fit import zone_fit_estimate
from interventions.selectors_missions import mission_get_for_membership
from interventions.services.bulk import BULK_ACTIONS, interventions_bulk_update
from interventions.services.recurrence import (
    mission_template_create,
    mission_template_delete,
    mission_template_update,
)

from . import schema
from .selectors import (
    board_interventions,
    board_missions,
    board_reports,
    mission_progress,
    mission_template_get,
    mission_templates_for_community,
    zone_polygon,
    zone_preview,
)


class PlannerView(APIView):
    permission_classes = [IsAuthenticated, CommunityRole]


def _day(request: Request) -> dt.date:
    raw = request.query_params.get("date")
    day = parse_date(raw, name="date") if raw else timezone.localdate()
    if not day_in_range(day):  # the board reads the next day too: 9999-12-31 overflowed
        raise serializers.ValidationError({"date": [_("Expected a date between 1900-01-01 and 2999-12-31.")]})
    return day


class BoardView(PlannerView):
    @extend_schema(parameters=[schema.DATE_PARAMETER], responses={200: schema.BoardSerializer})
    def get(self, request: Request) -> Response:
        community = request_membership(request).community
        date = _day(request)
        missions = []
        for mission in board_missions(community=community, date=date):
            feature = mission_feature(mission, with_stops=False)
            feature["properties"]["route"] = geojson_out(mission.route)
            feature["properties"]["stop_count"] = mission.stops.count()
            missions.append(feature)
        return Response(
            {
                "date": date.isoformat(),
                "reports": {"type": "FeatureCollection", "features": board_reports(community=community)},
                "interventions": {
                    "type": "FeatureCollection",
                    "features": board_interventions(community=community, date=date),
                },
                "missions": {"type": "FeatureCollection", "features": missions},
            }
        )


class PreviewSerializer(serializers.Serializer):
    zone = PolygonField(required=False)
    zone_id = serializers.IntegerField(required=False)
    date = serializers.DateField(required=False)
    team = TeamIdField(required=False, allow_null=True)

    def validate_zone(self, value: GEOSGeometry) -> GEOSGeometry:
        if not isinstance(value, Polygon):
            raise serializers.ValidationError("Expected a GeoJSON Polygon (EPSG:4326).")
        if value.srid is None:
            value.srid = settings.RONDE_API_SRID
        if not value.valid:
            raise serializers.ValidationError(f"The polygon is not valid: {value.valid_reason}.")
        try:
            zone = transformed(value, settings.RONDE_SRID)
        except NotProjectable as exc:
            raise serializers.ValidationError(exc.text) from exc
        # A polygon of empty rings parses as an empty one: the estimate then had no middle of
        # the zone to start from (a 500). mission_create refuses it too (no area).
        if zone.area <= 0:
            raise serializers.ValidationError(_("The polygon has no area: draw at least three corners."))
        return zone

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "zone" not in attrs and "zone_id" not in attrs:
            raise serializers.ValidationError({"zone": ["Draw a zone or choose a district (zone_id)."]})
        return attrs


def _zone_of(community: Community, data: dict[str, Any]) -> Polygon:
    """The drawn zone, else the district's (a 400 naming zone_id when it is not ours)."""
    zone = data.get("zone")
    if zone is None:
        zone = zone_polygon(community=community, zone_id=data["zone_id"])
        if zone is None:
            raise serializers.ValidationError({"zone_id": ["Unknown district in your community."]})
    return zone


class PreviewView(PlannerView):
    @extend_schema(request=PreviewSerializer, responses={200: schema.PreviewAnswerSerializer})
    def post(self, request: Request) -> Response:
        community = request_membership(request).community
        serializer = PreviewSerializer(data=request.data, context={"community": community})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        zone = _zone_of(community, data)
        body = zone_preview(community=community, zone=zone, date=data.get("date"), team=data.get("team"))
        body["zone"] = geojson_out(zone)
        return Response(body)


class FitEstimateSerializer(PreviewSerializer):
    """The zone (as for the preview), the jobs left unticked, and the day's planning."""

    profile = serializers.ChoiceField(choices=RoutingProfile.choices, default=RoutingProfile.DRIVE)
    shift_start = serializers.TimeField(default=dt.time(8))
    shift_end = serializers.TimeField(default=dt.time(16))
    agents = serializers.IntegerField(min_value=1, max_value=20, default=1)
    break_minutes = serializers.IntegerField(min_value=0, max_value=240, default=0)
    open_round = serializers.BooleanField(default=False)
    exclude_reports = serializers.ListField(child=serializers.IntegerField(), max_length=5000, default=list)
    exclude_interventions = serializers.ListField(
        child=serializers.IntegerField(), max_length=5000, default=list
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs["shift_end"] <= attrs["shift_start"]:
            raise serializers.ValidationError({"shift_end": ["The shift ends before it starts."]})
        return attrs


class FitEstimateView(PlannerView):
    """Read-only, cheap (straight lines, no street network): asked again at each change of the form."""

    @extend_schema(request=FitEstimateSerializer, responses={200: schema.FitEstimateAnswerSerializer})
    def post(self, request: Request) -> Response:
        community = request_membership(request).community
        serializer = FitEstimateSerializer(data=request.data, context={"community": community})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        estimate = zone_fit_estimate(
            community=community,
            zone=_zone_of(community, data),
            team=data.get("team"),
            profile=data["profile"],
            shift_start=data["shift_start"],
            shift_end=data["shift_end"],
            agents=data["agents"],
            break_minutes=data["break_minutes"],
            open_round=data["open_round"],
            exclude_reports=set(data["exclude_reports"]),
            exclude_interventions=set(data["exclude_interventions"]),
        )
        return Response(estimate)


class ProgressView(APIView):
    """Any member who may read the mission (agents: their teams' missions)."""

    permission_classes = [IsAuthenticated, CommunityRole]

    @extend_schema(responses={200: schema.ProgressSerializer})
    def get(self, request: Request, pk: int) -> Response:
        mission = mission_get_for_membership(membership=request_membership(request), mission_id=pk)
        if mission is None:
            raise Http404
        return Response(mission_progress(mission=mission))


class BulkSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=1000)
    action = serializers.ChoiceField(choices=BULK_ACTIONS)
    team = TeamIdField(required=False, allow_null=True)
    date = serializers.DateField(required=False, allow_null=True)
    outcome = serializers.ChoiceField(
        choices=(InterventionStatus.DONE, InterventionStatus.NOT_DONE), required=False
    )
    reason = serializers.ChoiceField(choices=NotDoneReason.choices, required=False, allow_blank=True)


class BulkView(PlannerView):
    @extend_schema(request=BulkSerializer, responses={200: schema.BulkAnswerSerializer})
    def post(self, request: Request) -> Response:
        community = request_membership(request).community
        serializer = BulkSerializer(data=request.data, context={"community": community})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        result = interventions_bulk_update(
            community=community,
            ids=data["ids"],
            action=data["action"],
            team=data.get("team"),
            date=data.get("date"),
            outcome=data.get("outcome") or InterventionStatus.DONE,
            reason=data.get("reason") or "",
        )
        return Response(result)


class TemplateSerializer(serializers.Serializer):
    """A recurring mission. `weekday` (one day) is the original field; `weekdays` takes several."""

    name = serializers.CharField(max_length=200)
    team = TeamIdField()
    zone = PolygonField(required=False)
    zone_id = serializers.IntegerField(required=False)
    weekday = serializers.ChoiceField(choices=Weekday.choices, required=False)
    weekdays = serializers.ListField(
        child=serializers.ChoiceField(choices=Weekday.choices), min_length=1, max_length=7, required=False
    )
    every_weeks = serializers.IntegerField(min_value=1, max_value=8, required=False)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)
    profile = serializers.ChoiceField(choices=RoutingProfile.choices, required=False)
    open_round = serializers.BooleanField(required=False)
    shift_start = serializers.TimeField(required=False)
    shift_end = serializers.TimeField(required=False)
    active = serializers.BooleanField(required=False)

    def validate_zone(self, value: GEOSGeometry) -> GEOSGeometry:
        if not isinstance(value, Polygon):
            raise serializers.ValidationError("Expected a GeoJSON Polygon (EPSG:4326).")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        partial = self.partial
        if "zone_id" in attrs:
            polygon = zone_polygon(community=self.context["community"], zone_id=attrs.pop("zone_id"))
            if polygon is None:
                raise serializers.ValidationError({"zone_id": ["Unknown district in your community."]})
            attrs["zone"] = polygon
        elif "zone" not in attrs and not partial:
            raise serializers.ValidationError({"zone": ["Draw a zone or choose a district (zone_id)."]})
        if "weekday" in attrs:
            attrs.setdefault("weekdays", [attrs.pop("weekday")])
        if "weekdays" not in attrs and not partial:
            raise serializers.ValidationError({"weekdays": ["Choose at least one day of the week."]})
        instance = self.instance
        starts_on = attrs.get("starts_on", instance.starts_on if instance else None)
        ends_on = attrs.get("ends_on", instance.ends_on if instance else None)
        if ends_on and starts_on and ends_on < starts_on:
            raise serializers.ValidationError({"ends_on": ["The end is before the start."]})
        return attrs


def template_json(template: MissionTemplate) -> dict[str, Any]:
    return {
        "id": template.pk,
        "name": template.name,
        "team": template.team_id,
        "weekday": template.weekday,
        "weekday_name": Weekday(template.weekday).label,
        "weekdays": template.weekdays,
        "weekday_names": template.weekday_names(),
        "every_weeks": template.every_weeks,
        "starts_on": template.starts_on.isoformat(),
        "ends_on": template.ends_on.isoformat() if template.ends_on else None,
        "profile": template.profile,
        "open_round": template.open_round,
        "shift_start": template.shift_start.strftime("%H:%M"),
        "shift_end": template.shift_end.strftime("%H:%M"),
        "active": template.active,
        "zone": geojson_out(template.zone),
    }


class TemplatesView(PlannerView):
    @extend_schema(
        operation_id="dispatch_api_mission_templates_list", responses={200: schema.TemplateListSerializer}
    )
    def get(self, request: Request) -> Response:
        community = request_membership(request).community
        templates = mission_templates_for_community(community=community)
        return Response({"results": [template_json(t) for t in templates]})

    @extend_schema(request=TemplateSerializer, responses={201: schema.TemplateAnswerSerializer})
    def post(self, request: Request) -> Response:
        membership = request_membership(request)
        serializer = TemplateSerializer(data=request.data, context={"community": membership.community})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        template = mission_template_create(
            community=membership.community,
            created_by=membership.user,
            **data,
        )
        return Response(template_json(template), status=status.HTTP_201_CREATED)


class TemplateView(PlannerView):
    """One recurring mission: read, change (PATCH, e.g. {"active": false} pauses it), delete."""

    def _template(self, request: Request, pk: int) -> MissionTemplate:
        template = mission_template_get(community=request_membership(request).community, template_id=pk)
        if template is None:
            raise Http404
        return template

    @extend_schema(responses={200: schema.TemplateAnswerSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(template_json(self._template(request, pk)))

    @extend_schema(request=TemplateSerializer, responses={200: schema.TemplateAnswerSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        template = self._template(request, pk)
        serializer = TemplateSerializer(
            template, data=request.data, partial=True, context={"community": template.community}
        )
        serializer.is_valid(raise_exception=True)
        template = mission_template_update(template=template, **serializer.validated_data)
        return Response(template_json(template))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        mission_template_delete(template=self._template(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
