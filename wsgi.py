"""WSGI entry point of a source checkout: ``gunicorn wsgi:app`` (installed: ``ballot.wsgi:app``)."""

from ballot.wsgi import app

__all__ = ["app"]
