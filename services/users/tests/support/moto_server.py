"""A real moto server on 127.0.0.1 (moto's ThreadedMotoServer, in a thread of the test process),
and a bucket helper: the S3 tests and the infra and deploy system tests (on its CloudFormation
and ECS) start it."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests


@dataclass
class Bucket:
    """A bucket on the moto server, with a boto3 client for looking inside it."""

    name: str
    endpoint: str
    client: Any

    def object_keys(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def read(self, key: str) -> bytes:
        data: bytes = self.client.get_object(Bucket=self.name, Key=key)["Body"].read()
        return data

    def settings(self) -> dict[str, str]:
        """Settings overrides that store files in this bucket."""
        return {"file_storage": "s3", "s3_bucket": self.name, "s3_endpoint_url": self.endpoint}


@contextmanager
def running_moto() -> Iterator[str]:
    """Start a moto server on a port the system picks; yield its endpoint URL; stop it.

    moto keeps its accounts in the process, shared by every server started in it: the server
    is reset through moto's reset API before use, so each use starts from nothing.
    """
    from moto.server import ThreadedMotoServer  # half a second: only when a test needs it

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        requests.post(f"{endpoint}/moto-api/reset", timeout=30).raise_for_status()
        yield endpoint
    finally:
        server.stop()
