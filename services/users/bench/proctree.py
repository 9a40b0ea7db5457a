"""The gunicorn process tree as /proc shows it: its members and their memory."""

from collections.abc import Iterator
from pathlib import Path


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants, read from /proc."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents():
        children.setdefault(ppid, []).append(pid)
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def _parents() -> Iterator[tuple[int, int]]:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        # The command name may contain spaces and parentheses: split after its last ')'.
        yield int(entry.name), int(stat.rsplit(")", 1)[1].split()[1])


def tree_memory_kib(root: int) -> dict[str, int]:
    """Summed RSS (what the target counts) and PSS (shared pages counted once) of the tree."""
    totals = {"rss_kib": 0, "pss_kib": 0, "processes": 0}
    for pid in process_tree(root):
        rollup = _smaps_rollup(pid)
        totals["rss_kib"] += rollup.get("Rss", 0)
        totals["pss_kib"] += rollup.get("Pss", 0)
        totals["processes"] += 1
    return totals


def _smaps_rollup(pid: int) -> dict[str, int]:
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return {}
    fields = (line.split() for line in lines[1:])
    return {parts[0].rstrip(":"): int(parts[1]) for parts in fields if len(parts) >= 2}


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks: with the PID, an identity that survives reuse."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None
