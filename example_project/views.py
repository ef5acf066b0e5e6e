"""The example project's front page: the velt_django endpoints it mounts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

import velt_django.urls
from velt_django.conf import velt_settings

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
{}
</body>
</html>
"""


#: Shown to a signed-in user while the Velt user token view is on: what a page passes to
#: the SDK's authProvider (docs/velt-user-tokens.md). The CSRF cookie is set by this page.
_AUTH_PROVIDER = """<h2>Velt user token</h2>
<p>Signed in as <code>{}</code>. <button id="velt-token">Fetch my Velt token</button></p>
<pre id="velt-user"></pre>
<script>
function getCookie(name) {{
  const found = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
  return found ? decodeURIComponent(found.split("=")[1]) : null;
}}
async function fetchVeltToken(organizationId) {{
  const res = await fetch("{}", {{
    method: "POST", credentials: "same-origin",
    headers: {{"Content-Type": "application/json", "X-CSRFToken": getCookie("csrftoken")}},
    body: JSON.stringify(organizationId ? {{organizationId}} : {{}}),
  }});
  const body = await res.json();
  if (!res.ok) throw new Error(`${{body.errorCode}}: ${{body.message}}`);
  return body;  // {{token, user}}: authProvider's user, generateToken's token
}}
document.getElementById("velt-token").addEventListener("click", async () => {{
  const out = document.getElementById("velt-user");
  try {{
    const {{token, user}} = await fetchVeltToken();
    out.textContent = JSON.stringify({{user, token: token.slice(0, 12) + "..."}}, null, 2);
    // With the SDK loaded: Velt.setVeltAuthProvider({{user,
    //   generateToken: async () => (await fetchVeltToken(user.organizationId)).token}});
  }} catch (error) {{
    out.textContent = String(error);
  }}
}});
</script>
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
@ensure_csrf_cookie
def index(request: HttpRequest) -> HttpResponse:
    """List the endpoints, generated from velt_django's URLconf so it never goes stale,
    and, for a signed-in user while the Velt user token view is on, fetch that token."""
    rows = format_html_join(
        "\n",
        "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
        mounted_endpoints(),
    )
    token_section = ""
    if request.user.is_authenticated and velt_settings.USER_TOKEN_VIEW:
        token_section = format_html(
            _AUTH_PROVIDER, request.user.get_username(), reverse("velt:velt-token")
        )
    return HttpResponse(format_html(_PAGE, rows, token_section))


def organizations_of(user: Any) -> list[str]:
    """``VELT["TOKEN_ORGANIZATIONS"]`` of token mode: the user's groups are its
    organizations (as ``USER_FIELDS["organizations"] = "groups__name"`` says)."""
    return sorted(user.groups.values_list("name", flat=True))
