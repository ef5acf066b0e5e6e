"""WSGI entry point of the example project; importing it marks a serving process."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from example_project.devdb.apps import serve_database

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

application = get_wsgi_application()

# Only a process that serves requests loads this module: runserver loads it (through
# WSGI_APPLICATION) in the process that serves, never in its autoreloader's watching
# parent, and so do gunicorn, uwsgi and mod_wsgi. Other manage.py commands never do.
serve_database()
