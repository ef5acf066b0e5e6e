"""Settings, URLconf and WSGI application of the files benchmark (``bench_files.py`` serves
them with gunicorn: ``DJANGO_SETTINGS_MODULE=bench_files_site``, ``bench_files_site:
application``).

The application of ``bench_settings`` (velt_django at ``/velt/``, no authentication,
``AllowAny``, ``allow_all``) with both file scopes on one storage chosen by the
environment that ``bench_files.py`` sets:

* ``VELT_BENCH_FILE_STORAGE=local``: ``FileSystemStorage`` in ``VELT_BENCH_MEDIA``;
* ``VELT_BENCH_FILE_STORAGE=s3``: django-storages' ``S3Storage`` on ``VELT_BENCH_S3_ENDPOINT``
  / ``VELT_BENCH_S3_BUCKET`` (moto), with boto3's default transfer settings unless
  ``VELT_BENCH_S3_TRANSFER`` is ``<max_concurrency>x<chunk MiB>``.

Two more routes: ``/bench/whoami`` (which velt_django and storage the worker runs, and its
pid) and ``/bench/raw-save``, the baseline: a plain Django view that takes the ``file``
part from ``request.FILES`` (Django's default upload handlers) and ``storage.save``-s it,
nothing else. Never use these settings for anything but a benchmark.
"""

from __future__ import annotations

import os
from typing import Any

from bench_settings import (  # noqa: F401 - settings Django reads from this module
    ALLOWED_HOSTS,
    DATABASES,
    DEBUG,
    INSTALLED_APPS,
    LOGGING,
    MIDDLEWARE,
    SECRET_KEY,
    USE_TZ,
    VELT,
)

MiB = 1024 * 1024
ROOT_URLCONF = "bench_files_site"
STORAGE_KIND = os.environ.get("VELT_BENCH_FILE_STORAGE", "local")
FILE_ALIAS = "bench_files"


def transfer_config(spec: str | None) -> Any:
    """``"<max_concurrency>x<chunk MiB>"`` → a boto3 ``TransferConfig`` whose multipart
    upload holds at most ``max_concurrency`` parts in memory; ``None``/``""``: boto3's
    default (10 threads, 8 MiB parts, up to 10 parts in memory)."""
    if not spec:
        return None
    from boto3.s3.transfer import TransferConfig

    concurrency, chunk = (int(v) for v in spec.lower().split("x"))
    config = TransferConfig(
        max_concurrency=concurrency, multipart_chunksize=chunk * MiB
    )
    # s3transfer reads every part of a file object into memory before sending it and
    # queues up to max_in_memory_upload_chunks (10) of them, whatever the concurrency.
    config.max_in_memory_upload_chunks = concurrency
    return config


def s3_options() -> dict[str, Any]:
    return {
        "endpoint_url": os.environ["VELT_BENCH_S3_ENDPOINT"],
        "bucket_name": os.environ["VELT_BENCH_S3_BUCKET"],
        "access_key": "bench",
        "secret_key": "bench",
        "region_name": "us-east-1",
        "addressing_style": "path",
        "signature_version": "s3v4",
        "transfer_config": transfer_config(os.environ.get("VELT_BENCH_S3_TRANSFER")),
    }


STORAGES: dict[str, Any] = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ.get("VELT_BENCH_MEDIA", "/tmp/velt-bench")},
    },
    "staticfiles": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
STORAGES[FILE_ALIAS] = (
    {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_options()}
    if STORAGE_KIND == "s3"
    else STORAGES["default"]
)
VELT = {**VELT, "ATTACHMENT_STORAGE": FILE_ALIAS, "RECORDING_STORAGE": FILE_ALIAS}

_urlpatterns: list[Any] = []
_application: Any = None


def _views() -> list[Any]:
    import uuid

    from django.core.files.storage import storages
    from django.http import HttpRequest, HttpResponse, JsonResponse
    from django.urls import include, path
    from django.views.decorators.csrf import csrf_exempt

    def whoami(request: HttpRequest) -> JsonResponse:
        import velt_django

        storage = storages[FILE_ALIAS]
        return JsonResponse(
            {
                "velt_django": velt_django.__file__,
                "storage": f"{type(storage).__module__}.{type(storage).__name__}",
                "transfer": os.environ.get("VELT_BENCH_S3_TRANSFER") or "default",
                "pid": os.getpid(),
            }
        )

    @csrf_exempt
    def raw_save(request: HttpRequest) -> HttpResponse:
        upload = request.FILES.get("file")
        if upload is None:
            return HttpResponse("no file", status=400, content_type="text/plain")
        name = storages[FILE_ALIAS].save(f"raw/{uuid.uuid4().hex}", upload)
        return HttpResponse(name, content_type="text/plain")

    return [
        path("velt/", include("velt_django.urls")),
        path("bench/whoami", whoami),
        path("bench/raw-save", raw_save),
    ]


def __getattr__(name: str) -> Any:
    # Built on first use: this module is the settings module too, imported before
    # Django is set up.
    global _application
    if name == "urlpatterns":
        if not _urlpatterns:
            _urlpatterns.extend(_views())
        return _urlpatterns
    if name == "application":
        if _application is None:
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_files_site")
            from django.core.wsgi import get_wsgi_application

            _application = get_wsgi_application()
        return _application
    raise AttributeError(name)
