"""The one place settings read the environment: every value through one helper, production secrets without a default."""

import os
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_UNSET = object()


def env(name: str, default: object = _UNSET) -> str:
    """Return the variable, or the default; a missing variable with no default is an error."""
    value = os.environ.get(name)
    if value is not None and value != "":
        return value
    if default is _UNSET:
        raise ImproperlyConfigured(f"Set the {name} environment variable.")
    return str(default)


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(env(name, default))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_urls(name: str) -> list[str]:
    """Database URLs: one, or several separated by spaces or by commas before a scheme (a
    multi-host URL keeps its own commas: postgresql://a:1,b:2/db)."""
    raw = env(name, "")
    return [u for u in re.split(r"\s+|,(?=\s*[a-z][a-z0-9+.-]*://)", raw.strip()) if u.strip()]


def database_config(url: str, **kwargs: Any) -> dict[str, Any]:
    """dj_database_url.parse, plus libpq's multi-host URLs (`postgresql://u@h1:p1,h2:p2/db?
    target_session_attrs=read-write`, what a failover formation hands out): libpq takes the
    comma lists as they are in HOST and PORT."""
    split = urlsplit(url)
    hosts = split.netloc.rpartition("@")[2]
    if "," not in hosts:
        return dict(dj_database_url.parse(url, **kwargs))
    first = hosts.split(",")[0]
    single = urlunsplit(split._replace(netloc=split.netloc[: len(split.netloc) - len(hosts)] + first))
    config = dict(dj_database_url.parse(single, **kwargs))
    pairs = [h.rpartition(":") if ":" in h else (h, "", "") for h in hosts.split(",")]
    config["HOST"] = ",".join(h for h, _, _ in pairs)
    config["PORT"] = ",".join(p or "5432" for _, _, p in pairs)
    return config
