"""Photos sent by the field app's outbox: the key and the subject are the sync's, the pipeline is
the interventions' (interventions/services/photos.py: EXIF stripped, downscaled, thumbnailed)."""

import datetime as dt
import uuid
from typing import IO

from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Community, User
from interventions.models import Intervention, Photo, Report
from interventions.selectors import intervention_check_writable
from interventions.services.photos import photo_create

from ..selectors import intervention_for_key


def photo_upload(
    *,
    community: Community,
    user: User,
    client_uuid: uuid.UUID,
    data: IO[bytes],
    size: int,
    kind: str,
    intervention_key: uuid.UUID | None = None,
    report_key: uuid.UUID | None = None,
    taken_at: dt.datetime | None = None,
    position: Point | None = None,
) -> tuple[Photo, bool]:
    """Store one photo of an intervention or a report named by their client keys; (photo, created).

    A known key returns the stored photo without reading the upload again. The subject
    must have reached the server first (the client sends its outbox in order); otherwise
    a ValidationError on `intervention` tells it to retry later.
    """
    existing = Photo.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        if existing.community_id != community.pk:
            raise ValidationError({"client_uuid": "This key is already used elsewhere."})
        return existing, False
    intervention: Intervention | None = None
    report: Report | None = None
    if intervention_key is not None:
        intervention = intervention_for_key(community=community, client_uuid=intervention_key)
        if intervention is None:
            raise ValidationError({"intervention": "This intervention has not reached the server yet."})
        intervention_check_writable(user=user, intervention=intervention, stop_id=None)
    elif report_key is not None:
        report = Report.objects.filter(community=community, client_uuid=report_key).first()
        if report is None:
            raise ValidationError({"report": "This report has not reached the server yet."})
        if report.reporter_id != user.pk:
            raise PermissionDenied("Only the author of a report adds photos to it from the field.")
    else:
        raise ValidationError({"intervention": "A photo belongs to an intervention or a report."})
    return photo_create(
        community=community,
        data=data,
        size=size,
        kind=kind,
        intervention=intervention,
        report=report,
        client_uuid=client_uuid,
        taken_at=taken_at,
        position=position,
    )
