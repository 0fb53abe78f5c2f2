"""Every photo, whatever sent it (the field app, an Open311 partner's media_url), goes through
here: checked with Pillow, downscaled, EXIF stripped, thumbnailed, stored once.

A JPEG already within RONDE_PHOTO_MAX_PX and upright (what the field app sends: it downscales
on the device) keeps its compressed pixels: its metadata segments are cut out (jpeg.py beside
this module) and it is decoded only at the thumbnail's scale, which still reads every byte
(damage is refused). Anything else is decoded, rotated, downscaled and re-encoded. Thumbnails are made
in the request, not deferred: a list never shows a photo without one, and at ~5 ms it is
not worth a queue that could lose one.

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
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.models import Community
from interventions.models import Intervention, Photo, PhotoKind, PhotoThumbnail, Report

from .jpeg import jpeg_strip_metadata

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
# Beyond this many pixels a file is refused before decoding (a "decompression bomb"):
# 100 MP is more than any phone camera makes.
MAX_PIXELS = 100_000_000
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL, DATETIME, ORIENTATION = 0x9003, 0x9011, 0x0132, 0x0112
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
    except Image.DecompressionBombError as exc:
        # Pillow refuses to open twice its own pixel limit (178 MP) before we can look.
        raise ValidationError({"file": "The image has too many pixels to be read."}) from exc
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
    kept = _kept_exif(taken_at)
    small_upright_jpeg = (
        image.format == "JPEG"
        and image.mode in ("RGB", "L")
        and max(image.size) <= max_px
        and exif.get(ORIENTATION, 1) == 1
    )
    if small_upright_jpeg:
        width, height = image.size  # before draft() shrinks it
        as_sent = _strip_without_reencoding(data=data, image=image, kept=kept)
        if as_sent is not None:
            jpeg, thumbnail = as_sent
            return ProcessedPhoto(jpeg, thumbnail, width, height, taken_at, position)
        data.seek(0)
        image = Image.open(data)
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
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=kept)
    return ProcessedPhoto(
        jpeg=out.getvalue(),
        thumbnail=_thumbnail(image.reduce(max(1, max(image.size) // (2 * settings.RONDE_PHOTO_THUMB_PX)))),
        width=image.width,
        height=image.height,
        taken_at=taken_at,
        position=position,
    )


def _kept_exif(taken_at: dt.datetime | None) -> bytes:
    """The EXIF block we write: the capture time (local wall clock and its UTC offset) only."""
    if taken_at is None:
        return b""
    kept = Image.Exif()
    local = timezone.localtime(taken_at)
    stamp = local.strftime("%Y:%m:%d %H:%M:%S")
    kept[DATETIME] = stamp
    sub = kept.get_ifd(EXIF_IFD)
    sub[DATETIME_ORIGINAL] = stamp
    offset = local.strftime("%z")
    sub[OFFSET_TIME_ORIGINAL] = f"{offset[:3]}:{offset[3:]}"
    return kept.tobytes()


def _thumbnail(image: Image.Image) -> bytes:
    thumb_px = settings.RONDE_PHOTO_THUMB_PX
    thumb = image.convert("RGB") if image.mode != "RGB" else image.copy()
    thumb.thumbnail((thumb_px, thumb_px), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=75)
    return out.getvalue()


def _strip_without_reencoding(
    *, data: IO[bytes], image: Image.Image, kept: bytes
) -> tuple[bytes, bytes] | None:
    """(the upload minus its metadata, a thumbnail) for a JPEG already small enough, or None.

    The device downscales and re-encodes before sending, so most uploads qualify. The whole
    file is still decoded (a truncated or damaged one is refused), but by libjpeg at the
    smallest scale that still gives the thumbnail: the entropy decoding that finds damage
    is the same, the inverse DCT and the full-size re-encode are saved. None when the file's
    structure is not understood: the caller re-encodes it.
    """
    thumb_px = settings.RONDE_PHOTO_THUMB_PX
    size = image.size
    image.draft(image.mode, (thumb_px, thumb_px))
    try:
        image.load()
    except (*DAMAGED, Image.DecompressionBombError) as exc:
        raise ValidationError({"file": "The image is damaged or truncated; take the photo again."}) from exc
    data.seek(0)
    try:
        jpeg = jpeg_strip_metadata(data.read(), exif=kept)
        with Image.open(io.BytesIO(jpeg)) as check:
            if check.format != "JPEG" or check.size != size:
                return None
    except (UnidentifiedImageError, *DAMAGED):
        return None
    return jpeg, _thumbnail(image)


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


def photo_create(
    *,
    community: Community,
    data: IO[bytes],
    size: int,
    kind: str,
    intervention: Intervention | None = None,
    report: Report | None = None,
    client_uuid: uuid.UUID | None = None,
    taken_at: dt.datetime | None = None,
    position: Point | None = None,
    name: str = "",
) -> tuple[Photo, bool]:
    """Store one photo of `intervention` or `report` through the pipeline above; (photo, created).

    `taken_at` and `position` (any SRID) are the sender's; when missing, the EXIF capture time
    and GPS position are used (then the time of upload). `name` is the stored file's name
    without extension (default: the client UUID, else a random one). Two uploads of one
    `client_uuid` at once store it once: the second gets the first's photo (created False).
    The caller checks who may add a photo to the subject.
    """
    if kind not in PhotoKind.values:
        raise ValidationError({"kind": f"Expected one of {', '.join(PhotoKind.values)}."})
    if (intervention is None) == (report is None):
        raise ValidationError({"intervention": "A photo belongs to an intervention or a report."})
    subject = intervention or report
    assert subject is not None
    if subject.community_id != community.pk:
        raise ValidationError({"intervention" if intervention else "report": "Not in your community."})

    # The heavy part (decode, resize, encode) runs before any row is locked.
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
    filename = f"{name or client_uuid or uuid.uuid4()}.jpg"
    photo.file.save(filename, ContentFile(processed.jpeg), save=False)
    thumbnail = PhotoThumbnail(
        photo=photo, width=processed.width, height=processed.height, size_bytes=len(processed.jpeg)
    )
    thumbnail.file.save(filename, ContentFile(processed.thumbnail), save=False)
    try:
        with transaction.atomic():
            photo.save()
            thumbnail.photo = photo
            thumbnail.save()
    except IntegrityError:
        # The same key arrived twice at once: keep the first, drop this copy's files.
        photo.file.delete(save=False)
        thumbnail.file.delete(save=False)
        if client_uuid is None:
            raise
        return Photo.objects.get(client_uuid=client_uuid, community=community), False
    return photo, True
