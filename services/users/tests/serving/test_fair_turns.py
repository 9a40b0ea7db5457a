"""A worker serves its connections in turns, one request each.

A client that has sent many requests ahead on one keep-alive connection (or a load
generator that sends the next the moment a reply arrives) always has its next request
ready: without a turn to the event loop between requests, the worker answered all of them
before it even accepted another connection, and that connection's requests waited: /ping's
p99 at 16 connections was 30 ms on two workers and 800 ms on one. Ordered, not timed: the
access log says who was answered when.
"""

import socket
from urllib.parse import urlsplit

import pytest

from services.users.tests.support.gunicorn_server import Serve

pytestmark = pytest.mark.serving
AHEAD = 500  # requests one client sends at once, before anyone else connects


def ping(request_id: str) -> bytes:
    return f"GET /ping HTTP/1.1\r\nHost: x\r\nX-Request-Id: {request_id}\r\n\r\n".encode()


def test_a_connection_with_requests_queued_does_not_keep_the_worker(serve: Serve) -> None:
    with serve(WEB_CONCURRENCY="1") as server:
        address = urlsplit(server.base_url)
        target = (str(address.hostname), int(str(address.port)))
        with socket.create_connection(target, timeout=30) as busy:
            busy.sendall(b"".join(ping(f"busy-{n}") for n in range(AHEAD)))
            with socket.create_connection(target, timeout=30) as other:
                other.sendall(ping("other"))
                assert other.recv(4096).startswith(b"HTTP/1.1 200")
            received = b""
            while received.count(b"HTTP/1.1 200") < AHEAD:
                received += busy.recv(1 << 16)
        ids = [entry.get("request_id", "") for entry in server.log_lines()]
    order = [i for i in ids if i.startswith(("busy-", "other"))]  # not the start-up probes
    busy_before_other = order.index("other")  # how many of the queue went first
    print(f"\nthe other connection was answered after {busy_before_other} of {AHEAD} requests")
    assert len(order) == AHEAD + 1
    assert busy_before_other < AHEAD // 5
