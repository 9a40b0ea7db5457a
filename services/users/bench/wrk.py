"""Load generation with wrk on loopback: one scenario is a Lua script and its arguments."""

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LUA_DIR = Path(__file__).resolve().parent / "lua"
RESULT_PREFIX = "BENCH_RESULT "
SOCKET_ERRORS = ("connect", "read", "write", "timeout")  # as wrk counts them
_SCRIPTS = tempfile.TemporaryDirectory(prefix="users-bench-lua-")  # removed at exit


@dataclass(frozen=True)
class Load:
    """One wrk invocation, apart from its duration."""

    url: str
    script: str  # a file in lua/
    connections: int
    threads: int
    args: Sequence[str] = ()
    hooks: tuple[str, ...] = ()  # files in lua/ appended to the script (refusals.lua)
    # wrk's own limit on a request; a login queued behind many hashes must not count as failed.
    timeout_s: int = 10


@dataclass(frozen=True)
class Result:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    errors: int  # socket errors, timeouts and non-2xx/3xx replies
    non_2xx: int  # replies with a status of 400 or more (wrk's "status" errors)
    socket_errors: dict[str, int]  # wrk's connect, read, write and timeout errors
    refused: int | None = None  # 503 replies, where the scenario counts them
    # The refused requests' time in the service (its access log), where the step looks it up.
    refused_ms: dict[str, float] | None = None

    @classmethod
    def from_wrk(cls, raw: dict[str, Any]) -> "Result":
        def ms(key: str) -> float:
            return float(raw[key]) / 1000

        requests = int(raw["requests"])
        errors: dict[str, int] = raw["errors"]
        return cls(
            requests_per_s=requests / (ms("duration_us") / 1000),
            p50_ms=ms("p50_us"),
            p99_ms=ms("p99_us"),
            max_ms=ms("max_us"),
            requests=requests,
            errors=sum(errors.values()),
            non_2xx=errors["status"],
            socket_errors={kind: errors[kind] for kind in SOCKET_ERRORS},
            refused=raw.get("refused"),
        )


def ensure_wrk() -> str:
    """The wrk binary; installed from Debian's package when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is missing: apt-get install wrk (or run make bench as root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)  # noqa: S607
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)  # noqa: S607
    return shutil.which("wrk") or "wrk"


def start(load: Load, duration_s: int) -> subprocess.Popen[str]:
    """Begin a wrk run in the background; `finish` collects it."""
    script = _script_with_report(load.script, load.hooks)
    command = [
        *("wrk", "-t", str(load.threads), "-c", str(load.connections), "-d", f"{duration_s}s"),
        *("--timeout", f"{load.timeout_s}s", "-s", script, load.url),
    ]
    if load.args:
        command += ["--", *load.args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603


def finish(process: subprocess.Popen[str], duration_s: int) -> Result:
    try:
        stdout, stderr = process.communicate(timeout=duration_s + 30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RuntimeError("wrk did not finish") from None
    for line in stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return Result.from_wrk(json.loads(line.removeprefix(RESULT_PREFIX)))
    raise RuntimeError(f"wrk printed no result (exit {process.returncode}):\n{stdout}{stderr}")


def run(load: Load, duration_s: int) -> Result:
    return finish(start(load, duration_s), duration_s)


def _script_with_report(name: str, hooks: Sequence[str]) -> str:
    """The scenario script between the shared `done` reporter and the hooks (wrk takes one
    file)."""
    parts = ["report.lua", name, *hooks]
    path = Path(_SCRIPTS.name) / "+".join(parts)
    if not path.exists():
        path.write_text("\n".join((LUA_DIR / part).read_text() for part in parts))
    return str(path)
