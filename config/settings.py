"""supportdesk settings: one file, driven by the environment.

Without any environment the project runs on its embedded default: SQLite in ``SUPPORTDESK_DATA_DIR``
(``./var`` by default), no broker (background work runs in ``supportdesk runworker``), e-mail
printed to the console. Production sets ``DATABASE_URL`` (PostgreSQL), ``CELERY_BROKER_URL``
(Redis), ``EMAIL_URL`` (SMTP), ``SECRET_KEY`` and ``ALLOWED_HOSTS``. See docs/configuration.md.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("SUPPORTDESK_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
DEBUG = env_bool("DEBUG", default=False)
# The built-in key is refused when DEBUG is off (config/checks.py); `./dev run` keeps a random key
# in the data dir.
DEFAULT_SECRET_KEY = "insecure-embedded-default-change-me"
SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django_htmx",
    "template_partials",
    "ninja",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "supportdesk.accounts",
    "supportdesk.catalog",
    "supportdesk.regulations",
    "supportdesk.contracts",
    "supportdesk.tickets",
    "supportdesk.sla",
    "supportdesk.outbox",
    "supportdesk.mail",
    "supportdesk.calls",
    "supportdesk.membership",
    "supportdesk.portal",
    "supportdesk.workspace",
    "supportdesk.api",
    "supportdesk.demo",
    "supportdesk.feedback",
    "supportdesk.kb",
    "supportdesk.ops",
    "supportdesk.reports",
    "supportdesk.audit",
    # Only for the commands that wire the project together (runworker): see config/apps.py.
    "config",
]

MIDDLEWARE = [
    # First, so that the latency it measures includes every other middleware.
    "supportdesk.ops.metrics.RequestLatencyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the body: 413 from Content-Length, 400 for NUL and lone surrogates.
    "config.middleware.RequestLimitsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "supportdesk.audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication: throttled sign-in answers 429, agents' second factor and idle timeout,
    # no-store on pages that show secrets (supportdesk/accounts/account_security.py).
    "supportdesk.accounts.throttling.AuthThrottleMiddleware",
    "supportdesk.accounts.account_security.AgentSessionMiddleware",
    "supportdesk.accounts.account_security.NoStoreMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "supportdesk.accounts.middleware.UserPreferencesMiddleware",
    "supportdesk.accounts.middleware.SecurityHeadersMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
            ],
        },
    },
    {
        # Plain text (e-mail subjects and text parts): the same templates without HTML escaping,
        # so "Q&A" reads "Q&A" (supportdesk/outbox/services.py, accounts/adapter.py).
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'supportdesk.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the embedded worker read while the other writes;
    # IMMEDIATE transactions take the write lock up front, so concurrent registrations queue
    # instead of failing with "database is locked" on lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, so that threads, a Celery worker and a live server share the test DB.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("SQLITE_TEST_NAME", str(DATA_DIR / f"test-db-{os.getpid()}.sqlite3"))
    }


def _cache_settings(url: str) -> dict:
    """CACHE_URL=redis://host:port/db | db:// | locmem://: where the throttling counters and the
    agents' presence on tickets (the collision warning) live, shared by every process."""
    scheme = urlparse(url).scheme
    if scheme in {"redis", "rediss"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    # The embedded default: a table in the database (created by a migration), shared by every
    # process that uses the database.
    return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": CACHE_TABLE}


# The table the accounts migration creates for the database cache.
CACHE_TABLE = "supportdesk_cache"
_default_cache_url = os.environ.get("REDIS_URL", "db://")
if env_bool("SUPPORTDESK_TESTING"):
    # Tests keep their counters per process unless a test names a shared cache.
    _default_cache_url = "locmem://"
CACHES = {
    "default": {
        **_cache_settings(os.environ.get("CACHE_URL", _default_cache_url)),
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "supportdesk"),
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "supportdesk.accounts.adapter.AccountAdapter"
# Sign-in throttling (docs/security.md). Per account (the typed address, known or not): a few
# wrong passwords per window. Per IP: high enough that one attacker behind a shared address
# (an office NAT) does not lock its other users out, low enough to stop spraying many accounts.
# The counters live in the shared cache (CACHES below), so they hold across workers and hosts.
ACCOUNT_RATE_LIMITS = {
    "login": os.environ.get("RATE_LIMIT_LOGIN", "60/m/ip"),
    "login_failed": os.environ.get("RATE_LIMIT_LOGIN_FAILED", "5/5m/key,20/h/key,100/10m/ip"),
    "signup": os.environ.get("RATE_LIMIT_SIGNUP", "20/m/ip,100/h/ip"),
    "reset_password": os.environ.get("RATE_LIMIT_RESET_PASSWORD", "20/m/ip,3/5m/key,10/d/key"),
    "reset_password_from_key": "20/m/ip",
}
# Behind a proxy (nginx), the client's address is the N-th from the end of X-Forwarded-For: set
# TRUSTED_PROXY_COUNT=1 behind one proxy that appends it, or every client shares the proxy's
# address in the per-IP limits and the audit log. Never set it without such a proxy.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# Agents need a second factor (TOTP, with recovery codes) before they can work; `./dev run`
# turns it off for the demo logins (README). Their sessions end after this much inactivity.
SUPPORTDESK_AGENT_MFA_REQUIRED = env_bool("SUPPORTDESK_AGENT_MFA_REQUIRED", default=True)
SUPPORTDESK_AGENT_IDLE_MINUTES = int(os.environ.get("SUPPORTDESK_AGENT_IDLE_MINUTES", "60"))
MFA_ADAPTER = "supportdesk.accounts.mfa.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", "supportdesk")
SITE_ID = 1

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The one date and time format policy (config/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Europe/Moscow"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Attachments live outside the web root and are only served through a permission-checked view.
MEDIA_ROOT = DATA_DIR / "attachments"

# The largest request body, refused from Content-Length before it is read (413): a little more
# than the largest attachment a regulation allows (25 MB by default) plus the form. A request
# without a session or a token (login, sign-up) never carries files.
REQUEST_MAX_BYTES = int(os.environ.get("REQUEST_MAX_MB", "60")) * 1024 * 1024
ANONYMOUS_REQUEST_MAX_BYTES = int(os.environ.get("ANONYMOUS_REQUEST_MAX_KB", "256")) * 1024
# Form fields without files are read into memory up to this size; files over the second are
# streamed to a temporary file instead of memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 20

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Behind HTTPS (docs/operations.md): HSTS, redirect plain HTTP, and trust the proxy's header that
# says a request came in over HTTPS (only set it when a proxy you run always sets that header).
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    # e.g. "HTTP_X_FORWARDED_PROTO" (the header X-Forwarded-Proto: https).
    SECURE_PROXY_SSL_HEADER = (os.environ["SECURE_PROXY_SSL_HEADER"], "https")


def _email_settings(url: str) -> dict:
    """EMAIL_URL=smtp://user:pass@host:port?tls=1 | console:// | locmem://."""
    parsed = urlparse(url)
    if parsed.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parsed.scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    query = parse_qs(parsed.query)
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or 25,
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_TLS": query.get("tls", ["0"])[0] == "1",
        "EMAIL_USE_SSL": parsed.scheme == "smtps",
        "EMAIL_TIMEOUT": int(query.get("timeout", ["10"])[0]),
    }


globals().update(_email_settings(os.environ.get("EMAIL_URL", "console://")))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "supportdesk <support@localhost>")
# Incoming mail (docs/email.md): larger messages go to quarantine unread; automatic answers to one
# address at most this many per hour (a loop with another robot stops there).
MAIL_MAX_MESSAGE_BYTES = int(os.environ.get("MAIL_MAX_MESSAGE_BYTES", str(25 * 1024 * 1024)))
MAIL_AUTO_ANSWERS_PER_HOUR = int(os.environ.get("MAIL_AUTO_ANSWERS_PER_HOUR", "5"))

# Celery: production runs a worker and beat against this broker. Without a broker the embedded
# runner (`supportdesk runworker`) calls the same task functions on the same schedule.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False

TICKET_NUMBER_FORMAT = os.environ.get("TICKET_NUMBER_FORMAT", "SD-{year}-{seq:06d}")
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))
OUTBOX_BACKOFF_SECONDS = int(os.environ.get("OUTBOX_BACKOFF_SECONDS", "30"))
# After the fast retries: one attempt per OUTBOX_SLOW_RETRY_SECONDS for OUTBOX_SLOW_RETRY_HOURS.
OUTBOX_SLOW_RETRY_SECONDS = int(os.environ.get("OUTBOX_SLOW_RETRY_SECONDS", "3600"))
OUTBOX_SLOW_RETRY_HOURS = int(os.environ.get("OUTBOX_SLOW_RETRY_HOURS", "72"))

# Audit records older than this are deleted by the daily purge (supportdesk.audit.tasks).
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "730"))

NINJA_PAGINATION_PER_PAGE = 50

# How long the satisfaction rating link of a closure e-mail works (supportdesk/feedback).
CSAT_LINK_DAYS = int(os.environ.get("CSAT_LINK_DAYS", "30"))

# `supportdesk backup` writes this format: JSON Lines that keeps microseconds (ops/serializer.py).
SERIALIZATION_MODULES = {"sdjsonl": "supportdesk.ops.serializer"}

# Operations (docs/operations.md): /readyz thresholds and who may read /metrics.
READY_OUTBOX_MAX_AGE = int(os.environ.get("READY_OUTBOX_MAX_AGE", "900"))
READY_SWEEP_MAX_LAG = int(os.environ.get("READY_SWEEP_MAX_LAG", "300"))
READY_BROKER_TIMEOUT = float(os.environ.get("READY_BROKER_TIMEOUT", "2"))
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "127.0.0.1,::1")
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_AT_RISK_SECONDS = int(os.environ.get("METRICS_AT_RISK_SECONDS", "3600"))

# LOG_FORMAT=json: one JSON object per line (for journald, Loki, ELK); otherwise plain text.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SUPPORTDESK_TESTING = env_bool("SUPPORTDESK_TESTING")
if SUPPORTDESK_TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ACCOUNT_EMAIL_VERIFICATION = "none"
    # Tests sign agents in with force_login; the MFA tests turn this on.
    SUPPORTDESK_AGENT_MFA_REQUIRED = env_bool("SUPPORTDESK_AGENT_MFA_REQUIRED", default=False)
