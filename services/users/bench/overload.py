"""The overload scenario: GET /users/<id> on the service at rising numbers of connections,
each level once per round, judged on what a client sees (errors, refusals, the p99) rather
than on throughput."""

import statistics
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench import scenarios, targets
from bench.measure import Measurements, Step, timing_refusals
from bench.options import Options
from bench.scenarios import OVERLOAD_PREFIX


def steps(
    opts: Options, base_url: str, log_path: Path, users: int, labels: dict[str, str]
) -> list[Step]:
    """One step a level, its label added to `labels`; the table holds users 1..`users`;
    `log_path` is the service's access log, where the time of its refusals is read."""
    levels = [scenarios.overload(opts, base_url, n, users) for n in opts.overload_connections]
    labels.update({level.key: level.label for level in levels})
    return [timing_refusals(level, log_path) for level in levels]


def overload_levels(m: Measurements, labels: Mapping[str, str]) -> dict[str, Any]:
    keys = sorted(
        (k for k in labels if k.startswith(OVERLOAD_PREFIX)),
        key=lambda k: int(k.removeprefix(OVERLOAD_PREFIX)),
    )
    return {key: _level(m, key, labels[key]) for key in keys}


def _level(m: Measurements, key: str, label: str) -> dict[str, Any]:
    """Medians of the rates and latencies, sums of the errors and refusals over the runs;
    the refusals' time in the service as the median of the runs' p99 and the worst one."""
    runs = m.samples[key]
    timed = [r.refused_ms for r in runs if r.refused_ms]
    stats: dict[str, Any] = {
        "label": label,
        "connections": int(key.removeprefix(OVERLOAD_PREFIX)),
        **m.medians(key),
        "refused": sum(r.refused or 0 for r in runs),
        "refused_p99_ms": statistics.median(t["p99"] for t in timed) if timed else None,
        "refused_max_ms": max(t["max"] for t in timed) if timed else None,
    }
    verdict = _verdict(stats)
    stats["verdict"] = verdict.to_json() if verdict else None
    return stats


def _verdict(stats: Mapping[str, Any]) -> targets.Verdict | None:
    sockets = _none(sum(stats["socket_errors"].values()), "socket errors")
    if stats["connections"] == targets.ANSWERED_CONNECTIONS:
        p99 = targets.at_most(stats["p99_ms"], targets.OVERLOAD_P99_MAX_MS, " ms p99")
        return targets.all_of(_none(stats["non_2xx"], "non-2xx"), sockets, p99)
    if stats["connections"] == targets.SHEDDING_CONNECTIONS:
        others = _none(stats["non_2xx"] - stats["refused"], "non-2xx but 503")
        refusal_p99 = stats["refused_p99_ms"] or 0.0
        early = targets.at_most(refusal_p99, targets.REFUSAL_P99_MAX_MS, " ms p99 of 503s")
        return targets.all_of(sockets, others, early)
    return None


def _none(count: int, what: str) -> targets.Verdict:
    return targets.Verdict(f"0 {what}", count == 0)
