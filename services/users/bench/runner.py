"""One benchmark run, start to finish: database, cold starts, servers, the measured phases,
memory, report."""

import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import machine, markdown, plot, report, scenarios, wrk
from bench.database import bench_database, reset_and_migrate
from bench.options import Options
from bench.phases import Servers, load_phases, overload_phase
from bench.processes import (
    CEILING_APP,
    DATABASE_LIMIT_APP,
    FLASK_LIMIT_APP,
    SERVICE_APP,
    compile_bytecode,
    production_env,
    running,
    start,
    stop,
)
from bench.proctree import tree_memory_kib

# Descriptors beyond the connections: database connections, logs, libraries.
SPARE_FILES = 1024


def main() -> None:
    opts = Options.from_env()
    wrk.ensure_wrk()
    machine.allow_open_files(max(opts.overload_connections) + SPARE_FILES)
    logs = Path(tempfile.mkdtemp(prefix="users-bench-"))
    try:
        summary = _run(opts, logs)
    except BaseException:
        print(f"gunicorn logs kept in {logs}", flush=True)
        raise
    shutil.rmtree(logs)  # the access logs of a full run take a few hundred MB
    report.write(summary, opts.out_dir)
    plot.write(summary, opts.out_dir / "bench.png")
    print("\n" + markdown.render(summary) + f"\nwritten to {opts.out_dir}/bench.{{json,md,png}}")


def _run(opts: Options, logs: Path) -> report.Summary:
    background = machine.busy_fraction(2.0)
    began = time.monotonic()
    with bench_database(opts.database_url) as url:
        env = production_env(url, opts.service_env)
        reset_and_migrate(env)
        compile_bytecode()
        cold = cold_starts(opts, env, logs)
        with (
            running(SERVICE_APP, env, logs / "service.log") as service,
            running(CEILING_APP, env, logs / "ceiling.log") as ceiling,
            running(FLASK_LIMIT_APP, env, logs / "flask-limit.log") as flask_limit,
            running(DATABASE_LIMIT_APP, env, logs / "database-limit.log") as database_limit,
        ):
            servers = Servers(service, ceiling, flask_limit, database_limit)
            measurements, labels = load_phases(opts, url, servers)
            memory = {"after_load": tree_memory_kib(service.process.pid)}
            overload_phase(opts, service, measurements, labels)
            memory["after_overload"] = tree_memory_kib(service.process.pid)
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
        "overload_connections": list(opts.overload_connections),
        "overload_runs": opts.overload_runs,
        "probe": f"{scenarios.PROBE_CONNECTIONS} connections, {scenarios.PROBE_PAUSE_MS} ms apart",
        "elapsed_s": round(elapsed_s),
    }


def _spread(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median": round(statistics.median(ordered), 2), "max": round(ordered[-1], 2)}
