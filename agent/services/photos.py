"""Photos sent by the field app's outbox: the key and the subject are the sync's, the pipeline is
the interventions' (interventions/services/photos.py: EXIF stripped, downscaled, thumbnailed)."""

import datetime as dt
import uuid
from typing import IO

from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from accounts.models import Community, User
from interventions.models import Intervention, Photo, Report
from interventions.selectors import intervention_check_writable, photo_for_key
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

    A known key returns the stored photo (created False), even when its subject has since
    been deleted or moved to another team. The subject must have reached the server first
    (the client sends its outbox in order); otherwise a ValidationError on `intervention`
    tells it to retry later.

    A first delivery is what a sync mostly sends: its key is not looked up first. A replay
    is found by the key's unique constraint when the photo is stored (photo_create), or here
    before a refusal.
    """
    try:
        intervention, report = _subject(
            community=community, user=user, intervention_key=intervention_key, report_key=report_key
        )
    except (ValidationError, PermissionDenied):
        existing = photo_for_key(community=community, client_uuid=client_uuid)
        if existing is not None:
            return existing, False
        raise
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


def _subject(
    *, community: Community, user: User, intervention_key: uuid.UUID | None, report_key: uuid.UUID | None
) -> tuple[Intervention | None, Report | None]:
    """The intervention or report a photo is sent for, checked writable by `user`."""
    intervention: Intervention | None = None
    report: Report | None = None
    if intervention_key is not None:
        intervention = intervention_for_key(community=community, client_uuid=intervention_key)
        if intervention is None:
            raise ValidationError({"intervention": _("This intervention has not reached the server yet.")})
        intervention_check_writable(user=user, intervention=intervention, stop_id=None)
    elif report_key is not None:
        report = Report.objects.filter(community=community, client_uuid=report_key).first()
        if report is None:
            raise ValidationError({"report": _("This report has not reached the server yet.")})
        if report.reporter_id != user.pk:
            raise PermissionDenied(_("Only the author of a report adds photos to it from the field."))
    else:
        raise ValidationError({"intervention": _("A photo belongs to an intervention or a report.")})
    return intervention, report
