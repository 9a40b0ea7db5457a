"""The benchmark's PostgreSQL database: a throwaway one or BENCH_DATABASE_URL, emptied and
migrated."""

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import MetaData, create_engine

from bench.processes import SERVICE_BIN
from users_service.config import normalize_database_url

REPO = Path(__file__).resolve().parents[3]
LOCAL_POSTGRES = REPO / "scripts" / "local-postgres"
USERS_SERVICE = SERVICE_BIN / "users-service"


@contextmanager
def bench_database(url: str | None) -> Iterator[str]:
    """`url` as given, or a database created for this run and dropped after it."""
    if url:
        yield url
        return
    created = _create_throwaway()
    try:
        yield created["TEST_DATABASE_URL"]
    finally:
        subprocess.run([str(LOCAL_POSTGRES), "drop", created["TEST_DATABASE_NAME"]], check=True)  # noqa: S603


def _create_throwaway() -> dict[str, str]:
    if os.geteuid() != 0:
        raise SystemExit("set BENCH_DATABASE_URL, or run as root to create a throwaway database")
    output = subprocess.run(  # noqa: S603
        [str(LOCAL_POSTGRES), "create"], check=True, capture_output=True, text=True
    ).stdout
    exports = (line.removeprefix("export ") for line in output.splitlines())
    return dict(line.split("=", 1) for line in exports if "=" in line)


def reset_and_migrate(service_env: Mapping[str, str]) -> None:
    """Drop every table (whatever revision left them), then run the service's migrations
    with the service's own (production) environment."""
    engine = create_engine(normalize_database_url(service_env["DATABASE_URL"]))
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        metadata.drop_all(engine)
    finally:
        engine.dispose()
    subprocess.run([str(USERS_SERVICE), "db", "upgrade"], check=True, env=service_env)  # noqa: S603
