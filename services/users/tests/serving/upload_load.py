"""Loads for the upload attack tests: raw HTTP on 127.0.0.1, memory of a gunicorn tree."""

import contextlib
import secrets
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests

from services.users.tests.support.gunicorn_server import Server
from services.users.tests.support.helpers import bearer, register_body

MIB = 1024 * 1024
SOCKET_TIMEOUT_SECONDS = 30
BOUNDARY = "upload-attack-boundary"
TAIL_BYTES = 64


def multipart(content: bytes, name: str = "big.bin") -> bytes:
    """One `file` part around `content`, built once and sent as is by every thread."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    return head.encode() + content + f"\r\n--{BOUNDARY}--\r\n".encode()


MULTIPART_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def members(server: Server, count: int) -> list[dict[str, str]]:
    """Register `count` accounts; their auth headers."""
    headers = []
    for _ in range(count):
        body = register_body(secrets.token_hex(4))
        reply = requests.post(f"{server.base_url}/auth/register", json=body, timeout=30)
        assert reply.status_code == 201, reply.text
        headers.append(bearer(reply.json()["auth_token"]))
    return headers


def post_file(server: Server, headers: dict[str, str], body: bytes) -> int:
    """POST /files with a ready multipart body; the status (0 if the server cut us off)."""
    try:
        reply = requests.post(
            f"{server.base_url}/files",
            data=body,
            headers={**headers, "Content-Type": MULTIPART_TYPE},
            timeout=120,
        )
    except requests.ConnectionError:
        return 0  # refused (429/503) before its body was read, and the connection closed
    return reply.status_code


def uploads_at_once(
    server: Server, headers: list[dict[str, str]], body: bytes, count: int
) -> list[int]:
    """`count` uploads of `body` that all hold their connection with the body's last bytes
    unsent, then all finish together: as many run at once as the server lets in. Their
    statuses."""
    with ExitStack() as stack:
        socks = []
        for n in range(count):
            head = request_head(
                "POST",
                "/files",
                {
                    **headers[n % len(headers)],
                    "Content-Type": MULTIPART_TYPE,
                    "Content-Length": str(len(body)),
                },
            )
            sock = stack.enter_context(raw_request(server, head))
            sock.sendall(body[:-TAIL_BYTES])
            socks.append(sock)
        for sock in socks:
            _send_quietly(sock, body[-TAIL_BYTES:])
        return [_status(sock) for sock in socks]


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    # Refused early, the server has answered and may have closed.
    with contextlib.suppress(OSError):
        sock.sendall(data)


def _status(sock: socket.socket) -> int:
    try:
        line = sock.recv(64).split(b"\r\n", 1)[0]
    except OSError:
        return 0
    return int(line.split()[1]) if line.startswith(b"HTTP/1.1 ") else 0


def raw_request(server: Server, head: str, receive_buffer: int | None = None) -> socket.socket:
    """A connection that has sent `head` (request line and headers) and nothing else."""
    port = int(server.base_url.rsplit(":", 1)[1])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:  # before connecting, so the window stays small
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(SOCKET_TIMEOUT_SECONDS)
    sock.connect(("127.0.0.1", port))
    sock.sendall(head.encode("latin-1"))
    return sock


def request_head(method: str, path: str, headers: dict[str, str]) -> str:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return "\r\n".join(lines) + "\r\n\r\n"


@contextmanager
def stalled_downloads(
    server: Server, headers: list[dict[str, str]], file_id: int, count: int
) -> Iterator[list[bytes]]:
    """`count` downloads that read their status line and then never read again; yields the
    status lines. Closed on exit."""
    with ExitStack() as stack:
        lines = []
        for n in range(count):
            head = request_head("GET", f"/files/{file_id}", headers[n % len(headers)])
            sock = stack.enter_context(raw_request(server, head, receive_buffer=4096))
            lines.append(sock.recv(64).split(b"\r\n", 1)[0])
        yield lines


@dataclass
class TreeMemory:
    """Resident memory of a gunicorn master and its workers, in MiB."""

    current: float
    peak: float  # the sum of each process's own peak (VmHWM): never below the tree's peak


def tree_memory(server: Server) -> TreeMemory:
    master = psutil.Process(server.process.pid)
    processes = [master, *master.children(recursive=True)]
    current = sum(p.memory_info().rss for p in processes)
    peak = sum(_peak_rss(p.pid) for p in processes)
    return TreeMemory(current / MIB, peak / MIB)


def _peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for {pid}")
