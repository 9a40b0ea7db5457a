"""A real moto S3 server as a subprocess on 127.0.0.1, and a bucket helper: the S3 tests and
the infra and deploy system tests (on its CloudFormation and ECS) start it."""

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.users.tests.support.gunicorn_server import stop, wait_until_ok
from services.users.tests.support.helpers import free_port

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
def running_moto(log_path: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start moto_server on a free port (with `env`, e.g. MOTO_ECS_SERVICE_RUNNING, else this
    process's environment); yield its endpoint URL; stop it by its PID."""
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_until_ok(process, f"{endpoint}/moto-api/", log_path, START_TIMEOUT_SECONDS)
        yield endpoint
    finally:
        stop(process)
