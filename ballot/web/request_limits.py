"""Bounds on what a request can make the server parse: ids in URLs and JSON bodies.

Both are checked once for every route, before any view runs, so no view needs its own guard.
"""

from __future__ import annotations

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER; SQLite's 64-bit rowid is wider
MAX_JSON_DEPTH = 32  # the deepest body any route reads is 3 levels


class IdConverter(IntegerConverter):
    """``<int:…>`` limited to the range of an id column: a larger number matches no route (404)
    instead of overflowing the database driver (SQLite at 2**63, PostgreSQL at 2**31)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


def _depth(value) -> int:
    """How deeply ``value`` nests lists and objects (iteratively: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing documents nested deeper than MAX_JSON_DEPTH as malformed.

    ``json.loads`` raises RecursionError, not ValueError, on ``[[[[…`` a thousand deep, which
    escaped ``get_json(silent=True)`` as a 500; here it is a parse error like any other, so the
    routes answer their usual "the body must be a JSON object" 400.
    """

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        if _depth(value) > MAX_JSON_DEPTH:
            raise ValueError("JSON nested too deeply")
        return value


def install(app: Flask) -> None:
    """Use the bounded id converter and JSON parser in ``app`` (before any route is added)."""
    app.url_map.converters["int"] = IdConverter
    app.json = BoundedJSONProvider(app)
