"""The field app's sync API under /agent/api/: thin views over agent.selectors and agent.services.

Writes are PUTs on the client's UUID (the idempotency key): 201 the first time a key is
seen, 200 with the same object on every replay. Errors are 400s naming the field.
"""

import json
import uuid
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership, Role
from accounts.permissions import request_membership
from core.geometry import transformed
from geo.selectors import walking_network
from interventions.models import Category, Mission
from interventions.services.photos import max_bytes, too_big_message

from . import schema
from .parsers import OctetStreamPhotoParser, RawPhotoParser
from .selectors import mission_get_for_agent, mission_stops, missions_for_agent
from .serializers import (
    InterventionEditSerializer,
    PhotoUploadSerializer,
    ReportSubmitSerializer,
    intervention_json,
    lonlat,
    mission_summary_json,
    photo_json,
    stop_json,
)
from .services.photos import photo_upload
from .services.sync import InterventionEdit, intervention_record, mission_deliver, report_submit

FIELD_ROLES = (Role.AGENT, Role.DISPATCHER, Role.ADMIN)


class FieldRole(permissions.BasePermission):
    """Members with a field role; viewers only read dashboards."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request_membership(request).role not in FIELD_ROLES:
            raise PermissionDenied(_("The field app is for agents."))
        return True


class AgentAPIView(APIView):
    permission_classes = [permissions.IsAuthenticated, FieldRole]

    def membership(self) -> Membership:
        return request_membership(self.request)


def _uuid(value: str, field: str = "client_uuid") -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise ValidationError({field: _("Not a UUID.")}) from exc


class MissionListView(AgentAPIView):
    @extend_schema(operation_id="agent_api_missions_list", responses={200: schema.AgentMissionListSerializer})
    def get(self, request: Request) -> Response:
        m = self.membership()
        missions = missions_for_agent(user=m.user, community=m.community, today=timezone.localdate())
        categories = Category.objects.filter(community=m.community, active=True).order_by("name")
        return Response(
            {
                "today": timezone.localdate().isoformat(),
                "community": m.community.slug,
                "missions": [mission_summary_json(x) for x in missions],
                "categories": [{"id": c.pk, "name": c.name, "is_tag": c.is_tag} for c in categories],
            }
        )


class MissionDetailView(AgentAPIView):
    @extend_schema(responses={200: schema.AgentMissionSerializer})
    def get(self, request: Request, mission_id: int) -> Response:
        m = self.membership()
        try:
            mission = mission_get_for_agent(user=m.user, community=m.community, mission_id=mission_id)
        except Mission.DoesNotExist as exc:
            raise NotFound(_("No such mission in your teams.")) from exc
        stops = mission_stops(mission=mission)
        # Remember what was handed over: work on it stays the agent's after a reassignment.
        mission_deliver(mission=mission, user=m.user)
        zone = transformed(mission.zone, settings.RONDE_API_SRID)
        route = getattr(mission, "route", None)
        payload = mission_summary_json(mission) | {
            "notes": mission.notes,
            "zone": json.loads(zone.geojson),
            "bbox": [round(v, 7) for v in zone.extent],
            "route": json.loads(transformed(route, settings.RONDE_API_SRID).geojson) if route else None,
            "distance_m": getattr(mission, "distance_m", None),
            "depot": lonlat(mission.team.depot),
            "stops": [stop_json(s) for s in stops],
            # Shipped with the mission so "Go there" draws a walking route offline.
            "network": walking_network(community=m.community, zone=mission.zone),
        }
        return Response(payload)


class InterventionSyncView(AgentAPIView):
    parser_classes = [JSONParser]

    @extend_schema(
        request=InterventionEditSerializer, responses=schema.synced(schema.InterventionSyncedSerializer)
    )
    def put(self, request: Request, client_uuid: str) -> Response:
        m = self.membership()
        ser = InterventionEditSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        edit = InterventionEdit(
            client_uuid=_uuid(client_uuid),
            client_updated_at=ser.validated_data["client_updated_at"],
            values=ser.values(),
            stop_id=ser.validated_data.get("stop_id"),
            intervention_id=ser.validated_data.get("intervention_id"),
            mission_id=ser.validated_data.get("mission_id"),
            category_id=ser.validated_data.get("category_id"),
            position=ser.position(),
        )
        result = intervention_record(community=m.community, user=m.user, edit=edit)
        body = intervention_json(result.intervention, flagged=result.flagged) | {
            "applied": result.applied,
            "flags": [str(f) for f in result.flags],
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class ReportSyncView(AgentAPIView):
    parser_classes = [JSONParser]

    @extend_schema(request=ReportSubmitSerializer, responses=schema.synced(schema.ReportSyncedSerializer))
    def put(self, request: Request, client_uuid: str) -> Response:
        m = self.membership()
        ser = ReportSubmitSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        position = ser.position()
        assert position is not None  # the serializer requires it
        data = ser.validated_data
        report, created = report_submit(
            community=m.community,
            user=m.user,
            client_uuid=_uuid(client_uuid),
            category_id=data["category_id"],
            position=position,
            description=data.get("description", ""),
            support=data.get("support", ""),
            offensive=data.get("offensive", False),
            reported_at=data.get("reported_at"),
        )
        body = {"id": report.pk, "client_uuid": str(report.client_uuid), "position": lonlat(report.geom)}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PhotoSyncView(AgentAPIView):
    # A photo as the body (Content-Type image/*, fields in the query string), or a multipart form.
    parser_classes = [RawPhotoParser, OctetStreamPhotoParser, MultiPartParser, FormParser]

    @extend_schema(
        request=schema.PHOTO_REQUEST,
        parameters=schema.PHOTO_QUERY,
        responses=schema.synced(schema.PhotoSyncedSerializer),
    )
    def put(self, request: Request, client_uuid: str) -> Response:
        m = self.membership()
        key = _uuid(client_uuid)
        # Refuse an oversized body before parsing it (a 50 MB upload is not written to disk).
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > max_bytes() + 64 * 1024:
            raise ValidationError({"file": [too_big_message(length)]})
        ser = PhotoUploadSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        upload = data["file"]
        photo, created = photo_upload(
            community=m.community,
            user=m.user,
            client_uuid=key,
            data=upload,
            size=upload.size,
            kind=data["kind"],
            intervention_key=data.get("intervention"),
            report_key=data.get("report"),
            taken_at=data.get("taken_at"),
            position=ser.position(),
        )
        return Response(photo_json(photo), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    # Some proxies and old WebViews only send multipart bodies with POST.
    @extend_schema(
        request=schema.PHOTO_REQUEST,
        parameters=schema.PHOTO_QUERY,
        responses=schema.synced(schema.PhotoSyncedSerializer),
        operation_id="agent_api_photos_create",
    )
    def post(self, request: Request, client_uuid: str) -> Response:
        return self.put(request, client_uuid)
