"""A real S3 API on 127.0.0.1 for the object-storage tests (docs/s3.md).

moto's server mode (the HTTP/XML protocol that boto3 and the Snakemake S3 plugin speak: SigV4
signatures, ListObjectsV2 paging, multipart uploads) runs in a thread of the test process, behind a
small WSGI wrapper that records every request it answers: method, bucket, key, S3 operation and
the access key id that signed it. Tests count requests from that log (what a bucket bills for)
and check that the credentials came from the environment they planted.

    with S3Server() as s3:
        s3.create_bucket("b")
        env = s3.env("AKIA...", "secret")     # for a child `snakemake` process
        s3.requests                          # [Request(method, bucket, key, op, access_key), ...]
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

REGION = "us-east-1"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


@dataclass(frozen=True)
class Request:
    method: str
    bucket: str
    key: str  # the object key; for a listing, the prefix listed
    op: str  # the S3 API operation, e.g. GetObject, PutObject, HeadObject, ListObjectsV2
    access_key: str  # from the SigV4 Authorization header ('' when unsigned)


def operation(method: str, path: str, query: str, headers: dict[str, str]) -> tuple[str, str, str]:
    """(bucket, key, S3 operation) of one path-style request."""
    bucket, _, key = unquote(path).lstrip("/").partition("/")
    q = parse_qs(query, keep_blank_values=True)
    if not bucket:
        return "", "", "ListBuckets"
    if not key:
        ops = {
            "HEAD": "HeadBucket",
            "PUT": "CreateBucket",
            "DELETE": "DeleteBucket",
            "POST": "DeleteObjects" if "delete" in q else "PostBucket",
        }
        if method == "GET":
            op = "ListObjectsV2" if q.get("list-type") == ["2"] else "ListObjects"
            if "location" in q:
                return bucket, "", "GetBucketLocation"
            return bucket, q.get("prefix", [""])[0], op  # a listing's key: the prefix it lists
        return bucket, "", ops.get(method, method)
    if method == "PUT":
        if "partNumber" in q:
            op = "UploadPart"
        elif "x-amz-copy-source" in headers:
            op = "CopyObject"
        else:
            op = "PutObject"
    elif method == "POST":
        op = "CreateMultipartUpload" if "uploads" in q else "CompleteMultipartUpload"
    else:
        op = {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(
            method, method
        )
        if method == "DELETE" and "uploadId" in q:
            op = "AbortMultipartUpload"
    return bucket, key, op


class S3Server:
    """moto's S3 on 127.0.0.1:<free port> with a request log; a context manager."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> S3Server:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import WSGIRequestHandler, make_server

        moto_app = DomainDispatcherApplication(create_backend_app)

        def app(environ: dict[str, Any], start_response: Any) -> Any:
            headers = {
                k[5:].lower().replace("_", "-"): v for k, v in environ.items() if k[:5] == "HTTP_"
            }
            bucket, key, op = operation(
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO", "/"),
                environ.get("QUERY_STRING", ""),
                headers,
            )
            m = _CREDENTIAL.search(headers.get("authorization", ""))
            req = Request(environ["REQUEST_METHOD"], bucket, key, op, m.group(1) if m else "")
            with self._lock:
                self.requests.append(req)
            return moto_app(environ, start_response)

        class Quiet(WSGIRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:  # one line per request
                pass

        self._server = make_server(self.host, 0, app, threaded=True, request_handler=Quiet)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- clients -------------------------------------------------------------------------
    def env(self, access_key: str, secret_key: str) -> dict[str, str]:
        """Environment for a child process: AWS's standard variables only, no ~/.aws files."""
        return {
            "AWS_ACCESS_KEY_ID": access_key,
            "AWS_SECRET_ACCESS_KEY": secret_key,
            "AWS_ENDPOINT_URL_S3": self.url,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def client(self) -> Any:
        """A boto3 client for the test itself (its requests are logged like any other)."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="test-harness",
            aws_secret_access_key="test-harness",
        )

    def create_bucket(self, bucket: str) -> None:
        self.client().create_bucket(Bucket=bucket)

    def objects(self, bucket: str, prefix: str = "") -> dict[str, bytes]:
        """{key: bytes} of every object under prefix."""
        c = self.client()
        keys = [
            o["Key"]
            for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for o in page.get("Contents", [])
        ]
        return {k: c.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}

    # --- the request log -------------------------------------------------------------------
    def mark(self) -> int:
        """Position in the request log (count what happened after it with since=)."""
        with self._lock:
            return len(self.requests)

    def log(self, since: int = 0, access_key: str | None = None) -> list[Request]:
        with self._lock:
            reqs = self.requests[since:]
        return [r for r in reqs if access_key is None or r.access_key == access_key]

    def count(self, since: int = 0, access_key: str | None = None) -> Counter:
        """Operation -> number of requests."""
        return Counter(r.op for r in self.log(since, access_key))
