"""Reads of the audit trail, scoped to the object's community."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from .models import AuditEvent


def history_for_object(*, obj: models.Model) -> QuerySet[AuditEvent]:
    """Every event about `obj`, newest first (the caller has already checked it may read `obj`)."""
    return (
        AuditEvent.objects.filter(
            community_id=obj.community_id,  # type: ignore[attr-defined]
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
            object_id=obj.pk,
        )
        .select_related("content_type")
        .order_by("-created_at", "-id")
    )


def events_for_community(*, community_id: int) -> QuerySet[AuditEvent]:
    """The community's whole trail, newest first (for its administrators' audit page)."""
    return (
        AuditEvent.objects.filter(community_id=community_id)
        .select_related("content_type")
        .order_by("-created_at", "-id")
    )
