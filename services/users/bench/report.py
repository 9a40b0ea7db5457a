"""The run's summary: medians, ratios to the ceiling and verdicts, as JSON and as the
Markdown tables that the README embeds."""

import json
import statistics
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench import targets
from bench.measure import Measurements

Summary = dict[str, Any]
USERS_PAGE_PREFIX = "users_page_"
ROW_ORDER = ["ceiling", "ping", "user_by_id", "auth_status", "users_page", "login"]


def summarise(
    measurements: Measurements,
    labels: Mapping[str, str],
    cold_starts_s: list[float],
    memory_kib: Mapping[str, int],
    context: Mapping[str, object],
) -> Summary:
    ordered = sorted(labels.items(), key=lambda item: _rank(item[0]))
    ceiling = measurements.medians("ceiling")["requests_per_s"]
    endpoints = {key: _endpoint(measurements, key, label, ceiling) for key, label in ordered}
    figures = {
        "users_page_growth": _growth(endpoints),
        "cold_start": _cold_start(cold_starts_s),
        "rss": _memory(memory_kib),
    }
    return {"context": dict(context), "endpoints": endpoints, "figures": figures}


def _rank(key: str) -> tuple[int, int]:
    """Table order: ceiling, single-row endpoints, GET /users by size, logins."""
    if key.startswith(USERS_PAGE_PREFIX):
        return ROW_ORDER.index("users_page"), int(key.removeprefix(USERS_PAGE_PREFIX))
    return (ROW_ORDER.index(key) if key in ROW_ORDER else len(ROW_ORDER)), 0


def _endpoint(m: Measurements, key: str, label: str, ceiling: float) -> dict[str, Any]:
    stats: dict[str, Any] = {"label": label, **m.medians(key)}
    # Logins and the probe are not runs at full load: a ratio would mean nothing there.
    throughput = key == "ceiling" or targets.ratio_target(key) is not None
    stats["ratio"] = stats["requests_per_s"] / ceiling if throughput else None
    verdict = _endpoint_verdict(key, stats)
    stats["verdict"] = verdict.to_json() if verdict else None
    return stats


def _endpoint_verdict(key: str, stats: Mapping[str, Any]) -> targets.Verdict | None:
    ratio_target = targets.ratio_target(key)
    if ratio_target is not None:
        return targets.at_least(stats["ratio"], ratio_target, "x ceiling")
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
    pages = users_pages(endpoints)
    (small, first), (large, last) = pages[0], pages[-1]
    value = last["p50_ms"] / first["p50_ms"]
    return {
        "label": f"GET /users p50, {large:,} users vs {small:,}",
        "value": value,
        "unit": "x",
        "verdict": targets.at_most(value, targets.USERS_PAGE_GROWTH_MAX, "x").to_json(),
    }


def _cold_start(samples: list[float]) -> dict[str, Any]:
    value = statistics.median(samples)
    return {
        "label": f"cold start to first /ping 200 (median of {len(samples)})",
        "value": value,
        "unit": "s",
        "samples": samples,
        "verdict": targets.below(value, targets.COLD_START_MAX_S, " s").to_json(),
    }


def _memory(memory_kib: Mapping[str, int]) -> dict[str, Any]:
    rss = memory_kib["rss_kib"] / 1024
    return {
        "label": f"RSS of the gunicorn tree ({memory_kib['processes']} processes)",
        "value": rss,
        "unit": "MiB",
        "pss_mib": memory_kib["pss_kib"] / 1024,
        "verdict": targets.below(rss, targets.RSS_MAX_MIB, " MiB").to_json(),
    }


def markdown(summary: Summary) -> str:
    head = "| Endpoint | req/s | p50 ms | p99 ms | x ceiling | target | |\n"
    head += "|---|--:|--:|--:|--:|---|---|\n"
    rows = [_endpoint_row(e) for e in summary["endpoints"].values()]
    figures_head = "\n| Figure | measured | target | |\n|---|--:|---|---|\n"
    figure_rows = [_figure_row(f) for f in summary["figures"].values()]
    tables = head + "\n".join(rows) + "\n" + figures_head + "\n".join(figure_rows) + "\n"
    return tables + "\n" + _caption(summary["context"]) + "\n"


def _caption(c: Mapping[str, Any]) -> str:
    return (
        f"Medians of {c['runs']} runs of {c['duration_s']} s, {c['connections']} connections "
        f"({c['login_connections']} for logins; /ping probe: {c['probe']}); {c['machine']}, "
        f"Python {c['python']}, commit {c['commit']}, {c['date']}. Other work kept the CPUs "
        f"{c['cpu_busy_before_run']:.0%} busy just before the run and "
        f"{c['cpu_busy_between_runs']['median']:.0%} (at most "
        f"{c['cpu_busy_between_runs']['max']:.0%}) between its measurements."
    )


def _endpoint_row(e: Mapping[str, Any]) -> str:
    errors = f" ({e['errors']} errors)" if e["errors"] else ""
    cells = [
        e["label"] + errors,
        _requests_per_s(e["requests_per_s"]),
        f"{e['p50_ms']:.1f}",
        f"{e['p99_ms']:.1f}",
        "" if e["ratio"] is None else f"{e['ratio']:.2f}",
        *_verdict_cells(e["verdict"]),
    ]
    return "| " + " | ".join(cells) + " |"


def _requests_per_s(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _figure_row(f: Mapping[str, Any]) -> str:
    cells = [f["label"], f"{f['value']:.2f} {f['unit']}", *_verdict_cells(f["verdict"])]
    return "| " + " | ".join(cells) + " |"


def _verdict_cells(verdict: Mapping[str, Any] | None) -> list[str]:
    if verdict is None:
        return ["", ""]
    return [verdict["target"], "met" if verdict["met"] else "**missed**"]


def write(summary: Summary, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out_dir / "bench.md").write_text(markdown(summary))
