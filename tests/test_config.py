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
from config.settings import DEV_SECRET, ConfigError, ProductionConfig

ROOT = Path(__file__).resolve().parents[1]
GOOD_SECRET = "s3cret-" * 6


def production(**overrides):
    return create_app({"CONFIG_NAME": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                       **overrides})


@pytest.mark.parametrize("secret", [None, "", DEV_SECRET, "test-secret", "short-secret-31-chars-long-xxxx"])
def test_production_refuses_a_missing_default_or_short_secret(secret):
    with pytest.raises(ConfigError, match="BALLOT_SECRET_KEY"):
        production(SECRET_KEY=secret)


def test_production_refuses_debug_naming_flask_debug():
    with pytest.raises(ConfigError, match="FLASK_DEBUG"):
        production(SECRET_KEY=GOOD_SECRET, DEBUG=True)


def test_production_refuses_a_short_key_encryption_secret():
    with pytest.raises(ConfigError, match="BALLOT_KEY_SECRET"):
        production(SECRET_KEY=GOOD_SECRET, KEY_ENCRYPTION_SECRET="too-short")


def test_production_starts_with_a_real_secret_and_secure_cookies():
    app = production(SECRET_KEY=GOOD_SECRET)
    assert app.config["CONFIG_NAME"] == "production" and not app.debug
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["KEY_ENCRYPTION_SECRET"] == GOOD_SECRET


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
    monkeypatch.setattr(ProductionConfig, "KEY_ENCRYPTION_SECRET", None)
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
