"""Photos are served by a view that checks who asks, never as public media files.

`/photos/<id>/<size>/` (size "full" or "thumb") answers a member of the photo's community who
may read its intervention or report (a deleted intervention hides its photos), with a
session or an API token. Clients that cannot send credentials (an Open311 partner showing a
report's `media_url`) get a signed link that expires (`photo_url(..., signed=True)`,
settings.RONDE_PHOTO_LINK_MAX_AGE). Ids alone reveal nothing: another community's photo is
a 404 like a missing one, and so is a photo not processed yet. In production nginx must not
serve MEDIA_ROOT; with RONDE_PHOTO_X_ACCEL_PREFIX set, the file itself is sent by nginx (X-Accel-Redirect) after
this view's check.
"""

import mimetypes

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.http import require_GET
from rest_framework.exceptions import AuthenticationFailed

from accounts.access import principal_for
from accounts.models import Membership

from .models import Photo, PhotoStatus

SIZES = ("full", "thumb")
SIGNING_SALT = "ronde.photo"


def photos_served() -> QuerySet[Photo]:
    """Photos that may be shown at all: processed (EXIF stripped: never a pending original or
    an unreadable upload, interventions/services/photos.py), not of a deleted intervention."""
    return Photo.objects.filter(status=PhotoStatus.READY).filter(
        Q(intervention__isnull=True) | Q(intervention__deleted_at__isnull=True)
    )


def photos_for_membership(*, membership: Membership) -> QuerySet[Photo]:
    """Photos the member may see: their community's, served ones (above)."""
    return photos_served().filter(community_id=membership.community_id)


def photo_url(photo: Photo, *, size: str = "full", signed: bool = False) -> str:
    """The path of a photo (relative to the site); `signed` adds an expiring signature."""
    url = reverse("photo", kwargs={"photo_id": photo.pk, "size": size})
    if signed:
        url += (
            "?sig=" + signing.TimestampSigner(salt=SIGNING_SALT).sign(f"{photo.pk}:{size}").split(":", 2)[-1]
        )
    return url


def _signature_valid(photo_id: int, size: str, sig: str) -> bool:
    try:
        signing.TimestampSigner(salt=SIGNING_SALT).unsign(
            f"{photo_id}:{size}:{sig}", max_age=settings.RONDE_PHOTO_LINK_MAX_AGE
        )
    except signing.BadSignature:
        return False
    return True


def _file(photo: Photo, size: str):  # type: ignore[no-untyped-def]
    if size == "thumb":
        thumbnail = getattr(photo, "thumbnail", None)
        if thumbnail is not None and thumbnail.file:
            return thumbnail.file
    return photo.file


@require_GET
def photo_view(request: HttpRequest, photo_id: int, size: str) -> HttpResponseBase:
    if size not in SIZES:
        raise Http404
    sig = request.GET.get("sig", "")
    if sig:
        if not _signature_valid(photo_id, size, sig):
            return JsonResponse({"detail": "This photo link is invalid or has expired."}, status=403)
        photo = photos_served().filter(pk=photo_id).first()
    else:
        try:
            role, user = principal_for(request)
        except AuthenticationFailed as exc:
            return JsonResponse({"detail": str(exc.detail)}, status=401)
        if user is None:
            return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
        membership = getattr(request, "_ronde_membership", None)
        if role is None or membership is None:
            return JsonResponse({"detail": "You are not a member of this community."}, status=403)
        photo = photos_for_membership(membership=membership).filter(pk=photo_id).first()
    if photo is None:
        raise Http404
    stored = _file(photo, size)
    if not stored:
        raise Http404
    content_type = mimetypes.guess_type(stored.name)[0] or "application/octet-stream"
    prefix = getattr(settings, "RONDE_PHOTO_X_ACCEL_PREFIX", "")
    if prefix:
        response: HttpResponseBase = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + stored.name
    else:
        try:
            response = FileResponse(stored.open("rb"), content_type=content_type)
        except FileNotFoundError as exc:
            raise Http404 from exc
    # Private: a shared cache must never hand one community's photo to someone else.
    response["Cache-Control"] = "private, max-age=3600"
    return response
