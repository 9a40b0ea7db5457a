"""A worker gives a password hash's memory back once the hash is done.

Each argon2id hash takes ARGON2_MEMORY_KIB for its duration. Left to glibc's defaults the
worker would keep one such buffer for good from its second hash on (gunicorn_conf.py says
why): memory the bench counted against the target for the whole tree.
"""

import psutil
import pytest

from users_service.config import Settings

from services.users.tests.serving.upload_load import MIB, members
from services.users.tests.support.gunicorn_server import Serve, Server
from services.users.tests.support.helpers import PRODUCTION_HASHING, as_environment

pytestmark = pytest.mark.serving
HASH_MIB: float = Settings.model_fields["argon2_memory_kib"].default / 1024
HASHES = 10


def worker_rss_mib(server: Server) -> float:
    (worker,) = psutil.Process(server.process.pid).children()
    return worker.memory_info().rss / MIB


def test_hash_buffers_leave_the_worker_after_use(serve: Serve) -> None:
    # The production parameters, not the suite's fast ones.
    with serve(WEB_CONCURRENCY="1", **as_environment(PRODUCTION_HASHING)) as server:
        before = worker_rss_mib(server)  # it hashed once already, at start (the dummy hash)
        members(server, HASHES)  # a registration hashes its password once
        after = worker_rss_mib(server)
    print(f"\nworker {before:.1f} MiB, after {HASHES} hashes {after:.1f} MiB")
    assert after - before < HASH_MIB / 2
