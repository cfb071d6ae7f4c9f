"""WSGI entry point: ``gunicorn wsgi:app`` (set BALLOT_CONFIG=production in deployments)."""

from ballot.app import create_app

app = create_app()
