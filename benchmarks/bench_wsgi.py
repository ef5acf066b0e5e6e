"""WSGI application and URLconf of the HTTP benchmark (settings: ``bench_settings``).

``/bench/whoami`` answers which velt_django the workers imported and which JSON encoder
its envelopes use, so a run can say what it measured.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import include, path  # noqa: E402


def whoami(request: HttpRequest) -> JsonResponse:
    import velt_django
    from velt_django import responses

    encoder = "orjson" if "orjson" in vars(responses) else "json.dumps"
    return JsonResponse(
        {"velt_django": velt_django.__file__, "encoder": encoder, "pid": os.getpid()}
    )


urlpatterns = [
    path("velt/", include("velt_django.urls")),
    path("bench/whoami", whoami),
]
