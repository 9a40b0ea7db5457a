"""Small helpers of the system tests (fixtures live in conftest.py)."""

import socket


def free_port() -> int:
    """A local port that nothing listened on a moment ago (bound to 127.0.0.1:0, then freed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
