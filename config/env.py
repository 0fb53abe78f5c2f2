"""The one place settings read the environment: every value through one helper, production secrets without a default."""

import os

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
