"""The run's summary as JSON: medians, ratios to the ceiling and to each endpoint's limit,
the overload levels, a verdict beside every figure that has a target, and the capacity plan
that follows from the figures."""

import json
import statistics
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench import capacity, deployment, markdown, targets
from bench.measure import Measurements
from bench.overload import overload_levels
from bench.scenarios import CEILING, DATABASE_LIMIT, FLASK_LIMIT, OVERLOAD_PREFIX

Summary = dict[str, Any]
USERS_PAGE_PREFIX = "users_page_"
REFERENCES = [CEILING, FLASK_LIMIT, DATABASE_LIMIT]
ROW_ORDER = [*REFERENCES, "ping", "user_by_id", "auth_status", "users_page", "login"]


def summarise(
    measurements: Measurements,
    labels: Mapping[str, str],
    cold_starts_s: list[float],
    memory_kib: Mapping[str, Mapping[str, int]],  # "after_load" and "after_overload"
    context: Mapping[str, object],
) -> Summary:
    throughput = {k: v for k, v in labels.items() if not k.startswith(OVERLOAD_PREFIX)}
    ordered = sorted(throughput.items(), key=lambda item: _rank(item[0]))
    reference = {key: measurements.medians(key)["requests_per_s"] for key in REFERENCES}
    endpoints = {key: _endpoint(measurements, key, label, reference) for key, label in ordered}
    figures = {
        "users_page_growth": _growth(endpoints),
        "cold_start": _cold_start(cold_starts_s),
        **_memory(memory_kib),
    }
    summary = {
        "context": dict(context),
        "endpoints": endpoints,
        "overload": overload_levels(measurements, labels),
        "figures": figures,
    }
    summary["capacity"] = capacity.plan(summary, deployment.read())
    return summary


def _rank(key: str) -> tuple[int, int]:
    """Table order: ceiling and limits, single-row endpoints, GET /users by size, logins."""
    if key.startswith(USERS_PAGE_PREFIX):
        return ROW_ORDER.index("users_page"), int(key.removeprefix(USERS_PAGE_PREFIX))
    return (ROW_ORDER.index(key) if key in ROW_ORDER else len(ROW_ORDER)), 0


def _endpoint(
    m: Measurements, key: str, label: str, reference: Mapping[str, float]
) -> dict[str, Any]:
    stats: dict[str, Any] = {"label": label, **m.medians(key)}
    target = targets.ratio_target(key)
    # Logins and the probe are not runs at full load: a ratio would mean nothing there.
    full_load = key in REFERENCES or target is not None
    stats["ratio_to_ceiling"] = m.ratio(key, CEILING) if full_load else None
    stats["limit"] = target.limit if target else None
    stats["ratio_to_limit"] = m.ratio(key, target.limit) if target else None
    # The same figure as earlier reports computed it, for comparison: a ratio of medians.
    stats["ratio_of_medians_to_limit"] = (
        stats["requests_per_s"] / reference[target.limit] if target else None
    )
    verdict = _endpoint_verdict(key, stats)
    stats["verdict"] = verdict.to_json() if verdict else None
    return stats


def _endpoint_verdict(key: str, stats: Mapping[str, Any]) -> targets.Verdict | None:
    target = targets.ratio_target(key)
    if target is not None:
        unit = f"x {targets.LIMIT_NAMES[target.limit]}"
        ratio = targets.at_least(stats["ratio_to_limit"], target.minimum, unit)
        if key != "ping":
            return ratio
        tail = targets.at_most(stats["p99_ms"], targets.PING_P99_MAX_MS, " ms p99")
        return targets.all_of(ratio, tail)
    if key == "login":
        return targets.at_least(stats["requests_per_s"], targets.LOGIN_MIN_PER_S, " req/s")
    if key == "ping_during_login":
        return targets.below(stats["p99_ms"], targets.PING_P99_DURING_LOGIN_MAX_MS, " ms p99")
    return None


def users_pages(endpoints: Mapping[str, Any]) -> list[tuple[int, Any]]:
    """(table size, GET /users figures), smallest table first."""
    prefix = USERS_PAGE_PREFIX
    return sorted(
        (int(k.removeprefix(prefix)), v) for k, v in endpoints.items() if k.startswith(prefix)
    )


def _growth(endpoints: Mapping[str, Any]) -> dict[str, Any]:
    """No target of its own: the ratio to the database limit at every size covers it."""
    pages = users_pages(endpoints)
    (small, first), (large, last) = pages[0], pages[-1]
    return {
        "label": f"GET /users p50, {large:,} users vs {small:,}",
        "value": last["p50_ms"] / first["p50_ms"],
        "unit": "x",
        "verdict": None,
    }


def _cold_start(samples: list[float]) -> dict[str, Any]:
    value = statistics.median(samples)
    return {
        "label": f"cold start to first /ping 200 (median of {len(samples)})",
        "value": value,
        "unit": "s",
        "samples": samples,
        "verdict": targets.at_most(value, targets.COLD_START_MAX_S, " s").to_json(),
    }


def _memory(memory_kib: Mapping[str, Mapping[str, int]]) -> dict[str, Any]:
    """PSS and RSS of the tree after the run (the overload phase last), each with its figure
    from before the overload phase."""
    final, before = memory_kib["after_overload"], memory_kib["after_load"]
    figures = {}
    for name, maximum in (("pss", targets.PSS_MAX_MIB), ("rss", targets.RSS_MAX_MIB)):
        value = final[f"{name}_kib"] / 1024
        processes = final["processes"]
        figures[name] = {
            "label": f"{name.upper()} of the gunicorn tree after the run ({processes} processes)",
            "value": value,
            "unit": "MiB",
            "before_overload_mib": before[f"{name}_kib"] / 1024,
            "verdict": targets.at_most(value, maximum, " MiB").to_json(),
        }
    return figures


def write(summary: Summary, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out_dir / "bench.md").write_text(markdown.render(summary))
