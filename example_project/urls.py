"""URLconf of the example project: the resolver endpoints under ``/velt/``, an index at ``/``."""

from __future__ import annotations

from django.urls import include, path

from .views import index

urlpatterns = [
    path("", index, name="index"),
    path("velt/", include("velt_django.urls")),
]
