"""Photos from the field: checked with Pillow, downscaled, EXIF stripped, thumbnailed, stored once.

What is kept of the EXIF: the capture time only (DateTimeOriginal and its UTC offset). A GPS
position in the EXIF is moved to Photo.geom (our own field, storage SRID) when the device
sent none, then dropped from the file with the camera make, serial numbers and the rest.
"""

import datetime as dt
import io
import struct
import uuid
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.models import Community, User
from interventions.models import Intervention, Photo, PhotoKind, Report

from ..models import PhotoThumbnail
from ..selectors import intervention_for_key
from .sync import intervention_check_writable

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
# Beyond this many pixels a file is refused before decoding (a "decompression bomb"):
# 100 MP is more than any phone camera makes.
MAX_PIXELS = 100_000_000
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL, DATETIME = 0x9003, 0x9011, 0x0132
# What Pillow's parsers and decoders raise on broken bytes (found by tests/ops/test_fuzz_photos.py):
# a damaged upload is the sender's problem (400), never a 500.
DAMAGED = (OSError, SyntaxError, ValueError, EOFError, struct.error)


@dataclass
class ProcessedPhoto:
    jpeg: bytes
    thumbnail: bytes
    width: int
    height: int
    taken_at: dt.datetime | None  # from the EXIF capture time, aware
    position: Point | None  # from the EXIF GPS, EPSG:4326


def max_bytes() -> int:
    return settings.RONDE_PHOTO_MAX_MB * 1024 * 1024


def photo_process(*, data: IO[bytes], size: int) -> ProcessedPhoto:
    """Validate and re-encode an uploaded image; ValidationError on the `file` field if bad."""
    if size > max_bytes():
        raise ValidationError(
            {"file": f"The photo is {size / 1048576:.1f} MB; the limit is {settings.RONDE_PHOTO_MAX_MB} MB."}
        )
    try:
        image: Image.Image = Image.open(data)
    except (UnidentifiedImageError, *DAMAGED) as exc:
        raise ValidationError({"file": "This file is not an image (JPEG, PNG or WebP expected)."}) from exc
    if image.format not in ACCEPTED_FORMATS:
        raise ValidationError({"file": f"{image.format} images are not accepted; send JPEG, PNG or WebP."})
    if image.width * image.height > MAX_PIXELS:
        raise ValidationError({"file": f"The image is {image.width}×{image.height} px, too large to read."})
    try:
        exif = image.getexif()
        taken_at = _exif_taken_at(exif)
        position = _exif_position(exif)
    except DAMAGED as exc:
        raise ValidationError({"file": "The image is damaged or truncated; take the photo again."}) from exc
    max_px = settings.RONDE_PHOTO_MAX_PX
    if image.format == "JPEG":
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the photo is much larger than kept.
        image.draft("RGB", (max_px, max_px))
    try:
        image.load()
        # Apply the orientation tag to the pixels, since the tag itself goes with the rest.
        image = ImageOps.exif_transpose(image) or image
        if image.mode != "RGB":
            image = image.convert("RGB")
        image.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    except (*DAMAGED, Image.DecompressionBombError) as exc:
        raise ValidationError({"file": "The image is damaged or truncated; take the photo again."}) from exc
    kept = Image.Exif()
    if taken_at is not None:
        local = timezone.localtime(taken_at)
        stamp = local.strftime("%Y:%m:%d %H:%M:%S")
        kept[DATETIME] = stamp
        sub = kept.get_ifd(EXIF_IFD)
        sub[DATETIME_ORIGINAL] = stamp
        offset = local.strftime("%z")
        sub[OFFSET_TIME_ORIGINAL] = f"{offset[:3]}:{offset[3:]}"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=kept.tobytes())
    thumb = image.copy()
    thumb_px = settings.RONDE_PHOTO_THUMB_PX
    thumb.thumbnail((thumb_px, thumb_px), Image.Resampling.BILINEAR)
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, "JPEG", quality=75)
    return ProcessedPhoto(
        jpeg=out.getvalue(),
        thumbnail=thumb_out.getvalue(),
        width=image.width,
        height=image.height,
        taken_at=taken_at,
        position=position,
    )


def _exif_taken_at(exif: Image.Exif) -> dt.datetime | None:
    sub = exif.get_ifd(EXIF_IFD)
    raw = sub.get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    if not isinstance(raw, str):
        return None
    try:
        naive = dt.datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = sub.get(OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str):
        try:
            return dt.datetime.strptime(f"{naive:%Y-%m-%d %H:%M:%S} {offset.strip()}", "%Y-%m-%d %H:%M:%S %z")
        except ValueError:
            pass
    # No offset recorded: cameras write local wall-clock time.
    return timezone.make_aware(naive)


def _exif_position(exif: Image.Exif) -> Point | None:
    gps = exif.get_ifd(GPS_IFD)
    try:
        lat = _dms(gps[2]) * (-1 if gps.get(1) == "S" else 1)
        lon = _dms(gps[4]) * (-1 if gps.get(3) == "W" else 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return Point(lon, lat, srid=4326)


def _dms(value: tuple[float, float, float]) -> float:
    d, m, s = (float(v) for v in value)
    return d + m / 60 + s / 3600


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
    """Store one photo of an intervention or a report; (photo, created).

    A known key returns the stored photo without reading the upload again. The subject
    must have reached the server first (the client sends its outbox in order); otherwise
    a ValidationError on `intervention` tells it to retry later.
    """
    existing = Photo.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        if existing.community_id != community.pk:
            raise ValidationError({"client_uuid": "This key is already used elsewhere."})
        return existing, False
    if kind not in PhotoKind.values:
        raise ValidationError({"kind": f"Expected one of {', '.join(PhotoKind.values)}."})
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

    # The heavy part (decode, resize, encode) runs outside any transaction.
    processed = photo_process(data=data, size=size)
    when = taken_at or processed.taken_at or timezone.now()
    geom = position or processed.position
    if geom is not None and geom.srid != settings.RONDE_SRID:
        geom = geom.clone()
        geom.transform(settings.RONDE_SRID)
    photo = Photo(
        community=community,
        intervention=intervention,
        report=report,
        kind=kind,
        taken_at=min(when, timezone.now()),
        client_uuid=client_uuid,
        geom=geom,
    )
    name = f"{client_uuid}.jpg"
    photo.file.save(name, ContentFile(processed.jpeg), save=False)
    thumbnail = PhotoThumbnail(
        photo=photo, width=processed.width, height=processed.height, size_bytes=len(processed.jpeg)
    )
    thumbnail.file.save(name, ContentFile(processed.thumbnail), save=False)
    try:
        with transaction.atomic():
            photo.save()
            thumbnail.photo = photo
            thumbnail.save()
    except IntegrityError:
        # The same key arrived twice at once: keep the first, drop this copy's files.
        photo.file.delete(save=False)
        thumbnail.file.delete(save=False)
        return Photo.objects.get(client_uuid=client_uuid, community=community), False
    return photo, True
