"""The README's picture: throughput as a fraction of the ceiling per endpoint, and how the
latency of one GET /users page changes with the size of the table."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on servers and in CI
import matplotlib.pyplot as plt

from bench import targets
from bench.report import Summary, users_pages


def write(summary: Summary, path: Path) -> None:
    figure, (ratios, scaling) = plt.subplots(1, 2, figsize=(12, 4.8), width_ratios=(3, 2))
    _ratios(ratios, summary["endpoints"])
    _scaling(scaling, summary["endpoints"])
    figure.suptitle(f"users service under gunicorn, {summary['context']['machine']}", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _ratios(axes: Any, endpoints: dict[str, Any]) -> None:
    rows = [(k, e) for k, e in endpoints.items() if targets.ratio_target(k) is not None]
    for x, (key, endpoint) in enumerate(rows):
        target = targets.ratio_target(key) or 0.0
        met = endpoint["ratio"] >= target
        axes.bar(x, endpoint["ratio"], color="tab:green" if met else "tab:red", width=0.6)
        axes.hlines(target, x - 0.4, x + 0.4, colors="black", linestyles="--")
        axes.annotate(f"{endpoint['ratio']:.2f}", (x, endpoint["ratio"]), ha="center", va="bottom")
    axes.set_xticks(range(len(rows)), [e["label"] for _, e in rows], rotation=25, ha="right")
    axes.set_ylabel("req/s ÷ bare WSGI app's req/s")
    axes.set_ylim(0, 1)
    axes.set_title("throughput vs the ceiling (dashed: target)", fontsize=10)


def _scaling(axes: Any, endpoints: dict[str, Any]) -> None:
    pages = users_pages(endpoints)
    sizes = [size for size, _ in pages]
    axes.plot(sizes, [e["p50_ms"] for _, e in pages], marker="o", label="p50")
    limit = pages[0][1]["p50_ms"] * targets.USERS_PAGE_GROWTH_MAX
    axes.axhline(limit, color="black", linestyle="--", label="target: 1.3 x the smallest")
    axes.set_xscale("log")
    axes.set_ylim(0, max(limit, *(e["p50_ms"] for _, e in pages)) * 1.2)
    axes.set_xlabel("users in the table")
    axes.set_ylabel("ms")
    axes.set_title("GET /users (one page): p50 latency vs table size", fontsize=10)
    axes.legend(loc="lower right")
