"""The run's summary as the Markdown tables that docs/benchmarks.md links to: the endpoints
beside the ceiling and their limits, the overload levels, the other figures, every run."""

from collections.abc import Mapping
from typing import Any

Summary = dict[str, Any]


def render(summary: Summary) -> str:
    sections = [
        _endpoints(summary["endpoints"]),
        _overload(summary["overload"]),
        _figures(summary["figures"]),
        _every_run({**summary["endpoints"], **summary["overload"]}),
        _caption(summary["context"]),
    ]
    return "\n\n".join(sections) + "\n"


def _endpoints(endpoints: Mapping[str, Any]) -> str:
    head = [
        "| Endpoint | req/s | p50 ms | p99 ms | x ceiling | x its limit | target | |",
        "|---|--:|--:|--:|--:|--:|---|---|",
    ]
    return "\n".join(head + [_endpoint_row(e) for e in endpoints.values()])


def _endpoint_row(e: Mapping[str, Any]) -> str:
    errors = f" ({e['errors']} errors)" if e["errors"] else ""
    cells = [
        e["label"] + errors,
        _requests_per_s(e["requests_per_s"]),
        f"{e['p50_ms']:.1f}",
        f"{e['p99_ms']:.1f}",
        _ratio(e["ratio_to_ceiling"]),
        _ratio(e["ratio_to_limit"]),
        *_verdict_cells(e["verdict"]),
    ]
    return _row(cells)


def _overload(levels: Mapping[str, Any]) -> str:
    head = [
        "| GET /users/<id>, connections | req/s | p50 ms | p99 ms | non-2xx | of which 503 "
        "| 503 p99 / max ms in the service | socket errors (connect/read/write/timeout) "
        "| target | |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    return "\n".join(head + [_overload_row(level) for level in levels.values()])


def _overload_row(level: Mapping[str, Any]) -> str:
    refusal_ms = ""
    if level["refused_p99_ms"] is not None:
        refusal_ms = f"{level['refused_p99_ms']:.1f} / {level['refused_max_ms']:.1f}"
    cells = [
        f"{level['connections']:,}",
        _requests_per_s(level["requests_per_s"]),
        f"{level['p50_ms']:.1f}",
        f"{level['p99_ms']:.1f}",
        f"{level['non_2xx']:,}",
        f"{level['refused']:,}",
        refusal_ms,
        "/".join(f"{n:,}" for n in level["socket_errors"].values()),
        *_verdict_cells(level["verdict"]),
    ]
    return _row(cells)


def _figures(figures: Mapping[str, Any]) -> str:
    head = ["| Figure | measured | target | |", "|---|--:|---|---|"]
    return "\n".join(head + [_figure_row(f) for f in figures.values()])


def _figure_row(f: Mapping[str, Any]) -> str:
    measured = f"{f['value']:.2f} {f['unit']}"
    if "before_overload_mib" in f:
        measured += f" ({f['before_overload_mib']:.1f} before the overload phase)"
    return _row([f["label"], measured, *_verdict_cells(f["verdict"])])


def _every_run(rows: Mapping[str, Any]) -> str:
    """Each run's req/s with its p50 and p99, in the order they ran: the medians above hide
    how far apart runs on a shared machine can be."""
    head = ["| Every run | req/s (p50 / p99 ms), in order |", "|---|---|"]
    body = [_row([r["label"], " · ".join(_run(run) for run in r["runs"])]) for r in rows.values()]
    return "\n".join(head + body)


def _run(run: Mapping[str, Any]) -> str:
    return f"{_requests_per_s(run['requests_per_s'])} ({run['p50_ms']:.1f} / {run['p99_ms']:.1f})"


def _caption(c: Mapping[str, Any]) -> str:
    return (
        f"Medians of {c['runs']} runs of {c['duration_s']} s, {c['connections']} connections "
        f"({c['login_connections']} for logins; /ping probe: {c['probe']}); overload: "
        f"{c['overload_runs']} runs of each level; ceiling and database limit measured in "
        f"every round of both phases. {c['machine']}, Python {c['python']}, commit "
        f"{c['commit']}, {c['date']}, {c['elapsed_s'] / 60:.0f} minutes. Other work kept the "
        f"CPUs {c['cpu_busy_before_run']:.0%} busy just before the run and "
        f"{c['cpu_busy_between_runs']['median']:.0%} (at most "
        f"{c['cpu_busy_between_runs']['max']:.0%}) between its measurements."
    )


def _requests_per_s(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _verdict_cells(verdict: Mapping[str, Any] | None) -> list[str]:
    if verdict is None:
        return ["", ""]
    return [verdict["target"], "met" if verdict["met"] else "**missed**"]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
