"""The picture in docs/benchmarks.md: each endpoint's throughput as a fraction of its limit
and of the ceiling; the latency of one GET /users page against the size of the table; and
the latency under overload against the number of connections."""

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
    figure, (ratios, scaling, overload) = plt.subplots(
        1, 3, figsize=(17, 5), width_ratios=(3, 2, 2)
    )
    _ratios(ratios, summary["endpoints"])
    _scaling(scaling, summary["endpoints"])
    _overload(overload, summary["overload"])
    figure.suptitle(f"users service under gunicorn, {summary['context']['machine']}", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _ratios(axes: Any, endpoints: dict[str, Any]) -> None:
    """Two bars an endpoint: x its limit (green where the row's target is met, red where not,
    as in the table: /ping's includes its p99; dashed: the ratio's target) and x the ceiling
    (grey)."""
    rows = [(e, t) for k, e in endpoints.items() if (t := targets.ratio_target(k))]
    for x, (endpoint, target) in enumerate(rows):
        ratio = endpoint["ratio_to_limit"]
        met = endpoint["verdict"]["met"]
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


def _overload(axes: Any, levels: dict[str, Any]) -> None:
    """p50 and p99 at each number of connections; beside each point, what was not a 2xx."""
    rows = list(levels.values())
    connections = [level["connections"] for level in rows]
    axes.plot(connections, [level["p50_ms"] for level in rows], marker="o", label="p50")
    axes.plot(connections, [level["p99_ms"] for level in rows], marker="o", label="p99")
    axes.axhline(targets.OVERLOAD_P99_MAX_MS, color="black", linestyle="--", label="p99 target")
    for level in rows:
        failed = level["non_2xx"] + sum(level["socket_errors"].values())
        if failed:
            note = f"{level['non_2xx']:,} non-2xx ({level['refused']:,} 503)"
            note += f"\n{sum(level['socket_errors'].values()):,} socket errors"
            point = (level["connections"], level["p99_ms"])
            axes.annotate(
                note, point, (-6, -6), textcoords="offset points", fontsize=7, ha="right", va="top"
            )
    axes.set_xscale("log", base=2)
    axes.set_yscale("log")
    axes.set_xticks(connections, [f"{n:,}" for n in connections])
    axes.set_xlabel("connections (GET /users/<id>)")
    axes.set_ylabel("ms")
    axes.set_title("overload: latency vs connections", fontsize=10)
    axes.legend(loc="upper left")
