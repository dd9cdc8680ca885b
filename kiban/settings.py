"""Kiban settings: every server capability comes from the environment (CONTRACT.md), nothing else.

This module imports no application code. Organisational policy (login limits, working hours, …) is data an
administrator edits, not a setting here.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str = "") -> str:
    """A string from the environment, or from the file named by NAME_FILE (for secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """Refuses anything but an explicit yes or no, so a typo never silently disables security."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env_str(name).strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: expected a whole number") from None
    if value < minimum:
        raise ValueError(f"{name}={raw!r}: must be at least {minimum}")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DATA_DIR = Path(env_str("KIBAN_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    configured = env_str("KIBAN_SECRET_KEY")
    if configured:
        return configured
    # Generated once and kept in the data directory, so sessions survive restarts.
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(key)
        return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("KIBAN_DEBUG", False)
ALLOWED_HOSTS = env_list("KIBAN_ALLOWED_HOSTS", "127.0.0.1,localhost")
BASE_URL = env_str("KIBAN_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Unset: links shown on a page are built from the request (kiban.core.site), so a server on another port works.
BASE_URL_CONFIGURED = bool(env_str("KIBAN_BASE_URL"))
CSRF_TRUSTED_ORIGINS = [BASE_URL]

# Kiban's own apps are found, not listed: every folder `kiban/<app>/` with an `apps.py` is a module, so adding
# one touches no central list (its AppConfig declares its URLs, API router, navigation…, kiban.core.modules).
# The platform comes first, in dependency order; the web shell, which shows every module, last.
_PLATFORM_APPS = ["core", "accounts", "org", "realtime", "notifications"]
_found_apps = sorted(p.parent.name for p in BASE_DIR.glob("*/apps.py"))
KIBAN_APPS = [
    f"kiban.{name}"
    for name in [
        *[a for a in _PLATFORM_APPS if a in _found_apps],
        *[a for a in _found_apps if a not in _PLATFORM_APPS and a != "web"],
        *(["web"] if "web" in _found_apps else []),
    ]
]

INSTALLED_APPS = [
    "kiban.core.adminsite.KibanAdminConfig",  # django.contrib.admin, with admin changes audited
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "kiban.core.adminsite.TasksDatabaseConfig",  # django_tasks_db, with Japanese admin headings
    "channels",
    *KIBAN_APPS,
]

MIDDLEWARE = [
    "kiban.core.busy.BusyDatabaseMiddleware",  # "database is locked", lock timeouts → 503 with Retry-After
    "django.middleware.security.SecurityMiddleware",
    "kiban.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kiban.core.middleware.LanguageMiddleware",  # Japanese unless the person switched (not the browser)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kiban.accounts.middleware.DeviceSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kiban.urls"
ASGI_APPLICATION = "kiban.asgi.application"
WSGI_APPLICATION = "kiban.wsgi.application"

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
                "kiban.web.context_processors.shell",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
DATABASE_URL = env_str("KIBAN_DATABASE_URL")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # ASGI views touching the ORM without a pool exhausted PostgreSQL's connections
        # (shared/notes/realtime-fanout.md); psycopg's pool bounds them per process.
        _db.setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": 10, "timeout": 10}
        _db["TEST"] = {"NAME": f"test_{_db['NAME']}_{os.getpid()}"}
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "kiban.sqlite3",
            # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN, so two
            # writers queue on the busy timeout instead of failing with "database is locked" mid-transaction.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA busy_timeout=20000; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;"
                ),
            },
            # A file (not :memory:) so that concurrency tests' threads share it; one per test run, so two
            # runs on one machine never share a database.
            "TEST": {"NAME": DATA_DIR / f"test_kiban_{os.getpid()}.sqlite3"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, channels, cache ---------------------------------------------------------------------------------
REDIS_URL = env_str("KIBAN_REDIS_URL")
# Realtime delivery does not use a Channels layer: kiban.realtime publishes once per event to Redis (or an
# in-process hub) and each process fans out to its own sockets (docs/ARCHITECTURE.md, "Realtime").
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Chat ----------------------------------------------------------------------------------------------------
KIBAN_CHAT_MAX_UPLOAD_BYTES = env_int("KIBAN_CHAT_MAX_UPLOAD_BYTES", 20 * 1024 * 1024, minimum=1)

# --- Online meetings (kiban.meetings) ----------------------------------------------------------------------
# builtin: browser-to-browser WebRTC only. jitsi: a self-hosted Jitsi (token auth) is used for meetings above
# the mesh limit or when the organiser chooses it.
KIBAN_MEETING_PROVIDER = env_str("KIBAN_MEETING_PROVIDER", "builtin").strip().lower() or "builtin"
if KIBAN_MEETING_PROVIDER not in {"builtin", "jitsi"}:
    raise ValueError(f"KIBAN_MEETING_PROVIDER={KIBAN_MEETING_PROVIDER!r}: expected builtin or jitsi")
KIBAN_JITSI_URL = env_str("KIBAN_JITSI_URL").strip().rstrip("/")
KIBAN_JITSI_APP_ID = env_str("KIBAN_JITSI_APP_ID").strip()
KIBAN_JITSI_SECRET = env_str("KIBAN_JITSI_SECRET")
if KIBAN_MEETING_PROVIDER == "jitsi" and not (KIBAN_JITSI_URL and KIBAN_JITSI_APP_ID and KIBAN_JITSI_SECRET):
    raise ValueError(
        "KIBAN_MEETING_PROVIDER=jitsi needs KIBAN_JITSI_URL, KIBAN_JITSI_APP_ID and KIBAN_JITSI_SECRET"
    )
# Video participants of a built-in (mesh) room: 4 by default, at most 6 (at lower resolution above 4);
# later arrivals join with audio only.
KIBAN_MEETING_VIDEO_LIMIT = env_int("KIBAN_MEETING_VIDEO_LIMIT", 4, minimum=2)
if KIBAN_MEETING_VIDEO_LIMIT > 6:
    raise ValueError("KIBAN_MEETING_VIDEO_LIMIT: at most 6 (a browser mesh does not carry more video)")
# Presence (在席): from this hour (0–23, Asia/Tokyo) until 5:00 a person with no activity (no open page) for
# half an hour is shown as 退庁 unless they set a status themselves or the calendar says otherwise.
KIBAN_PRESENCE_GONE_HOUR = env_int("KIBAN_PRESENCE_GONE_HOUR", 19)
if KIBAN_PRESENCE_GONE_HOUR > 23:
    raise ValueError("KIBAN_PRESENCE_GONE_HOUR: an hour from 0 to 23")
# TURN (coturn, REST credentials): no public STUN/TURN server is ever used.
KIBAN_TURN_URLS = env_list("KIBAN_TURN_URLS", "")
KIBAN_TURN_SECRET = env_str("KIBAN_TURN_SECRET")
if any(url.startswith(("turn:", "turns:")) for url in KIBAN_TURN_URLS) and not KIBAN_TURN_SECRET:
    raise ValueError(
        "KIBAN_TURN_URLS names a TURN server: set KIBAN_TURN_SECRET (coturn's static-auth-secret)"
    )

# --- Files (kiban.files, kiban.blobs) ---------------------------------------------------------------------
# One request's upload through `POST /api/v1/files` (multipart); larger files go through resumable upload
# sessions in chunks of at most KIBAN_FILES_CHUNK_BYTES, so no single request body is larger than these.
KIBAN_FILES_MAX_REQUEST_UPLOAD_BYTES = env_int(
    "KIBAN_FILES_MAX_REQUEST_UPLOAD_BYTES", 32 * 1024 * 1024, minimum=1
)
KIBAN_FILES_CHUNK_BYTES = env_int("KIBAN_FILES_CHUNK_BYTES", 8 * 1024 * 1024, minimum=5 * 1024 * 1024)
# The largest chunk a client may ask for when it starts a session (`chunk_size`). Chunk bodies are received
# outside Django (kiban.files.receiver) and written to storage as they arrive, so a large chunk costs no
# memory on a local disk; on S3 a chunk is one multipart part, held in memory until it is sent.
KIBAN_FILES_MAX_CHUNK_BYTES = max(
    env_int("KIBAN_FILES_MAX_CHUNK_BYTES", 64 * 1024 * 1024, minimum=5 * 1024 * 1024), KIBAN_FILES_CHUNK_BYTES
)
# The largest file (any number of chunks).
KIBAN_FILES_MAX_FILE_BYTES = env_int("KIBAN_FILES_MAX_FILE_BYTES", 5 * 1024 * 1024 * 1024, minimum=1)
# A request body up to this size stays in memory. Django's ASGI handler writes a larger body to a temporary
# file one received piece at a time, each write a hop to a worker thread: an 8 MiB chunk took ~130 hops, and
# uploads ran at a tenth of the disk's speed (benchmarks/RESULTS.md, "Files"). A chunk fits in memory now; the
# memory this takes is bounded by the chunk size times the uploads in flight.
FILE_UPLOAD_MAX_MEMORY_SIZE = KIBAN_FILES_CHUNK_BYTES + 1024 * 1024

# --- Request size -------------------------------------------------------------------------------------------
# Any body over this is refused with 413 before it is read (kiban.core.bodylimit, in the ASGI layer). By
# default the largest body a legitimate request sends (one-request upload, chat attachment, upload chunk)
# plus 1 MiB for the multipart framing and the other form fields. The proxy's client_max_body_size matches.
KIBAN_MAX_REQUEST_BYTES = env_int(
    "KIBAN_MAX_REQUEST_BYTES",
    max(KIBAN_FILES_MAX_REQUEST_UPLOAD_BYTES, KIBAN_CHAT_MAX_UPLOAD_BYTES, KIBAN_FILES_CHUNK_BYTES)
    + 1024 * 1024,
    minimum=64 * 1024,
)

# --- Background tasks -----------------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "mail"]}}


# --- Email ----------------------------------------------------------------------------------------------------
def parse_smtp_url(url: str) -> dict[str, object]:
    """Django's EMAIL_* settings for KIBAN_SMTP_URL: `smtp://host:port` (plain), `smtp+starttls://…` or
    `?starttls=1` (STARTTLS), `smtps://user:pass@host:port` (TLS from the first byte). User and password are
    percent-decoded, so a password may contain `@` or `/` written as %40, %2F."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtp+starttls", "smtps"}:
        raise ValueError(f"KIBAN_SMTP_URL: unknown scheme {parts.scheme!r} (smtp, smtp+starttls, smtps)")
    starttls_flag = parse_qs(parts.query).get("starttls", ["0"])[0].lower()
    use_ssl = parts.scheme == "smtps"
    use_tls = parts.scheme == "smtp+starttls" or starttls_flag in {"1", "true", "yes", "on"}
    if use_ssl and use_tls:
        raise ValueError("KIBAN_SMTP_URL: smtps:// already uses TLS; drop starttls")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if use_ssl else 587 if use_tls else 25),
        "EMAIL_USE_SSL": use_ssl,
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_TIMEOUT": 10,
    }


SMTP_URL = env_str("KIBAN_SMTP_URL")
DEFAULT_FROM_EMAIL = env_str("KIBAN_MAIL_FROM", "Kiban <kiban@localhost>")
if SMTP_URL:
    globals().update(parse_smtp_url(SMTP_URL))
else:
    EMAIL_BACKEND = "kiban.core.mail.LogEmailBackend"

# --- Files ------------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise serves from the finders; an absent root only warns
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"


def parse_storage_url(url: str) -> dict[str, object]:
    """The default storage for KIBAN_STORAGE_URL: `s3://bucket?endpoint_url=http://host:9000&region_name=…
    &addressing_style=path&location=prefix` (S3-compatible object storage through django-storages).
    Credentials come from KIBAN_STORAGE_ACCESS_KEY_ID / KIBAN_STORAGE_SECRET_ACCESS_KEY (or their _FILE
    forms), else from boto3's usual chain (AWS_* variables, instance role)."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ValueError(f"KIBAN_STORAGE_URL: unknown scheme {parts.scheme!r} (s3)")
    if not parts.hostname:
        raise ValueError("KIBAN_STORAGE_URL: name the bucket, as in s3://bucket?endpoint_url=…")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    known = {"endpoint_url", "region_name", "addressing_style", "location", "verify"}
    unknown = sorted(set(query) - known)
    if unknown:
        raise ValueError(f"KIBAN_STORAGE_URL: unknown parameter {unknown[0]!r} ({', '.join(sorted(known))})")
    options: dict[str, object] = {
        "bucket_name": parts.hostname,
        # Objects are private: every download goes through Kiban's access checks, never a public URL.
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
    }
    for key in ("endpoint_url", "region_name", "addressing_style", "location"):
        if query.get(key):
            options[key] = query[key]
    if "verify" in query:
        options["verify"] = query["verify"].lower() not in {"0", "false", "no", "off"}
    access_key, secret_key = (
        env_str("KIBAN_STORAGE_ACCESS_KEY_ID"),
        env_str("KIBAN_STORAGE_SECRET_ACCESS_KEY"),
    )
    if access_key and secret_key:
        options["access_key"], options["secret_key"] = access_key, secret_key
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGE_URL = env_str("KIBAN_STORAGE_URL")
STORAGES = {
    "default": (
        parse_storage_url(STORAGE_URL)
        if STORAGE_URL
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads larger than FILE_UPLOAD_MAX_MEMORY_SIZE are spooled here, not in /tmp: a process killed
# mid-upload leaves its temporary file where `blobs.jobs.sweep_blobs` finds and removes it.
FILE_UPLOAD_TEMP_DIR = DATA_DIR / "tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Identity and security ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.Staff"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A Japanese page of the application, not Django's bare English one (kiban/web/errors.py).
CSRF_FAILURE_VIEW = "kiban.web.errors.csrf_failure"
_https = BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("KIBAN_BEHIND_PROXY") else None
USE_X_FORWARDED_FOR = env_bool("KIBAN_BEHIND_PROXY")
if _https:
    SECURE_HSTS_SECONDS = 31536000

# --- Language and time ---------------------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
# Each app keeps its own catalogue in kiban/<app>/locale/ (found by Django through INSTALLED_APPS).
LOCALE_PATHS: list = []
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("KIBAN_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

NINJA_PAGINATION_PER_PAGE = 50
