"""The example project's front page: the velt_django endpoints it mounts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_safe

import velt_django.urls

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>velt_django example</title></head>
<body>
<h1>velt_django example</h1>
<p>Velt data-provider endpoints mounted here (each takes a <code>POST</code>, JSON or, for
uploads, multipart; the file URLs handed to Velt answer <code>GET</code>):</p>
<table>
<thead><tr><th>URL name</th><th>Path</th></tr></thead>
<tbody>
{}
</tbody>
</table>
</body>
</html>
"""


def mounted_endpoints() -> list[tuple[str, str]]:
    """``(URL name, path)`` of every route of ``velt_django.urls``, as mounted here."""
    endpoints = []
    for pattern in velt_django.urls.urlpatterns:
        if isinstance(pattern, URLPattern) and pattern.name:
            name = f"{velt_django.urls.app_name}:{pattern.name}"
            # Routes with arguments (the file URLs) show each one by its name.
            placeholders = {
                group: group.upper() for group in pattern.pattern.regex.groupindex
            }
            endpoints.append((name, reverse(name, kwargs=placeholders)))
    return endpoints


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """List the endpoints, generated from velt_django's URLconf so it never goes stale."""
    rows = format_html_join(
        "\n",
        "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
        mounted_endpoints(),
    )
    return HttpResponse(format_html(_PAGE, rows))


def organizations_of(user: Any) -> list[str]:
    """``VELT["TOKEN_ORGANIZATIONS"]`` of token mode: the user's groups are its
    organizations (as ``USER_FIELDS["organizations"] = "groups__name"`` says)."""
    return sorted(user.groups.values_list("name", flat=True))
