"""WSGI entry point of the velt-py peer: ``gunicorn benchmarks.peer.wsgi:application``
(run from the repository root). The SDK connects on the first request of each worker."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.peer.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
