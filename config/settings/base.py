"""Settings shared by every environment; values come from config.env."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from config.env import database_config, env, env_bool, env_int, env_list, env_urls

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env("RONDE_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = env("DJANGO_SECRET_KEY", "")  # production.py refuses an empty key
DEBUG = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "gisserver",  # WFS 2.0 (ogc/wfs.py): its templates
    "corsheaders",
    "django_tasks",
    "django_tasks_db",
    "core",
    "accounts",
    "geo",
    "interventions",
    "fixtures",
    "ogc",
    "dashboards",
    "agent",
    "tiles",
    "dispatch",
    "audit",
    "django_otp",  # optional second factor (accounts/twofactor.py)
    "django_otp.plugins.otp_totp",
    "administration",  # after otp_totp: its admin.py replaces that app's device admin
    "axes",  # login throttling (after the apps whose logins it watches)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.security.SecurityHeadersMiddleware",  # CSP with nonces, Permissions-Policy
    "core.replicas.ReplicaReadsMiddleware",  # lag-tolerant reads to DATABASE_REPLICA_URL
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",  # before CommonMiddleware (accounts/cors.py)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "geo.web.upload_limit.ImportUploadLimitMiddleware",  # before CSRF reads the upload
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.basic.BasicAuthMiddleware",  # HTTP Basic on /ogc/, /wfs/, /tiles/ (GIS clients)
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified() for the second factor
    "audit.context.AuditContextMiddleware",  # who and which device, for the audit trail
    "accounts.access.AccessMiddleware",  # the permission matrix (accounts/access.py)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # login lockout responses (accounts/throttling.py)
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.ronde",
                "core.security.csp_context",  # {{ csp_nonce }}
            ],
        },
    },
]

# Without DATABASE_URL, the project's own cluster under var/ (scripts/pg.sh, port below).
RONDE_PG_PORT = env_int("RONDE_PG_PORT", 54329)
DATABASE_URL = env("DATABASE_URL", f"postgis://ronde@127.0.0.1:{RONDE_PG_PORT}/ronde")
DATABASES = {"default": database_config(DATABASE_URL, conn_max_age=60)}
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
# PostGIS functions carry high planner costs, so PostgreSQL JIT-compiles even 1,000-row bbox
# queries: measured 33 ms of JIT on a 12 ms query. Interactive requests never gain from it.
# For the same reason it plans parallel workers for them: starting the workers cost more than
# the work (bbox page of 1M interventions: COUNT 28 -> 5.7 ms, page 49 -> 20 ms without them),
# and a busy server has no idle cores to lend. Long aggregates (dashboards) may SET LOCAL
# max_parallel_workers_per_gather themselves.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off -c max_parallel_workers_per_gather=0"
# Several developers/helpers may run the suite against one server at once.
DATABASES["default"]["TEST"] = {"NAME": env("RONDE_TEST_DB", "test_ronde")}

# Streaming read replicas for lag-tolerant reads (core/replicas.py, docs/scaling.md).
for _i, _url in enumerate(env_urls("DATABASE_REPLICA_URL")):
    DATABASES[f"replica_{_i}"] = {
        **database_config(_url, conn_max_age=60),
        "ENGINE": DATABASES["default"]["ENGINE"],
        "OPTIONS": {**DATABASES["default"]["OPTIONS"], **database_config(_url).get("OPTIONS", {})},
        "TEST": {"MIRROR": "default"},  # the suite's own replica tests add a real one
    }
DATABASE_ROUTERS = ["config.routers.ReadReplicaRouter"]
# A replica more than this many seconds behind (or down) is skipped: reads go to the primary.
RONDE_REPLICA_MAX_LAG_S = float(env("RONDE_REPLICA_MAX_LAG_S", 5))
RONDE_REPLICA_CHECK_S = float(env("RONDE_REPLICA_CHECK_S", 1))  # per worker, per replica
# GET/HEAD requests under these paths read from a replica; all others read the primary.
RONDE_REPLICA_READ_PATHS = env_list(
    "RONDE_REPLICA_READ_PATHS", "/tiles/,/ogc/,/wfs/,/dashboards/,/open311/,/geo/exports/,/map/"
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.passwords.UsernameRepeatedValidator"},  # "lucielucie": Django's misses it
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("RONDE_PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes, accounts/throttling.py): lock a username+IP pair out after
# this many failures, for AXES_COOLOFF_TIME (hours); the login form, the admin and the
# API token endpoint all count.
AUTHENTICATION_BACKENDS = [
    "accounts.throttling.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("RONDE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = float(env("RONDE_LOGIN_COOLOFF_HOURS", 0.25))
# Per address too, whatever the usernames (someone trying many names): a higher limit,
# as one town hall's agents share one NAT address. Order matters (LoginThrottleHandler).
RONDE_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("RONDE_LOGIN_ADDRESS_FAILURE_LIMIT", 30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "accounts.throttling.LoginThrottleHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.throttling.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Behind N trusted proxies (nginx: 1) the client is the N-th address from the end of
# X-Forwarded-For; 0 trusts no header (REMOTE_ADDR), so a client cannot pick its address.
RONDE_PROXY_COUNT = env_int("RONDE_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_ip"
# Undeclared URLs (no rule in accounts/access.py) are refused; local.py only warns.
RONDE_ACCESS_STRICT = True
# HTTP Basic (password or API token) is accepted on these read-only map services only
# (accounts/basic.py): what GDAL, QGIS and curl -u send.
RONDE_BASIC_AUTH_PATHS = ["/ogc/", "/wfs/", "/tiles/"]
# CORS (django-cors-headers) on the public read-only endpoints; the allowed origins are per
# community, in community.settings["cors_origins"] (accounts/cors.py), none globally.
CORS_URLS_REGEX = r"^/(ogc|wfs|open311/v2)/"
CORS_ALLOWED_ORIGINS: list[str] = []
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False
# Signed photo links (Open311 media_url) stay valid this long (seconds).
RONDE_PHOTO_LINK_MAX_AGE = env_int("RONDE_PHOTO_LINK_MAX_AGE", 3600)
# Behind nginx: after the permission check, nginx sends the file from this internal location.
RONDE_PHOTO_X_ACCEL_PREFIX = env("RONDE_PHOTO_X_ACCEL_PREFIX", "")

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("RONDE_TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("RONDE_MEDIA_ROOT", VAR_DIR / "media"))

# Storage SRID: metres, Lambert-93 by default (France). The API speaks EPSG:4326.
RONDE_SRID = env_int("RONDE_SRID", 2154)
RONDE_API_SRID = 4326
RONDE_DEMO_PASSWORD = env("RONDE_DEMO_PASSWORD", "ronde-demo")
RONDE_DEMO_OPEN311_KEY = env("RONDE_DEMO_OPEN311_KEY", "demo-open311-key")
RONDE_ALLOW_DEMO_SEED = True
# Open311: download a request's media_url into a Photo. Off by default: the server then makes
# no outbound request and only keeps the URL.
# API tokens (accounts.ApiToken) expire this many days after they are made.
RONDE_API_TOKEN_TTL_DAYS = env_int("RONDE_API_TOKEN_TTL_DAYS", 90)
# At most this many live tokens per user: making one more drops the oldest.
RONDE_API_TOKENS_PER_USER = env_int("RONDE_API_TOKENS_PER_USER", 20)
RONDE_OPEN311_FETCH_MEDIA = env_bool("RONDE_OPEN311_FETCH_MEDIA", False)
# Such outbound fetches (core/outbound.py) go to public addresses only, on ports 80 and 443;
# these add ports, or allow private addresses (a photo host on the intranet).
RONDE_OUTBOUND_PORTS = [int(p) for p in env_list("RONDE_OUTBOUND_PORTS", "")]
RONDE_OUTBOUND_ALLOW_PRIVATE = env_bool("RONDE_OUTBOUND_ALLOW_PRIVATE", False)

# Background work (imports…): rows in PostgreSQL, run by `manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A job still queued after this many seconds: the page waiting for it says no worker seems to run.
RONDE_WORKER_STALLED_S = env_int("RONDE_WORKER_STALLED_S", 30)
# Uploaded import files are kept here until their job ends (MEDIA_ROOT/imports/<community>/).
RONDE_IMPORT_MAX_UPLOAD_MB = env_int("RONDE_IMPORT_MAX_UPLOAD_MB", 200)
# The web preview (in the request) parses GeoJSON/KML/CSV whole: up to this many MB of them
# (10 MB of GeoJSON: ~4 s on a loaded 2-core machine; GeoPackage/Shapefile read 50 features only).
RONDE_IMPORT_PREVIEW_MAX_MB = env_int("RONDE_IMPORT_PREVIEW_MAX_MB", 10)

# Field app photos: refused above this size (MB); stored downscaled to this longest side (px),
# with a thumbnail for lists.
RONDE_PHOTO_MAX_MB = env_int("RONDE_PHOTO_MAX_MB", 15)
RONDE_PHOTO_MAX_PX = env_int("RONDE_PHOTO_MAX_PX", 2048)
RONDE_PHOTO_THUMB_PX = env_int("RONDE_PHOTO_THUMB_PX", 320)
# Accepted photos wait here, as sent (EXIF and all), for the background worker to strip,
# downscale and thumbnail them into MEDIA_ROOT. Outside MEDIA_ROOT on purpose: nothing in it is
# ever served. The web and worker processes must both see it (one machine, or a shared volume).
RONDE_PHOTO_INBOX = Path(env("RONDE_PHOTO_INBOX", VAR_DIR / "photo-inbox"))
# The worker finishes photos on a thread at the OS's idle priority (core/idle_cpu.py): agents'
# uploads never wait behind it. 0: at the worker's own priority.
RONDE_BACKGROUND_IDLE_CPU = env_bool("RONDE_BACKGROUND_IDLE_CPU", True)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.MembershipTokenAuthentication",  # one query, shared with AccessMiddleware
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.GeoPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_FILTER_BACKENDS": [],
    # JSON bodies only (GeoJSON features, nested lists): forms make no sense there, and a body
    # advertised as JSON, form and multipart at once breaks generated clients. Views that take
    # files or forms say so (agent photo upload: multipart; the token endpoint: a login form).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Ronde API",
    "DESCRIPTION": "Field services of local authorities: assets, zones, reports, "
    "interventions, missions. GeoJSON in EPSG:4326.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" field with its own choices: one name each.
    "ENUM_NAME_OVERRIDES": {
        "MissionStatusEnum": "interventions.models.MissionStatus",
        "StopStatusEnum": "interventions.models.StopStatus",
        "WeekdayEnum": "interventions.models.Weekday",
        "NotDoneReasonEnum": "interventions.models.NotDoneReason",
    },
    # The error answers (400/401/403/404) are part of every operation's contract.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.openapi.fix_geojson_pages",
        "core.api.openapi.document_errors",
        "config.openapi.document_plain_views",  # /health/, /tiles/, the export download
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "WARNING")},
}

# GDAL 3.6 (Debian 12) cannot sandbox file access; we never pass user-supplied SRS strings
# to GDAL (imports read CRS through pyogrio/pyproj), so the warning is noted and silenced.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# Dashboards (tag recurrence): a tag removal joins the surface site within this distance
# (metres, storage SRID) with the same support, else a new site is created.
RONDE_SITE_RADIUS_M = float(env("RONDE_SITE_RADIUS_M", 5))
# Dashboards: a small community's figures are rebuilt when viewed, at most this often (s).
RONDE_RECURRENCE_FRESH_S = env_int("RONDE_RECURRENCE_FRESH_S", 60)
# Heatmap point store: a worker re-reads changed interventions at most this often (seconds),
# and reloads everything (catching deletions) at this interval.
RONDE_HEATMAP_REFRESH_S = env_int("RONDE_HEATMAP_REFRESH_S", 30)
RONDE_HEATMAP_RELOAD_S = env_int("RONDE_HEATMAP_RELOAD_S", 900)
# Refreshes and reloads run in a background thread per worker (the request serves the points
# it has); off, the request that finds them stale refreshes them itself (tests).
RONDE_HEATMAP_BACKGROUND = env_bool("RONDE_HEATMAP_BACKGROUND", True)
# Heatmap point snapshot files, one per community and database, mapped by every worker of
# the host (tiles/heatmap/snapfile.py): local disk, ~34 bytes per done intervention.
RONDE_HEATMAP_DIR = Path(env("RONDE_HEATMAP_DIR", VAR_DIR / "heatmap"))
# A worker due to reload the points runs `manage.py heatmap_snapshot` as a separate process
# (its own memory never holds the build); off, it loads them in its own thread (tests).
RONDE_HEATMAP_LOADER_PROCESS = env_bool("RONDE_HEATMAP_LOADER_PROCESS", True)

# The cache every worker shares (accounts/migrations/0004_cache_table creates the table):
# production uses it so the per-key Open311 rate limit counts once for all workers, without
# another service; local and test runs keep the per-process memory cache.
RONDE_SHARED_CACHE = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "ronde_cache"}

# A Server-Timing header on every answer (wall, database and CPU time, the route): for
# benchmarks and profiling only, since it tells callers how long the server took (core/timing.py).
RONDE_SERVER_TIMING = env_bool("RONDE_SERVER_TIMING", False)

# Vector tiles: cache the gzip bytes (purged on writes); off only to measure generation.
RONDE_TILE_CACHE = env_bool("RONDE_TILE_CACHE", True)
# Its size limit in tiles (a z16 tile of 1M interventions is ~5-60 kB gzipped): the oldest go first.
RONDE_TILE_CACHE_MAX_TILES = env_int("RONDE_TILE_CACHE_MAX_TILES", 500_000)
# Cached tiles answered before the middleware stack, with the same checks (tiles/hit_shortcut.py).
RONDE_TILE_HIT_SHORTCUT = env_bool("RONDE_TILE_HIT_SHORTCUT", True)
# Each worker keeps the bytes of the cached tiles it served, up to this many MB (0: off), and
# who its callers are (tiles/hit_memory.py).
RONDE_TILE_HIT_MEMORY_MB = env_int("RONDE_TILE_HIT_MEMORY_MB", 32)
# While a worker LISTENs to the database's notifications of changed callers and tiles, it
# answers hits from that memory with no database round trip (tiles/hit_listener.py). Off
# behind PgBouncer in transaction pooling (no LISTEN there): every hit asks the database.
RONDE_TILE_HIT_LISTEN = env_bool("RONDE_TILE_HIT_LISTEN", True)
# The shortcut's statement is prepared per connection (no planning per hit: 0.5 -> 0.1 ms).
# Off behind PgBouncer < 1.21 in transaction pooling, which loses prepared statements.
RONDE_DB_PREPARED_STATEMENTS = env_bool("RONDE_DB_PREPARED_STATEMENTS", True)
# Upstream raster base map under Ronde's own offline one, for deployments with internet,
# an XYZ template such as "https://tiles.example.org/{z}/{x}/{y}.png" (opt-in, with its
# attribution below). Empty, the default: every map works with no internet.
RONDE_UPSTREAM_RASTER_URL = env("RONDE_UPSTREAM_RASTER_URL", "")
RONDE_UPSTREAM_RASTER_ATTRIBUTION = env("RONDE_UPSTREAM_RASTER_ATTRIBUTION", "")
