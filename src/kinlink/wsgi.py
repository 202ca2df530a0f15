"""WSGI entry point (``gunicorn kinlink.wsgi``)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kinlink.settings")
application = get_wsgi_application()
