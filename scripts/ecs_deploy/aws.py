"""The AWS clients of one deploy, built in one place so tests can hand in stubbed ones."""

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

# Standard retry mode backs off on throttling, which a poll loop over several APIs can meet.
RETRIES = {"mode": "standard", "max_attempts": 6}


@dataclass(frozen=True)
class Clients:
    ecs: Any
    ecr: Any
    elbv2: Any
    logs: Any


def make_clients(region: str, endpoint_url: str | None = None) -> Clients:
    """Clients for `region`; `endpoint_url` sends every call to one server (moto in tests)."""
    session = boto3.session.Session(region_name=region)
    config = BotoConfig(retries=RETRIES, connect_timeout=10, read_timeout=60)

    def client(name: str) -> Any:
        return session.client(name, endpoint_url=endpoint_url, config=config)

    return Clients(ecs=client("ecs"), ecr=client("ecr"), elbv2=client("elbv2"), logs=client("logs"))
