"""URLconf of the example project: the resolver endpoints under ``/velt/``."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("velt/", include("velt_django.urls")),
]
