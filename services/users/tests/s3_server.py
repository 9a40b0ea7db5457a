"""A real moto S3 server as a subprocess on 127.0.0.1, and a bucket helper, for S3 tests."""

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from gunicorn_server import stop
from helpers import free_port

MOTO_SERVER = Path(sys.executable).parent / "moto_server"
START_TIMEOUT_SECONDS = 30


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
def running_moto(log_path: Path) -> Iterator[str]:
    """Start moto_server on a free port; yield its endpoint URL; stop it by its PID."""
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, endpoint, log_path)
        yield endpoint
    finally:
        stop(process)


def _wait_until_up(process: subprocess.Popen[bytes], endpoint: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited:\n{log_path.read_text()}")
        try:
            if requests.get(f"{endpoint}/moto-api/", timeout=1).status_code == 200:
                return
        except requests.RequestException:  # not listening yet
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not answer:\n{log_path.read_text()}")
