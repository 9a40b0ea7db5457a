"""What bounds the files routes: transfer slots, the upload rate, the quota, the number of
multipart parts, and a temporary space that fails. Each on both storages."""

import errno
import io
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask, Request
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from users_service.config import Settings
from users_service.files import uploads
from users_service.files.storage import quota
from users_service.models import User

from services.users.tests.support.helpers import (
    Member,
    assert_json_error,
    bearer,
    count_rows,
    upload,
    uploaded,
)
from services.users.tests.support.moto_server import Bucket
from services.users.tests.support.security_events import security_events

QUOTA = 10_000


@pytest.fixture
def settings(make_settings: Callable[..., Settings], storage_overrides: dict[str, Any]) -> Settings:
    return make_settings(
        files_transfers_per_worker=3,
        files_transfers_per_user=2,
        files_quota_bytes_per_user=QUOTA,
        **storage_overrides,
    )


def another_member(make_user: Callable[..., User], login: Callable[..., str], name: str) -> Member:
    user = make_user(username=name, email=f"{name}@example.com")
    return Member(user.id, name, bearer(login(user.email)))


def open_download(client: FlaskClient, member: Member, file_id: int) -> TestResponse:
    """A download whose body nobody has read yet: it holds its slot until closed."""
    reply = client.get(f"/files/{file_id}", headers=member.headers, buffered=False)
    assert reply.status_code == 200
    return reply


def assert_retry_later(reply: TestResponse, code: int) -> dict[str, object]:
    body = assert_json_error(reply, code)
    assert int(reply.headers["Retry-After"]) > 0
    return body


# --- transfer slots -------------------------------------------------------------------------


def test_a_user_past_their_transfers_gets_429_until_one_ends(
    client: FlaskClient, member: Member, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two downloads open (FILES_TRANSFERS_PER_USER=2): a third download or an upload is a
    429, each logged as a security event; once one download is closed, the next goes
    through."""
    file_id = uploaded(client, member, b"x" * 1000)["id"]
    held = [open_download(client, member, file_id) for _ in range(2)]
    body = assert_retry_later(client.get(f"/files/{file_id}", headers=member.headers), 429)
    assert body["message"] == "Too many file transfers at once. Try again later."
    assert_retry_later(upload(client, member, b"y"), 429)
    refusals = [e for e in security_events(capsys.readouterr().out) if e["event"] == "rate.limited"]
    assert len(refusals) == 2
    held.pop().close()
    assert client.get(f"/files/{file_id}", headers=member.headers).status_code == 200
    held.pop().close()


def test_a_worker_past_its_transfers_gets_503_for_everyone(
    client: FlaskClient,
    member: Member,
    make_user: Callable[..., User],
    login: Callable[..., str],
) -> None:
    """Three transfers in this worker (FILES_TRANSFERS_PER_WORKER=3), from two users: a
    third user is turned away with a 503 and Retry-After, and let in once one ends."""
    other = another_member(make_user, login, "other")
    third = another_member(make_user, login, "third")
    file_id = uploaded(client, member, b"x" * 1000)["id"]
    held = [open_download(client, who, file_id) for who in (member, member, other)]
    body = assert_retry_later(client.get(f"/files/{file_id}", headers=third.headers), 503)
    assert body["message"] == "Service busy: too many file transfers at once. Try again shortly."
    assert_retry_later(upload(client, third, b"y"), 503)
    held.pop().close()
    assert uploaded(client, third, b"y")["size"] == 1
    for reply in held:
        reply.close()


def test_refused_and_failed_transfers_give_their_slot_back(
    client: FlaskClient, member: Member
) -> None:
    """Refused uploads (400, 413) and unknown files (404), many more than the slots: none
    keeps a slot, so the next upload still goes through."""
    for _ in range(5):
        assert upload(client, member, b"").status_code == 400
        assert upload(client, member, b"z" * (QUOTA + 1)).status_code == 413
        assert client.get("/files/999999", headers=member.headers).status_code == 404
    assert uploaded(client, member, b"fine")["size"] == 4


# --- quota ----------------------------------------------------------------------------------


def test_the_quota_caps_what_one_account_stores(
    client: FlaskClient,
    member: Member,
    make_user: Callable[..., User],
    login: Callable[..., str],
    settings: Settings,
) -> None:
    """6,000 then 4,000 bytes fill 10,000; a file that does not fit is a 413 naming what is
    left; a full account is refused before its body is read; others are not affected."""
    uploaded(client, member, b"a" * 6000)
    body = assert_json_error(upload(client, member, b"b" * 5000), 413)
    assert body["message"] == "Storage quota exceeded."
    assert body["errors"] == [
        {
            "field": "file",
            "message": "the account may store 10000 bytes and has 4000 left",
            "type": "quota",
        }
    ]
    uploaded(client, member, b"c" * 4000)
    full = _body_never_read(client, member)
    assert assert_json_error(full, 413)["message"] == "Storage quota exceeded."
    assert uploaded(client, another_member(make_user, login, "other"), b"d" * 9000)["size"] == 9000
    assert count_rows(settings, "files") == 3


def _body_never_read(client: FlaskClient, member: Member) -> TestResponse:
    """An upload whose body stream fails if read: a refusal before the body passes."""

    class Unreadable(io.BytesIO):
        def read(self, *_args: Any) -> bytes:
            raise AssertionError("the body was read")

        def readinto(self, _buffer: Any) -> int:
            raise AssertionError("the body was read")

    return client.post(
        "/files",
        input_stream=Unreadable(),
        content_type="multipart/form-data; boundary=b",
        headers={**member.headers, "Content-Length": "5000"},
    )


class TestQuotaRace:
    @pytest.fixture
    def settings(
        self, make_settings: Callable[..., Settings], storage_overrides: dict[str, Any]
    ) -> Settings:
        return make_settings(
            files_transfers_per_worker=8,
            files_transfers_per_user=8,
            files_quota_bytes_per_user=QUOTA,
            **storage_overrides,
        )

    def test_concurrent_uploads_cannot_together_pass_the_quota(
        self, app: Flask, member: Member, settings: Settings
    ) -> None:
        """Eight uploads of 3,000 bytes at once against 10,000: three are stored, every other
        is a 413 (the exact check holds a per-user lock from insert to commit)."""
        barrier = threading.Barrier(8, timeout=30)

        def attempt(_: int) -> int:
            client = app.test_client()
            barrier.wait()
            return upload(client, member, b"q" * 3000).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = Counter(pool.map(attempt, range(8)))
        print(f"\nstatuses: {dict(statuses)}")
        assert statuses == {201: 3, 413: 5}
        assert count_rows(settings, "files") == 3


def test_a_file_refused_at_commit_leaves_no_row_and_no_content(
    client: FlaskClient,
    member: Member,
    settings: Settings,
    storage_overrides: dict[str, Any],
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The early check saw room (another upload then took it): the exact check refuses the
    row in its transaction, and the content (chunks, or the object already put) goes too."""
    generous = quota.Allowance(QUOTA, QUOTA)
    monkeypatch.setattr(quota, "allowance", lambda *_args: generous)
    uploaded(client, member, b"a" * 8000)
    assert_json_error(upload(client, member, b"b" * 8000), 413)
    assert count_rows(settings, "files") == 1
    if storage_overrides:
        bucket: Bucket = request.getfixturevalue("s3_bucket")
        assert len(bucket.object_keys()) == 1
    else:
        assert count_rows(settings, "file_chunks") == 1


# --- upload rate ----------------------------------------------------------------------------


class TestUploadRate:
    @pytest.fixture
    def settings(
        self, make_settings: Callable[..., Settings], storage_overrides: dict[str, Any]
    ) -> Settings:
        return make_settings(
            rate_limits_enabled=True, rate_limit_upload_per_account="2/hour", **storage_overrides
        )

    def test_uploads_past_the_rate_get_429_with_retry_after(
        self,
        client: FlaskClient,
        member: Member,
        make_user: Callable[..., User],
        login: Callable[..., str],
    ) -> None:
        """2/hour: the third upload of the hour is a 429 before its body is read; another
        account has its own budget."""
        for _ in range(2):
            uploaded(client, member, b"x")
        body = assert_retry_later(_body_never_read(client, member), 429)
        assert body["message"] == "Too many requests. Try again later."
        assert uploaded(client, another_member(make_user, login, "other"), b"y")["size"] == 1


# --- multipart parts ------------------------------------------------------------------------


def many_parts(count: int) -> bytes:
    """`count` parts: the `file` part, then text fields."""
    parts = [b'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nfile']
    parts += [
        f'Content-Disposition: form-data; name="f{n}"\r\n\r\nv'.encode() for n in range(count - 1)
    ]
    return b"".join(b"--B\r\n" + part + b"\r\n" for part in parts) + b"--B--\r\n"


@pytest.mark.parametrize(("count", "code"), [(1000, 201), (1001, 400), (20_000, 400)])
def test_too_many_parts_is_its_own_400(
    client: FlaskClient, member: Member, count: int, code: int
) -> None:
    """werkzeug's 1,000 parts are accepted; one more is a 400 saying so, not "File too
    large" (413)."""
    reply = client.post(
        "/files",
        data=many_parts(count),
        content_type="multipart/form-data; boundary=B",
        headers=member.headers,
    )
    assert reply.status_code == code, reply.get_json()
    if code == 400:
        body = assert_json_error(reply, 400)
        assert body["errors"] == [
            {"field": "", "message": "Too many parts: at most 1000.", "type": "too_many_parts"}
        ]


# --- the temporary space --------------------------------------------------------------------


class FullDisk(io.BytesIO):
    """A spool file on a full file system."""

    def write(self, _data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_temporary_space_is_a_503(
    client: FlaskClient, member: Member, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    """ENOSPC while werkzeug spools the part: a JSON 503 with Retry-After, nothing stored."""
    monkeypatch.setattr(Request, "_get_file_stream", lambda *_args, **_kwargs: FullDisk())
    body = assert_retry_later(upload(client, member, b"x" * 2000), 503)
    assert body["message"] == uploads.NO_ROOM
    assert count_rows(settings, "files") == 0


def test_a_body_larger_than_the_temporary_space_is_a_413(
    client: FlaskClient, member: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC for a body declared larger than the whole temporary file system: it could
    never fit, so it is the client's size (413), not a moment's shortage (503)."""
    monkeypatch.setattr(Request, "_get_file_stream", lambda *_args, **_kwargs: FullDisk())
    monkeypatch.setattr(uploads, "_spool_capacity", lambda: 1000)
    body = assert_json_error(upload(client, member, b"x" * 2000), 413)
    assert body["message"] == "File too large."


def test_a_spool_that_cannot_be_read_back_is_a_503(
    client: FlaskClient, member: Member, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    """EIO while the storage reads the spooled part: a JSON 503, no row, no content."""

    class Unreadable(io.BytesIO):
        def read(self, *_args: Any) -> bytes:
            raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(Request, "_get_file_stream", lambda *_args, **_kwargs: Unreadable())
    assert_retry_later(upload(client, member, b"x" * 2000), 503)
    assert count_rows(settings, "files") == 0
