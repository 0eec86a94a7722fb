"""One configuration class, read from the environment with safe defaults.

Secrets are never committed: when ``SECRET_KEY`` is not given, one is generated
into the instance folder on first run and reused afterwards, so sessions
survive a restart and every server sharing the instance folder agrees.
"""

import os
import secrets
from pathlib import Path

# The checkout (or install) root: ``templates/`` lives here, beside the packages.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _instance_secret(instance_path: str, name: str) -> str:
    path = Path(instance_path) / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)  # 384 bits: above RFC 8725's 256-bit floor for HS256
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def database_url(url: str) -> str:
    """psycopg2 is the PostgreSQL driver we ship; SQLAlchemy 2.1 would pick psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


class Config:
    """Settings for one running service; ``overrides`` win over the environment."""

    def __init__(self, instance_path: str, overrides: dict | None = None):
        env = os.environ
        overrides = overrides or {}
        self.SQLALCHEMY_DATABASE_URI = (
            overrides.get("SQLALCHEMY_DATABASE_URI")
            or env.get("DATABASE_URL")
            or "sqlite:///" + str(Path(instance_path) / "attendance.sqlite")
        )
        self.SQLALCHEMY_DATABASE_URI = database_url(self.SQLALCHEMY_DATABASE_URI)
        self.SECRET_KEY = (
            overrides.get("SECRET_KEY")
            or env.get("SECRET_KEY")
            or _instance_secret(instance_path, "secret_key")
        )
        self.API_TOKEN_TTL_HOURS = int(env.get("API_TOKEN_TTL_HOURS", "12"))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        # Secure cookies unless told otherwise: ``attendance serve`` on a loopback address (the
        # README demo over http://127.0.0.1) and tests switch them off; HTTPS is the norm.
        testing = bool(overrides.get("TESTING"))
        secure_default = "0" if testing else "1"
        self.SESSION_COOKIE_SECURE = env.get("SESSION_COOKIE_SECURE", secure_default) == "1"
        # CSRF tokens live as long as the session: a roster page stays open a whole half-day.
        self.WTF_CSRF_TIME_LIMIT = None
        # Abuse limits (attendance.security.ratelimit); never disable in production.
        self.RATE_LIMITS_ENABLED = env.get("RATE_LIMITS_ENABLED", "1") == "1"
        self.RATE_LIMITS: dict[str, tuple[int, int]] = {}
        # Number of reverse proxies (load balancer) in front of the app, for the client's IP.
        self.TRUSTED_PROXIES = int(env.get("TRUSTED_PROXIES", "0"))
        self.MAX_CONTENT_LENGTH = int(env.get("MAX_CONTENT_LENGTH", str(10 * 1024 * 1024)))
        self.TIMEZONE = env.get("ATTENDANCE_TIMEZONE", "Europe/Paris")
        # flask-smorest / OpenAPI
        self.API_TITLE = "Émargement et facturation — API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.OPENAPI_SWAGGER_UI_PATH = "docs"
        # Served from the swagger-ui-bundle package (attendance.api.docs): offline, same origin.
        self.OPENAPI_SWAGGER_UI_URL = "/api/docs/ui/"
        self.API_SPEC_OPTIONS = {
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "info": {"description": "Émargement électronique, heures réalisées et facturation."},
        }
        # Where declarations are pushed (the Region's system or any other); file export otherwise.
        self.DECLARATION_PUSH_URL = env.get("DECLARATION_PUSH_URL")
        self.DECLARATION_PUSH_TOKEN = env.get("DECLARATION_PUSH_TOKEN")
        # No ping before each request (a round trip on every sign-in): a connection found dead
        # fails its request with a 503 to retry, and the pool then drops every connection
        # opened before (SQLAlchemy's optimistic disconnect handling).
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False}
        # Sign-in (attendance.signing): JWT algorithm for new keys, QR rotation, device cookie.
        self.SIGNING_ALG = env.get("SIGNING_ALG", "HS256")
        self.SIGNIN_QR_ROTATION_SECONDS = int(env.get("SIGNIN_QR_ROTATION_SECONDS", "15"))
        # A slot is signed (QR code, kiosk, distance link) from this many minutes before its
        # start until its end (attendance.signing.window); outside, only a correction.
        self.SIGNIN_OPENING_MINUTES = int(env.get("SIGNIN_OPENING_MINUTES", "30"))
        self.SIGNING_COOKIE_SECURE = env.get("SIGNING_COOKIE_SECURE", secure_default) == "1"
        # Reminders and digests (attendance.notify): SMTP relay; delays are per organisation.
        self.MAIL_SERVER = env.get("MAIL_SERVER", "localhost")
        self.MAIL_PORT = int(env.get("MAIL_PORT", "25"))
        self.MAIL_SENDER = env.get("MAIL_SENDER", "emargement@localhost")
        self.REMINDER_LOOKBACK_HOURS = int(env.get("REMINDER_LOOKBACK_HOURS", "24"))
        self.REMINDER_MAX_ATTEMPTS = int(env.get("REMINDER_MAX_ATTEMPTS", "5"))
        self.REMINDER_CLAIM_TIMEOUT_MINUTES = int(env.get("REMINDER_CLAIM_TIMEOUT_MINUTES", "60"))
        for key, value in overrides.items():
            setattr(self, key, value)
