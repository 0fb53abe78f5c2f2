"""Writes for Open311: partner keys and reports filed by partner applications."""

import io
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from accounts.models import Community
from audit.models import AuditAction
from audit.services import audit_record
from core.outbound import FetchRefused, fetch_public
from interventions.models import Category, Open311Request, PartnerApiKey, Photo, PhotoKind, Report
from interventions.models.partners import partner_key_hash
from interventions.services.photos import photo_create

logger = logging.getLogger(__name__)

MEDIA_MAX_BYTES = 10 * 1024 * 1024  # a phone photo fits; anything bigger is refused
MEDIA_TIMEOUT_S = 10


def partner_key_ensure(*, community: Community, name: str, key: str) -> PartnerApiKey:
    """Create or update the key called `name` so that `key` is accepted (seed_demo uses it)."""
    with transaction.atomic():
        partner, _created = PartnerApiKey.objects.update_or_create(
            community=community,
            name=name,
            defaults={"key_hash": partner_key_hash(key), "key_prefix": key[:8], "active": True},
        )
    return partner


def new_key_value() -> str:
    """A fresh random key (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def partner_key_create(*, community: Community, name: str, rate_limit: int = 60) -> tuple[PartnerApiKey, str]:
    """A new key with a random value; the value is returned once and never stored."""
    if PartnerApiKey.objects.filter(community=community, name=name).exists():
        raise ValidationError({"name": [_("A partner key with this name already exists.")]})
    key = new_key_value()
    with transaction.atomic():
        partner = PartnerApiKey.objects.create(
            community=community,
            name=name,
            key_hash=partner_key_hash(key),
            key_prefix=key[:8],
            rate_limit=rate_limit,
        )
        audit_record(
            obj=partner,
            action=AuditAction.CREATE,
            changes={
                "name": [None, name],
                "key_prefix": [None, partner.key_prefix],
                "rate_limit": [None, rate_limit],
            },
        )
    return partner, key


def partner_key_revoke(*, partner: PartnerApiKey) -> PartnerApiKey:
    """Refuse the key from now on (kept, not deleted: the reports it filed still name it)."""
    with transaction.atomic():
        if partner.active:
            partner.active = False
            partner.save(update_fields=["active"])
            audit_record(obj=partner, action=AuditAction.UPDATE, changes={"active": [True, False]})
    return partner


def partner_key_throttle(*, partner: PartnerApiKey) -> bool:
    """Count one request in the key's current minute; True when over its rate limit.

    A fixed one-minute window in the Django cache: shared by every worker in production
    (the database cache, settings.RONDE_SHARED_CACHE); per process with the local-memory
    default of local runs. The database cache's incr is a read then a write, so two
    requests at the same instant may count once: a limit, not an exact meter.
    """
    bucket = f"open311:rate:{partner.pk}:{int(time.time() // 60)}"
    cache.add(bucket, 0, timeout=120)
    try:
        count = cache.incr(bucket)
    except ValueError:  # evicted between add and incr
        cache.set(bucket, 1, timeout=120)
        count = 1
    return count > partner.rate_limit


@dataclass
class Open311Submission:
    """A validated POST requests.{fmt}; positions are already in the storage SRID."""

    category: Category
    geom: Point
    description: str = ""
    address: str = ""
    support: str = ""
    offensive: bool = False
    media_url: str = ""
    contact: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)


def open311_report_create(
    *, community: Community, partner: PartnerApiKey | None, submission: Open311Submission
) -> Report:
    """File a report for a partner app: a Report like any other (source=partner) + its Open311 side."""
    with transaction.atomic():
        report = Report.objects.create(
            community=community,
            category=submission.category,
            source="partner",
            description=submission.description,
            address=submission.address,
            support=submission.support,
            offensive=submission.offensive,
            geom=submission.geom,
        )
        extra = Open311Request.objects.create(
            report=report,
            partner=partner,
            media_url=submission.media_url,
            attributes=submission.attributes,
            **submission.contact,
        )
        audit_record(
            obj=report, action=AuditAction.CREATE, username=f"partner: {partner.name}" if partner else None
        )
        if partner is not None:
            PartnerApiKey.objects.filter(pk=partner.pk).update(last_used_at=timezone.now())
        if submission.media_url and settings.RONDE_OPEN311_FETCH_MEDIA:
            # In the background worker: a partner's slow or hostile host never holds a request.
            transaction.on_commit(lambda: open311_media_fetch_task.enqueue(extra.pk))
    return report


def open311_media_fetch(*, open311_request: Open311Request) -> Photo | None:
    """Download media_url into a Photo of the report; logs and gives up on any problem.

    Runs only when settings.RONDE_OPEN311_FETCH_MEDIA is on (the server otherwise makes no
    outbound request), in the background worker (open311_media_fetch_task). Fetches through
    core.outbound (public addresses, ports 80/443, no redirect, MEDIA_MAX_BYTES within
    MEDIA_TIMEOUT_S), then the same pipeline as the field app's photos
    (interventions/services/photos.py): checked, EXIF (GPS position, device) stripped,
    downscaled, thumbnailed.
    """
    url = open311_request.media_url
    report = open311_request.report
    try:
        data = fetch_public(url, max_bytes=MEDIA_MAX_BYTES, timeout_s=MEDIA_TIMEOUT_S).content
        photo, _ = photo_create(
            community=report.community,
            data=io.BytesIO(data),
            size=len(data),
            kind=PhotoKind.DETAIL,
            report=report,
            # Where the partner says the problem is, not where the EXIF says the camera was.
            position=report.geom,
            name=f"open311-{open311_request.token}",
        )
    except (FetchRefused, OSError, ValueError, ValidationError) as exc:
        # Refused address, network, HTTP or image errors: the report stays, without photo.
        logger.warning("Open311 media_url %s not fetched: %s", url, exc)
        return None
    return photo


@task()
def open311_media_fetch_task(open311_request_id: int) -> bool:
    """The background side of open311_media_fetch; True when a photo was stored."""
    found = Open311Request.objects.select_related("report").filter(pk=open311_request_id).first()
    return found is not None and open311_media_fetch(open311_request=found) is not None
