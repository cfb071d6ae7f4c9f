"""WSGI entry point of the installed package: ``gunicorn ballot.wsgi:app``.

Production unless BALLOT_CONFIG says otherwise, so a deployment that forgets it still refuses
to start without a real BALLOT_SECRET_KEY (config.settings.check_production).
"""

import os

from ballot.app import create_app

app = create_app(os.environ.get("BALLOT_CONFIG", "production"))
