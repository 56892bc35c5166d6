"""Settings for ClarioScope intake, read from environment variables only.

With no variable set this is the embedded default: SQLite, Celery tasks executed in-process, model
files under ./var. DATABASE_URL selects PostgreSQL, REDIS_URL selects Redis as broker, result
backend and cache. Production differs only by environment (see README, "Production").
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from clarioscope.env import (
    database_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    # Only the embedded development default gets a key of its own; it never protects real data.
    SECRET_KEY = "insecure-embedded-default-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

DATA_DIR = Path(env_str("CLARIOSCOPE_DATA_DIR", str(BASE_DIR / "var"))).resolve()
# Model files live here; in a multi-machine deployment this is a shared directory.
MODEL_DIR = Path(env_str("CLARIOSCOPE_MODEL_DIR", str(DATA_DIR / "models"))).resolve()
# A checkpoint directory or hub id served when the registry has no active model yet.
CLARIOSCOPE_MODEL = env_str("CLARIOSCOPE_MODEL")
CLARIOSCOPE_QUANTIZE = env_bool("CLARIOSCOPE_QUANTIZE", True)
# Normalised message text is capped here (and flagged as truncated); raw payloads are kept whole.
MAX_MESSAGE_CHARS = env_int("CLARIOSCOPE_MAX_MESSAGE_CHARS", 20_000)
# Request bodies larger than this are refused with 413 before parsing.
MAX_BODY_BYTES = env_int("CLARIOSCOPE_MAX_BODY_BYTES", 1_048_576)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES
BATCH_MAX_MESSAGES = 500
DEFAULT_REVIEW_THRESHOLD = env_float("CLARIOSCOPE_REVIEW_THRESHOLD", 0.70)
REVIEW_LEASE_SECONDS = env_int("CLARIOSCOPE_REVIEW_LEASE_SECONDS", 300)
# Messages still unclassified after this many seconds are re-queued by the sweep.
SWEEP_AFTER_SECONDS = env_int("CLARIOSCOPE_SWEEP_AFTER_SECONDS", 60)
# API keys and the practices named in webhook URLs are looked up once per process and then
# trusted for this long: a revoked key or a changed practice takes effect in every process within
# it (at once in the process that made the change). 0 looks them up on every request.
LOOKUP_CACHE_SECONDS = env_float("CLARIOSCOPE_LOOKUP_CACHE_SECONDS", 5.0)
# Messages that arrive one at a time (webhooks, forms, chat) are classified by one shared worker
# task in batches of up to this many; a batch submitted through the API gets a task of its own.
CLASSIFY_BATCH_SIZE = env_int("CLARIOSCOPE_CLASSIFY_BATCH_SIZE", 64)
# ...after waiting this long for more to arrive (with in-process tasks, no wait).
CLASSIFY_PENDING_DELAY_SECONDS = env_float("CLARIOSCOPE_CLASSIFY_PENDING_DELAY_SECONDS", 0.25)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "intake",
    "review",
    "mlops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clarioscope.middleware.SecurityHeadersMiddleware",
    "intake.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "clarioscope.urls"
WSGI_APPLICATION = "clarioscope.wsgi.application"

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

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "clarioscope.sqlite3"),
            # Web requests, the in-process tasks and the bootstrap write concurrently. WAL lets
            # reads go on during a write and needs fewer fsyncs per commit (a review decision
            # saves in about a third of the time); synchronous stays FULL, so commits are durable.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "clarioscope"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
LOGIN_FAILURE_LIMIT = env_int("CLARIOSCOPE_LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_SECONDS = env_int("CLARIOSCOPE_LOGIN_LOCKOUT_SECONDS", 900)
# Idle logout: the session expires 30 minutes after the last request.
SESSION_COOKIE_AGE = env_int("CLARIOSCOPE_IDLE_LOGOUT_SECONDS", 1800)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
EXPORT_DIR = DATA_DIR / "exports"

# MLOps. Evaluation data that is never trained on (the real-text probe); absent in some clones.
CLARIOSCOPE_EVAL_DIR = Path(
    env_str("CLARIOSCOPE_EVAL_DIR", str(BASE_DIR.parent / "shared" / "eval"))
).resolve()
# Without a broker, admin-triggered MLOps runs go to one background thread of the web process
# (a queue of concurrency 1, like the `mlops` worker) so that a click never blocks a request.
MLOPS_RUN_IN_THREAD = env_bool("CLARIOSCOPE_MLOPS_RUN_IN_THREAD", True)
# A running run with no progress for this long is taken to be dead; a redelivered task restarts it.
MLOPS_STALE_RUN_SECONDS = env_int("CLARIOSCOPE_MLOPS_STALE_RUN_SECONDS", 900)
# LLM baselines in benchmarks run only when a key is set. They see synthetic and public texts only,
# never reviewers' calibration labels (real patient text never leaves the deployment).
OPENAI_API_KEY = env_str("OPENAI_API_KEY")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL", "https://api.openai.com/v1")
OPENAI_BENCHMARK_MODEL = env_str("CLARIOSCOPE_OPENAI_BENCHMARK_MODEL", "gpt-4o-2024-11-20")
# The optional LLM-backed training-data generator (the reference's method) uses the same endpoint.
LLM_GENERATOR_MODEL = env_str("CLARIOSCOPE_LLM_GENERATOR_MODEL", "gpt-4o-mini-2024-07-18")
ANTHROPIC_API_KEY = env_str("ANTHROPIC_API_KEY")
ANTHROPIC_BASE_URL = env_str("ANTHROPIC_BASE_URL", "https://api.anthropic.com")
ANTHROPIC_BENCHMARK_MODEL = env_str(
    "CLARIOSCOPE_ANTHROPIC_BENCHMARK_MODEL", "claude-haiku-4-5-20251001"
)

# Production hardening: on when DEBUG is off, each overridable for a TLS-terminating proxy setup.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
    "form-action 'self'",
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["intake.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "clarioscope.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ClarioScope intake API",
    "DESCRIPTION": "Inbound patient messages: stored, classified in-process and routed.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One named enum per choice set, however many fields use it.
    "ENUM_NAME_OVERRIDES": {
        "IntentEnum": "intake.models.INTENT_CHOICES",
        "ChannelEnum": "intake.models.CHANNEL_CHOICES",
        "DestinationEnum": "intake.models.DESTINATION_CHOICES",
        "MessageStatusEnum": "intake.models.MessageStatus",
    },
}

# Celery: without REDIS_URL tasks run in-process (the embedded default).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"mlops.tasks.*": {"queue": "mlops"}}
CELERY_TASK_SOFT_TIME_LIMIT = 60 * 60
CELERY_TASK_TIME_LIMIT = 65 * 60
# A task whose worker died is redelivered once the visibility timeout passes.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "sweep-unclassified": {
        "task": "intake.tasks.sweep_unclassified",
        "schedule": env_float("CLARIOSCOPE_SWEEP_INTERVAL", 30.0),
    },
    "release-expired-leases": {
        "task": "review.tasks.release_expired_leases",
        "schedule": 60.0,
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
