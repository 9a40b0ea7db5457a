"""A moto server subprocess on 127.0.0.1, for tests that drive AWS APIs over real HTTP.

The approach of services/users/tests/s3_server.py (start, poll /moto-api/, stop by PID),
copied because that folder is not a package the system tests can import.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.helpers import free_port

MOTO_SERVER = Path(sys.executable).with_name("moto_server")
START_TIMEOUT_SECONDS = 30


def start_moto_server(
    env: dict[str, str], log_path: Path | None = None
) -> tuple[str, subprocess.Popen[bytes]]:
    """moto_server on a free port with `env` (e.g. MOTO_ECS_SERVICE_RUNNING); its URL and
    process, once it answers. Its output goes to `log_path`, shown if it fails to start."""
    port = free_port()
    command = [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)]
    if log_path is None:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
    else:
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, f"{url}/moto-api/", log_path)
    except RuntimeError:
        stop(process)
        raise
    return url, process


@contextmanager
def running_moto(log_path: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """The server's URL for the `with` block; stopped by its PID afterwards."""
    url, process = start_moto_server(env if env is not None else dict(os.environ), log_path)
    try:
        yield url
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log_path: Path | None) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited:\n{_log(log_path)}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:  # not listening yet
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer 200:\n{_log(log_path)}")


def _log(log_path: Path | None) -> str:
    return log_path.read_text() if log_path else "(no log: pass log_path)"
