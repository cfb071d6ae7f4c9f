"""Configuration classes for the app factory.

Default: an embedded SQLite file in the instance folder. Set BALLOT_DATABASE_URL for PostgreSQL
(``postgresql+psycopg://user@host/db``; a plain ``postgresql://`` URL is accepted too).
"""

from __future__ import annotations

import os

DEV_SECRET = "dev-only-insecure-secret"


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def normalise_database_url(url: str) -> str:
    """Make ``postgresql://`` URLs use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class DefaultConfig:
    """Development and `make demo`: SQLite in the instance folder, a dev secret."""

    SECRET_KEY = _env("BALLOT_SECRET_KEY", DEV_SECRET)
    # Encrypts session private keys at rest; defaults to SECRET_KEY, set separately in production.
    KEY_ENCRYPTION_SECRET = _env("BALLOT_KEY_SECRET")
    SQLALCHEMY_DATABASE_URI = _env("BALLOT_DATABASE_URL")  # None → instance/ballot.sqlite
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # PostgreSQL connections per process, and so requests at work at once (ballot.web.admission).
    # On the 2-core machine a gevent worker cast 3,000 ballots 10% faster with 4–6 than with 10:
    # fewer transactions interleaved, less switching and locking in both processes.
    DB_POOL_SIZE = int(_env("BALLOT_DB_POOL_SIZE", "6"))
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = _env("BALLOT_TIMEZONE", "Asia/Shanghai")
    LANGUAGES = ("zh", "en")
    MAX_CONTENT_LENGTH = int(_env("BALLOT_MAX_UPLOAD_BYTES", str(4 * 1024 * 1024)))
    MAX_IMPORT_ROWS = 5000
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env("BALLOT_SECURE_COOKIES", "0") == "1"
    WTF_CSRF_TIME_LIMIT = None  # a kiosk page stays open all day
    # Push live figures to chair screens and idle kiosks (server-sent events): "1", "0", or
    # "auto" = where this process runs under gevent (ballot.web.streams). `ballot serve` turns
    # "auto" on: it serves each connection from a thread of its own.
    LIVE_STREAM = _env("BALLOT_LIVE_STREAM", "auto")
    DEBUG = False
    TESTING = False


class TestConfig(DefaultConfig):
    """The test suite: BALLOT_TEST_DATABASE_URL or an SQLite file per test."""

    TESTING = True
    SECRET_KEY = "test-secret"
    KEY_ENCRYPTION_SECRET = "test-key-secret"
    SQLALCHEMY_DATABASE_URI = _env("BALLOT_TEST_DATABASE_URL")
    WTF_CSRF_ENABLED = False


class ProductionConfig(DefaultConfig):
    """Deployments: refuses to start without a real secret (see ``check_production``)."""

    SESSION_COOKIE_SECURE = _env("BALLOT_SECURE_COOKIES", "1") == "1"


class ConfigError(RuntimeError):
    """A configuration the app refuses to start with; the message names the variable to fix."""


def check_production(config: dict) -> list[str]:
    """Problems that make a production configuration unsafe to start."""
    problems = []
    secret = config.get("SECRET_KEY")
    if not secret or secret in (DEV_SECRET, "test-secret") or len(secret) < 32:
        problems.append("BALLOT_SECRET_KEY 未设置、仍为默认值或过短（至少 32 个字符）/ "
                        "BALLOT_SECRET_KEY missing, default or too short (32 characters at least)")
    key_secret = config.get("KEY_ENCRYPTION_SECRET")
    if key_secret and len(key_secret) < 32:
        problems.append("BALLOT_KEY_SECRET 过短（至少 32 个字符）/ "
                        "BALLOT_KEY_SECRET too short (32 characters at least)")
    if config.get("DEBUG"):
        problems.append("生产环境不得开启调试模式，请去掉 FLASK_DEBUG / "
                        "debug must be off in production: unset FLASK_DEBUG")
    return problems


CONFIGS = {"default": DefaultConfig, "test": TestConfig, "production": ProductionConfig}
