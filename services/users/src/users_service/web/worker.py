"""gunicorn's gevent worker with a deadline on every client, and JSON for its own errors.

gunicorn bounds only the wait for a request's headers (by the keep-alive time) and nothing
else: a client that sends its headers and then one byte of body a minute holds a connection
slot forever, and enough of them make /ping fail. Here each connection has a deadline in each
phase, after which the worker stops reading and closes it:

- a new connection must deliver its request's headers within HEADER_TIMEOUT_SECONDS;
- between keep-alive requests it may stay idle for KEEPALIVE_SECONDS (above the ALB's idle
  timeout), and once a request's first byte arrives its headers must follow within
  HEADER_TIMEOUT_SECONDS;
- once the application runs, the whole body must arrive within BODY_TIMEOUT_SECONDS;
- each part of a reply must be taken by the client within SEND_TIMEOUT_SECONDS, or a client
  that stops reading a download would hold its slot (and a transfer slot) for good.

A read past its deadline sees the end of the stream: gunicorn closes the connection, and a
body cut short is the application's `400 Invalid payload.` A send past its deadline ends the
connection as if the client had gone.

Connections are served in turns: after each request its greenlet yields to the event loop
(TURN_SECONDS), so a connection with requests queued cannot keep the worker to itself.

A stopping worker (SIGTERM) closes the keep-alive connections that are idle between requests:
gunicorn waits for every open connection before it exits, and an idle one would hold it for
the whole graceful timeout. A request already arriving, or being served, still completes.
"""

import contextlib
import errno
import json
import select
import socket
import time
from collections.abc import Iterator
from importlib import metadata
from typing import Any

import gevent
from gunicorn import util
from gunicorn.workers.ggevent import GeventWorker

from users_service.config import load_settings

# After each request the connection's greenlet waits for the event loop's next turn. A
# client whose next request is already there (pipelined, or a load generator's) would
# otherwise be served again and again while other connections, and the accept of new ones,
# wait: /ping's p99 at 16 connections was 30 ms on two workers, 800 ms on one. Any timeout
# above 0 waits for the next turn; 0 would only let ready greenlets run, not the loop poll.
TURN_SECONDS = 1e-6


class ClientStoppedReadingError(OSError):
    """A reply's part waited SEND_TIMEOUT_SECONDS for the client: treated as a client gone."""

    def __init__(self, seconds: float) -> None:
        super().__init__(errno.EPIPE, f"the client took no data for {seconds:g} s")


class DeadlineSocket:
    """The client socket as gunicorn reads and writes it, each call bounded by a deadline."""

    def __init__(
        self, sock: Any, header_seconds: float, idle_seconds: float, send_seconds: float
    ) -> None:
        self._sock = sock
        self._header_seconds = header_seconds
        self._idle_seconds = idle_seconds
        self._send_seconds = send_seconds
        self._awaiting_request = True
        self._deadline = time.monotonic() + header_seconds
        self._expired = False
        self._hold_next_write = False
        self._held = b""

    def recv(self, size: int) -> bytes:
        remaining = self._deadline - time.monotonic()
        if self._expired or remaining <= 0:
            return self._expire()
        with gevent.Timeout(remaining, False):
            data: bytes = self._sock.recv(size)
            if self._awaiting_request and data:
                self._awaiting_request = False
                self._deadline = time.monotonic() + self._header_seconds
            return data
        return self._expire()

    def _expire(self) -> bytes:
        """The end of the stream, now and for good: what is left of a late request must never
        be read as the next one."""
        self._expired = True
        return b""

    def sendall(self, data: bytes) -> None:
        if self._hold_next_write:  # the reply's head: it leaves with its body's first part
            self._hold_next_write = False
            self._held = data
            return
        data, self._held = self._held + data, b""
        with self._send_deadline():
            self._sock.sendall(data)

    def flush(self) -> None:
        """Send a held head now: its reply has no body (a HEAD, a 204), or a file follows."""
        self._hold_next_write = False
        if self._held:
            self.sendall(b"")

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        self.flush()
        with self._send_deadline():
            sent: int = self._sock.sendfile(file, offset, count)
            return sent

    def _send_deadline(self) -> Any:
        failure = ClientStoppedReadingError(self._send_seconds)
        return gevent.Timeout(self._send_seconds, failure)

    def start_body(self, body_seconds: float) -> None:
        self._deadline = time.monotonic() + body_seconds
        # A load balancer that has passed a reply's head on can neither retry the request
        # elsewhere nor finish the reply if this instance dies before the body follows; one
        # write for both also saves a system call per reply.
        self._hold_next_write = True

    def await_next_request(self) -> None:
        self._awaiting_request = True
        self._deadline = time.monotonic() + self._idle_seconds

    def close_if_idle(self) -> None:
        """End the connection if it is between requests with nothing of a next one received
        (nor waiting to be read): its reader then sees the end of the stream."""
        if not self._awaiting_request or self._expired:
            return
        readable, _, _ = select.select([self._sock], [], [], 0)
        if not readable:
            with contextlib.suppress(OSError):  # the peer may have gone already
                self._sock.shutdown(socket.SHUT_RD)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class DeadlineGeventWorker(GeventWorker):  # type: ignore[misc]
    """The gevent worker, reading every client through a DeadlineSocket."""

    def patch(self) -> None:
        with entry_points_read_once():
            super().patch()  # gevent's monkey patching of the standard library

    def init_process(self) -> None:
        settings = load_settings()
        self.header_seconds = settings.header_timeout_seconds
        self.body_seconds = settings.body_timeout_seconds
        self.send_seconds = settings.send_timeout_seconds
        self.connections: set[DeadlineSocket] = set()
        super().init_process()  # runs the worker until it stops

    def timeout_ctx(self) -> Any:
        return gevent.Timeout(None)  # the socket's own deadlines apply instead

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        client.setblocking(1)
        wrapped = DeadlineSocket(client, self.header_seconds, self.cfg.keepalive, self.send_seconds)
        self.connections.add(wrapped)
        try:
            super(GeventWorker, self).handle(listener, wrapped, addr)
        finally:
            self.connections.discard(wrapped)

    def handle_exit(self, sig: int, frame: Any) -> None:
        """SIGTERM: stop as gunicorn does, and close the idle connections from a greenlet of
        their own, so that none of them is caught between reading a request's first bytes and
        marking itself busy."""
        super().handle_exit(sig, frame)
        gevent.spawn(self.close_idle_connections)

    def close_idle_connections(self) -> None:
        for connection in list(self.connections):
            connection.close_if_idle()

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> Any:
        sock.start_body(self.body_seconds)
        try:
            return super().handle_request(listener_name, req, sock, addr)
        finally:
            sock.flush()
            sock.await_next_request()
            gevent.sleep(TURN_SECONDS)


@contextlib.contextmanager
def entry_points_read_once() -> Iterator[None]:
    """Read the installed packages' entry points once for the whole block.

    gevent announces every module it patches to plugins that it looks up with
    `importlib.metadata.entry_points(group=...)`, and each lookup reads the metadata of every
    installed package: 25 reads in all, most of the time patching takes at a worker's start.
    Nothing installs a package meanwhile, so one read answers them all."""
    read_each_time = metadata.entry_points
    everything = read_each_time()
    metadata.entry_points = everything.select
    try:
        yield
    finally:
        metadata.entry_points = read_each_time


def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own error replies (a malformed request line or header, too long a URI...)
    in the service's JSON envelope instead of an HTML page; `mesg` would echo the request."""
    body = json.dumps({"status": "error", "message": f"{reason}."}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


# gunicorn's workers write their error replies through this one function.
util.write_error = write_json_error
