"""S3 storage on a real moto server: what happens when a step fails, streaming, orphans.

The API behaviour shared with the database storage is tested in test_routes.py; here are the
failure directions only S3 has (the PUT fails; the commit fails after the PUT; a commit
reports an error after it landed) and the orphan-files command.
"""

import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from users_service.config import Settings
from users_service.files.storage import build_storage, current_storage, quota
from users_service.files.storage.s3 import CHUNK_BYTES, ObjectStream, S3Storage
from users_service.models import StoredFile, User
from users_service.models.database import db

from services.users.tests.support.helpers import (
    Member,
    assert_json_error,
    count_rows,
    upload,
    uploaded,
)
from services.users.tests.support.moto_server import Bucket

ENDPOINT_DOWN = EndpointConnectionError(endpoint_url="http://s3.invalid")
MIB = 1024 * 1024


@pytest.fixture
def settings(make_settings: Callable[..., Settings], s3_bucket: Bucket) -> Settings:
    return make_settings(**s3_bucket.settings())


def s3_of(app: Flask) -> S3Storage:
    with app.app_context():
        storage = current_storage()
    assert isinstance(storage, S3Storage)
    return storage


def storage_keys(app: Flask) -> list[str | None]:
    with app.app_context():
        return list(db.session.scalars(select(StoredFile.storage_key)))


def assert_nothing_stored(settings: Settings, bucket: Bucket) -> None:
    assert count_rows(settings, "files") == 0
    assert bucket.object_keys() == []


# --- the PUT fails --------------------------------------------------------------------------


def _put_fails_midway(real_put: Callable[..., Any]) -> Callable[..., Any]:
    def put_object(**arguments: Any) -> Any:
        arguments["Body"].read(100)  # part of the file went out, then the connection broke
        raise ENDPOINT_DOWN

    return put_object


def _put_lands_reply_lost(real_put: Callable[..., Any]) -> Callable[..., Any]:
    def put_object(**arguments: Any) -> Any:
        real_put(**arguments)  # S3 stored the object...
        raise ReadTimeoutError(endpoint_url="http://s3.invalid")  # ...and its reply was lost

    return put_object


@pytest.mark.parametrize("failure", [_put_fails_midway, _put_lands_reply_lost])
def test_failed_put_writes_no_row_and_leaves_no_object(
    app: Flask,
    client: FlaskClient,
    member: Member,
    settings: Settings,
    s3_bucket: Bucket,
    monkeypatch: pytest.MonkeyPatch,
    failure: Callable[..., Any],
) -> None:
    """503 with Retry-After; no row; and no object, even when the PUT itself had landed."""
    storage = s3_of(app)
    monkeypatch.setattr(storage.client, "put_object", failure(storage.client.put_object))
    reply = upload(client, member, b"p" * 5000)
    assert_json_error(reply, 503)
    assert reply.headers["Retry-After"] == "5"
    assert_nothing_stored(settings, s3_bucket)


def test_missing_bucket_is_503_and_writes_no_row(
    make_settings: Callable[..., Settings],
    s3_bucket: Bucket,
    make_app: Callable[..., Flask],
    member: Member,
    settings: Settings,
) -> None:
    """S3 refuses the PUT (NoSuchBucket): a JSON 503 and no metadata row."""
    overrides = {**s3_bucket.settings(), "s3_bucket": f"{s3_bucket.name}-absent"}
    client = make_app(**overrides).test_client()
    assert_json_error(upload(client, member, b"x"), 503)
    assert_nothing_stored(settings, s3_bucket)


# --- the commit fails -----------------------------------------------------------------------


def test_commit_error_after_the_row_landed_keeps_the_object(
    app: Flask,
    client: FlaskClient,
    member: Member,
    s3_bucket: Bucket,
    fail_file_commits: Callable[..., None],
) -> None:
    """A commit that reports an error but did happen: the object stays and the upload is a
    success (deleting the object would leave a row without content)."""
    fail_file_commits(lands=True)
    data = uploaded(client, member, b"landed anyway", name="landed.txt")
    keys = storage_keys(app)
    assert s3_bucket.object_keys() == keys
    assert len(keys) == 1
    reply = client.get(f"/files/{data['id']}", headers=member.headers)
    assert reply.get_data() == b"landed anyway"


def test_failed_commit_and_failed_cleanup_leave_an_orphan_that_the_command_removes(
    app: Flask,
    client: FlaskClient,
    member: Member,
    settings: Settings,
    s3_bucket: Bucket,
    fake_clock: Any,
    fail_file_commits: Callable[..., None],
) -> None:
    """If S3 is gone too when the compensation runs, the object stays: orphan-files finds
    it once it is older than --min-age-minutes, and deletes it with --delete."""
    uploaded(client, member, b"a healthy file")
    with pytest.MonkeyPatch.context() as patch:
        fail_file_commits()
        patch.setattr(s3_of(app).client, "delete_object", _raise(ENDPOINT_DOWN))
        assert_json_error(upload(client, member, b"orphaned"), 503)
    [kept] = storage_keys(app)
    [orphan] = [key for key in s3_bucket.object_keys() if key != kept]

    assert _invoke(app, "orphan-files").output.endswith("0 orphan object(s)\n")
    fake_clock.advance(minutes=61)
    listed = _invoke(app, "orphan-files")
    assert listed.output == f"{orphan}\n1 orphan object(s)\n"
    assert orphan in s3_bucket.object_keys()
    assert _invoke(app, "orphan-files", "--delete").output.endswith("1 orphan object(s) deleted\n")
    assert s3_bucket.object_keys() == [kept]


def _raise(error: Exception) -> Callable[..., Any]:
    def fail(**_arguments: Any) -> Any:
        raise error

    return fail


def _invoke(app: Flask, *args: str) -> Result:
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, (result.output, repr(result.exception))
    return result


def test_orphan_files_leaves_named_objects_and_other_prefixes_alone(
    app: Flask, client: FlaskClient, member: Member, s3_bucket: Bucket, fake_clock: Any
) -> None:
    """Only unnamed objects under S3_PREFIX are orphans; objects elsewhere are not ours."""
    uploaded(client, member, b"named")
    for key in ("uploads/stray", "elsewhere/not-ours"):
        s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=key, Body=b"?")
    fake_clock.advance(hours=2)
    assert _invoke(app, "orphan-files", "--delete").output == (
        "uploads/stray\n1 orphan object(s) deleted\n"
    )
    remaining = s3_bucket.object_keys()
    assert "elsewhere/not-ours" in remaining
    assert len(remaining) == 2


def test_orphan_files_on_database_storage_finds_none(make_app: Callable[..., Flask]) -> None:
    """Content and row commit together there: the command has nothing to find."""
    assert _invoke(make_app(), "orphan-files", "--min-age-minutes", "0").output == (
        "0 orphan object(s)\n"
    )


# --- keys, streaming, missing objects ---------------------------------------------------------


def test_an_upload_streams_to_s3_without_holding_the_file(
    app: Flask, make_user: Callable[..., User], s3_bucket: Bucket, tmp_path: Path
) -> None:
    """One PUT of an 8 MiB spooled file: botocore is handed the file, which it reads in
    pieces to sign, checksum and send it, never the file's bytes at once. (The moto server
    runs in this process, so its allocations cannot be told from the client's: the body
    handed to the HTTP layer is what is checked.)"""
    content = secrets.token_bytes(8 * MIB)
    spooled_path = tmp_path / "spooled"
    spooled_path.write_bytes(content)
    user = make_user()
    sent: list[object] = []
    with spooled_path.open("rb") as spooled, app.app_context():
        storage = current_storage()
        client = storage.client  # type: ignore[attr-defined]
        client.meta.events.register(
            "before-send.s3.PutObject", lambda request, **_: sent.append(request.body)
        )
        record = StoredFile(name="big", size=len(content), content_type="x/y", uploader_id=user.id)
        storage.store(db.session, record, spooled, quota.claim(1024 * MIB))
    [key] = s3_bucket.object_keys()
    assert s3_bucket.read(key) == content
    [body] = sent
    assert not isinstance(body, bytes | bytearray | memoryview)
    assert hasattr(body, "read")


def test_keys_are_fresh_random_and_under_the_prefix(
    make_app: Callable[..., Flask], s3_bucket: Bucket, member: Member, app: Flask
) -> None:
    """The same name twice gives two keys: S3_PREFIX then 32 random hex digits."""
    other = make_app(**s3_bucket.settings(), s3_prefix="tenant-a/files/")
    client = other.test_client()
    for _ in range(2):
        uploaded(client, member, b"same", name="same.txt")
    keys = s3_bucket.object_keys()
    assert len(set(keys)) == 2
    assert all(re.fullmatch(r"tenant-a/files/[0-9a-f]{32}", key) for key in keys)


def test_download_streams_the_object_in_chunks(
    app: Flask, client: FlaskClient, member: Member
) -> None:
    """The object is read in chunks of at most CHUNK_BYTES, never as one piece."""
    content = bytes(range(256)) * 1000  # 256,000 bytes
    data = uploaded(client, member, content)
    with app.app_context():
        record = db.session.get(StoredFile, data["id"])
        assert record is not None
        stream = current_storage().open(db.session, record)
    assert isinstance(stream, ObjectStream)
    chunks = list(stream)
    stream.close()
    assert len(chunks) >= 4
    assert max(len(chunk) for chunk in chunks) <= CHUNK_BYTES
    assert b"".join(chunks) == content


def test_a_download_nobody_reads_still_closes_the_object(
    client: FlaskClient, member: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HEAD reads no body; the S3 response is closed all the same (its connection reused)."""
    closed: list[bool] = []
    real_close = ObjectStream.close

    def close(self: ObjectStream) -> None:
        closed.append(True)
        real_close(self)

    monkeypatch.setattr(ObjectStream, "close", close)
    data = uploaded(client, member, b"x" * 1000)
    # buffered: the test client then closes the response as a WSGI server does.
    reply = client.head(f"/files/{data['id']}", headers=member.headers, buffered=True)
    assert reply.status_code == 200
    assert reply.headers["Content-Length"] == "1000"
    assert closed == [True]


def test_object_gone_from_the_bucket_is_404(
    client: FlaskClient, member: Member, s3_bucket: Bucket
) -> None:
    """Metadata whose object was deleted behind the service's back: 404 JSON, not a crash."""
    data = uploaded(client, member, b"soon gone")
    [key] = s3_bucket.object_keys()
    s3_bucket.client.delete_object(Bucket=s3_bucket.name, Key=key)
    body = assert_json_error(client.get(f"/files/{data['id']}", headers=member.headers), 404)
    assert body["message"] == "File does not exist."


def test_s3_outage_on_download_is_503(
    app: Flask, client: FlaskClient, member: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S3 unreachable while downloading: a JSON 503 with Retry-After."""
    data = uploaded(client, member, b"x")
    monkeypatch.setattr(s3_of(app).client, "get_object", _raise(ENDPOINT_DOWN))
    reply = client.get(f"/files/{data['id']}", headers=member.headers)
    assert_json_error(reply, 503)
    assert reply.headers["Retry-After"] == "5"


# --- configuration ----------------------------------------------------------------------------


def test_region_and_credentials_come_from_the_aws_environment(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """boto3's own chain decides region and credentials; Settings has no field for either."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-environment")
    storage = build_storage(settings)
    assert isinstance(storage, S3Storage)
    assert storage.client.meta.region_name == "eu-west-3"
    credentials = storage.client._request_signer._credentials
    assert credentials.access_key == "from-the-environment"
    aws_like = [
        name
        for name in Settings.model_fields
        if re.search("aws|region|access_key|secret_access|cred", name)
    ]
    assert aws_like == []
