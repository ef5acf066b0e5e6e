"""URLconf of the example project: the resolver endpoints under ``/velt/``, an index at ``/``."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import index

urlpatterns = [
    path("", index, name="index"),
    # Token mode: sign in here, then POST /velt/token for the resolver token.
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("velt/", include("velt_django.urls")),
]
