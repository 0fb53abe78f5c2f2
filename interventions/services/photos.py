"""Every photo, whatever sent it (the field app, an Open311 partner's media_url), goes through
here, in two steps.

1. Accepted in the request (photo_create): the checks that need no decoding — size, type
   (Pillow reads the header), pixel count, the EXIF capture time and GPS position — and that
   the file is whole: a JPEG ending with its end-of-image marker is (its entropy-coded data
   cannot contain one); anything else (a JPEG with a trailer, PNG, WebP) is decoded now, as
   before, so a truncated file is a 400 at once. The original is copied, as sent, into
   settings.RONDE_PHOTO_INBOX (outside MEDIA_ROOT: never served, photo_inbox.py), and the
   PENDING Photo row and its background task are committed together: once the sender has its
   201, the photo cannot be lost, and a replay of its key finds it.
2. Finished by the background worker (photo_finish_task, django-tasks' db_worker, the one every
   background job uses): photo_process below, the whole pipeline with every check again —
   decoded, downscaled, EXIF stripped, thumbnailed — stored under MEDIA_ROOT, the row READY.
   A file the decoder then refuses (damage inside an intact-looking JPEG) is marked FAILED
   and never served. Only READY photos are served (photo_access.py) or listed. The CPU of it
   runs on a thread at the kernel's idle priority (core/idle_cpu.py): uploads go first.

Why two steps: decoding, stripping and thumbnailing cost ~15 ms of CPU and two file writes per
photo, and 50 agents syncing at once queued behind them (benchmarks/agent_sync.py: photo p95
5-7× a bare upload of the same bytes). A worker that stopped mid-task leaves its photo
PENDING with the original in the inbox: the next photo task finishes it (photo_finish_stale).

A JPEG already within RONDE_PHOTO_MAX_PX and upright (what the field app sends: it downscales
on the device) keeps its compressed pixels: its metadata segments are cut out (jpeg.py beside
this module) and it is decoded only at the thumbnail's scale, which still reads every byte
(damage is refused). Anything else is decoded, rotated, downscaled and re-encoded.

What is kept of the EXIF: the capture time only (DateTimeOriginal and its UTC offset). A GPS
position in the EXIF is moved to Photo.geom (our own field, storage SRID) when the device
sent none, then dropped from the file with the camera make, serial numbers and the rest.
"""

import datetime as dt
import io
import logging
import struct
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from typing import IO

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django_tasks import task
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.models import Community
from core.geometry import transform_in_place
from core.idle_cpu import at_idle_priority
from core.sql import fetch_prepared, insert_values, sql_path, sql_text
from core.tasks import db_task_row
from interventions.models import Intervention, Photo, PhotoKind, PhotoStatus, PhotoThumbnail, Report

from ..selectors import photo_for_key
from .jpeg import jpeg_strip_metadata
from .photo_inbox import inbox_delete, inbox_path, inbox_stem, inbox_write

logger = logging.getLogger(__name__)

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


def too_big_message(size: int) -> str:
    """The refusal of a photo of `size` bytes over the limit, on the `file` field."""
    return _("The photo is %(size)s MB; the limit is %(limit)s MB.") % {
        "size": number_format(size / 1048576, 1),
        "limit": number_format(settings.RONDE_PHOTO_MAX_MB),
    }


def _damaged() -> ValidationError:
    """The refusal of an image that cannot be read to its end (request checks and worker alike)."""
    return ValidationError({"file": _("The image is damaged or truncated; take the photo again.")})


@dataclass
class CheckedPhoto:
    """What the request learns of an upload without decoding it (photo_check)."""

    format: str
    taken_at: dt.datetime | None  # from the EXIF capture time, aware
    position: Point | None  # from the EXIF GPS, EPSG:4326


def _opened(
    *, data: IO[bytes], size: int
) -> tuple[Image.Image, Image.Exif, dt.datetime | None, Point | None]:
    """The upload opened by Pillow (header only), its EXIF, capture time and GPS position;
    ValidationError on the `file` field for a file refused by size, type or pixel count."""
    if size > max_bytes():
        raise ValidationError({"file": too_big_message(size)})
    try:
        image: Image.Image = Image.open(data)
    except Image.DecompressionBombError as exc:
        # Pillow refuses to open twice its own pixel limit (178 MP) before we can look.
        raise ValidationError({"file": _("The image has too many pixels to be read.")}) from exc
    except (UnidentifiedImageError, *DAMAGED) as exc:
        raise ValidationError({"file": _("This file is not an image (JPEG, PNG or WebP expected).")}) from exc
    if image.format not in ACCEPTED_FORMATS:
        raise ValidationError(
            {
                "file": _("%(format)s images are not accepted; send JPEG, PNG or WebP.")
                % {"format": image.format}
            }
        )
    if image.width * image.height > MAX_PIXELS:
        raise ValidationError(
            {
                "file": _("The image is %(width)s×%(height)s px, too large to read.")
                % {"width": image.width, "height": image.height}
            }
        )
    try:
        exif = image.getexif()
        taken_at = _exif_taken_at(exif)
        position = _exif_position(exif)
    except DAMAGED as exc:
        raise _damaged() from exc
    return image, exif, taken_at, position


def _jpeg_ends_whole(data: IO[bytes]) -> bool:
    """True when the file's last two bytes are a JPEG end-of-image marker (FF D9).

    Inside a JPEG's entropy-coded data every FF byte is followed by 00 or a restart marker, so
    FF D9 there is the end of the image itself: a file cut short does not end with it.
    """
    data.seek(0, io.SEEK_END)
    if data.tell() < 4:
        return False
    data.seek(-2, io.SEEK_END)
    whole = data.read(2) == b"\xff\xd9"
    data.seek(0)
    return whole


def photo_check(*, data: IO[bytes], size: int) -> CheckedPhoto:
    """The request's checks (see the module's docstring); ValidationError on `file` if refused."""
    image, _exif, taken_at, position = _opened(data=data, size=size)
    if not (image.format == "JPEG" and _jpeg_ends_whole(data)):
        # Whole or not cannot be told from the end: decode it now (JPEG at 1/8 scale).
        if image.format == "JPEG":
            image.draft(image.mode, (max(1, image.width // 8), max(1, image.height // 8)))
        try:
            image.load()
        except (*DAMAGED, Image.DecompressionBombError) as exc:
            raise _damaged() from exc
    data.seek(0)
    return CheckedPhoto(format=str(image.format), taken_at=taken_at, position=position)


def photo_process(*, data: IO[bytes], size: int) -> ProcessedPhoto:
    """Validate and re-encode an uploaded image; ValidationError on the `file` field if bad."""
    image, exif, taken_at, position = _opened(data=data, size=size)
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
        raise _damaged() from exc
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
        raise _damaged() from exc
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
    """Accept one photo of `intervention` or `report` (step 1 above); (photo, created).

    The photo is PENDING until the background worker has finished it (step 2; at once with
    the immediate task backend of tests). `taken_at` and `position` (any SRID) are the
    sender's; when missing, the EXIF capture time and GPS position are used (then the time of
    upload). `name` is the stored file's name without extension (default: the client UUID,
    else a random one). Two uploads of one `client_uuid` at once store it once: the second
    gets the first's photo (created False). The caller checks who may add a photo to the subject.
    """
    if kind not in PhotoKind.values:
        raise ValidationError(
            {"kind": _("Expected one of %(kinds)s.") % {"kinds": ", ".join(PhotoKind.values)}}
        )
    if (intervention is None) == (report is None):
        raise ValidationError({"intervention": _("A photo belongs to an intervention or a report.")})
    subject = intervention or report
    assert subject is not None
    if subject.community_id != community.pk:
        raise ValidationError({"intervention" if intervention else "report": _("Not in your community.")})

    checked = photo_check(data=data, size=size)
    when = taken_at or checked.taken_at or timezone.now()
    geom = position or checked.position
    if geom is not None and geom.srid != settings.RONDE_SRID:
        geom = geom.clone()
        transform_in_place(geom, settings.RONDE_SRID)
    # Written before any row is locked; removed again if the row is not stored.
    upload = inbox_write(data=data, stem=str(name or client_uuid or uuid.uuid4()))
    photo = Photo(
        community=community,
        intervention=intervention,
        report=report,
        kind=kind,
        taken_at=min(when, timezone.now()),
        client_uuid=client_uuid,
        geom=geom,
        status=PhotoStatus.PENDING,
        upload=upload,
    )
    try:
        _store(photo)
    except IntegrityError:
        # The key is stored already (a replay, or the same key twice at once): keep the first.
        inbox_delete(upload)
        stored = photo_for_key(community=community, client_uuid=client_uuid) if client_uuid else None
        if stored is None:
            raise
        return stored, False
    except BaseException:
        inbox_delete(upload)
        raise
    return photo, True


def _store(photo: Photo) -> None:
    """The PENDING row and its task, stored together or not at all: one statement
    (sql/photo_accept.sql, core/tasks.py says why), or, where tasks run on another backend than
    the database (the tests' immediate one), the ORM's save and enqueue in one transaction."""
    task_row = db_task_row(photo_finish_task, 0)  # the statement puts the new photo's id in
    if task_row is None:
        with transaction.atomic():
            photo.save()
            photo_finish_task.enqueue(photo.pk)
        return
    params = insert_values(photo) | {f"task_{column}": value for column, value in task_row.items()}
    # In a caller's transaction, a savepoint: a key stored already must not abort the caller's.
    with transaction.atomic() if connection.in_atomic_block else nullcontext():
        row = fetch_prepared(sql_text(sql_path(__file__, "photo_accept.sql")), params)
    assert row is not None
    photo.pk = row[0]
    photo._state.adding, photo._state.db = False, connection.alias


def _first_message(exc: ValidationError) -> str:
    messages = exc.message_dict.get("file") if hasattr(exc, "error_dict") else exc.messages
    return (messages or ["The image could not be read."])[0][:200]


def photo_finish(*, photo_id: int, skip_locked: bool = False) -> str | None:
    """Step 2 for one PENDING photo: the whole pipeline, stored under MEDIA_ROOT; its status
    afterwards (None: no such photo, or locked by another worker when `skip_locked`).

    The pipeline runs with no transaction open and no lock held: at idle priority it may wait
    through a burst of uploads, and a dispatcher deleting the intervention meanwhile must not
    wait for it. Its result is stored under the row's lock, and only if the photo is still
    PENDING with the same upload: safe to run any number of times, at once too, and a photo is
    stored once (a second worker's result is dropped).
    """
    found = Photo.objects.filter(pk=photo_id).values_list("status", "upload").first()
    if found is None or found[0] != PhotoStatus.PENDING:
        return found[0] if found is not None else None
    upload = found[1]
    processed, problem = _pipeline(photo_id, upload)
    with transaction.atomic():
        photo = (
            Photo.objects.select_for_update(of=("self",), skip_locked=skip_locked)
            .select_related("community")
            .filter(pk=photo_id)
            .first()
        )
        if photo is None or photo.status != PhotoStatus.PENDING or photo.upload != upload:
            return photo.status if photo is not None else None
        if processed is None:
            photo.status, photo.problem = PhotoStatus.FAILED, problem
        else:
            filename = f"{inbox_stem(upload)}.jpg"
            photo.file.save(filename, ContentFile(processed.jpeg), save=False)
            thumbnail = PhotoThumbnail(
                photo=photo, width=processed.width, height=processed.height, size_bytes=len(processed.jpeg)
            )
            thumbnail.file.save(filename, ContentFile(processed.thumbnail), save=False)
            thumbnail.save()
            photo.status = PhotoStatus.READY
        photo.upload = ""
        photo.save(update_fields=["file", "status", "upload", "problem"])
        if upload:
            transaction.on_commit(partial(inbox_delete, upload), robust=True)
    return photo.status


def _pipeline(photo_id: int, upload: str) -> tuple[ProcessedPhoto | None, str]:
    """The inbox file through photo_process, on the idle-priority thread: (result, "") or
    (None, why the photo cannot be kept)."""
    try:
        path = inbox_path(upload)
        with path.open("rb") as original:
            # The CPU of it on an idle-priority thread: the agents' uploads go first.
            return at_idle_priority(photo_process, data=original, size=path.stat().st_size), ""
    except (OSError, ValueError) as exc:
        # ValueError: a bad inbox name. Neither may leave the photo pending forever.
        logger.error("Photo %s: its upload %r could not be read: %s", photo_id, upload, exc)
        return None, "The uploaded file was lost before processing."
    except ValidationError as exc:
        return None, _first_message(exc)


# A photo still pending this long after its upload lost its task (a worker stopped mid-task).
STALE_AFTER = dt.timedelta(minutes=10)


def photo_finish_stale(*, limit: int = 10) -> int:
    """Finish photos left PENDING for over STALE_AFTER; how many were finished."""
    stale = Photo.objects.filter(status=PhotoStatus.PENDING, created_at__lt=timezone.now() - STALE_AFTER)
    done = 0
    for photo_id in stale.order_by("created_at").values_list("pk", flat=True)[:limit]:
        if photo_finish(photo_id=photo_id, skip_locked=True) not in (None, PhotoStatus.PENDING):
            done += 1
    return done


@task(priority=10)  # before imports and recomputations: a dispatcher is waiting for the photo
def photo_finish_task(photo_id: int) -> str | None:
    """The background side of photo_create; then any photo a stopped worker left pending."""
    status = photo_finish(photo_id=photo_id)
    photo_finish_stale()
    return status
