"""Hostile clients against a real gunicorn: slow or idle connections, malformed framing and
headers. Every connection is a raw socket to 127.0.0.1, few of them, each bounded in time.

The arithmetic the docs state: a server holds WEB_CONCURRENCY x WORKER_CONNECTIONS client
connections at once; a slow client holds one at most HEADER_TIMEOUT_SECONDS (headers) or
BODY_TIMEOUT_SECONDS (body) before the worker closes it. So an attacker needs that many
connections open at once, renewed at least every deadline, before /ping notices; fewer
change nothing. The tests shrink the slots and the deadlines so both sides are cheap to show.
"""

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
import requests

from services.users.tests.support.gunicorn_server import Serve, Server

pytestmark = pytest.mark.serving

WORKERS, SLOTS = 2, 20
DEADLINES = {"HEADER_TIMEOUT_SECONDS": "1", "BODY_TIMEOUT_SECONDS": "2"}
SLOW_LOGIN = (
    b"POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100\r\n\r\n{"
)


@pytest.fixture
def small_server(serve: Serve) -> Iterator[Server]:
    """Two workers of 20 slots each, with deadlines of one and two seconds."""
    settings = {"WEB_CONCURRENCY": str(WORKERS), "WORKER_CONNECTIONS": str(SLOTS), **DEADLINES}
    with serve(**settings) as server:
        yield server


def port_of(server: Server) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


@contextmanager
def held_connections(server: Server, count: int, payload: bytes) -> Iterator[list[socket.socket]]:
    with ExitStack() as stack:
        sockets = []
        for _ in range(count):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", port_of(server))))
            sock.sendall(payload)
            sockets.append(sock)
        yield sockets


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """Whether the server ends the connection (EOF, after any reply) within `within` s."""
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


def raw_reply(server: Server, request: bytes, within: float = 5) -> bytes:
    """What the server answers before it closes; a reset after an early reply (the server
    refused before reading all of a large request) ends the reply too."""
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=within) as sock:
        reply = b""
        try:
            sock.sendall(request)
            while chunk := sock.recv(65536):
                reply += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass
        return reply


def status_and_json(reply: bytes) -> tuple[int, bytes, bytes]:
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split()[1]), head.lower(), body


def test_slow_bodies_below_the_slots_leave_ping_answering(small_server: Server) -> None:
    with held_connections(small_server, WORKERS * SLOTS // 2, SLOW_LOGIN):
        ping = requests.get(f"{small_server.base_url}/ping", timeout=2)
        assert ping.status_code == 200


def test_slow_bodies_are_cut_at_the_deadline_and_the_slots_come_back(small_server: Server) -> None:
    """More slow bodies than slots: each is answered 400 and closed within the body deadline,
    then /ping answers again without anyone's help."""
    with held_connections(small_server, WORKERS * SLOTS + 10, SLOW_LOGIN) as sockets:
        started = time.monotonic()
        assert all(closed_by_server(sock, within=15) for sock in sockets)
        assert time.monotonic() - started < 15
    assert requests.get(f"{small_server.base_url}/ping", timeout=5).status_code == 200


def test_connections_that_never_send_headers_are_closed(small_server: Server) -> None:
    partial = b"GET /ping HTTP/1.1\r\nHost: t\r\n"  # never finished
    with (
        held_connections(small_server, 5, b"") as silent,
        held_connections(small_server, 5, partial) as unfinished,
    ):
        assert all(closed_by_server(sock, within=10) for sock in [*silent, *unfinished])


def test_a_body_cut_by_its_deadline_is_400_and_the_connection_closes(small_server: Server) -> None:
    with held_connections(small_server, 1, SLOW_LOGIN) as (sock,):
        sock.settimeout(10)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    code, _, body = status_and_json(reply)
    assert code == 400
    assert b'"message":"Invalid payload."' in body


@pytest.mark.parametrize(
    "framing",
    [b"ZZ\r\n{}\r\n0\r\n\r\n", b"2\r\n{}0\r\n\r\n", b"2;\x01=\x02\r\n{}\r\n0\r\n\r\n"],
    ids=["bad chunk size", "missing chunk terminator", "bad chunk extension"],
)
def test_malformed_chunked_bodies_are_400_json(small_server: Server, framing: bytes) -> None:
    request = (
        b"POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + framing
    )
    code, head, body = status_and_json(raw_reply(small_server, request))
    assert code == 400
    assert b"content-type: application/json" in head
    assert b"Invalid payload." in body or b"Bad Request." in body
    assert "Traceback" not in small_server.log_path.read_text()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (b"Host: a\r\nHost: b\r\n", 400),
        (b"Host: a\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n", 400),
        (b"Host: a\r\nContent-Length: -1\r\n", 400),
        (b"Host: a\r\nTransfer-Encoding: gzip\r\n", 400),
        (b"Host: a\r\nExpect: 100-continue-please\r\n", 417),
        (b"Host: a\r\n" + b"X-Big: " + b"x" * 9000 + b"\r\n", 431),
    ],
    ids=[
        "two hosts",
        "length and chunked",
        "negative length",
        "gzip coding",
        "bad expect",
        "long header",
    ],
)
def test_requests_gunicorn_refuses_are_answered_in_json(
    small_server: Server, headers: bytes, expected: int
) -> None:
    reply = raw_reply(small_server, b"POST /auth/login HTTP/1.1\r\n" + headers + b"\r\n")
    code, head, body = status_and_json(reply)
    assert code == expected
    assert b"content-type: application/json" in head
    assert body.startswith(b'{"status": "error"')
    assert "Error handling request" not in small_server.log_path.read_text()


def test_too_long_a_uri_is_414_json(small_server: Server) -> None:
    code, head, _ = status_and_json(
        raw_reply(small_server, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
    )
    assert code == 414
    assert b"content-type: application/json" in head


def test_a_chunked_body_past_the_size_limit_is_413_json(small_server: Server) -> None:
    """Werkzeug stops a chunked body at MAX_BODY_BYTES and hands over what fits; the service
    refuses it instead of reading a truncated body."""
    body = b"x" * (2 * 1024 * 1024)
    request = (
        b"POST /auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + f"{len(body):x}".encode()
        + b"\r\n"
        + body
        + b"\r\n0\r\n\r\n"
    )
    code, head, _ = status_and_json(raw_reply(small_server, request))
    assert code == 413
    assert b"content-type: application/json" in head


def test_a_script_name_header_changes_nothing(small_server: Server) -> None:
    reply = raw_reply(
        small_server,
        b"GET /ping HTTP/1.1\r\nHost: t\r\nSCRIPT_NAME: /x\r\nConnection: close\r\n\r\n",
    )
    code, _, body = status_and_json(reply)
    assert code == 200
    assert b"pong!" in body


def test_the_access_log_records_gunicorns_own_refusals(small_server: Server) -> None:
    raw_reply(small_server, b"GET /ping HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    statuses = [entry["status"] for entry in small_server.log_lines()]
    assert 400 in statuses
