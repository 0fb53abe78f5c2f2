from config.env import env

from .base import *  # noqa: F403

DEBUG = True
# A fixed key is acceptable only for a local, loopback-only development server.
SECRET_KEY = env("DJANGO_SECRET_KEY", "ronde-local-development-key-not-for-production")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# A URL without a rule in accounts/access.py is served (with a warning) while developing.
RONDE_ACCESS_STRICT = False
# Emails (invitations, password links) are printed by the development server.
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
