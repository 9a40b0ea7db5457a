"""One benchmark run, start to finish: database, cold starts, load phases, report."""

import platform
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import client, machine, plot, report, scenarios, wrk
from bench.database import bench_database, reset_and_migrate
from bench.measure import Measurements, Step, alongside, single
from bench.options import Options
from bench.processes import (
    CEILING_APP,
    SERVICE_APP,
    Server,
    production_env,
    running,
    start,
    stop,
)
from bench.proctree import tree_memory_kib
from bench.seeding import EMAIL_FORMAT, UserTables


def main() -> None:
    opts = Options.from_env()
    wrk.ensure_wrk()
    logs = Path(tempfile.mkdtemp(prefix="users-bench-"))
    try:
        summary = _run(opts, logs)
    except BaseException:
        print(f"gunicorn logs kept in {logs}", flush=True)
        raise
    shutil.rmtree(logs)  # the access logs of a full run take a few hundred MB
    report.write(summary, opts.out_dir)
    plot.write(summary, opts.out_dir / "bench.png")
    print("\n" + report.markdown(summary) + f"\nwritten to {opts.out_dir}/bench.{{json,md,png}}")


def _run(opts: Options, logs: Path) -> report.Summary:
    background = machine.busy_fraction(2.0)
    began = time.monotonic()
    with bench_database(opts.database_url) as url:
        env = production_env(url, opts.service_env)
        reset_and_migrate(env)
        cold = cold_starts(opts, env, logs)
        with (
            running(SERVICE_APP, env, logs / "service.log") as service,
            running(CEILING_APP, env, logs / "ceiling.log") as ceiling,
        ):
            measurements, labels = load_phases(opts, url, service, ceiling)
            memory = tree_memory_kib(service.process.pid)
    context = _context(opts, time.monotonic() - began)
    context["cpu_busy_before_run"] = round(background, 2)
    context["cpu_busy_between_runs"] = _spread(measurements.background)
    return report.summarise(measurements, labels, cold, memory, context)


def cold_starts(opts: Options, env: dict[str, str], logs: Path) -> list[float]:
    """Seconds from spawning gunicorn to the first 200 from /ping, one fresh start each."""
    samples = []
    for attempt in range(1, opts.cold_starts + 1):
        server = start(SERVICE_APP, env, logs / "cold-start.log")
        stop(server.process)
        samples.append(server.started_after_s)
        print(f"  cold start {attempt}/{opts.cold_starts}: {server.started_after_s:.3f} s")
    print(f"  cold start median {statistics.median(samples):.3f} s", flush=True)
    return samples


def load_phases(
    opts: Options, url: str, service: Server, ceiling: Server
) -> tuple[Measurements, dict[str, str]]:
    """Two phases in rounds that start with the ceiling: GET /users with the table sizes
    interleaved (so that drifting background load cannot pass for an effect of the size),
    then every other endpoint with the largest table."""
    password = secrets.token_urlsafe(12)
    client.register(service.base_url, "bench1", EMAIL_FORMAT % 1, password)
    tables = UserTables(url, EMAIL_FORMAT % 1, opts.sizes)
    measurements = Measurements(opts)
    bare = scenarios.ceiling(opts, ceiling.base_url)
    reference, labels = single(bare), {bare.key: bare.label}
    try:
        tables.write()
        print("GET /users, table sizes interleaved", flush=True)
        pages = [_users_page(opts, service, tables, size, labels) for size in opts.sizes]
        measurements.rounds(reference, pages)
        largest = opts.sizes[-1]
        tables.use(largest)
        print(f"every other endpoint, {largest:,} users", flush=True)
        measurements.rounds(reference, _endpoints(opts, service, largest, password, labels))
    finally:
        tables.close()
    return measurements, labels


def _users_page(
    opts: Options, service: Server, tables: UserTables, size: int, labels: dict[str, str]
) -> Step:
    page = scenarios.users_page(opts, service.base_url, size)
    labels[page.key] = page.label
    return single(page, prepare=lambda: tables.use(size))


def _endpoints(
    opts: Options, service: Server, users: int, password: str, labels: dict[str, str]
) -> list[Step]:
    """The table holds users 1..`users`, all with `password`."""
    base = service.base_url
    token = client.login(base, EMAIL_FORMAT % 1, password)
    login = scenarios.login(opts, base, users, password)
    probe = scenarios.ping_probe(base)
    measured = [
        scenarios.ping(opts, base),
        scenarios.user_by_id(opts, base, 1, users),
        scenarios.auth_status(opts, base, token),
        login,
    ]
    labels.update({s.key: s.label for s in [*measured, probe]})
    labels[f"{login.key}_alongside"] = f"{login.label} (beside the /ping probe)"
    return [*(single(s) for s in measured), alongside(probe, login)]


def _context(opts: Options, elapsed_s: float) -> dict[str, object]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, like make
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "machine": machine.describe(),
        "python": platform.python_version(),
        "runs": opts.runs,
        "duration_s": opts.duration_s,
        "connections": opts.connections,
        "login_connections": opts.login_connections,
        "probe": f"{scenarios.PROBE_CONNECTIONS} connections, {scenarios.PROBE_PAUSE_MS} ms apart",
        "elapsed_s": round(elapsed_s),
    }


def _spread(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median": round(statistics.median(ordered), 2), "max": round(ordered[-1], 2)}
