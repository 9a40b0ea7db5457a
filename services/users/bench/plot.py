"""The picture in docs/benchmarks.md: each endpoint's throughput as a fraction of its limit
and of the ceiling, and the latency of one GET /users page against the size of the table."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on servers and in CI
import matplotlib.pyplot as plt

from bench import targets
from bench.report import Summary, users_pages
from bench.scenarios import DATABASE_LIMIT

BAR_WIDTH = 0.38


def write(summary: Summary, path: Path) -> None:
    figure, (ratios, scaling) = plt.subplots(1, 2, figsize=(13, 5), width_ratios=(3, 2))
    _ratios(ratios, summary["endpoints"])
    _scaling(scaling, summary["endpoints"])
    figure.suptitle(f"users service under gunicorn, {summary['context']['machine']}", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _ratios(axes: Any, endpoints: dict[str, Any]) -> None:
    """Two bars an endpoint: x its limit (green where the target is met, red where not,
    dashed: the target) and x the ceiling (grey)."""
    rows = [(e, t) for k, e in endpoints.items() if (t := targets.ratio_target(k))]
    for x, (endpoint, target) in enumerate(rows):
        ratio = endpoint["ratio_to_limit"]
        met = ratio >= target.minimum
        axes.bar(x - BAR_WIDTH / 2, ratio, BAR_WIDTH, color="tab:green" if met else "tab:red")
        axes.hlines(target.minimum, x - BAR_WIDTH, x, colors="black", linestyles="--")
        axes.annotate(f"{ratio:.2f}", (x - BAR_WIDTH / 2, ratio), ha="center", va="bottom")
        ceiling = endpoint["ratio_to_ceiling"]
        axes.bar(x + BAR_WIDTH / 2, ceiling, BAR_WIDTH, color="tab:gray")
        axes.annotate(f"{ceiling:.2f}", (x + BAR_WIDTH / 2, ceiling), ha="center", va="bottom")
    labels = [f"{e['label']}\n(vs {targets.LIMIT_NAMES[t.limit]})" for e, t in rows]
    axes.set_xticks(range(len(rows)), labels, rotation=30, ha="right", fontsize=8)
    axes.set_ylabel("req/s ÷ req/s of the reference")
    highest = max(max(e["ratio_to_limit"], e["ratio_to_ceiling"]) for e, _ in rows)
    axes.set_ylim(0, max(1.0, highest) * 1.15)
    axes.set_title(
        "throughput: x its limit (green met, red missed; dashed: target), x ceiling (grey)",
        fontsize=10,
    )


def _scaling(axes: Any, endpoints: dict[str, Any]) -> None:
    pages = users_pages(endpoints)
    sizes = [size for size, _ in pages]
    axes.plot(sizes, [e["p50_ms"] for _, e in pages], marker="o", label="p50")
    axes.plot(sizes, [e["p99_ms"] for _, e in pages], marker="o", label="p99")
    limit = endpoints[DATABASE_LIMIT]["p50_ms"]
    axes.axhline(limit, color="black", linestyle="--", label="p50 of the database limit")
    axes.set_xscale("log")
    axes.set_ylim(0, max(e["p99_ms"] for _, e in pages) * 1.2)
    axes.set_xlabel("users in the table")
    axes.set_ylabel("ms")
    axes.set_title("GET /users (one page of 20): latency vs table size", fontsize=10)
    axes.legend(loc="lower right")
