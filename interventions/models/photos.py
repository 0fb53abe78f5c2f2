from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Community

from .interventions import Intervention
from .reports import Report


class PhotoKind(models.TextChoices):
    BEFORE = "before", _("Before")
    AFTER = "after", _("After")
    DETAIL = "detail", _("Detail")


class PhotoStatus(models.TextChoices):
    # Accepted (checked in the request), the original waiting outside MEDIA_ROOT for the
    # background worker: nothing is served yet (interventions/services/photos.py).
    PENDING = "pending", _("Being processed")
    READY = "ready", _("Ready")  # stripped, downscaled, thumbnailed: served
    FAILED = "failed", _("Unreadable")  # the worker could not decode it: never served


def photo_path(instance: "Photo", filename: str) -> str:
    # Per community, per month: keeps directories small and backups partitionable.
    return f"photos/{instance.community_id}/{instance.taken_at:%Y/%m}/{filename}"


class Photo(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="photos")
    intervention = models.ForeignKey(
        Intervention, on_delete=models.CASCADE, null=True, blank=True, related_name="photos"
    )
    report = models.ForeignKey(Report, on_delete=models.CASCADE, null=True, blank=True, related_name="photos")
    kind = models.CharField(_("kind"), max_length=8, choices=PhotoKind.choices, default=PhotoKind.DETAIL)
    # Empty while pending: only processed files are ever stored under MEDIA_ROOT.
    file = models.ImageField(_("file"), upload_to=photo_path, max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=PhotoStatus.choices, default=PhotoStatus.READY
    )
    # While pending: the original's name in settings.RONDE_PHOTO_INBOX (outside MEDIA_ROOT).
    upload = models.CharField(max_length=100, blank=True, default="")
    problem = models.CharField(_("problem"), max_length=200, blank=True, default="")  # why it failed
    taken_at = models.DateTimeField(_("taken at"))
    client_uuid = models.UUIDField(null=True, blank=True, unique=True)
    geom = models.PointField(_("position"), srid=settings.RONDE_SRID, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PhotoKind.values), name="photo_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=PhotoStatus.values), name="photo_status_valid"),
            # A photo documents exactly one intervention or one report.
            models.CheckConstraint(
                condition=Q(intervention__isnull=False, report__isnull=True)
                | Q(intervention__isnull=True, report__isnull=False),
                name="photo_has_one_subject",
            ),
        ]
        indexes = [
            # The worker's sweep of photos left pending (a worker stopped mid-task).
            models.Index(fields=["created_at"], condition=Q(status="pending"), name="photo_pending_idx"),
        ]


def thumbnail_path(instance: "PhotoThumbnail", filename: str) -> str:
    return f"thumbs/{instance.photo.community_id}/{instance.photo.taken_at:%Y/%m}/{filename}"


class PhotoThumbnail(models.Model):
    """A small JPEG for lists (longest side settings.RONDE_PHOTO_THUMB_PX), made with the photo."""

    photo = models.OneToOneField(Photo, on_delete=models.CASCADE, related_name="thumbnail")
    file = models.ImageField(_("file"), upload_to=thumbnail_path, max_length=300)
    # Pixel size of the stored (downscaled) photo, and its byte size.
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("photo thumbnail")
        verbose_name_plural = _("photo thumbnails")

    def __str__(self) -> str:
        return f"thumbnail of photo {self.photo_id}"
