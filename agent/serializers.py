"""Input checks and JSON shapes of the field app's sync API (EPSG:4326 at this edge)."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from rest_framework import serializers

from core.geometry import NotProjectable, transform_in_place, transformed
from geo.models import Support
from interventions.models import (
    Intervention,
    InterventionStatus,
    Method,
    Mission,
    NotDoneReason,
    Photo,
    PhotoStatus,
)
from interventions.photo_access import photo_url
from interventions.services.interventions import AGENT_FIELDS

from .selectors import StopView

AGENT_STATUSES = [InterventionStatus.IN_PROGRESS, InterventionStatus.DONE, InterventionStatus.NOT_DONE]


class PositionMixin(serializers.Serializer):
    lon = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)

    def position(self) -> Point | None:
        """The position in the storage SRID (moved there by `validate`), or None."""
        return self.validated_data.get("position")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        lon, lat = attrs.get("lon"), attrs.get("lat")
        if (lon is None) != (lat is None):
            raise serializers.ValidationError({"lat": _("Send both lon and lat, or neither.")})
        if lon is not None:
            point = Point(lon, lat, srid=settings.RONDE_API_SRID)
            try:
                transform_in_place(point, settings.RONDE_SRID)
            except NotProjectable as exc:  # a pole in Lambert-93: within -90..90, yet nowhere
                raise serializers.ValidationError({"lat": [exc.text], "lon": [exc.text]}) from exc
            attrs["position"] = point
        return attrs


# The surface an agent may record (m²): the field app's form checks it as it is typed
# (agent/views.py hands it over), so a typo never reaches the outbox to be refused there.
SURFACE_M2 = (Decimal("0.01"), Decimal(100_000))


class InterventionEditSerializer(PositionMixin):
    client_updated_at = serializers.DateTimeField()
    stop_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    intervention_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    mission_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    category_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    status = serializers.ChoiceField(choices=AGENT_STATUSES, required=False)
    not_done_reason = serializers.ChoiceField(choices=NotDoneReason.choices, required=False, allow_blank=True)
    support = serializers.ChoiceField(choices=Support.choices, required=False, allow_blank=True)
    surface_m2 = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        required=False,
        allow_null=True,
        min_value=SURFACE_M2[0],
        max_value=SURFACE_M2[1],
    )
    method = serializers.ChoiceField(choices=Method.choices, required=False, allow_blank=True)
    product = serializers.CharField(required=False, allow_blank=True, max_length=120)
    offensive = serializers.BooleanField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000, trim_whitespace=False)
    started_at = serializers.DateTimeField(required=False, allow_null=True)
    ended_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs.get("status") == InterventionStatus.NOT_DONE and not attrs.get("not_done_reason"):
            raise serializers.ValidationError({"not_done_reason": _("Say why the work was not done.")})
        if attrs.get("status") in (InterventionStatus.DONE, InterventionStatus.IN_PROGRESS):
            attrs["not_done_reason"] = ""
        started, ended = attrs.get("started_at"), attrs.get("ended_at")
        if started and ended and ended < started:
            raise serializers.ValidationError({"ended_at": _("The end is before the start.")})
        return attrs

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.validated_data.items() if k in AGENT_FIELDS}


class ReportSubmitSerializer(PositionMixin):
    category_id = serializers.IntegerField(min_value=1)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    support = serializers.ChoiceField(choices=Support.choices, required=False, allow_blank=True)
    offensive = serializers.BooleanField(required=False, default=False)
    reported_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs.get("lon") is None:
            raise serializers.ValidationError({"lon": _("A report needs a position (lon, lat).")})
        return attrs


class PhotoUploadSerializer(PositionMixin):
    file = serializers.FileField(allow_empty_file=False, use_url=False)
    kind = serializers.CharField(max_length=8)
    intervention = serializers.UUIDField(required=False, allow_null=True)
    report = serializers.UUIDField(required=False, allow_null=True)
    taken_at = serializers.DateTimeField(required=False, allow_null=True)


def lonlat(geom: Any) -> list[float] | None:
    if geom is None:
        return None
    point = transformed(geom, settings.RONDE_API_SRID)
    return [round(point.x, 7), round(point.y, 7)]


def intervention_json(intervention: Intervention, *, flagged: bool = False) -> dict[str, Any]:
    return {
        "id": intervention.pk,
        "client_uuid": str(intervention.client_uuid) if intervention.client_uuid else None,
        "status": intervention.status,
        "not_done_reason": intervention.not_done_reason,
        "support": intervention.support,
        "surface_m2": str(intervention.surface_m2) if intervention.surface_m2 is not None else None,
        "method": intervention.method,
        "product": intervention.product,
        "offensive": intervention.offensive,
        "notes": intervention.notes,
        "started_at": intervention.started_at.isoformat() if intervention.started_at else None,
        "ended_at": intervention.ended_at.isoformat() if intervention.ended_at else None,
        "position": lonlat(intervention.geom),
        "mission_id": intervention.mission_id,
        "flagged": flagged,
    }


def photo_json(photo: Photo) -> dict[str, Any]:
    return {
        "id": photo.pk,
        "client_uuid": str(photo.client_uuid) if photo.client_uuid else None,
        "kind": photo.kind,
        "intervention_id": photo.intervention_id,
        "report_id": photo.report_id,
        "taken_at": photo.taken_at.isoformat(),
        # Permission-checked (interventions/photo_access.py); the session cookie goes along.
        "url": photo_url(photo),
        "thumbnail_url": photo_url(photo, size="thumb"),
    }


def mission_summary_json(mission: Mission) -> dict[str, Any]:
    return {
        "id": mission.pk,
        # An unnamed mission: its team and day in the page's language ("Brigade 2 · samedi
        # 5 décembre"), not the model's ISO date.
        "name": mission.name or f"{mission.team.name} · {date_format(mission.date, 'l j F')}",
        "date": mission.date.isoformat(),
        "status": mission.status,
        "team": mission.team.name,
    }


def stop_json(stop: StopView) -> dict[str, Any]:
    report, intervention = stop.report, stop.intervention
    subject = intervention or report
    assert subject is not None
    category = subject.category
    return {
        "key": stop.key,
        "sequence": stop.sequence,
        "stop_id": stop.stop_id,
        "intervention_id": intervention.pk if intervention else None,
        "client_uuid": str(intervention.client_uuid) if intervention and intervention.client_uuid else None,
        "status": stop.status,
        "category": category.name,
        "position": lonlat(stop.geom),
        "address": stop.address,
        "description": report.description if report else (intervention.notes if intervention else ""),
        # What is already recorded, so a stop re-opened on any device resumes where it was.
        "recorded": recorded_json(intervention),
        # Defaults for the recording form: the intervention's values, else the report's.
        "defaults": {
            "support": (intervention.support if intervention else "") or (report.support if report else ""),
            "offensive": bool(
                (intervention.offensive if intervention else False) or (report and report.offensive)
            ),
            "surface_m2": str(intervention.surface_m2) if intervention and intervention.surface_m2 else "",
            "method": intervention.method if intervention else "",
            "product": intervention.product if intervention else "",
            "notes": intervention.notes if intervention else "",
            "not_done_reason": intervention.not_done_reason if intervention else "",
            "started_at": intervention.started_at.isoformat()
            if intervention and intervention.started_at
            else None,
            "ended_at": intervention.ended_at.isoformat() if intervention and intervention.ended_at else None,
            "priority": subject.priority,
        },
    }


def recorded_json(intervention: Intervention | None) -> dict[str, Any]:
    """Photos on the server per kind (prefetched by mission_stops) and whether the form was filled."""
    photos = {"before": 0, "after": 0}
    if intervention is None:
        return {"photos": photos, "form": False}
    for photo in intervention.photos.all():
        # Accepted ones count (pending ones are being processed); an unreadable one does not.
        if photo.kind in photos and photo.status != PhotoStatus.FAILED:
            photos[photo.kind] += 1
    filled = bool(intervention.method or intervention.surface_m2 or intervention.notes.strip())
    return {"photos": photos, "form": filled}
