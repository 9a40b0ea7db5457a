"""POST /files, GET /files, GET /files/<id>, each test run on both storages.

The `settings` fixture below takes `storage_overrides` (conftest), so every test here runs
once with FILE_STORAGE=database and once with FILE_STORAGE=s3 on a real moto server.
"""

import io
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from werkzeug.http import parse_options_header
from werkzeug.test import TestResponse

from users_service.auth.guards import INVALID_TOKEN, NO_TOKEN
from users_service.config import Settings
from users_service.models import User
from users_service.models.database import db

from services.users.tests.support.helpers import (
    Member,
    assert_json_error,
    bearer,
    count_rows,
    upload,
    uploaded,
)
from services.users.tests.support.moto_server import Bucket

EVERY_BYTE = bytes(range(256)) * 4 + b"\x00\x00tail\x00"
HTTP_DATE = r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT"
ITEM_KEYS = {"id", "name", "size", "content_type", "uploader", "created_at"}


@pytest.fixture
def settings(make_settings: Callable[..., Settings], storage_overrides: dict[str, Any]) -> Settings:
    return make_settings(**storage_overrides)


def raw_upload(
    client: FlaskClient, member: Member, filename: bytes, content: bytes = b"x"
) -> TestResponse:
    """A multipart body written by hand, for file names no well-behaved encoder would send."""
    boundary = secrets.token_hex(16).encode()
    # A quoted-string: a backslash is escaped, or werkzeug reads it as an escape and drops it.
    filename = filename.replace(b"\\", b"\\\\")
    body = b"".join(
        [
            b"--" + boundary + b"\r\n",
            b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n',
            b"Content-Type: application/octet-stream\r\n\r\n",
            content,
            b"\r\n--" + boundary + b"--\r\n",
        ]
    )
    content_type = f"multipart/form-data; boundary={boundary.decode()}"
    return client.post("/files", data=body, content_type=content_type, headers=member.headers)


def assert_invalid(reply: TestResponse, field: str, kind: str) -> None:
    """A 400 Invalid payload. naming one problem: this field, of this type, with a message."""
    body: dict[str, Any] = assert_json_error(reply, 400)
    assert (body["status"], body["message"]) == ("fail", "Invalid payload.")
    [problem] = body["errors"]
    assert (problem["field"], problem["type"]) == (field, kind)
    assert isinstance(problem["message"], str)
    assert problem["message"]


# --- upload and download -----------------------------------------------------------------


def test_upload_replies_201_with_metadata_and_location(client: FlaskClient, member: Member) -> None:
    """The reply names the file, its size and type, the uploader and a Location."""
    reply = upload(client, member, b"hello", name="hello.txt", content_type="text/plain")
    assert reply.status_code == 201
    body = reply.get_json()
    assert body["status"] == "success"
    data = body["data"]
    assert set(data) == ITEM_KEYS
    assert (data["name"], data["size"], data["content_type"]) == ("hello.txt", 5, "text/plain")
    assert data["uploader"] == {"id": member.id, "username": member.username}
    assert isinstance(data["id"], int)
    assert re.fullmatch(HTTP_DATE, data["created_at"])
    assert reply.headers["Location"] == f"/files/{data['id']}"


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (EVERY_BYTE, "Résumé 日本語 ✓.bin"),
        (b"\x00" * 70_000, "zeros.bin"),
        (secrets.token_bytes(300_000), "random.dat"),
    ],
    ids=["every byte value", "NUL bytes", "300 KB random"],
)
def test_download_is_byte_for_byte(
    client: FlaskClient, member: Member, content: bytes, name: str
) -> None:
    """What comes back is exactly what went in, with its length, under its name."""
    data = uploaded(client, member, content, name=name)
    assert (data["name"], data["size"]) == (name, len(content))
    reply = client.get(f"/files/{data['id']}", headers=member.headers)
    assert reply.status_code == 200
    assert reply.get_data() == content
    assert reply.headers["Content-Length"] == str(len(content))


def test_non_ascii_name_is_sent_as_rfc6266_filename_star(
    client: FlaskClient, member: Member
) -> None:
    """`filename*` carries the UTF-8 name; `filename` is an ASCII stand-in."""
    name = "Résumé 日本語.pdf"
    data = uploaded(client, member, b"%PDF-1.4", name=name, content_type="application/pdf")
    value = client.get(f"/files/{data['id']}", headers=member.headers).headers[
        "Content-Disposition"
    ]
    assert value == (
        "attachment; filename=Resume.pdf; "
        "filename*=UTF-8''R%C3%A9sum%C3%A9%20%E6%97%A5%E6%9C%AC%E8%AA%9E.pdf"
    )
    # A standard parser (werkzeug's prefers filename*) gets the Unicode name back.
    assert parse_options_header(value) == ("attachment", {"filename": name})


def test_ascii_name_is_a_plain_filename(client: FlaskClient, member: Member) -> None:
    """An ASCII name needs no `filename*`."""
    data = uploaded(client, member, b"x", name="report 2026.csv", content_type="text/csv")
    value = client.get(f"/files/{data['id']}", headers=member.headers).headers[
        "Content-Disposition"
    ]
    assert value == 'attachment; filename="report 2026.csv"'


@pytest.mark.parametrize(
    ("declared", "served"),
    [
        ("text/html", "application/octet-stream"),
        ("application/xhtml+xml", "application/octet-stream"),
        ("image/svg+xml", "application/octet-stream"),
        ("text/xml", "application/octet-stream"),
        ("application/javascript", "application/octet-stream"),
        ("image/png", "image/png"),
        ("text/plain", "text/plain"),
        ("application/pdf", "application/pdf"),
    ],
)
def test_download_is_never_rendered_inline(
    client: FlaskClient, member: Member, declared: str, served: str
) -> None:
    """Attachment, nosniff and a sandboxing CSP always; active types served as octet-stream."""
    page = b"<html><script>alert(document.cookie)</script></html>"
    data = uploaded(client, member, page, name="page.html", content_type=declared)
    assert data["content_type"] == declared
    reply = client.get(f"/files/{data['id']}", headers=member.headers)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == served
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "no-store" in reply.headers["Cache-Control"]
    assert reply.get_data() == page


@pytest.mark.parametrize("declared", ["", "not a type", "text/", "x" * 300 + "/y"])
def test_malformed_content_type_is_stored_as_octet_stream(
    client: FlaskClient, member: Member, declared: str
) -> None:
    """A part type that is not a MIME type is recorded as application/octet-stream."""
    data = uploaded(client, member, b"x", content_type=declared)
    assert data["content_type"] == "application/octet-stream"


# --- listing -------------------------------------------------------------------------------


def test_list_is_newest_first_with_the_uploader(
    client: FlaskClient, member: Member, make_user: Callable[..., User], login: Callable[..., str]
) -> None:
    """Every signed-in user sees every file, newest first, each naming its uploader."""
    other_user = make_user(username="other", email="other@example.com")
    other = Member(other_user.id, "other", bearer(login(other_user.email)))
    ids = [
        uploaded(client, who, b"x", name=f"{n}.txt")["id"]
        for n, who in enumerate([member, other, member])
    ]
    reply = client.get("/files", headers=other.headers)
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["status"] == "success"
    assert set(body["data"]) == {"files", "next_cursor", "limit"}
    files = body["data"]["files"]
    assert [item["id"] for item in files] == ids[::-1]
    assert all(set(item) == ITEM_KEYS for item in files)
    assert [item["uploader"]["username"] for item in files] == ["uploader", "other", "uploader"]
    assert [item["name"] for item in files] == ["2.txt", "1.txt", "0.txt"]


def test_list_pages_with_a_keyset_cursor(client: FlaskClient, member: Member) -> None:
    """limit=2 over five files: pages of 2, 2 and 1, no repeats, then next_cursor null."""
    ids = [uploaded(client, member, b"x", name=f"{n}.bin")["id"] for n in range(5)]
    seen: list[int] = []
    query, pages = "/files?limit=2", 0
    while True:
        data = client.get(query, headers=member.headers).get_json()["data"]
        assert data["limit"] == 2
        seen += [item["id"] for item in data["files"]]
        pages += 1
        if data["next_cursor"] is None:
            break
        query = f"/files?limit=2&cursor={data['next_cursor']}"
    assert pages == 3
    assert seen == ids[::-1]


def test_listing_never_reads_file_content(app: Flask, client: FlaskClient, member: Member) -> None:
    """GET /files queries `files` (and `users`) only: never the content table."""
    uploaded(client, member, b"content that stays put")
    statements: list[str] = []
    with app.app_context():
        engine = db.read_engine  # the pool's own engine: its events see the writes' too
    event.listen(engine, "before_cursor_execute", _record(statements))
    assert client.get("/files", headers=member.headers).status_code == 200
    listing = [sql for sql in statements if "FROM files" in sql]
    assert listing
    assert not any("file_chunks" in sql for sql in statements)


def _record(statements: list[str]) -> Callable[..., None]:
    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    return listener


@pytest.mark.parametrize("query", ["limit=0", "limit=-1", "limit=x", "cursor=garbage"])
def test_bad_list_parameters_are_400(client: FlaskClient, member: Member, query: str) -> None:
    """The same strict query parameters as GET /users."""
    body = assert_json_error(client.get(f"/files?{query}", headers=member.headers), 400)
    assert body["message"] == "Invalid query parameter."


# --- authentication -----------------------------------------------------------------------


ROUTES = [("post", "/files"), ("get", "/files"), ("get", "/files/1")]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_no_token_is_403(client: FlaskClient, method: str, path: str) -> None:
    """Without an Authorization header: the reference's 403 literal."""
    body = assert_json_error(getattr(client, method)(path), 403)
    assert body["message"] == NO_TOKEN


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_invalid_token_is_401(client: FlaskClient, method: str, path: str) -> None:
    """A token that is not ours: the reference's 401 literal, nothing read or stored."""
    data = {"file": (io.BytesIO(b"x"), "a.txt")} if method == "post" else None
    reply = getattr(client, method)(path, data=data, headers=bearer("not.a.token"))
    assert assert_json_error(reply, 401)["message"] == INVALID_TOKEN


# --- refused uploads ----------------------------------------------------------------------


def test_missing_file_field_is_400(client: FlaskClient, member: Member) -> None:
    """Another field, a `file` field that is not a file part, or no part at all: 400."""
    bodies: list[dict[str, Any]] = [
        {"other": (io.BytesIO(b"x"), "a.txt")},
        {"file": "just text"},
        {},
    ]
    for data in bodies:
        reply = client.post(
            "/files", data=data, headers=member.headers, content_type="multipart/form-data"
        )
        assert_invalid(reply, "file", "missing")


def test_empty_file_is_400(client: FlaskClient, member: Member) -> None:
    """A zero-byte part (what a form with no file chosen sends) is refused."""
    assert_invalid(upload(client, member, b"", name=""), "file", "empty")
    assert_invalid(upload(client, member, b"", name="empty.txt"), "file", "empty")


def test_two_files_in_one_request_are_400(client: FlaskClient, member: Member) -> None:
    """One file per request."""
    data = {"file": [(io.BytesIO(b"a"), "a.txt"), (io.BytesIO(b"b"), "b.txt")]}
    assert_invalid(client.post("/files", data=data, headers=member.headers), "file", "multiple")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"file": "x"}', "application/json"),
        (b"file=x", "application/x-www-form-urlencoded"),
        (b"x", "text/plain"),
        (b"x", None),
    ],
)
def test_non_multipart_body_is_400(
    client: FlaskClient, member: Member, body: bytes, content_type: str | None
) -> None:
    """JSON, a urlencoded form, plain text or no type at all: 400 with a problem."""
    reply = client.post("/files", data=body, content_type=content_type, headers=member.headers)
    assert_invalid(reply, "", "multipart")


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=B", "multipart/form-data; boundary="],
)
def test_malformed_multipart_is_400(client: FlaskClient, member: Member, content_type: str) -> None:
    """A multipart body without a boundary or with garbage is a JSON 400."""
    reply = client.post(
        "/files", data=b"garbage\r\n", content_type=content_type, headers=member.headers
    )
    assert_invalid(reply, "file", "missing")


def test_truncated_body_is_400_and_stores_nothing(
    client: FlaskClient, member: Member, settings: Settings
) -> None:
    """A body shorter than its Content-Length (a client gone mid-upload) stores nothing."""
    boundary = "b0undary"
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
    reply = client.post(
        "/files",
        data=body.encode() + b"partial",
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=member.headers,
        environ_overrides={"CONTENT_LENGTH": "100000"},
    )
    assert_invalid(reply, "", "multipart")
    assert count_rows(settings, "files") == 0


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"../../etc/passwd", "passwd"),
        (b"..\\..\\windows\\win.ini", "win.ini"),
        (b"/var/www/index.html", "index.html"),
        (b"C:\\Users\\me\\notes.txt", "notes.txt"),
        (b"..", "file"),
        (b"", "file"),
        (b"a\x01b\x1b[31m\x7f.txt", "ab[31m.txt"),
        ("invoice\u202egpj.exe".encode(), "invoicegpj.exe"),
        ("zero\u200bwidth.txt".encode(), "zerowidth.txt"),
        ("日本語 ファイル.txt".encode(), "日本語 ファイル.txt"),
    ],
)
def test_names_are_made_safe(
    client: FlaskClient, member: Member, raw: bytes, expected: str
) -> None:
    """Directories, control and bidi characters are dropped; the name is never empty."""
    reply = raw_upload(client, member, raw)
    assert reply.status_code == 201, reply.get_json()
    data = reply.get_json()["data"]
    assert data["name"] == expected
    listed = client.get("/files", headers=member.headers).get_json()["data"]["files"][0]
    assert listed["name"] == expected
    header = client.get(f"/files/{data['id']}", headers=member.headers).headers
    assert expected in unquote(header["Content-Disposition"])
    assert "/" not in unquote(header["Content-Disposition"]).replace("UTF-8''", "")


def test_long_name_is_cut_keeping_the_extension(client: FlaskClient, member: Member) -> None:
    """At most 255 UTF-8 bytes; a multi-byte character is never cut in half."""
    name = "é" * 300 + ".tar.gz"
    data = uploaded(client, member, b"x", name=name)
    assert len(data["name"].encode()) <= 255
    assert data["name"].endswith("é.gz")
    assert set(data["name"].removesuffix(".gz")) == {"é"}


# --- unknown files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "file_id", ["999999", "0", "-1", "1.5", "abc", "99999999999999999999", "%00", "1%20"]
)
def test_unknown_or_malformed_id_is_404(client: FlaskClient, member: Member, file_id: str) -> None:
    """Any id that is not a stored file's: 404 JSON."""
    uploaded(client, member, b"x")
    body = assert_json_error(client.get(f"/files/{file_id}", headers=member.headers), 404)
    assert body["message"] == "File does not exist."


# --- size limits ---------------------------------------------------------------------------


class TestUploadLimit:
    """UPLOAD_MAX_BYTES=4096 and MAX_BODY_BYTES=1024: files to 4096 bytes, JSON to 1024."""

    @pytest.fixture
    def settings(
        self, make_settings: Callable[..., Settings], storage_overrides: dict[str, Any]
    ) -> Settings:
        return make_settings(upload_max_bytes=4096, max_body_bytes=1024, **storage_overrides)

    def test_exactly_the_limit_is_accepted(self, client: FlaskClient, member: Member) -> None:
        """4096 bytes: 201, and the bytes come back."""
        content = secrets.token_bytes(4096)
        data = uploaded(client, member, content)
        assert data["size"] == 4096
        assert client.get(f"/files/{data['id']}", headers=member.headers).get_data() == content

    def test_one_byte_over_is_413_and_stores_nothing(
        self, client: FlaskClient, member: Member, settings: Settings
    ) -> None:
        """4097 bytes: 413 JSON naming the limit; no row written."""
        body = assert_json_error(upload(client, member, b"x" * 4097), 413)
        assert body["errors"] == [
            {"field": "file", "message": "must be at most 4096 bytes", "type": "too_large"}
        ]
        assert count_rows(settings, "files") == 0

    def test_oversized_body_is_refused_before_it_is_read(
        self, client: FlaskClient, member: Member
    ) -> None:
        """A declared length above file limit + envelope is a 413 without parsing."""
        reply = upload(client, member, b"x" * (4096 + 1024 + 1))
        assert assert_json_error(reply, 413)["message"] == "File too large."

    def test_uploads_may_exceed_the_json_limit_other_routes_may_not(
        self, client: FlaskClient, member: Member
    ) -> None:
        """A 3000-byte file is fine; a 3000-byte JSON body elsewhere is still a 413."""
        assert upload(client, member, b"y" * 3000).status_code == 201
        padding = {"username": "u", "email": "u@example.com", "password": "p" * 3000}
        assert_json_error(client.post("/auth/register", json=padding), 413)


# --- shared storage and consistency -----------------------------------------------------------


def test_two_instances_see_each_others_files(
    client: FlaskClient, member: Member, make_app: Callable[..., Flask], settings: Settings
) -> None:
    """A file uploaded through one instance is listed and served by another, both ways."""
    other = make_app(settings=settings).test_client()
    first = uploaded(client, member, b"from instance one", name="one.txt")
    second = uploaded(other, member, b"from instance two", name="two.txt")
    for reader in (client, other):
        listed = reader.get("/files", headers=member.headers).get_json()["data"]["files"]
        assert [item["id"] for item in listed] == [second["id"], first["id"]]
    assert (
        other.get(f"/files/{first['id']}", headers=member.headers).get_data()
        == b"from instance one"
    )
    assert (
        client.get(f"/files/{second['id']}", headers=member.headers).get_data()
        == b"from instance two"
    )


def test_failed_commit_leaves_no_row_and_no_content(
    client: FlaskClient,
    member: Member,
    settings: Settings,
    storage_overrides: dict[str, Any],
    request: pytest.FixtureRequest,
    fail_file_commits: Callable[..., None],
) -> None:
    """The commit fails after the content was written: neither row nor chunk nor object stays."""
    fail_file_commits()
    assert_json_error(upload(client, member, b"doomed" * 100_000), 503)
    assert count_rows(settings, "files") == 0
    assert count_rows(settings, "file_chunks") == 0
    if storage_overrides:
        bucket: Bucket = request.getfixturevalue("s3_bucket")
        assert bucket.object_keys() == []
