"""The app factory: the web app. The ``ballot`` command (ballot.cli) builds it and adds its
commands; the app itself knows nothing of the command line."""

from __future__ import annotations

import os
import re
import sys

from flask import Flask, g, request
from flask import session as cookie  # the signed cookie; "session" is a 会议 here
from markupsafe import Markup

from config.settings import (
    CONFIGS,
    ConfigError,
    check_production,
    instance_secret,
    normalise_database_url,
)


def template_folder() -> str:
    """Where the templates are: inside the package in an installed wheel (setup.py copies them
    there), else the top-level kiosk_templates/ of a source checkout or editable install."""
    package = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(package, "kiosk_templates")
    return installed if os.path.isdir(installed) else os.path.join(
        os.path.dirname(package), "kiosk_templates")


def create_app(config: str | dict | None = None) -> Flask:
    """Build the app. ``config``: a name from config.settings (default $BALLOT_CONFIG) or a dict."""
    package = os.path.dirname(os.path.abspath(__file__))
    templates = template_folder()
    # A source checkout keeps its database under ./instance at its root; an installed wheel
    # under ./instance of the directory it is run from (never inside site-packages).
    root = os.getcwd() if templates.startswith(package) else os.path.dirname(package)
    app = Flask(
        __name__,
        template_folder=templates,
        instance_path=os.environ.get("BALLOT_INSTANCE_PATH") or os.path.join(root, "instance"),
    )
    overrides = config if isinstance(config, dict) else {}
    name = config if isinstance(config, str) else os.environ.get("BALLOT_CONFIG", "default")
    name = overrides.get("CONFIG_NAME", name)
    if name not in CONFIGS:
        raise ConfigError(f"BALLOT_CONFIG 只能是 {'、'.join(CONFIGS)} 之一，现为“{name}” / "
                           f"BALLOT_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}")
    app.config.from_object(CONFIGS[name])
    app.config.update(overrides)
    app.config["CONFIG_NAME"] = name
    if name == "default":
        _instance_secrets(app)
    if name == "production":
        problems = check_production(app.config)
        if problems:
            raise ConfigError("; ".join(problems))
    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    _database_setup(app)
    _extensions(app)
    _admission(app)
    _request_limits(app)
    _blueprints(app)
    _security_headers(app)
    _template_globals(app)
    return app


def _instance_secrets(app: Flask) -> None:
    """Give the hall laptop's mode (``ballot serve``, ``ballot demo``) secrets nobody knows.

    A secret not set in the environment is a random one kept in the instance folder (mode 0600),
    made on the first run, which says so: a published default would let anyone holding the
    database file decrypt the session keys and forge entries.
    """
    for key, filename, variable in (("SECRET_KEY", "secret_key", "BALLOT_SECRET_KEY"),
                                    ("KEY_ENCRYPTION_SECRET", "key_secret", "BALLOT_KEY_SECRET")):
        if app.config.get(key):
            continue
        try:
            app.config[key], created = instance_secret(app.instance_path, filename)
        except OSError as error:
            raise ConfigError(f"无法在 {app.instance_path} 保存随机密钥（{error.strerror}），请设置 "
                              f"{variable} / cannot keep a random secret in {app.instance_path} "
                              f"({error.strerror}): set {variable}") from None
        if created:
            path = os.path.join(app.instance_path, filename)
            print(f"已生成随机密钥 {path}（仅本账户可读，0600），代替未设置的 {variable}；"
                  f"请与数据库分开备份 / made a random secret in {path} (mode 0600) for the unset "
                  f"{variable}; back it up apart from the database", file=sys.stderr)


def _database_setup(app: Flask) -> None:
    from ballot.database import sqlite_url

    url = normalise_database_url(
        app.config.get("SQLALCHEMY_DATABASE_URI") or sqlite_url(app.instance_path))
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if not url.startswith("sqlite"):
        # A fixed set of connections per process, no overflow: a connection opened for a burst
        # and closed after it costs PostgreSQL a new backend and loses its prepared statements;
        # a request beyond the pool waits for a connection instead (gevent workers take many).
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_size": app.config["DB_POOL_SIZE"], "max_overflow": 0,
            **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}


def _extensions(app: Flask) -> None:
    from ballot.database import autocommit_polls, configure_engine
    from ballot.extensions import babel, csrf, db, migrate
    from ballot.unit_of_work import begin_request

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale,
                   default_translation_directories=os.path.join(os.path.dirname(__file__), "translations"))
    from ballot import i18n

    i18n.install(app)
    app.before_request(_fresh_locale)
    app.before_request(begin_request)
    app.before_request(autocommit_polls)
    with app.app_context():
        configure_engine(db.engine)


def _fresh_locale() -> None:
    # Each request chooses its language afresh: Flask-Babel caches the locale in ``g``, and an app
    # context can outlive one request (tests, scripts), so neither a kiosk's language (g.locale)
    # nor an earlier request's choice may carry over.
    from flask_babel import refresh

    g.pop("locale", None)
    refresh()


def _select_locale() -> str:
    # Chinese unless this browser (or a kiosk, via g.locale) chose English: the browser's own
    # Accept-Language is ignored, since a hall's machines often ship with English systems.
    chosen = getattr(g, "locale", None) or request.args.get("lang") or cookie.get("lang")
    return chosen if chosen in ("zh", "en") else "zh"


def _admission(app: Flask) -> None:
    from ballot.web import admission

    admission.install(app)


def _request_limits(app: Flask) -> None:
    from ballot.web import request_limits

    request_limits.install(app)


def _blueprints(app: Flask) -> None:
    """Register the blueprints, one per audience, and the error handlers."""
    from ballot.web import (
        accounts,
        admin,
        admin_checkin,
        api,
        api_paper,
        api_steps,
        api_tracking,
        audit_log,
        auth,
        board,
        chair,
        counting,
        drills,
        errors,
        kiosk,
        public,
        result_pages,
        tracking,
        voting_kiosk,
    )

    for module in (accounts, admin, admin_checkin, api, api_paper, api_steps, api_tracking,
                   audit_log, auth, board, chair, counting, drills, kiosk, public, result_pages,
                   tracking, voting_kiosk):
        app.register_blueprint(module.bp)
    errors.register(app)


def _security_headers(app: Flask) -> None:
    from ballot.web.security import install

    install(app)


_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _template_globals(app: Flask) -> None:
    from ballot.models.accounts import ROLE_LABELS
    from ballot.web.guards import current_user

    def role_label(role: str) -> str:
        from ballot.i18n import gettext

        return gettext(ROLE_LABELS.get(role, role))

    from flask_babel import get_locale

    from ballot.i18n import gettext

    def session_title(vote_session) -> str:
        """A session's title, with 【演练】 (or [DRILL]) in front of a drill's, on every page."""
        if getattr(vote_session, "is_drill", False):
            return gettext("【演练】%(title)s", title=vote_session.title)
        return vote_session.title

    app.jinja_env.filters["session_title"] = session_title

    def money(value) -> str:
        """An amount in 万元 as written ("850", "1200.5"), or a dash when not given."""
        from ballot.services.results import decimal_text

        return decimal_text(value) or "—"

    app.jinja_env.filters["money"] = money

    def zh(text) -> Markup:
        """Names and titles typed in Chinese, marked lang="zh-CN" on an English page so that
        screen readers and fonts treat them as Chinese; unchanged on a Chinese page."""
        text = "" if text is None else str(text)
        if str(get_locale()) == "en" and _CJK.search(text):
            return Markup('<span lang="zh-CN">{}</span>').format(text)
        return Markup.escape(text)

    app.jinja_env.filters["zh"] = zh
    # ``translate`` renders domain messages (Problem.render(translate)) in the page's language.
    app.jinja_env.globals.update(current_user=current_user, role_label=role_label,
                                 get_locale=get_locale, translate=gettext)

