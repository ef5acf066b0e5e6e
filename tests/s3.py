"""S3 for the storage tests: moto's S3 server on a loopback port, a bucket per test, and
the ``STORAGES``/``VELT`` settings that put both file scopes on django-storages'
``S3Storage`` against it.

Everything goes over real HTTP: boto3 (inside django-storages, and the tests' own client)
talks to a ``ThreadedMotoServer``, and presigned URLs are fetched with ``requests``.
The credentials are fake and set in the environment, so nothing can reach AWS.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
from botocore.config import Config

#: ``STORAGES`` key of the S3 storage under test.
ALIAS = "velt_s3"
REGION = "us-east-1"

#: Fake credentials, exported for every S3 test (boto3 refuses to sign without any).
FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    # A developer's ~/.aws must not change what the tests do.
    "AWS_CONFIG_FILE": "/nonexistent/velt-tests-aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/velt-tests-aws-credentials",
    "NO_PROXY": "127.0.0.1,localhost",
}


@contextmanager
def moto_s3_server() -> Iterator[str]:
    """Start moto's threaded server on a free loopback port; yield its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@contextmanager
def moto_with_fake_credentials() -> Iterator[str]:
    """:func:`moto_s3_server` with ``FAKE_ENVIRONMENT`` set for its lifetime (boto3 finds
    credentials and a region); yields the endpoint URL."""
    import pytest

    with pytest.MonkeyPatch.context() as mp:
        for name, value in FAKE_ENVIRONMENT.items():
            mp.setenv(name, value)
        with moto_s3_server() as endpoint:
            yield endpoint


def storage_options(endpoint: str, bucket: str, **extra: Any) -> dict[str, Any]:
    """``OPTIONS`` of an ``S3Storage`` on ``bucket`` at ``endpoint`` (path-style)."""
    return {
        "endpoint_url": endpoint,
        "bucket_name": bucket,
        "access_key": FAKE_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        "secret_key": FAKE_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        "region_name": REGION,
        "addressing_style": "path",
        "signature_version": "s3v4",
        **extra,
    }


def storage_entry(endpoint: str, bucket: str, **extra: Any) -> dict[str, Any]:
    """A ``STORAGES`` entry for :func:`storage_options`."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": storage_options(endpoint, bucket, **extra),
    }


def unreachable_entry(bucket: str) -> dict[str, Any]:
    """A ``STORAGES`` entry whose endpoint refuses connections (port 1 on loopback),
    failing fast: one attempt, a short connect timeout."""
    return storage_entry(
        "http://127.0.0.1:1",
        bucket,
        client_config=Config(
            s3={"addressing_style": "path"},
            signature_version="s3v4",
            connect_timeout=1,
            read_timeout=2,
            retries={"max_attempts": 1, "mode": "standard"},
        ),
    )


def s3_client(endpoint: str) -> Any:
    """A plain boto3 client of the server (the tests' view of the bucket)."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=FAKE_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


#: Query parameters of a presigned GET and the ``get_object`` parameters they come from.
_RESPONSE_OVERRIDES = {
    "response-content-type": "ResponseContentType",
    "response-content-disposition": "ResponseContentDisposition",
}


def presigned_method(url: str) -> str | None:
    """The HTTP method a presigned S3 URL is validly signed for (``"GET"`` or
    ``"HEAD"``), or ``None`` when its SigV4 signature matches neither.

    moto does not check the signatures of presigned URLs, but S3 does, and the method is
    part of what is signed. So the URL is signed again here, with the fake credentials,
    at its own ``X-Amz-Date`` and with its own parameters, once per method, and the
    signatures are compared.
    """
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
    bucket, key = unquote(parts.path).lstrip("/").split("/", 1)
    params = {"Bucket": bucket, "Key": key}
    for name, param in _RESPONSE_OVERRIDES.items():
        if name in query:
            params[param] = query[name][0]
    client = s3_client(f"{parts.scheme}://{parts.netloc}")
    with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
        for method in ("GET", "HEAD"):
            again = client.generate_presigned_url(
                "get_object",
                Params=params,
                ExpiresIn=int(query["X-Amz-Expires"][0]),
                HttpMethod=method,
            )
            if (
                parse_qs(urlsplit(again).query)["X-Amz-Signature"]
                == query["X-Amz-Signature"]
            ):
                return method
    return None


@dataclass
class Bucket:
    """A fresh bucket on the moto server, and what the tests ask of it."""

    endpoint: str
    name: str = field(default_factory=lambda: f"velt-test-{uuid.uuid4().hex[:16]}")
    client: Any = None

    def __post_init__(self) -> None:
        if self.client is None:
            self.client = s3_client(self.endpoint)

    def create(self) -> Bucket:
        self.client.create_bucket(Bucket=self.name)
        return self

    def keys(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def head(self, key: str) -> Mapping[str, Any]:
        return dict(self.client.head_object(Bucket=self.name, Key=key))

    def read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.name, Key=key)["Body"].read())

    def backdate(self, key: str, seconds: float) -> None:
        """Move the object's ``LastModified`` ``seconds`` into the past. S3 has no API
        for that; moto's server runs in this process, so its record of the object is
        changed directly."""
        from moto.s3.models import s3_backends

        partition, account = s3_backends.bucket_accounts[self.name]
        stored = s3_backends[account][partition].buckets[self.name].keys.get(key)
        stored.last_modified -= timedelta(seconds=seconds)

    def drop(self) -> None:
        """Delete every object and the bucket (best effort: a test may have removed it)."""
        try:
            for key in self.keys():
                self.client.delete_object(Bucket=self.name, Key=key)
            self.client.delete_bucket(Bucket=self.name)
        except self.client.exceptions.NoSuchBucket:
            pass
