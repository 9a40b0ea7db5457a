"""The worst case the file limits allow, driven against a real gunicorn: its memory stays
under the bound docs/api.md (Uploads) computes.

Two workers, each taking at most FILES_TRANSFERS_PER_WORKER transfers at once: more
uploads of UPLOAD_MAX_BYTES than all workers' slots, all at once; then more downloads of
such a file that never read than all the slots. Before chunked storage, 6 such uploads
took the tree to 612 MiB and 40 such downloads added 630 MiB.
"""

import secrets

import pytest
import requests

from users_service.config import Settings

from services.users.tests.serving.upload_load import (
    MIB,
    members,
    multipart,
    stalled_downloads,
    tree_memory,
    uploads_at_once,
)
from services.users.tests.support.gunicorn_server import Serve, Server

pytestmark = pytest.mark.serving
WORKERS = 2
PER_WORKER: int = Settings.model_fields["files_transfers_per_worker"].default
PER_USER: int = Settings.model_fields["files_transfers_per_user"].default
UPLOAD_MAX: int = Settings.model_fields["upload_max_bytes"].default
# What one transfer may add to a worker at most (docs/api.md, Uploads: the arithmetic).
TRANSFER_MIB = 3
# Every slot of both workers, and as many again that must be turned away.
ATTEMPTS = 2 * WORKERS * PER_WORKER


def bound(baseline_mib: float) -> float:
    return baseline_mib + WORKERS * PER_WORKER * TRANSFER_MIB


def test_concurrent_uploads_and_stalled_downloads_stay_under_the_bound(
    serve: Serve, storage_overrides: dict[str, str]
) -> None:
    """ATTEMPTS uploads of UPLOAD_MAX_BYTES at once, then ATTEMPTS downloads that never
    read: the tree's peak resident memory stays within the documented bound."""
    overrides = {name.upper(): value for name, value in storage_overrides.items()}
    with serve(WEB_CONCURRENCY=str(WORKERS), **overrides) as server:
        accounts = members(server, ATTEMPTS // PER_USER + 1)
        baseline = tree_memory(server)
        statuses = _upload_all_at_once(server, accounts)
        uploads = tree_memory(server)
        file_id = _one_file(server, accounts[0])
        with stalled_downloads(server, accounts, file_id, ATTEMPTS) as lines:
            downloads = tree_memory(server)
    print(
        f"\nbaseline {baseline.current:.0f} MiB; {ATTEMPTS} uploads of {UPLOAD_MAX // MIB} MiB"
        f" (statuses {sorted(statuses)}): peak {uploads.peak:.0f} MiB;"
        f" {ATTEMPTS} stalled downloads ({sorted(set(lines))}): {downloads.current:.0f} MiB,"
        f" peak {downloads.peak:.0f} MiB; bound {bound(baseline.current):.0f} MiB"
    )
    assert statuses.count(201) >= PER_WORKER  # the slots were really filled
    assert set(statuses) <= {201, 429, 503, 0}
    assert lines.count(b"HTTP/1.1 200 OK") >= PER_WORKER
    assert downloads.peak <= bound(baseline.current)


def _upload_all_at_once(server: Server, accounts: list[dict[str, str]]) -> list[int]:
    body = multipart(secrets.token_bytes(UPLOAD_MAX))
    return uploads_at_once(server, accounts, body, ATTEMPTS)


def _one_file(server: Server, headers: dict[str, str]) -> int:
    body = multipart(secrets.token_bytes(UPLOAD_MAX))
    reply = requests.post(
        f"{server.base_url}/files",
        data=body,
        headers={
            **headers,
            "Content-Type": "multipart/form-data; boundary=upload-attack-boundary",
        },
        timeout=120,
    )
    assert reply.status_code == 201, reply.text
    file_id: int = reply.json()["data"]["id"]
    return file_id
