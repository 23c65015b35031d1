"""Atelier settings: one module, everything read from the environment (django-environ).

Secrets and provider keys default to empty; the local adapters take over when they are.
`.env.example` lists every variable.
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

TESTING = env.bool("ATELIER_TESTING", default="pytest" in sys.modules)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# DJANGO_SECURE=true in production: HTTPS only, secure cookies, HSTS (see Security below).
SECURE = env.bool("DJANGO_SECURE", default=False)
# The repository's key: for `make run` and tests only. With DEBUG off a system check refuses it
# (bookings/checks.py), since anyone can sign artisan links with a key that is public.
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"
if SECURE:
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY"
    )  # no default in production: refuse to start without it
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Absolute address of the site, used in links sent by email and SMS.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "notifications",
    "bookings",
    "privatisation",
    "pending_orders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
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
                "config.context_processors.site",
                "privatisation.context_processors.badge",
                "pending_orders.context_processors.pending_orders_badge",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat share the file: wait on locks, write-ahead log, take the write
    # lock at BEGIN so "lock then check" services behave like they do on PostgreSQL.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- Redis, Celery, cache -------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_DATA_DIR = VAR_DIR / "celery"
if REDIS_URL and TESTING:
    # Tests use their own Redis database, so a running worker never eats a test's task.
    CELERY_BROKER_URL = REDIS_URL.rsplit("/", 1)[0] + "/" + env.str("TEST_REDIS_DB", default="15")
elif REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
elif TESTING:
    CELERY_BROKER_URL = "memory://"
else:
    # A broker that needs no server: messages are files under var/celery.
    CELERY_DATA_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR),
        "data_folder_out": str(CELERY_DATA_DIR),
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Publishing must not hang a request when the broker is down: the outbox sweeper re-sends.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **globals().get("CELERY_BROKER_TRANSPORT_OPTIONS", {}),
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_PUBLISH_RETRY = False

# A Redis that is down or slow must not hang a page: connect and read time out fast, and the
# callers (rate limits, the storefront's fragment cache) carry on without the cache.
REDIS_CACHE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
if REDIS_URL and not TESTING:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
elif TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling (django-axes): 5 wrong passwords for one username from one address lock that
# pair out for 15 minutes, even with the right password. Attempts are rows in the database (works the
# same for web processes, tests and production); a successful sign-in clears them.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "bookings/backoffice/locked_out.html"
AXES_CLIENT_IP_CALLABLE = (
    "bookings.ratelimit.axes_client_ip"  # the same client address as the form limits
)
AXES_USERNAME_CALLABLE = "bookings.ratelimit.axes_username"  # one key for every case of an email
AXES_VERBOSE = False
LOGIN_URL = "backoffice:login"
# Sessions are read from the cache and written through to the database (a back-office page
# then runs no session query). A revoked session goes through logout/flush, which deletes both;
# a Redis outage breaks neither a page nor a sign-out (config/sessions.py).
SESSION_ENGINE = "config.sessions"
LOGIN_REDIRECT_URL = "backoffice:home"
LOGOUT_REDIRECT_URL = "backoffice:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3  # an invitation stays valid three days

# --- I18N / time ----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_WORKSHOP_TIMEZONE = "Europe/Paris"

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Django serves uploaded files itself only where nothing else does (`make run`); the compose
# stack's proxy serves them from the media volume and sets this to false.
SERVE_MEDIA = env.bool("DJANGO_SERVE_MEDIA", default=True)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Atelier <bonjour@atelier.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL_ESP = env.str("ANYMAIL_ESP", default="")  # e.g. "mailgun", "postmark", "sendgrid"
ANYMAIL = env.dict(
    "ANYMAIL_SETTINGS", default={}
)  # e.g. MAILGUN_API_KEY=...,MAILGUN_SENDER_DOMAIN=...
if ANYMAIL_ESP:
    EMAIL_BACKEND = f"anymail.backends.{ANYMAIL_ESP}.EmailBackend"
elif TESTING:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
else:
    # Local outbox: every email is a file under var/mail (and listed in admin).
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- SMS (Twilio) ---------------------------------------------------------------------------
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
SMS_LOG_FILE = VAR_DIR / "sms.log"

# --- Payments (Stripe) ----------------------------------------------------------------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")  # e.g. a localstripe server in tests
# The local dev gateway confirms orders without any money: on by default only with DEBUG (and in
# tests); elsewhere it must be asked for, and a system check refuses to start with neither it nor
# Stripe configured (bookings/checks.py).
PAYMENTS_DEV_GATEWAY = env.bool("PAYMENTS_DEV_GATEWAY", default=DEBUG or TESTING)

# --- Business rules (documented in the README) ----------------------------------------------
CHECKOUT_HOLD_MINUTES = env.int("CHECKOUT_HOLD_MINUTES", default=15)
PRIVATISATION_RESPOND_HOURS = env.int("PRIVATISATION_RESPOND_HOURS", default=72)
PRIVATISATION_PAY_HOURS = env.int("PRIVATISATION_PAY_HOURS", default=72)
PRIVATISATION_COMPANY_RESPOND_HOURS = env.int("PRIVATISATION_COMPANY_RESPOND_HOURS", default=5 * 24)
PRIVATISATION_COMPANY_PAY_HOURS = env.int("PRIVATISATION_COMPANY_PAY_HOURS", default=14 * 24)
PRIVATISATION_REMINDER_HOURS = env.int("PRIVATISATION_REMINDER_HOURS", default=24)
PENDING_ORDER_DECISION_HOURS = env.int("PENDING_ORDER_DECISION_HOURS", default=4 * 24)
PENDING_ORDER_AUTH_MARGIN_HOURS = env.int("PENDING_ORDER_AUTH_MARGIN_HOURS", default=12)
PENDING_ORDER_REMINDER_HOURS = env.int("PENDING_ORDER_REMINDER_HOURS", default=24)
# A capture that finds the card hold gone sends the customer a payment link valid this long.
PENDING_ORDER_PAYMENT_LINK_HOURS = env.int("PENDING_ORDER_PAYMENT_LINK_HOURS", default=24)
# After the booking: free moves per order, and days a customer whose date was cancelled has to
# choose another date or a refund (refunded without a choice).
ATELIER_MAX_MOVES = env.int("ATELIER_MAX_MOVES", default=5)
ATELIER_CHOICE_DAYS = env.int("ATELIER_CHOICE_DAYS", default=14)
# Milliseconds the local dev gateway waits in each authorise/capture/release/refund call, to
# stand in for a real provider in the benchmarks (bench/bulk_accept.py). 0: answer at once.
DEV_GATEWAY_LATENCY_MS = env.int("DEV_GATEWAY_LATENCY_MS", default=0)
RATE_LIMIT_PUBLIC_FORMS = env.str("RATE_LIMIT_PUBLIC_FORMS", default="20/h")
# Sign-in attempts from one address, whatever the username (password spraying).
RATE_LIMIT_SIGN_IN = env.str("RATE_LIMIT_SIGN_IN", default="20/15m")
# Reverse proxies in front of the app that append to X-Forwarded-For: the client address (rate limits,
# sign-in lockout) is the one the outermost of them saw. 0: the socket address, the header is ignored.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Gift cards: validity from purchase, the preset amounts offered, the free amount's limits (cents),
# the currency they are sold in, and how many code guesses one address may make (balance, checkout).
GIFT_CARD_VALIDITY_DAYS = env.int("GIFT_CARD_VALIDITY_DAYS", default=365)
GIFT_CARD_PRESET_CENTS = env.list(
    "GIFT_CARD_PRESET_CENTS", cast=int, default=[3000, 5000, 8000, 12000]
)
GIFT_CARD_MIN_CENTS = env.int("GIFT_CARD_MIN_CENTS", default=1000)
GIFT_CARD_MAX_CENTS = env.int("GIFT_CARD_MAX_CENTS", default=50000)
GIFT_CARD_CURRENCY = env.str("GIFT_CARD_CURRENCY", default="EUR")
RATE_LIMIT_GIFT_CARD_CODES = env.str("RATE_LIMIT_GIFT_CARD_CODES", default="30/h")

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and env.bool("DJANGO_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # twilio logs every request and its headers at INFO.
        "twilio.http_client": {"level": "WARNING"},
        # axes logs every sign-in at INFO; lockouts are WARNING.
        "axes": {"level": "WARNING"},
    },
}

WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
