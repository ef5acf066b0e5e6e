"""Benchmark the permission provider: one batch of 100 questions for 100 users through
``permissions/check`` (Django's test client), next to the 100 policy calls alone and the
one query that loads the users.

No MongoDB is involved: the users come from the Django user directory (``auth.User``
in an in-memory SQLite database, organizations as groups), and the policy is the
default ``velt_orgs_claim``. Run from the repository root::

    python benchmarks/bench_permissions.py            # 300 iterations after 30 warm-up
    python benchmarks/bench_permissions.py --quick    # 50 iterations
    python benchmarks/bench_permissions.py --policy tests.permissions.helpers.group_access

The endpoint time is the whole ``Client.post()``: request construction, URL resolution,
the token check, body parsing and validation, the users query, 100 policy calls and
JSON encoding. The results go to ``benchmarks/results/permissions.json``.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))

from benchmarks.suite.report import machine  # noqa: E402

TOKEN = "velt-bench-permission-token-0123456789"
USERS = 100
ORGS = ("acme-corp", "globex", "initech", "umbrella")
RESULTS = BENCH_DIR / "results" / "permissions.json"


def configure_django(policy: str) -> None:
    """In process: DRF and velt_django at ``velt/``, users in in-memory SQLite."""
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="velt-bench-not-secret",
        ALLOWED_HOSTS=["*"],
        USE_TZ=True,
        ROOT_URLCONF="velt_bench_urls",
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "rest_framework",
            "velt_django",
        ],
        MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
        },
        VELT={
            "MONGODB_URI": "mongodb://127.0.0.1:1/",  # never contacted
            "PERMISSION_PROVIDER_TOKEN": TOKEN,
            "USER_FIELDS": {"organizations": "groups__name"},
            "ORGANIZATION_ACCESS": policy,
        },
        LOGGING={"version": 1, "disable_existing_loggers": False},
    )
    django.setup()
    from django.urls import include, path

    urls = types.ModuleType("velt_bench_urls")
    urls.urlpatterns = [path("velt/", include("velt_django.urls"))]  # type: ignore[attr-defined]
    sys.modules["velt_bench_urls"] = urls
    from django.core.management import call_command

    call_command("migrate", verbosity=0, run_syncdb=True)


def seed() -> list[dict[str, Any]]:
    """100 users, each in one or two of the organizations' groups; one question per
    user, cycling through organizations, folders and documents."""
    from django.contrib.auth.models import Group, User

    groups = [Group.objects.create(name=org) for org in ORGS]
    accounts = User.objects.bulk_create(User(username=f"u{i}") for i in range(USERS))
    for i, account in enumerate(accounts):
        account.groups.add(groups[i % len(groups)])
        if i % 3 == 0:
            account.groups.add(groups[(i + 1) % len(groups)])
    kinds = ("organization", "folder", "document")
    questions = []
    for i in range(USERS):
        org = ORGS[(i * 7) % len(ORGS)]
        kind = kinds[i % 3]
        resource_id = org if kind == "organization" else f"{kind}-{i}"
        resource = {"id": resource_id, "type": kind, "source": "setDocuments"}
        if kind == "document":
            resource["parentFolderId"] = "folder-1"
        questions.append(
            {"userId": f"u{i}", "resource": {**resource, "organizationId": org}}
        )
    return questions


def summarize(samples_ns: list[int]) -> dict[str, Any]:
    ms = sorted(s / 1e6 for s in samples_ns)
    n = len(ms)
    return {
        "n": n,
        "requests_per_s": round(n / (sum(ms) / 1e3), 1),
        "p50_ms": round(ms[n // 2], 3),
        "p99_ms": round(ms[min(n - 1, int(0.99 * n))], 3),
    }


def timed(fn: Callable[[], Any], iterations: int, warmup: int) -> list[int]:
    samples: list[int] = []
    gc.collect()
    for i in range(warmup + iterations):
        start = time.perf_counter_ns()
        fn()
        elapsed = time.perf_counter_ns() - start
        if i >= warmup:
            samples.append(elapsed)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="50 iterations")
    parser.add_argument("--policy", default="velt_django.access.velt_orgs_claim")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.quick:
        args.iterations, args.warmup = 50, 5
    configure_django(args.policy)

    from django.db import connection
    from django.http import HttpRequest
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from velt_django.conf import velt_settings
    from velt_django.permissions import ACTION, load_principals, parse_batch
    from velt_django.permissions.principals import provider_request

    questions = seed()
    body = json.dumps({"data": {"requests": questions}})
    client = Client()
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}

    def endpoint() -> None:
        response = client.post(
            "/velt/permissions/check", body, content_type="application/json", **headers
        )
        assert response.status_code == 200, response.content

    with CaptureQueriesContext(connection) as captured:
        endpoint()
    # Counted now: the next request resets the connection's query log.
    sql_queries = len(captured)
    allowed = sum(
        r["hasAccess"]
        for r in json.loads(
            client.post(
                "/velt/permissions/check",
                body,
                content_type="application/json",
                **headers,
            ).content
        )["data"]
    )

    # The policy calls alone: the same 100 calls on prepared request objects.
    queries_parsed = parse_batch(json.loads(body), 500)
    principals = load_principals([q.user_id for q in queries_parsed])
    hook = velt_settings.ORGANIZATION_ACCESS
    http_request = HttpRequest()
    prepared = []
    for q in queries_parsed:
        docs = [q.resource.id] if q.resource.type == "document" else []
        prepared.append(
            (
                provider_request(principals[q.user_id], q.resource, http_request),
                q.resource.organization_id,
                docs,
            )
        )

    def policy_calls() -> None:
        for request, org, docs in prepared:
            hook(request, ACTION, org, docs)

    def users_query() -> None:
        load_principals([q.user_id for q in queries_parsed])

    sides = {
        "endpoint": timed(endpoint, args.iterations, args.warmup),
        "policy_calls": timed(policy_calls, args.iterations, args.warmup),
        "users_query": timed(users_query, args.iterations, args.warmup),
    }
    summary = {side: summarize(samples) for side, samples in sides.items()}
    p50 = {side: s["p50_ms"] for side, s in summary.items()}
    ratios = {
        "endpoint / policy calls": round(p50["endpoint"] / p50["policy_calls"], 1),
        "endpoint / users query": round(p50["endpoint"] / p50["users_query"], 2),
        "policy calls share of endpoint": round(
            p50["policy_calls"] / p50["endpoint"], 3
        ),
    }
    print(
        f"permissions/check, {USERS} questions for {USERS} users, policy "
        f"{args.policy}: {sql_queries} SQL quer{'y' if sql_queries == 1 else 'ies'} "
        f"per batch, {allowed} allowed"
    )
    print(f"{'side':<16}{'p50 ms':>10}{'p99 ms':>10}{'req/s':>10}")
    for side, s in summary.items():
        print(
            f"{side:<16}{s['p50_ms']:>10.3f}{s['p99_ms']:>10.3f}{s['requests_per_s']:>10}"
        )
    for name, value in ratios.items():
        print(f"{name}: {value}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "when": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                "machine": machine(),
                "policy": args.policy,
                "sql_queries_per_batch": sql_queries,
                "iterations": args.iterations,
                "warmup": args.warmup,
                "summary": summary,
                "ratios": ratios,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
