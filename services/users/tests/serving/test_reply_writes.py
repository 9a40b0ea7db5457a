"""A reply's head leaves in the same write as the first part of its body.

A load balancer that has passed a reply's head to its client can neither retry the request
elsewhere nor finish the reply if the instance dies before the body: written separately, a
replica killed between the two writes cut its client off. One write also saves a system call
on every reply."""

import socket
import tempfile
from collections.abc import Iterator

import pytest

from users_service.web.worker import DeadlineSocket

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"


class RecordingSocket:
    """One end of a real socket pair, noting each write gunicorn's calls turn into."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.writes: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self.sock.sendall(data)

    def sendfile(self, file: object, offset: int = 0, count: int | None = None) -> int:
        self.writes.append(b"<file>")
        return self.sock.sendfile(file, offset, count)  # type: ignore[arg-type]

    def send(self, data: bytes) -> int:
        self.writes.append(bytes(data))
        return self.sock.send(data)


@pytest.fixture
def sockets() -> Iterator[tuple[RecordingSocket, DeadlineSocket, socket.socket]]:
    server, client = socket.socketpair()
    recording = RecordingSocket(server)
    wrapped = DeadlineSocket(recording, header_seconds=5, idle_seconds=5, send_seconds=5)
    wrapped.start_body(5)
    yield recording, wrapped, client
    server.close()
    client.close()


def _received(client: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        data += client.recv(size - len(data))
    return data


def test_the_head_goes_out_with_the_first_part_of_the_body(
    sockets: tuple[RecordingSocket, DeadlineSocket, socket.socket],
) -> None:
    recording, wrapped, client = sockets
    wrapped.sendall(HEAD)
    assert recording.writes == []  # held until the body comes
    wrapped.sendall(b"hel")
    wrapped.sendall(b"lo")
    wrapped.flush()
    assert recording.writes == [HEAD + b"hel", b"lo"]
    assert _received(client, len(HEAD) + 5) == HEAD + b"hello"


def test_a_reply_without_a_body_leaves_when_the_request_ends(
    sockets: tuple[RecordingSocket, DeadlineSocket, socket.socket],
) -> None:
    recording, wrapped, client = sockets
    wrapped.sendall(HEAD)
    wrapped.flush()
    wrapped.flush()  # a second flush sends nothing twice
    assert recording.writes == [HEAD]
    assert _received(client, len(HEAD)) == HEAD


def test_the_next_request_holds_its_own_head(
    sockets: tuple[RecordingSocket, DeadlineSocket, socket.socket],
) -> None:
    recording, wrapped, _client = sockets
    wrapped.sendall(HEAD)
    wrapped.sendall(b"hello")
    wrapped.flush()
    wrapped.await_next_request()
    wrapped.start_body(5)
    wrapped.sendall(HEAD)
    wrapped.sendall(b"again")
    assert recording.writes == [HEAD + b"hello", HEAD + b"again"]


def test_a_file_follows_its_head(
    sockets: tuple[RecordingSocket, DeadlineSocket, socket.socket],
) -> None:
    recording, wrapped, client = sockets
    with tempfile.TemporaryFile() as file:
        file.write(b"hello")
        file.flush()
        wrapped.sendall(HEAD)
        assert wrapped.sendfile(file, 0, 5) == 5
    assert recording.writes == [HEAD, b"<file>"]
    assert _received(client, len(HEAD) + 5) == HEAD + b"hello"


def test_an_interim_continue_is_not_held(
    sockets: tuple[RecordingSocket, DeadlineSocket, socket.socket],
) -> None:
    """`100 Continue` asks the client for its body: holding it would wait for a body that
    waits for it."""
    recording, wrapped, client = sockets
    wrapped.send(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert recording.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    assert _received(client, 25) == b"HTTP/1.1 100 Continue\r\n\r\n"
