"""Settings for every environment, read from environment variables.

`.env.example` lists every variable. Defaults give the embedded set-up of `make run`:
SQLite and the lake under var/, and a Celery broker that needs no server.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from complaintsite.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    parse_admins,
    parse_email_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)
# An unset key is only tolerated in DEBUG; the `complaintsite` system check refuses it otherwise.
SECRET_KEY = env_str("SECRET_KEY") or "insecure-dev-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "complaintsite",
    "classification",
    "warehouse",
    "ingestion",
    "agents",
    "monitoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# Provider webhooks (complaintsite/webhook_wsgi.py) skip what only serves people in a browser.
WEBHOOK_SKIPS_MIDDLEWARE = {
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
}

ROOT_URLCONF = "complaintsite.urls"
WSGI_APPLICATION = "complaintsite.wsgi.application"
ASGI_APPLICATION = "complaintsite.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'complaints.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web process read while the worker writes; the timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- time -----------------------------------------------------------------------------------
USE_TZ = True  # everything is stored in UTC
TIME_ZONE = env_str("TIME_ZONE") or "UTC"  # the internal zone: display and reporting days
LANGUAGE_CODE = "en-gb"
USE_I18N = True

# --- static files -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/agents/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- the lake -----------------------------------------------------------------------------
# file:///absolute/path or s3://bucket/prefix
LAKE_URL = env_str("LAKE_URL") or (VAR_DIR / "lake").as_uri()
AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL") or None
AWS_ACCESS_KEY_ID = env_str("AWS_ACCESS_KEY_ID") or None
AWS_SECRET_ACCESS_KEY = env_str("AWS_SECRET_ACCESS_KEY") or None
AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME") or "us-east-1"
# fsync on the file-system lake: "accepted" must survive a power cut.
LAKE_FSYNC = env_bool("LAKE_FSYNC", True)

# --- request limits -----------------------------------------------------------------------
WEBHOOK_MAX_BODY_BYTES = env_int("WEBHOOK_MAX_BODY_BYTES", 1024 * 1024)
FORM_MAX_ATTACHMENTS = 3
FORM_MAX_ATTACHMENT_BYTES = env_int("FORM_MAX_ATTACHMENT_BYTES", 5 * 1024 * 1024)
# Three attachments at the limit plus text and multipart framing.
FORM_MAX_BODY_BYTES = FORM_MAX_ATTACHMENTS * FORM_MAX_ATTACHMENT_BYTES + 256 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = FORM_MAX_BODY_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = FORM_MAX_BODY_BYTES

# --- Redis / Celery -------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's file-system transport: one machine, no server; what `make run` uses by default.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        # Exchange tables (broadcasts such as remote control); kombu's default is ./control.
        "control_folder": str(BROKER_DIR / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A task is redelivered if no worker acks it within this window (acks_late tasks).
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        # A publisher (a web request) tries to connect once and gives up: the sweeper re-enqueues.
        "max_retries": 1,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers and beat reconnect for as long as the broker is away (None = forever): a Redis restart
# must not stop them. Web requests do not wait on this: they publish with retry=False and the
# transport's max_retries above.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Without it Celery's Django fixup closes the database connections around every task; the worker
# keeps them for CONN_MAX_AGE like a web process does (complaintsite/celery_connections.py). The
# fixup still recycles them every this many tasks: one reconnect per thousand tasks is noise.
CELERY_DB_REUSE_MAX = 1000

# How long an event may sit in `received` before the sweeper re-enqueues it.
SWEEPER_GRACE_SECONDS = env_int("SWEEPER_GRACE_SECONDS", 120)
# The worker takes its event plus up to INGESTION_BATCH_SIZE - 1 others waiting, in one transaction,
# and keeps taking batches for INGESTION_DRAIN_SECONDS while events wait (ingestion/batch.py).
INGESTION_BATCH_SIZE = env_int("INGESTION_BATCH_SIZE", 50)
INGESTION_DRAIN_SECONDS = env_float("INGESTION_DRAIN_SECONDS", 2.0)
CALL_LOG_SCHEDULE_MINUTE = env_int("CALL_LOG_SCHEDULE_MINUTE", 5)

# Fixed housekeeping schedules: django-celery-beat writes these entries into its tables at every
# beat start, so an admin edit to one of them lasts until the next start. Schedules that admins
# own (the hourly call-log job) are seeded once by a migration instead and never reset.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "sweep-stuck-raw-events": {
        "task": "ingestion.sweep_stuck_raw_events",
        "schedule": timedelta(seconds=60),
    },
}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    )
}

# --- e-mail and admins ----------------------------------------------------------------------
ADMINS = parse_admins(env_str("ADMINS"))
MANAGERS = ADMINS
_email = parse_email_url(env_str("EMAIL_URL") or "console://")
EMAIL_BACKEND = str(_email.pop("EMAIL_BACKEND"))
globals().update(_email)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "complaints@localhost"
SERVER_EMAIL = env_str("SERVER_EMAIL") or DEFAULT_FROM_EMAIL
# Starts every alert's subject: says which installation wrote (Django's default says "[Django]").
EMAIL_SUBJECT_PREFIX = (env_str("EMAIL_SUBJECT_PREFIX") or "[Complaints]") + " "  # env_str strips the space

# --- DRF ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Complaints API",
    "DESCRIPTION": "Agents' queue and actions on complaints.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- classifier -------------------------------------------------------------------------------
CLASSIFIER_MODEL_DIR = Path(env_str("CLASSIFIER_MODEL_DIR") or VAR_DIR / "models")

# --- providers (a source whose secret is unset is switched off) ---------------------------
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
VONAGE_SIGNATURE_SECRET = env_str("VONAGE_SIGNATURE_SECRET")
VONAGE_SIGNATURE_METHOD = env_str("VONAGE_SIGNATURE_METHOD") or "md5hash"
META_APP_SECRET = env_str("META_APP_SECRET")
META_VERIFY_TOKEN = env_str("META_VERIFY_TOKEN")
X_CONSUMER_SECRET = env_str("X_CONSUMER_SECRET")
CALL_LOG_SOURCE_TZ = env_str("CALL_LOG_SOURCE_TZ") or TIME_ZONE
# Numeric dates in call-log files (25/03/2025 14:05): day first (DMY) or month first (MDY).
CALL_LOG_DATE_ORDER = (env_str("CALL_LOG_DATE_ORDER") or "DMY").upper()

# --- security behind a proxy ----------------------------------------------------------------
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Sentry -----------------------------------------------------------------------------------
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.redis import RedisIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration(), RedisIntegration()],
        environment=env_str("SENTRY_ENVIRONMENT") or "production",
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0),
        send_default_pii=False,
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- reporting: rollups, the analysts' `reporting` schema, dashboards (warehouse/reporting) -----
# Key of the keyed hash (HMAC-SHA256) that replaces customer handles in reporting.complaints.
# Unset, it is derived from SECRET_KEY; set it so that rotating SECRET_KEY keeps hashes stable.
REPORTING_HASH_KEY = env_str("REPORTING_HASH_KEY")
REPORTING_ROLLUP_INTERVAL_SECONDS = env_int("REPORTING_ROLLUP_INTERVAL_SECONDS", 300)
# Audit entries younger than this are left for the next run: a transaction still open when the
# job reads could otherwise commit an entry behind the job's back.
REPORTING_ROLLUP_LAG_SECONDS = env_int("REPORTING_ROLLUP_LAG_SECONDS", 60)
REPORTING_ROLLUP_MAX_DAYS_PER_RUN = env_int("REPORTING_ROLLUP_MAX_DAYS_PER_RUN", 400)
# Days re-queued every night, to pick up writes that bypass the audited services.
REPORTING_NIGHTLY_REQUEUE_DAYS = env_int("REPORTING_NIGHTLY_REQUEUE_DAYS", 62)
# A week-over-week change is flagged when the two weeks hold at least this many complaints,
# the change is at least this large, and a binomial test puts it beyond noise at this p-value.
REPORTING_TREND_MIN_COUNT = env_int("REPORTING_TREND_MIN_COUNT", 20)
REPORTING_TREND_MIN_CHANGE = env_float("REPORTING_TREND_MIN_CHANGE", 0.25)
REPORTING_TREND_MAX_P_VALUE = env_float("REPORTING_TREND_MAX_P_VALUE", 0.01)
REPORTING_ANALYST_STATEMENT_TIMEOUT = env_str("REPORTING_ANALYST_STATEMENT_TIMEOUT") or "60s"
CELERY_BEAT_SCHEDULE["reporting-rollups-update"] = {
    "task": "warehouse.reporting_rollups_update",
    "schedule": timedelta(seconds=REPORTING_ROLLUP_INTERVAL_SECONDS),
}
CELERY_BEAT_SCHEDULE["reporting-rollups-nightly-requeue"] = {
    "task": "warehouse.reporting_rollups_requeue",
    "schedule": crontab(hour=3, minute=17),
}

# --- agents: staff UI and REST API (agents/) ------------------------------------------------
# Swagger UI and Redoc are served from the drf-spectacular-sidecar package: no CDN, and only
# agents see the schema and its docs (the same rule as the API itself).
INSTALLED_APPS.append("drf_spectacular_sidecar")
SPECTACULAR_SETTINGS.update(
    {
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        "SERVE_PERMISSIONS": ["agents.permissions.IsAgent"],
        "SERVE_AUTHENTICATION": [
            "rest_framework.authentication.SessionAuthentication",
            "rest_framework.authentication.TokenAuthentication",
        ],
        "COMPONENT_SPLIT_REQUEST": True,
        "TAGS": [
            {"name": "complaints", "description": "The queue and one complaint."},
            {"name": "actions", "description": "Conditional, audited changes; 409 when someone else got there first."},
            {"name": "messages", "description": "Messages the classifier filtered out."},
        ],
    }
)

# --- call-centre logs: the hourly batch (ingestion/calllogs, docs/call-logs.md) -------------------
CALL_LOG_INBOX_PREFIX = (env_str("CALL_LOG_INBOX_PREFIX") or "inbox/call_center").strip("/")
# Calls per batch: one INSERT, one classifier (nlp.pipe) call, one routing transaction each.
CALL_LOG_BATCH_SIZE = env_int("CALL_LOG_BATCH_SIZE", 1000)
# A run holds a file while it renews this lease after every batch; a dead run's file is resumed
# by the next run once the lease has expired.
CALL_LOG_LEASE_SECONDS = env_int("CALL_LOG_LEASE_SECONDS", 900)
# A file that fails this many times stays `failed` for an admin to look at.
CALL_LOG_MAX_ATTEMPTS = env_int("CALL_LOG_MAX_ATTEMPTS", 5)
# Where files are staged (copied and hashed) while they are read; the system temp dir if unset.
CALL_LOG_WORK_DIR = env_str("CALL_LOG_WORK_DIR") or None
# Write batch N on a second thread while batch N+1 is classified (PostgreSQL only).
CALL_LOG_WRITER_THREAD = env_bool("CALL_LOG_WRITER_THREAD", True)
# A canonical JSON Lines file longer than CALL_LOG_CHUNK_LINES is cut into chunks of that many
# lines, ingested by CALL_LOG_PROCESSES processes forked from the job (1: all in the job's own).
# Smaller chunks shorten the end of a file, when one process has finished and the other still
# works on its last chunk (a chunk of 5,000 calls is about 4 s of one core).
CALL_LOG_PROCESSES = env_int("CALL_LOG_PROCESSES", 2)
CALL_LOG_CHUNK_LINES = env_int("CALL_LOG_CHUNK_LINES", 5_000)
# The schedule's default, at CALL_LOG_SCHEDULE_MINUTE past every hour. Deliberately not in
# CELERY_BEAT_SCHEDULE: django-celery-beat rewrites those entries at every beat start, undoing an
# admin's change. A migration creates the periodic task once; from then on the admin's copy rules.
CALL_LOG_PERIODIC_TASK = {
    "name": "ingest-call-logs",
    "task": "ingestion.ingest_call_logs",
    "crontab": {"minute": str(CALL_LOG_SCHEDULE_MINUTE), "hour": "*"},
    # A run that could not start within the hour is dropped: the next one covers its files.
    "expire_seconds": 3000,
}

# --- monitoring: alerts, health, metrics, volume spikes (monitoring/, docs/operations.md) -------
MIDDLEWARE.append("monitoring.middleware.ProcessSampleMiddleware")
# Identical alerts: one e-mail per window, with the count. A burst is gathered this long first.
ALERT_THROTTLE_SECONDS = env_int("ALERT_THROTTLE_SECONDS", 3600)
ALERT_GATHER_SECONDS = env_int("ALERT_GATHER_SECONDS", 60)
# Throttling state must be shared by every process: Redis. Without it, per process (embedded).
ALERT_REDIS_URL = env_str("ALERT_REDIS_URL") or REDIS_URL
# /metrics: a bearer token, or a client address in one of these networks.
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])
MONITORING_QUEUES = env_list("MONITORING_QUEUES", ["celery"])
# /readyz
READINESS_CHECKS = env_list("READINESS_CHECKS", ["database", "broker", "lake", "worker", "beat", "model"])
WORKER_HEARTBEAT_MAX_AGE_SECONDS = env_int("WORKER_HEARTBEAT_MAX_AGE_SECONDS", 120)
BEAT_MAX_SILENCE_SECONDS = env_int("BEAT_MAX_SILENCE_SECONDS", 120)
# Scheduled jobs watched for "has not succeeded for too long" (task name -> seconds).
MONITORING_JOBS: dict[str, int] = {
    "ingestion.ingest_call_logs": env_int("CALL_LOG_MAX_SILENCE_SECONDS", 2 * 3600),
    "ingestion.sweep_stuck_raw_events": 15 * 60,
}
# Volume spikes: the last window against the same weekday and time in earlier weeks.
SPIKE_WINDOW_MINUTES = env_int("SPIKE_WINDOW_MINUTES", 15)
SPIKE_STEP_MINUTES = env_int("SPIKE_STEP_MINUTES", 5)
SPIKE_BASELINE_WEEKS = env_int("SPIKE_BASELINE_WEEKS", 4)
SPIKE_NEIGHBOUR_WINDOWS = env_int("SPIKE_NEIGHBOUR_WINDOWS", 1)
SPIKE_MIN_BASELINE_SAMPLES = env_int("SPIKE_MIN_BASELINE_SAMPLES", 6)
SPIKE_MIN_COUNT = env_int("SPIKE_MIN_COUNT", 10)
SPIKE_MIN_RATIO = env_float("SPIKE_MIN_RATIO", 1.5)
SPIKE_MAD_THRESHOLD = env_float("SPIKE_MAD_THRESHOLD", 4.0)
SPIKE_ACTIVE_MINUTES = env_int("SPIKE_ACTIVE_MINUTES", 2 * SPIKE_WINDOW_MINUTES)
CELERY_BEAT_SCHEDULE.update(
    {
        "monitoring-heartbeat": {"task": "monitoring.heartbeat", "schedule": timedelta(seconds=30)},
        "monitoring-flush-alerts": {"task": "monitoring.flush_alerts", "schedule": timedelta(seconds=30)},
        "monitoring-check-jobs": {"task": "monitoring.check_jobs", "schedule": timedelta(minutes=5)},
        "monitoring-detect-volume-spikes": {
            "task": "monitoring.detect_volume_spikes",
            "schedule": timedelta(minutes=SPIKE_STEP_MINUTES),
        },
    }
)

# --- deployment security (issue 9: tests/security/test_check_deploy.py) --------------------------
# HSTS for subdomains and the browsers' preload list: switch these on only when every subdomain
# is served over TLS as well (`check --deploy` warns until they are).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# --- long SMS with parts that never arrive (ingestion/sms_concat_flush.py) -------------------
# Parts normally arrive within seconds; after this long the parts that came are stored as the
# message (with "[...]" where the others belong) and the admin is told.
SMS_CONCAT_FLUSH_AFTER_SECONDS = env_int("SMS_CONCAT_FLUSH_AFTER_SECONDS", 3600)
CELERY_BEAT_SCHEDULE["flush-incomplete-sms"] = {
    "task": "ingestion.flush_incomplete_sms",
    "schedule": timedelta(seconds=300),
}
