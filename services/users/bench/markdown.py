"""The run's summary as the Markdown tables that docs/benchmarks.md links to: the endpoints
beside the ceiling and their limits, the overload levels, the other figures, the capacity
plan, every run."""

from collections.abc import Mapping
from typing import Any

Summary = dict[str, Any]


def render(summary: Summary) -> str:
    sections = [
        _endpoints(summary["endpoints"]),
        _overload(summary["overload"]),
        _figures(summary["figures"]),
        _capacity(summary["capacity"]),
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


def _capacity(plan: Mapping[str, Any]) -> str:
    head = [
        "| Capacity plan, req/s | instance type | tasks | instances (CPU busy) "
        "| database connections at a deploy's peak | database | $ an hour | $ a million requests |",
        "|--:|---|--:|--:|--:|---|--:|--:|",
    ]
    rows = [
        _capacity_row(level, instance_type, hosting)
        for level in plan["levels"]
        for instance_type, hosting in level["hosting"].items()
    ]
    return "\n".join([_capacity_inputs(plan), "", *head, *rows, "", _capacity_notes(plan)])


def _capacity_row(level: Mapping[str, Any], instance_type: str, h: Mapping[str, Any]) -> str:
    credits = " + CPU credits" if instance_type.startswith("t3.") else ""
    database = level["database_class"] + (" behind RDS Proxy" if level["rds_proxy"] else "")
    cells = [
        f"{level['requests_per_s']:,}",
        instance_type + credits,
        f"{level['tasks']:,}",
        f"{h['instances']:,} ({h['cpu_busy']:.0%})",
        f"{level['connections_at_peak']:,}",
        database,
        f"{h['cost_per_hour']:,.2f}",
        f"{h['cost_per_million']:.3f}",
    ]
    return _row(cells)


def _capacity_inputs(plan: Mapping[str, Any]) -> str:
    m, d, held = plan["measured"], plan["deployment"], plan["within_target"]
    target = f"p99 ≤ {plan['latency_target_ms']:g} ms"
    verdict = "within" if m["meets_latency_target"] else "**over**"
    overload = "no overload level held it"
    if held:
        overload = (
            f"GET /users/<id> held it up to {held['connections']:,} connections "
            f"({_requests_per_s(held['requests_per_s'])} req/s, p99 {held['p99_ms']:.1f} ms)"
        )
    return (
        f"**Capacity plan** from this run: {m['label']} sustained "
        f"{_requests_per_s(m['requests_per_s'])} req/s at p99 {m['p99_ms']:.1f} ms on "
        f"{m['cpu_units']:,} CPU units (PostgreSQL and wrk on the same cores: a conservative "
        f"figure), {verdict} the latency target {target}; {overload}. A task's "
        f"{d['task_cpu_units']:,} CPU units: {_requests_per_s(plan['per_task_requests_per_s'])} "
        f"req/s, planned at the auto-scaling target of {d['cpu_target']:.0%} CPU: "
        f"{_requests_per_s(plan['planned_per_task_requests_per_s'])} req/s (for scaling on "
        f"the ALB's RequestCountPerTarget: {plan['requests_per_target_per_minute']:,.0f} a "
        f"minute). Prices on demand, "
        f"{plan['prices']['as_of']}, us-east-1 (check the AWS pricing pages); "
        f"RDS {'Multi-AZ' if d['multi_az'] else 'single-AZ'}."
    )


def _capacity_notes(plan: Mapping[str, Any]) -> str:
    d, shipped = plan["deployment"], plan["shipped"]
    fits = "fits" if shipped["connections"] <= shipped["usable"] else "**does not fit**"
    return (
        f"A task holds {d['workers_per_task']} workers x {d['connections_per_worker']} database "
        f"connections; a deploy's peak runs maximumPercent {d['deploy_peak_percent']} of the "
        f"tasks. Production's MaxTaskCount ({shipped['max_tasks']}) is planned for "
        f"{_requests_per_s(shipped['planned_requests_per_s'])} req/s; at a deploy's peak its "
        f"tasks hold {shipped['connections']} connections: that {fits} the shipped "
        f"{d['database_class']} (about {shipped['usable']} usable, estimated). The database "
        f"serves one query per request, as many a second as the load: whether a class sustains "
        f"that rate, this bench cannot measure."
    )


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
        f"every round of both phases, and the ratios taken round by round (the median of each "
        f"round's ratio). {c['machine']}, Python {c['python']}, commit "
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
