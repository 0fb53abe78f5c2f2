"""/api/v1/missions/: draw a zone, get its jobs, dispatch, optimise the round.

A stable contract: POST a GeoJSON Polygon `zone` (EPSG:4326), `date` and `team` → the mission
with one stop per open report/intervention inside the zone; POST `{id}/optimize/` → the ordered
stops, per-leg and total distance (m) and duration (s), and the route on the street network.

Thin views: input checked by the serializers below, writes by
interventions.services.missions, reads by interventions.selectors_missions. Geometry in
EPSG:4326 on the wire, storage SRID inside.
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSGeometry, Point, Polygon
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from accounts.permissions import CommunityRole, request_membership
from audit.api import HistoryMixin
from core.api.fields import geojson_out
from core.api.filters import parse_bbox, parse_date, parse_id, parse_list
from core.geometry import transformed
from interventions.api.mission_schema import (
    AlreadyPlannedSerializer,
    MissionChangeSerializer,
    MissionPlanSerializer,
    MissionSerializer,
    MissionSummarySerializer,
    OptimizationConflictSerializer,
    OptimizationSerializer,
    PointField,
    PolygonField,
    TeamIdField,
)
from interventions.models import (
    Mission,
    MissionOptimization,
    MissionStatus,
    MissionStop,
    OptimizationStage,
    OptimizationStatus,
    RoutingProfile,
)
from interventions.selectors_missions import mission_stops, missions_for_membership
from interventions.services.bookings import JobAlreadyPlanned
from interventions.services.deletion import mission_delete
from interventions.services.missions import mission_create, mission_stops_edit, mission_update
from interventions.services.optimizations import (
    OptimizationRunning,
    mission_optimization_request,
    optimization_stalled,
)
from interventions.services.optimize import OptimizeOptions, mission_optimize_check
from interventions.stop_reasons import stop_reason_text


def _local(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _geometry_in(value: GEOSGeometry, *, kind: type) -> GEOSGeometry:
    """A GeoJSON geometry of `kind` in EPSG:4326 -> the storage SRID; a 400 for the field otherwise."""
    if not isinstance(value, kind):
        raise serializers.ValidationError(f"Expected a GeoJSON {kind.__name__} (EPSG:4326).")
    if value.srid is None:
        value.srid = settings.RONDE_API_SRID
    if value.empty:
        raise serializers.ValidationError("The geometry is empty.")
    if value.hasz:  # the columns are 2D: PostGIS would refuse it with a 500
        raise serializers.ValidationError("Expected 2D coordinates [longitude, latitude], without a height.")
    minx, miny, maxx, maxy = value.extent
    # Written so that a NaN fails too; PROJ would raise (a 500) on such coordinates.
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise serializers.ValidationError(
            "Coordinates out of range for EPSG:4326 (longitude -180..180, latitude -90..90)."
        )
    try:
        return transformed(value, settings.RONDE_SRID)
    except GDALException as exc:
        raise serializers.ValidationError("This geometry cannot be projected to the storage CRS.") from exc


def stop_json(stop: MissionStop) -> dict[str, Any]:
    job = stop.intervention or stop.report
    category = job.category if job is not None else None
    return {
        "id": stop.pk,
        "sequence": stop.sequence,
        "round": stop.round_index,
        "status": stop.status,
        "reason": stop_reason_text(stop.reason),
        "intervention": stop.intervention_id,
        "report": stop.report_id,
        "category": category.code if category else None,
        "category_name": category.name if category else None,
        "address": stop.address,
        "service_s": stop.service_s,
        "window": [
            stop.window_start.isoformat() if stop.window_start else None,
            stop.window_end.isoformat() if stop.window_end else None,
        ],
        # Local wall-clock time (settings.TIME_ZONE) with its offset: what the agents read.
        "planned_arrival": _local(stop.planned_arrival),
        "planned_departure": _local(stop.planned_departure),
        "leg_distance_m": stop.leg_distance_m,
        "leg_duration_s": stop.leg_duration_s,
        "geometry": geojson_out(job.geom) if job is not None else None,
        "snapped": geojson_out(stop.snapped),
        "snap_distance_m": stop.snap_distance_m,
    }


def optimization_json(job: MissionOptimization, request: Request) -> dict[str, Any]:
    """A background optimisation for the client that polls it."""
    return {
        "id": job.pk,
        "mission": job.mission_id,
        "status": job.status,
        "stage": job.stage,
        "stage_label": str(OptimizationStage(job.stage).label),
        "progress": job.progress,
        "stalled": optimization_stalled(job),
        "errors": job.errors or {},
        "plan": job.plan or None,
        "status_url": reverse("mission-optimization", args=[job.mission_id], request=request),
        "created_at": _local(job.created_at),
        "finished_at": _local(job.finished_at),
    }


def mission_feature(mission: Mission, *, with_stops: bool) -> dict[str, Any]:
    """A GeoJSON Feature: the zone as geometry, the round (route, stops) as properties."""
    properties: dict[str, Any] = {
        "name": mission.name,
        "date": mission.date.isoformat(),
        "team": mission.team_id,
        "team_name": mission.team.name,
        "status": mission.status,
        "notes": mission.notes,
        "profile": mission.profile,
        "start_point": geojson_out(mission.start_point),
        "end_point": geojson_out(mission.end_point),
        "open_round": mission.open_round,
        "shift_start": mission.shift_start.isoformat(),
        "shift_end": mission.shift_end.isoformat(),
        "break_minutes": mission.break_minutes,
        "break_earliest": mission.break_earliest.isoformat() if mission.break_earliest else None,
        "break_latest": mission.break_latest.isoformat() if mission.break_latest else None,
        "agents": mission.agents,
        "distance_m": mission.distance_m,
        "duration_s": mission.duration_s,
        "optimized_at": _local(mission.optimized_at),
    }
    if with_stops:
        properties["stops"] = [stop_json(s) for s in mission_stops(mission=mission)]
        properties["route"] = geojson_out(mission.route)
    else:
        properties["stop_count"] = getattr(mission, "stop_count", None)
    return {
        "type": "Feature",
        "id": mission.pk,
        "geometry": geojson_out(mission.zone),
        "properties": properties,
    }


class PlanningSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    profile = serializers.ChoiceField(choices=RoutingProfile.choices, required=False)
    start_point = PointField(required=False, allow_null=True)
    end_point = PointField(required=False, allow_null=True)
    open_round = serializers.BooleanField(required=False)
    shift_start = serializers.TimeField(required=False)
    shift_end = serializers.TimeField(required=False)
    break_minutes = serializers.IntegerField(min_value=0, max_value=240, required=False)
    break_earliest = serializers.TimeField(required=False, allow_null=True)
    break_latest = serializers.TimeField(required=False, allow_null=True)
    agents = serializers.IntegerField(min_value=1, max_value=20, required=False)

    def validate_start_point(self, value: GEOSGeometry | None) -> GEOSGeometry | None:
        return None if value is None else _geometry_in(value, kind=Point)

    def validate_end_point(self, value: GEOSGeometry | None) -> GEOSGeometry | None:
        return None if value is None else _geometry_in(value, kind=Point)


class MissionCreateSerializer(PlanningSerializer):
    zone = PolygonField()
    date = serializers.DateField()
    team = TeamIdField()

    def validate_zone(self, value: GEOSGeometry) -> GEOSGeometry:
        return _geometry_in(value, kind=Polygon)


class MissionUpdateSerializer(PlanningSerializer):
    date = serializers.DateField(required=False)
    team = TeamIdField(required=False)
    status = serializers.ChoiceField(choices=MissionStatus.choices, required=False)


class WindowSerializer(serializers.Serializer):
    stop = serializers.IntegerField()
    start = serializers.TimeField(required=False, allow_null=True)
    end = serializers.TimeField(required=False, allow_null=True)


class OptimizeSerializer(PlanningSerializer):
    """The mission's planning fields (saved) plus per-call options."""

    fixed_first_stop = serializers.IntegerField(required=False, allow_null=True)
    position = PointField(required=False, allow_null=True)
    at = serializers.DateTimeField(required=False, allow_null=True)
    time_windows = WindowSerializer(many=True, required=False)

    def validate_position(self, value: GEOSGeometry | None) -> GEOSGeometry | None:
        return None if value is None else _geometry_in(value, kind=Point)


class StopsEditSerializer(serializers.Serializer):
    """Add open jobs (by id) to a draft mission or take stops (by stop id) out."""

    add_reports = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=500)
    add_interventions = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=500
    )
    remove = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=500)


LIST_PARAMETERS = [
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="Missions on or after this day."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Missions on or before this day."),
    OpenApiParameter(
        "status", OpenApiTypes.STR, description=f"Comma list of: {', '.join(MissionStatus.values)}."
    ),
    OpenApiParameter("team", OpenApiTypes.INT, description="Team id."),
    OpenApiParameter(
        "bbox", OpenApiTypes.STR, description="minlon,minlat,maxlon,maxlat (EPSG:4326): zones crossing it."
    ),
]


class MissionViewSet(HistoryMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, CommunityRole]
    queryset = Mission.objects.none()
    serializer_class = MissionCreateSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Mission]:
        if getattr(self, "swagger_fake_view", False):
            return Mission.objects.none()
        return missions_for_membership(membership=request_membership(self.request))

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["community"] = request_membership(self.request).community
        return context

    def get_object(self) -> Mission:
        # get_object_or_404 also answers 404 (not 500) to an id that is not a number.
        mission = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, mission)
        return mission

    def _filtered(self, params: Any) -> QuerySet[Mission]:
        qs = self.get_queryset()
        if params.get("date_from"):
            qs = qs.filter(date__gte=parse_date(params["date_from"], name="date_from"))
        if params.get("date_to"):
            qs = qs.filter(date__lte=parse_date(params["date_to"], name="date_to"))
        if params.get("status"):
            qs = qs.filter(
                status__in=parse_list(params["status"], name="status", allowed=MissionStatus.values)
            )
        if params.get("team"):
            qs = qs.filter(team_id=parse_id(params["team"], name="team"))
        if params.get("bbox"):
            qs = qs.filter(zone__intersects=parse_bbox(params["bbox"]))
        return qs

    @extend_schema(responses=MissionSummarySerializer(many=True), parameters=LIST_PARAMETERS)
    def list(self, request: Request, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self._filtered(request.query_params))
        features = [mission_feature(m, with_stops=False) for m in page or []]
        return self.get_paginated_response({"features": features})

    @extend_schema(responses=MissionSerializer)
    def retrieve(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        return Response(mission_feature(self.get_object(), with_stops=True))

    @extend_schema(request=MissionCreateSerializer, responses={201: MissionChangeSerializer})
    def create(self, request: Request, **kwargs: Any) -> Response:
        """A draft mission with the zone's open jobs.

        A job belongs to at most one active mission (draft, dispatched, in progress): jobs of
        the zone another mission already plans are left out of the new one and listed in
        `conflicts` as `job_already_planned`, naming that mission. To plan such a job here,
        take it out of the other mission first; asking for it through `{id}/stops/` is a 409.
        """
        serializer = MissionCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        membership = request_membership(request)
        mission, conflicts = mission_create(
            community=membership.community,
            zone=data.pop("zone"),
            date=data.pop("date"),
            team=data.pop("team"),
            created_by=membership.user,
            **data,
        )
        body = mission_feature(self.get_queryset().get(pk=mission.pk), with_stops=True)
        body["conflicts"] = conflicts
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=MissionUpdateSerializer, responses=MissionChangeSerializer)
    def partial_update(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        mission = self.get_object()
        serializer = MissionUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        conflicts = mission_update(mission=mission, data=dict(serializer.validated_data))
        body = mission_feature(self.get_queryset().get(pk=mission.pk), with_stops=True)
        body["conflicts"] = conflicts
        return Response(body)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """Soft delete: the mission disappears everywhere; an admin can restore it."""
        mission_delete(mission=self.get_object(), user=request_membership(request).user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=OptimizeSerializer,
        responses={
            202: OptimizationSerializer,
            200: MissionPlanSerializer,
            409: OptimizationConflictSerializer,
        },
    )
    @action(detail=True, methods=["post"])
    def optimize(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """Order the stops on the street network; the body may change planning options.

        The optimisation runs in the background (seconds for a big zone): the answer is 202
        with the optimisation's `status_url` (and Location) to poll until it is `done`, then
        GET the mission for its round. Planning options in the body are saved at once; the
        checks that need no street network (unknown stop, no start point) are a 400 here,
        the others (a start far from every street) come back in the optimisation's `errors`.
        A server whose task backend runs tasks synchronously answers as before: 200 with
        the mission and its `plan`, or 400. One optimisation per mission at a time: asking
        again while one is queued or running is a 409 naming it.
        """
        mission = self.get_object()
        serializer = OptimizeSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        options = OptimizeOptions(
            fixed_first_stop=data.pop("fixed_first_stop", None),
            position=data.pop("position", None),
            at=data.pop("at", None),
            windows={w["stop"]: (w.get("start"), w.get("end")) for w in data.pop("time_windows", [])},
        )
        try:
            with transaction.atomic():
                if data:
                    mission_update(mission=mission, data=data)
                    mission.refresh_from_db()
                mission_optimize_check(mission=mission, options=options)
                job = mission_optimization_request(
                    mission=mission, options=options, user=request_membership(request).user
                )
        except OptimizationRunning as exc:
            body = {"detail": str(exc), "optimization": optimization_json(exc.optimization, request)}
            return Response(body, status=status.HTTP_409_CONFLICT)
        if job.status == OptimizationStatus.FAILED:
            return Response(job.errors, status=status.HTTP_400_BAD_REQUEST)
        if job.status == OptimizationStatus.DONE:
            body = mission_feature(self.get_queryset().get(pk=mission.pk), with_stops=True)
            body["plan"] = job.plan
            return Response(body)
        answer = optimization_json(job, request)
        return Response(answer, status=status.HTTP_202_ACCEPTED, headers={"Location": answer["status_url"]})

    @extend_schema(responses={200: OptimizationSerializer})
    @action(detail=True, methods=["get"])
    def optimization(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """The mission's latest optimisation: stage, progress, and the plan once done (404: none yet)."""
        mission = self.get_object()
        job = mission.optimizations.first()
        if job is None:
            raise NotFound("This mission has not been optimised in the background yet.")
        return Response(optimization_json(job, request))

    @extend_schema(
        request=StopsEditSerializer, responses={200: MissionChangeSerializer, 409: AlreadyPlannedSerializer}
    )
    @action(detail=True, methods=["post"])
    def stops(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """Add or remove single jobs of a draft mission; the round must then be optimised again.

        A job belongs to at most one active mission: adding one that another draft,
        dispatched or in-progress mission plans answers 409 naming that mission, and
        changes nothing.
        """
        mission = self.get_object()
        serializer = StopsEditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            conflicts = mission_stops_edit(mission=mission, **serializer.validated_data)
        except JobAlreadyPlanned as exc:
            return Response(
                {"detail": exc.message, "already_planned": exc.bookings}, status=status.HTTP_409_CONFLICT
            )
        body = mission_feature(self.get_queryset().get(pk=mission.pk), with_stops=True)
        body["conflicts"] = conflicts
        return Response(body)
