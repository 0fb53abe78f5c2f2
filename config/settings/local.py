from config.env import env

from .base import *  # noqa: F403

DEBUG = True
# A fixed key is acceptable only for a local, loopback-only development server.
SECRET_KEY = env("DJANGO_SECRET_KEY", "ronde-local-development-key-not-for-production")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
