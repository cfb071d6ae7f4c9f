"""Translation look-ups resolved once per request.

Flask-Babel finds the request's catalogue again for every string; a kiosk page renders some sixty
strings, and a province's kiosks load it once per ballot. Here the catalogue is kept in ``g`` with
the locale it was looked up for (only for speed): a request whose locale changes (a kiosk's
language, a refreshed choice) looks it up again.
"""

from __future__ import annotations

from flask import Flask, g, has_app_context
from flask_babel import get_locale, get_translations
from flask_babel import gettext as babel_gettext


def current_translations():
    """This request's catalogue (Flask-Babel's choice of locale), looked up once per locale."""
    locale = get_locale()
    cached = g.get("ballot_translations")
    if cached is None or cached[0] != locale:
        cached = (locale, get_translations())
        g.ballot_translations = cached
    return cached[1]


def gettext(string: str, **variables) -> str:
    """``flask_babel.gettext``, with the catalogue looked up once per request."""
    if not has_app_context():
        return babel_gettext(string, **variables)
    text = current_translations().ugettext(string)
    return text % variables if variables else text


def install(app: Flask) -> None:
    """Let the templates' ``_()`` and friends use the once-per-request catalogue."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
    )
