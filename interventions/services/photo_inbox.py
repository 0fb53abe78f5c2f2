"""Originals of accepted photos, as sent (EXIF, GPS and all), waiting for the background worker.

They live under settings.RONDE_PHOTO_INBOX, outside MEDIA_ROOT, so nothing here is ever served:
the photo view only serves what the worker stored under MEDIA_ROOT after stripping it
(interventions/services/photos.py). A name is `<stem>~<random>`: the stem (the client UUID, or
the caller's name) becomes the stored file's name, the random part keeps two uploads apart.
"""

import functools
import re
import secrets
import shutil
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _root() -> Path:
    return _checked_root(str(settings.RONDE_PHOTO_INBOX), str(settings.MEDIA_ROOT))


@functools.lru_cache(maxsize=8)
def _checked_root(inbox: str, media_root: str) -> Path:
    """The inbox, checked once for these settings (resolving both paths costs system calls:
    once per process, not once per photo)."""
    root, media = Path(inbox), Path(media_root)
    if root.resolve().is_relative_to(media.resolve()):
        # Files under MEDIA_ROOT may be reachable (a proxy's alias): originals must not be.
        raise ImproperlyConfigured(f"RONDE_PHOTO_INBOX ({root}) must be outside MEDIA_ROOT ({media}).")
    return root


def inbox_write(*, data: IO[bytes], stem: str) -> str:
    """Copy the upload into the inbox; its name there."""
    root = _root()
    name = f"{_UNSAFE.sub('_', stem)[:60]}~{secrets.token_hex(6)}"
    data.seek(0)
    try:
        out = (root / name).open("xb")
    except FileNotFoundError:  # the first photo, or the folder was removed since
        root.mkdir(parents=True, exist_ok=True)
        out = (root / name).open("xb")
    with out:
        shutil.copyfileobj(data, out, 1024 * 1024)
    return name


def inbox_path(name: str) -> Path:
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"not an inbox name: {name!r}")
    return _root() / name


def inbox_stem(name: str) -> str:
    """The stored file's name (without extension) for the inbox file `name`."""
    return name.rsplit("~", 1)[0]


def inbox_delete(name: str) -> None:
    inbox_path(name).unlink(missing_ok=True)
