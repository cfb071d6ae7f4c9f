"""Configuration classes for the app factory.

Default: an embedded SQLite file in the instance folder. Set BALLOT_DATABASE_URL for PostgreSQL
(``postgresql+psycopg://user@host/db``; a plain ``postgresql://`` URL is accepted too).
"""

from __future__ import annotations

import math
import os
import tempfile
from collections import Counter
from pathlib import Path

# Secrets that are public: earlier versions' development default and the test suite's own.
KNOWN_SECRETS = frozenset({"dev-only-insecure-secret", "test-secret", "test-key-secret"})
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 100  # by the secret's own character statistics; token_urlsafe(32) has ~200
GENERATE_HINT = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


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

    # Unset: a random secret kept in the instance folder (``instance_secret``); never a known one.
    SECRET_KEY = _env("BALLOT_SECRET_KEY")
    # Encrypts session private keys at rest. Unset: a second random secret in the instance
    # folder; production requires it set, and different from BALLOT_SECRET_KEY.
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
    HSTS_SECONDS = 0  # Strict-Transport-Security: production over HTTPS only
    # Reverse proxies in front of the app (nginx terminating TLS: 1). Their X-Forwarded-For
    # gives each browser's own address, which failed logins are counted by.
    PROXY_HOPS = int(_env("BALLOT_PROXY_HOPS", "0"))
    # The address at which delegates' phones reach the public pages (the bulletin board), e.g.
    # https://piaojue.example.gov.cn: shown on the voting kiosk's receipt as text and a QR code.
    # Unset: the receipt names no address (the kiosk's own address is often unreachable by phones).
    PUBLIC_URL = _env("BALLOT_PUBLIC_URL", "")
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
    # Sent only with secure cookies, i.e. when the site is served over HTTPS.
    HSTS_SECONDS = int(_env("BALLOT_HSTS_SECONDS", str(365 * 24 * 3600)))


class ConfigError(RuntimeError):
    """A configuration the app refuses to start with; the message names the variable to fix."""


def weak_secret(secret: str) -> bool:
    """True for a secret that could be guessed: a known one, a repeated pattern (32 × "a",
    "s3cret-" × 6), or fewer than MIN_SECRET_BITS by its own character statistics."""
    if secret in KNOWN_SECRETS:
        return True
    if any(secret[shift:] == secret[:-shift] for shift in range(1, len(secret) // 2 + 1)):
        return True
    counts = Counter(secret)
    bits = -sum(n * math.log2(n / len(secret)) for n in counts.values())
    return bits < MIN_SECRET_BITS


def _secret_problem(value: str | None, variable: str) -> str | None:
    if not value:
        return f"{variable} 未设置 / {variable} is not set"
    if len(value) < MIN_SECRET_LENGTH:
        return (f"{variable} 过短（至少 {MIN_SECRET_LENGTH} 个字符）/ "
                f"{variable} is too short ({MIN_SECRET_LENGTH} characters at least)")
    if weak_secret(value):
        return (f"{variable} 是公开的默认值或过于简单（重复、字符种类太少），请用随机值 / "
                f"{variable} is a public default or too simple (repeated, too few kinds of "
                f"characters): use a random one")
    return None


def check_production(config: dict) -> list[str]:
    """Problems that make a production configuration unsafe to start."""
    problems = []
    for key, variable in (("SECRET_KEY", "BALLOT_SECRET_KEY"),
                          ("KEY_ENCRYPTION_SECRET", "BALLOT_KEY_SECRET")):
        problem = _secret_problem(config.get(key), variable)
        if problem:
            problems.append(f"{problem}（生成 / generate one: {GENERATE_HINT}）")
    if config.get("SECRET_KEY") and config.get("SECRET_KEY") == config.get("KEY_ENCRYPTION_SECRET"):
        problems.append("BALLOT_KEY_SECRET 不得与 BALLOT_SECRET_KEY 相同：它加密会议私钥，须单独保管 / "
                        "BALLOT_KEY_SECRET must differ from BALLOT_SECRET_KEY: it encrypts the "
                        "session keys and is kept apart")
    if config.get("DEBUG"):
        problems.append("生产环境不得开启调试模式，请去掉 FLASK_DEBUG / "
                        "debug must be off in production: unset FLASK_DEBUG")
    return problems


def instance_secret(instance_path: str, name: str) -> tuple[str, bool]:
    """The random secret kept in the file ``name`` of the instance folder, made on first use
    (mode 0600); returns it and whether it was just made.

    Made in a temporary file and linked into place, so two processes starting at once agree
    on one secret and neither reads a half-written file.
    """
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    created = False
    if not path.exists():
        import secrets

        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.")  # mode 0600
        try:
            with os.fdopen(handle, "w") as file:
                file.write(secrets.token_urlsafe(48) + "\n")
                file.flush()
                os.fsync(file.fileno())
            os.link(temporary, path)
            created = True
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            os.unlink(temporary)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # copied in with looser rights: only this account may read it
    value = path.read_text().strip()
    if len(value) < MIN_SECRET_LENGTH or weak_secret(value):
        raise ConfigError(f"{path} 中的密钥过短或过于简单，请删除该文件后重新启动以生成新密钥 / "
                          f"the secret in {path} is too short or simple: delete the file and "
                          f"start again to make a new one")
    return value, created


CONFIGS = {"default": DefaultConfig, "test": TestConfig, "production": ProductionConfig}
