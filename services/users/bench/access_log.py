"""How long the service took over its refusals, from its JSON access log.

wrk's Lua hooks see each reply's status but not its latency, so the time of the 503s of a run
is read from the lines the service logged during it: `duration_ms` is the time in the worker
from the parsed request to the reply (time queued in the listen backlog before a worker
accepted the connection is not in it; wrk's p99 is). The window is the run itself: a request
of the previous run still finishing after the pause between runs counts in it, one of this
run answered after wrk stopped does not."""

import json
import statistics
from pathlib import Path
from typing import Any


class Window:
    """The access-log lines written from now on."""

    def __init__(self, log_path: Path) -> None:
        self._path = log_path
        self._offset = log_path.stat().st_size

    def durations_ms(self, status: int) -> list[float]:
        with self._path.open("rb") as log:
            log.seek(self._offset)
            lines = log.read().splitlines()
        entries = (_entry(line) for line in lines)
        return [float(e["duration_ms"]) for e in entries if e and e.get("status") == status]


def summary_ms(durations: list[float]) -> dict[str, float] | None:
    """Count, p50, p99 and max of `durations`; None when there are none."""
    if not durations:
        return None
    if len(durations) == 1:
        p50 = p99 = durations[0]
    else:
        cuts = statistics.quantiles(durations, n=100, method="inclusive")
        p50, p99 = cuts[49], cuts[98]
    return {"logged": len(durations), "p50": p50, "p99": p99, "max": max(durations)}


def _entry(line: bytes) -> dict[str, Any] | None:
    """An access-log entry; None for gunicorn's and the application's other lines."""
    if not line.startswith(b"{"):
        return None
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) and "duration_ms" in entry else None
