"""Fuzz the field app's photo upload with malformed images (hypothesis).

`photo_process` either returns a re-encoded JPEG or raises Django's ValidationError on the
`file` field, never anything else, whatever the bytes: random data, real JPEG/PNG/WebP files
cut short or with bytes overwritten, and well-formed images carrying odd EXIF (capture
times and GPS tags of every shape). Through the sync API the same files get a 201 or a 400
naming `file`, and a refused upload leaves no Photo row, thumbnail or file behind.
"""

import io
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from interventions.models import Photo, PhotoThumbnail
from interventions.services.photos import DATETIME_ORIGINAL, EXIF_IFD, GPS_IFD, photo_process
from tests.agent.conftest import edit_body, make_field, put_intervention, put_photo

pytestmark = pytest.mark.django_db

# database=None: no example database written into the work tree.
FUZZ = settings(max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _image(fmt: str, size: tuple[int, int] = (64, 48), exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 50).convert("RGB").save(out, fmt, exif=exif.tobytes() if exif else b"")
    return out.getvalue()


SEEDS = {fmt: _image(fmt) for fmt in ("JPEG", "PNG", "WEBP")}


@st.composite
def damaged_image(draw: st.DrawFn) -> bytes:
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(0, 12))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


exif_value = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["2024:06:01 10:00:00", "2024:13:45 99:99:99", "0000:00:00 00:00:00", "\x00\x00"]),
    st.integers(-(2**31), 2**31 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)),
    st.binary(max_size=16),
)


@st.composite
def odd_exif_image(draw: st.DrawFn) -> bytes:
    exif = Image.Exif()
    for tag in draw(st.lists(st.sampled_from([0x0132, 0x0112, 0x010F]), max_size=3, unique=True)):
        exif[tag] = draw(exif_value)
    sub = exif.get_ifd(EXIF_IFD)
    for tag in draw(st.lists(st.sampled_from([DATETIME_ORIGINAL, 0x9011]), max_size=2, unique=True)):
        sub[tag] = draw(exif_value)
    gps = exif.get_ifd(GPS_IFD)
    for tag in draw(st.lists(st.sampled_from([1, 2, 3, 4]), max_size=4, unique=True)):
        gps[tag] = draw(st.one_of(exif_value, st.sampled_from(["N", "S", "E", "W"])))
    try:
        return _image(draw(st.sampled_from(["JPEG", "WEBP", "PNG"])), exif=exif)
    except Exception:
        # Pillow itself cannot write some values (and says so in many ways): send damaged bytes instead.
        return draw(damaged_image())


malformed_photo = st.one_of(st.binary(max_size=2000), damaged_image(), odd_exif_image())


@FUZZ
@given(malformed_photo)
def test_photo_process_accepts_or_refuses_with_a_file_error(data):
    try:
        processed = photo_process(data=io.BytesIO(data), size=len(data))
    except ValidationError as exc:
        assert list(exc.message_dict) == ["file"] and exc.message_dict["file"][0]
        return
    # Accepted: a clean JPEG that Pillow reads back, no larger than the kept size.
    with Image.open(io.BytesIO(processed.jpeg)) as again:
        assert again.format == "JPEG"
        assert max(again.size) <= django_settings.RONDE_PHOTO_MAX_PX
    assert processed.taken_at is None or processed.taken_at.tzinfo is not None
    if processed.position is not None:
        assert -180 <= processed.position.x <= 180 and -90 <= processed.position.y <= 90


@pytest.fixture
def field_key(community):
    field = make_field(community, n_stops=1)
    key = uuid.uuid4()
    assert put_intervention(field.client, key, edit_body(field, field.stops[0])).status_code == 201
    return field, key


def _stored_files() -> set[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(malformed_photo)
def test_upload_is_a_201_or_a_400_naming_the_file_and_a_400_leaves_nothing(field_key, data):
    field, key = field_key
    photos, thumbs, files = Photo.objects.count(), PhotoThumbnail.objects.count(), _stored_files()
    response = put_photo(field.client, uuid.uuid4(), data, intervention=key)
    assert response.status_code in (201, 400), response.content[:300]
    if response.status_code == 400:
        assert "file" in response.json()
        assert (Photo.objects.count(), PhotoThumbnail.objects.count()) == (photos, thumbs)
        assert _stored_files() == files
    else:
        assert Photo.objects.count() == photos + 1


def test_a_real_photo_goes_through(field_key):
    """The strategies start from files the service accepts: the fuzzing is not all refused."""
    field, key = field_key
    assert put_photo(field.client, uuid.uuid4(), SEEDS["JPEG"], intervention=key).status_code == 201
