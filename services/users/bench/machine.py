"""What the benchmark ran on, and how busy other work kept it."""

import os
import platform
import resource
import time
from pathlib import Path


def describe() -> str:
    cpu = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores, {cpu}"


def busy_fraction(seconds: float) -> float:
    """The share of all CPUs' time spent busy over the next `seconds`."""
    busy0, total0 = _cpu_times()
    time.sleep(seconds)
    busy1, total1 = _cpu_times()
    return (busy1 - busy0) / max(total1 - total0, 1)


def _cpu_times() -> tuple[int, int]:
    # /proc/stat's first line: user nice system idle iowait irq softirq steal (clock ticks).
    fields = [int(n) for n in Path("/proc/stat").read_text().split()[1:9]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def allow_open_files(needed: int) -> None:
    """Raise this process's open-files limit to `needed` if it is lower: wrk and the gunicorn
    workers inherit it, and each holds a descriptor per connection (1,024 in the overload
    scenario, where 1,024 is also a common default limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    try:
        # Above the hard limit only as root; then the hard limit rises too.
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, max(hard, needed)))
    except (ValueError, OSError):
        raise SystemExit(
            f"the open-files limit is {soft} (at most {hard}); the overload scenario needs "
            f"{needed}: raise it (ulimit -n {needed}) or run as root"
        ) from None
