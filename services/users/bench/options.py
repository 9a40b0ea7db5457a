"""What a benchmark run does, read from BENCH_* environment variables.

The defaults keep a full run near 13 minutes on two cores; raise BENCH_RUNS or
BENCH_DURATION for steadier figures, lower them for a quick look.
"""

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
# Settings the bench needs in the service that are not production defaults. The rate limits
# stay on (their database upserts are part of a login's cost) but are raised out of reach, so
# that load from one address measures the service and not its limiter.
UNREACHABLE_RATE = "100000000/minute"
SERVICE_OVERRIDES: dict[str, str] = {
    f"RATE_LIMIT_{action}_PER_{scope}": UNREACHABLE_RATE
    for action in ("LOGIN", "REGISTER", "REFRESH")
    for scope in ("IP", "ACCOUNT")
}


@dataclass(frozen=True)
class Options:
    database_url: str | None  # None: a throwaway database from scripts/local-postgres
    out_dir: Path
    runs: int  # repetitions of every measurement; the report gives medians
    duration_s: int  # of one wrk run
    warmup_s: int  # one unrecorded wrk run before the first recorded one of a scenario
    # For the throughput scenarios. The default, 8 per worker, saturates a worker without
    # exceeding its database pool (5 + 5 overflow); beyond that, requests queue for a
    # connection and the tail latency measures the queue.
    connections: int
    login_connections: int
    wrk_threads: int
    sizes: tuple[int, ...]  # users in the table for the GET /users scaling
    cold_starts: int
    # The overload scenario: GET /users/<id> at each number of connections, in fewer rounds
    # than the rest so that a full run stays under a quarter of an hour.
    overload_connections: tuple[int, ...]
    overload_runs: int
    service_env: dict[str, str] = field(default_factory=dict)  # overrides, then BENCH_ENV

    @classmethod
    def from_env(cls) -> "Options":
        runs = _int("BENCH_RUNS", 5)
        return cls(
            database_url=os.environ.get("BENCH_DATABASE_URL") or None,
            out_dir=Path(os.environ.get("BENCH_OUT") or BENCH_DIR / "results"),
            runs=runs,
            duration_s=_int("BENCH_DURATION", 8),
            warmup_s=_int("BENCH_WARMUP", 2),
            connections=_int("BENCH_CONNECTIONS", 16),
            login_connections=_int("BENCH_LOGIN_CONNECTIONS", 8),
            wrk_threads=_int("BENCH_THREADS", 1),
            sizes=_ints("BENCH_SIZES", "100,1000,10000,100000"),
            cold_starts=_int("BENCH_COLD_STARTS", 11),
            overload_connections=_ints("BENCH_OVERLOAD_CONNECTIONS", "16,64,256,1024"),
            overload_runs=_int("BENCH_OVERLOAD_RUNS", min(runs, 3)),
            service_env={**SERVICE_OVERRIDES, **_pairs(os.environ.get("BENCH_ENV", ""))},
        )


def _int(name: str, default: int) -> int:
    value = int(os.environ.get(name) or default)
    if value < 1:
        raise SystemExit(f"{name} must be a positive integer")
    return value


def _ints(name: str, default: str) -> tuple[int, ...]:
    """A comma-separated list of numbers, in increasing order."""
    items = (item for item in (os.environ.get(name) or default).split(",") if item.strip())
    return tuple(sorted(int(item) for item in items))


def _pairs(text: str) -> dict[str, str]:
    """BENCH_ENV="NAME=value OTHER='a b'" -> {"NAME": "value", "OTHER": "a b"}."""
    pairs = {}
    for word in shlex.split(text):
        name, sep, value = word.partition("=")
        if not sep or not name:
            raise SystemExit(f"BENCH_ENV: expected NAME=value, got {word!r}")
        pairs[name] = value
    return pairs
