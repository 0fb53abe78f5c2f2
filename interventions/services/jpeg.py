"""Drop a JPEG's metadata without touching its compressed pixels (no decode, no re-encode).

A photo the device already downscaled needs no new pixels: re-encoding it would cost
~40 ms of CPU per upload and a second generation of JPEG loss. What must go is every
metadata segment: APP1 (EXIF, XMP: camera, serial numbers, GPS), APP2 (ICC, MPF),
APP3–APP15 (maker notes, IPTC), COM, the JFIF thumbnail, and whatever follows the end
of the image (MPF secondary images, vendor trailers). Kept: the JFIF header (without its
thumbnail), APP14 "Adobe" (decoders need its colour transform flag), the tables, frame
and scans, byte for byte; plus the caller's own EXIF block (the capture time).

Raises ValueError on any structure it does not understand; the caller then re-encodes.
"""

SOI, EOI, SOS, APP0, APP1, APP14, COM = 0xD8, 0xD9, 0xDA, 0xE0, 0xE1, 0xEE, 0xFE
# Markers without a length field (TEM, RST0–RST7).
STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def _keep(marker: int, payload: bytes) -> bytes | None:
    """The segment payload to write, or None to drop the segment."""
    if marker == APP0:
        # JFIF: version, density units and values (12 bytes after "JFIF\0"); thumbnail 0×0.
        return payload[:12] + b"\x00\x00" if payload.startswith(b"JFIF\x00") and len(payload) >= 14 else None
    if marker == APP14:
        return payload if payload.startswith(b"Adobe") else None
    if 0xE0 <= marker <= 0xEF or marker == COM:
        return None
    return payload


def _segment(marker: int, payload: bytes) -> bytes:
    if len(payload) + 2 > 0xFFFF:
        raise ValueError("segment too long")
    return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload


def jpeg_strip_metadata(data: bytes, *, exif: bytes = b"") -> bytes:
    """`data` with only the image left, and `exif` (an "Exif\\0\\0…" block) as its APP1."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    out = [data[:2]]
    pos, size, exif_written = 2, len(data), not exif
    while True:
        if pos + 1 >= size or data[pos] != 0xFF:
            raise ValueError(f"expected a marker at byte {pos}")
        while data[pos + 1] == 0xFF:  # fill bytes before a marker
            pos += 1
            if pos + 1 >= size:
                raise ValueError("truncated")
        marker = data[pos + 1]
        if marker == EOI:
            out.append(b"\xff\xd9")  # anything after the image is dropped
            return b"".join(out)
        if marker in STANDALONE:
            out.append(data[pos : pos + 2])
            pos += 2
            continue
        if marker == SOI or pos + 4 > size:
            raise ValueError(f"unexpected marker {marker:#x}")
        end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if end > size or end < pos + 4:
            raise ValueError("segment runs past the end")
        if not exif_written and marker != APP0:
            out.append(_segment(APP1, exif))
            exif_written = True
        kept = _keep(marker, data[pos + 4 : end])
        if kept is not None:
            out.append(_segment(marker, kept))
        pos = end
        if marker == SOS:
            # Entropy-coded data up to the next marker (FF00 is a stuffed byte, FFD0–D7 restarts).
            scan = pos
            while True:
                i = data.find(b"\xff", scan)
                if i < 0 or i + 1 >= size:
                    raise ValueError("truncated scan")
                following = data[i + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    scan = i + 2
                    continue
                out.append(data[pos:i])
                pos = i
                break
