"""Metadata leaves a small JPEG without a re-encode: same pixels, no EXIF/XMP/comments/trailers."""

import io

import pytest
from PIL import Image, ImageChops

from interventions.services.jpeg import jpeg_strip_metadata
from interventions.services.photos import DATETIME_ORIGINAL, EXIF_IFD, GPS_IFD, photo_process


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload


def phone_jpeg(*, progressive: bool = False) -> bytes:
    """A JPEG as a phone writes it: EXIF with GPS and serial, XMP, IPTC, a comment, an MPF trailer."""
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif[0xA431] = "SERIAL-123"
    exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = "2025:06:14 09:30:00"
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (46.0, 34.0, 50.0), "E", (0.0, 20.0, 24.0)  # Poitiers
    out = io.BytesIO()
    Image.effect_noise((800, 600), 50).convert("RGB").save(
        out, "JPEG", quality=88, exif=exif.tobytes(), progressive=progressive, comment=b"owner: J. Dupont"
    )
    data = out.getvalue()
    extra = _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>GPSLatitude 46.58</x:xmpmeta>")
    extra += _segment(0xED, b"Photoshop 3.0\x00IPTC city Poitiers")
    # Metadata segments go after SOI; a second image after EOI is what MPF files carry.
    return data[:2] + extra + data[2:] + b"\xff\xd8TRAILER-WITH-GPS-46.58\xff\xd9"


@pytest.mark.parametrize("progressive", [False, True])
def test_only_the_image_and_our_capture_time_are_left(progressive):
    original = phone_jpeg(progressive=progressive)
    kept = Image.Exif()
    kept.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = "2025:06:14 09:30:00"
    stripped = jpeg_strip_metadata(original, exif=kept.tobytes())

    for leak in (b"CameraMaker", b"SERIAL-123", b"xmpmeta", b"IPTC", b"J. Dupont", b"TRAILER"):
        assert leak not in stripped
    with Image.open(io.BytesIO(stripped)) as image:
        exif = image.getexif()
        assert exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] == "2025:06:14 09:30:00"
        assert not exif.get_ifd(GPS_IFD)
        assert 0x010F not in exif
        # Not re-encoded: the decoded pixels are identical.
        with Image.open(io.BytesIO(original)) as before:
            assert ImageChops.difference(image.convert("RGB"), before.convert("RGB")).getbbox() is None


def test_a_structure_it_does_not_understand_is_refused():
    with pytest.raises(ValueError):
        jpeg_strip_metadata(b"\xff\xd8\xff\xda\x00\x08" + b"\x00" * 20)  # scan never ends
    with pytest.raises(ValueError):
        jpeg_strip_metadata(b"GIF89a")


def test_a_small_phone_photo_is_kept_as_sent_minus_its_metadata():
    original = phone_jpeg()
    processed = photo_process(data=io.BytesIO(original), size=len(original))
    assert (processed.width, processed.height) == (800, 600)
    assert b"SERIAL-123" not in processed.jpeg and b"TRAILER" not in processed.jpeg
    # The compressed scan is the device's, byte for byte (no second generation of JPEG loss).
    scan = original[original.index(b"\xff\xda") : original.index(b"\xff\xd9", original.index(b"\xff\xda"))]
    assert scan in processed.jpeg
    assert processed.position is not None  # the EXIF GPS moved to our own field
    with Image.open(io.BytesIO(processed.thumbnail)) as thumb:
        assert max(thumb.size) == 320
