from .base import *  # noqa: F403

SECRET_KEY = "ronde-test-key"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests only
# One folder per test database: two runs at once in one checkout must not see each other's files.
MEDIA_ROOT = VAR_DIR / "test-media" / DATABASES["default"]["TEST"]["NAME"]  # noqa: F405
RONDE_PHOTO_INBOX = VAR_DIR / "test-photo-inbox" / DATABASES["default"]["TEST"]["NAME"]  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the finders (no collectstatic before tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Background tasks run inline in tests (the database backend needs a worker process).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# So photos are finished in the request's own thread, at its priority: on a busy test machine an
# idle-priority thread would wait for a free core (tests/core/test_idle_cpu.py turns it on).
RONDE_BACKGROUND_IDLE_CPU = False
# A URL without a rule in accounts/access.py is served with a warning, so work in progress
# runs; tests/security/test_permission_matrix.py fails until the rule is declared.
RONDE_ACCESS_STRICT = False
# Dashboards rebuild a small community's figures on every view after a change (tests add data
# and look at once); tests/dashboards/test_recurrence.py checks the production window itself.
RONDE_RECURRENCE_FRESH_S = 0
# Heatmap point store: the request that finds the points stale refreshes them itself (a
# background thread would not see the test's transaction); tests/tiles/heatmap/test_refresher.py
# turns the thread on.
RONDE_HEATMAP_BACKGROUND = False
# Heatmap snapshot files: one folder per test database (emptied when a session starts:
# tests/conftest.py; ids restart with a new test database).
RONDE_HEATMAP_LOADER_PROCESS = False  # a child process would not see the test's transaction
RONDE_HEATMAP_DIR = VAR_DIR / "test-heatmap" / DATABASES["default"]["TEST"]["NAME"]  # noqa: F405
