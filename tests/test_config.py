"""Production configuration: the app factory, `ballot serve` and wsgi.py refuse an unsafe setup."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest
import werkzeug.serving
from click.testing import CliRunner

from ballot import cli
from ballot.app import create_app
from config.settings import ConfigError, DefaultConfig, ProductionConfig, weak_secret

ROOT = Path(__file__).resolve().parents[1]
GOOD_SECRET = "pX3q9vTz_Lm2Kd8WnR5bYc1Hf7Gs4Ju0AeQ"  # random, as `secrets.token_urlsafe` makes
GOOD_KEY_SECRET = "Vb6Nw1Zr-Tk9Pq3Xm7Cs2Hd5Lj8Fg4Ay0Ue"
DEV_SECRET = "dev-only-insecure-secret"  # earlier versions' public development default
# Long enough, and still guessable: the audit's 32 × "a", a repeated word, a keyboard walk of
# a handful of characters.
WEAK = ["a" * 32, "s3cret-" * 6, "abababababababababababababababab", "0123456789" * 4,
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "password" * 4]


def production(**overrides):
    return create_app({"CONFIG_NAME": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                       "KEY_ENCRYPTION_SECRET": GOOD_KEY_SECRET, **overrides})


@pytest.mark.parametrize("secret", [None, "", DEV_SECRET, "test-secret",
                                    "short-secret-31-chars-long-xxxx", *WEAK])
def test_production_refuses_a_missing_default_short_or_weak_secret(secret):
    with pytest.raises(ConfigError, match="BALLOT_SECRET_KEY"):
        production(SECRET_KEY=secret)


@pytest.mark.parametrize("secret", WEAK)
def test_weak_secrets_are_recognised_and_random_ones_are_not(secret):
    import secrets

    assert weak_secret(secret)
    assert not any(weak_secret(secrets.token_urlsafe(32)) for _ in range(200))
    assert not any(weak_secret(secrets.token_hex(32)) for _ in range(200))


@pytest.mark.parametrize("key_secret", [None, "", "too-short", "test-key-secret", *WEAK])
def test_production_refuses_a_missing_short_or_weak_key_secret(key_secret):
    """The key secret never falls back to the cookie secret in production."""
    with pytest.raises(ConfigError, match="BALLOT_KEY_SECRET"):
        production(SECRET_KEY=GOOD_SECRET, KEY_ENCRYPTION_SECRET=key_secret)


def test_production_refuses_the_cookie_secret_as_key_secret():
    with pytest.raises(ConfigError, match="BALLOT_KEY_SECRET must differ"):
        production(SECRET_KEY=GOOD_SECRET, KEY_ENCRYPTION_SECRET=GOOD_SECRET)


def test_production_refuses_debug_naming_flask_debug():
    with pytest.raises(ConfigError, match="FLASK_DEBUG"):
        production(SECRET_KEY=GOOD_SECRET, DEBUG=True)


def test_production_starts_with_real_secrets_secure_cookies_and_hsts():
    app = production(SECRET_KEY=GOOD_SECRET)
    assert app.config["CONFIG_NAME"] == "production" and not app.debug
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["KEY_ENCRYPTION_SECRET"] == GOOD_KEY_SECRET
    for path in ("/", "/login", "/healthz", "/api/v1/sessions", "/static/css/app.css"):
        answer = app.test_client().get(path)
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000", path


def test_hsts_only_where_the_site_is_served_over_https(tmp_path, monkeypatch):
    # Plain HTTP in production (BALLOT_SECURE_COOKIES=0): browsers would be told to insist on
    # an HTTPS that is not there.
    plain = production(SECRET_KEY=GOOD_SECRET, SESSION_COOKIE_SECURE=False)
    assert "Strict-Transport-Security" not in plain.test_client().get("/").headers
    monkeypatch.setenv("BALLOT_INSTANCE_PATH", str(tmp_path))
    hall = create_app({"CONFIG_NAME": "default", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert "Strict-Transport-Security" not in hall.test_client().get("/").headers


def test_an_unknown_config_name_is_refused_naming_the_variable():
    with pytest.raises(ConfigError, match="BALLOT_CONFIG"):
        create_app("prod")


@pytest.fixture
def no_env_config(monkeypatch, tmp_path):
    """The environment of a deployment that set nothing: no BALLOT_CONFIG, no secret."""
    monkeypatch.delenv("BALLOT_CONFIG", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("BALLOT_INSTANCE_PATH", str(tmp_path))
    # The config classes read the environment when imported: set what they read instead.
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    monkeypatch.setattr(ProductionConfig, "KEY_ENCRYPTION_SECRET", GOOD_KEY_SECRET)
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", "sqlite://")
    served = []

    class Server:
        """Should a check regress, `serve` returns at once instead of serving forever."""

        port = 5397

        def serve_forever(self):
            pass

        def server_close(self):
            pass

    def make_server(*args, **kwargs):
        served.append(args)
        return Server()

    monkeypatch.setattr(werkzeug.serving, "make_server", make_server)
    return served


@pytest.mark.parametrize("entry", ["wsgi.py", "ballot/wsgi.py"])
def test_wsgi_defaults_to_production_and_refuses_without_a_secret(no_env_config, monkeypatch,
                                                                  entry):
    monkeypatch.delitem(sys.modules, "ballot.wsgi", raising=False)  # built afresh each time
    with pytest.raises(ConfigError, match="BALLOT_SECRET_KEY"):
        runpy.run_path(str(ROOT / entry))
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", GOOD_SECRET)
    monkeypatch.delitem(sys.modules, "ballot.wsgi", raising=False)
    app = runpy.run_path(str(ROOT / entry))["app"]
    assert app.config["CONFIG_NAME"] == "production"


def test_serve_refuses_a_default_secret_with_a_clear_message(no_env_config, monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", DEV_SECRET)
    result = CliRunner().invoke(cli.main, ["serve", "--port", "5397"],
                                env={"BALLOT_CONFIG": "production"})
    assert result.exit_code == 1
    assert "Error: BALLOT_SECRET_KEY" in result.output and no_env_config == []


def test_serve_refuses_debug_turned_on_after_the_factory(no_env_config, monkeypatch):
    # FLASK_DEBUG is applied by the CLI once the app exists, so `serve` checks again.
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", GOOD_SECRET)
    result = CliRunner().invoke(cli.main, ["serve", "--port", "5397"],
                                env={"BALLOT_CONFIG": "production", "FLASK_DEBUG": "1"})
    assert result.exit_code == 1
    assert "FLASK_DEBUG" in result.output and no_env_config == []


def test_serve_starts_with_a_safe_production_config(no_env_config, monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", GOOD_SECRET)
    result = CliRunner().invoke(cli.main, ["serve", "--port", "5397"],
                                env={"BALLOT_CONFIG": "production"})
    assert result.exit_code == 0, result.output
    assert [args[:2] for args in no_env_config] == [("127.0.0.1", 5397)]


# --- the hall laptop: `ballot serve` and every mode but the tests never use a known secret ----


@pytest.fixture
def hall_laptop(monkeypatch, tmp_path):
    """`ballot serve` as documented for a hall laptop: default mode, no secret in the environment."""
    monkeypatch.delenv("BALLOT_CONFIG", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("BALLOT_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setattr(DefaultConfig, "SECRET_KEY", None)
    monkeypatch.setattr(DefaultConfig, "KEY_ENCRYPTION_SECRET", None)
    monkeypatch.setattr(DefaultConfig, "SQLALCHEMY_DATABASE_URI", "sqlite://")
    served = []

    class Server:
        port = 5397

        def serve_forever(self):
            pass

        def server_close(self):
            pass

    def make_server(*args, **kwargs):
        served.append(args[2])
        return Server()

    monkeypatch.setattr(werkzeug.serving, "make_server", make_server)
    return tmp_path / "instance", served


def test_serve_makes_random_secrets_in_the_instance_folder_and_says_so(hall_laptop):
    instance, served = hall_laptop
    first = CliRunner().invoke(cli.main, ["serve", "--port", "5397"])
    assert first.exit_code == 0, first.output
    app = served[0]
    files = {name: instance / name for name in ("secret_key", "key_secret")}
    for name, path in files.items():
        assert path.stat().st_mode & 0o777 == 0o600, name
        assert str(path) in first.output and "0600" in first.output
    assert app.config["SECRET_KEY"] == files["secret_key"].read_text().strip()
    assert app.config["KEY_ENCRYPTION_SECRET"] == files["key_secret"].read_text().strip()
    assert app.config["SECRET_KEY"] != app.config["KEY_ENCRYPTION_SECRET"]
    for secret in (app.config["SECRET_KEY"], app.config["KEY_ENCRYPTION_SECRET"]):
        assert not weak_secret(secret) and secret not in (DEV_SECRET, "test-secret")
    # The next start uses the same secrets (logins and session keys survive a restart), quietly.
    again = CliRunner().invoke(cli.main, ["serve", "--port", "5397"])
    assert again.exit_code == 0 and "0600" not in again.output
    assert served[1].config["SECRET_KEY"] == app.config["SECRET_KEY"]
    assert served[1].config["KEY_ENCRYPTION_SECRET"] == app.config["KEY_ENCRYPTION_SECRET"]


def test_another_laptop_gets_other_secrets(hall_laptop, tmp_path, monkeypatch):
    instance, _ = hall_laptop
    first = create_app()
    monkeypatch.setenv("BALLOT_INSTANCE_PATH", str(tmp_path / "other"))
    other = create_app()
    assert first.config["SECRET_KEY"] != other.config["SECRET_KEY"]
    assert first.config["KEY_ENCRYPTION_SECRET"] != other.config["KEY_ENCRYPTION_SECRET"]


def test_secrets_from_the_environment_are_used_and_no_file_is_made(hall_laptop, monkeypatch):
    instance, _ = hall_laptop
    monkeypatch.setattr(DefaultConfig, "SECRET_KEY", GOOD_SECRET)
    monkeypatch.setattr(DefaultConfig, "KEY_ENCRYPTION_SECRET", GOOD_KEY_SECRET)
    app = create_app()
    assert app.config["SECRET_KEY"] == GOOD_SECRET
    assert app.config["KEY_ENCRYPTION_SECRET"] == GOOD_KEY_SECRET
    assert not (instance / "secret_key").exists() and not (instance / "key_secret").exists()


def test_a_loosely_readable_secret_file_is_made_0600_and_a_weak_one_refused(hall_laptop):
    instance, _ = hall_laptop
    instance.mkdir()
    (instance / "secret_key").write_text(GOOD_SECRET + "\n")
    (instance / "secret_key").chmod(0o644)
    assert create_app().config["SECRET_KEY"] == GOOD_SECRET
    assert (instance / "secret_key").stat().st_mode & 0o777 == 0o600
    (instance / "key_secret").write_text("a" * 32)
    with pytest.raises(ConfigError, match="key_secret"):
        create_app()


def test_the_database_file_alone_does_not_open_the_session_key(hall_laptop, tmp_path, monkeypatch):
    """The audit decrypted a session's private key from the database file and the public
    development secret; with the instance folder's secret, the file alone is not enough."""
    from ballot.crypto import KeyDecryptionError
    from ballot.extensions import db
    from ballot.services import candidates, keys
    from tests.conftest import make_session

    monkeypatch.setattr(DefaultConfig, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'hall.sqlite'}")
    app = create_app()
    with app.app_context():
        db.create_all()
        session = make_session()
        candidates.lock_list(session, "staff", app.config["KEY_ENCRYPTION_SECRET"])
        db.session.commit()
        assert keys.private_key(session, app.config["KEY_ENCRYPTION_SECRET"]) is not None
        for guess in (DEV_SECRET, app.config["SECRET_KEY"], "test-secret"):
            with pytest.raises(KeyDecryptionError):
                keys.private_key(session, guess)
