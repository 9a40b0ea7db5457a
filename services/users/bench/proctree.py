"""The gunicorn process tree: its members and their memory (psutil)."""

import contextlib

import psutil


def process_tree(root: int) -> list[psutil.Process]:
    """`root` and all its descendants."""
    parent = psutil.Process(root)
    return [parent, *parent.children(recursive=True)]


def tree_memory_kib(root: int) -> dict[str, int]:
    """Summed RSS (what the target counts) and PSS (shared pages counted once) of the tree."""
    totals = {"rss_kib": 0, "pss_kib": 0, "processes": 0}
    for process in process_tree(root):
        with contextlib.suppress(psutil.NoSuchProcess):
            memory = process.memory_full_info()  # PSS from /proc/PID/smaps_rollup on Linux
            totals["rss_kib"] += memory.rss // 1024
            totals["pss_kib"] += memory.pss // 1024
            totals["processes"] += 1
    return totals
