"""The capacity plan: what one task sustains, from this run's own figures, and what 1k, 10k
and 100k req/s then take in tasks, instances, database connections and money. Arithmetic
only: the measurements come from the run's summary, the deployment's facts from
bench/deployment.py, which reads them from the repository's files."""

import math
from dataclasses import asdict, dataclass
from typing import Any

LOADS = (1_000, 10_000, 100_000)  # req/s to plan for
ENDPOINT = "auth_status"  # an authenticated read: one round trip to the database
# p99 ≤ 100 ms: a tenth of the deploy's alarm on the ALB's TargetResponseTime p99
# (LatencyP99Seconds, 1 s), leaving room for what the bench has not (the ALB's hop, the
# network to RDS in another zone) and for a burst before auto scaling adds tasks.
LATENCY_TARGET_MS = 100.0
CPU_UNITS_PER_VCPU = 1024
SUSTAINED_INSTANCE_TYPE = "c6i.large"  # not burstable: no CPU credits at the scaling target
# RDS for PostgreSQL: max_connections = LEAST(DBInstanceClassMemory / 9531392, 5000), where
# DBInstanceClassMemory is the class's RAM less what RDS keeps. The share is an assumption,
# low on purpose: published defaults imply 0.88 of 2 GiB (db.t2.small: 198) and 0.92 of 4 GiB
# (db.t2.medium: 413), but about 0.75 of 1 GiB (81 to 87 reported on micro classes);
# `SHOW max_connections` on the instance is the real figure. docs/deploy-aws.md counts so too.
RDS_MEMORY_SHARE = 0.75
RDS_BYTES_PER_CONNECTION = 9_531_392
RDS_CONNECTIONS_CAP = 5_000
RDS_SUPERUSER_RESERVED = 3  # superuser_reserved_connections
RDS_HEADROOM = 0.8  # a class is chosen while the peak holds at most this share of it
RDS_CLASSES = {  # GiB of RAM, vCPUs; smallest first
    "db.t4g.micro": (1, 2),
    "db.t4g.small": (2, 2),
    "db.t4g.medium": (4, 2),
    "db.m6g.large": (8, 2),
    "db.m6g.xlarge": (16, 4),
    "db.m6g.2xlarge": (32, 8),
    "db.m6g.4xlarge": (64, 16),
}
LARGEST_CLASS = list(RDS_CLASSES)[-1]
# The ALB bills LCUs by the largest of four dimensions; with clients that keep connections
# alive, processed bytes bind: 1 GB an hour per LCU. A request with its bearer token and the
# JSON reply, headers included, take about a kilobyte.
BYTES_PER_REQUEST = 1_024
LCU_BYTES_PER_HOUR = 1e9
T3_BASELINE_PER_VCPU = 0.20  # a t3.small's baseline; above it, unlimited mode bills credits


@dataclass(frozen=True)
class Prices:
    """USD, on demand, us-east-1, Linux; RDS single-AZ (Multi-AZ doubles it)."""

    as_of: str
    ec2_per_hour: dict[str, float]
    cpu_credit_per_vcpu_hour: float  # t3 unlimited mode, Linux
    alb_per_hour: float
    alb_per_lcu_hour: float
    rds_per_hour: dict[str, float]
    rds_proxy_per_vcpu_hour: float  # by the vCPUs of the instance behind it


PRICES = Prices(
    as_of="2025",  # as listed for us-east-1 then; check the AWS pricing pages
    ec2_per_hour={"t3.small": 0.0208, "c6i.large": 0.085},
    cpu_credit_per_vcpu_hour=0.05,
    alb_per_hour=0.0225,
    alb_per_lcu_hour=0.008,
    rds_per_hour={
        "db.t4g.micro": 0.016,
        "db.t4g.small": 0.032,
        "db.t4g.medium": 0.065,
        "db.m6g.large": 0.152,
        "db.m6g.xlarge": 0.304,
        "db.m6g.2xlarge": 0.608,
        "db.m6g.4xlarge": 1.216,
    },
    rds_proxy_per_vcpu_hour=0.015,
)


@dataclass(frozen=True)
class Deployment:
    """What production runs, as the repository's files say."""

    task_cpu_units: int
    workers_per_task: int  # WEB_CONCURRENCY
    connections_per_worker: int  # DB_POOL_SIZE + DB_MAX_OVERFLOW
    instance_cpu_units: dict[str, int]  # by instance type
    instance_type: str
    cpu_target: float  # CpuTargetPercent / 100
    min_tasks: int
    max_tasks: int
    min_instances: int
    deploy_peak_percent: int  # maximumPercent
    database_class: str
    multi_az: bool


def plan(summary: dict[str, Any], d: Deployment) -> dict[str, Any]:
    measured = _measured(summary)
    per_task = measured["requests_per_s"] * d.task_cpu_units / measured["cpu_units"]
    planned = per_task * d.cpu_target
    return {
        "measured": measured,
        "within_target": _within_target(summary["overload"]),
        "latency_target_ms": LATENCY_TARGET_MS,
        "per_task_requests_per_s": per_task,
        "planned_per_task_requests_per_s": planned,
        # The same target for scaling on the ALB's RequestCountPerTarget (a minute's sum).
        "requests_per_target_per_minute": planned * 60,
        "deployment": asdict(d),
        "shipped": _shipped(d, planned),
        "prices": asdict(PRICES),
        "levels": [_level(load, planned, d) for load in LOADS],
    }


def _measured(summary: dict[str, Any]) -> dict[str, Any]:
    """The endpoint's medians on the bench machine, which also ran PostgreSQL and wrk on the
    same cores: a conservative figure for an instance of as many vCPUs."""
    endpoint = summary["endpoints"][ENDPOINT]
    cores = int(summary["context"]["machine"].split(" cores")[0])  # machine.describe()
    return {
        "label": endpoint["label"],
        "requests_per_s": endpoint["requests_per_s"],
        "p99_ms": endpoint["p99_ms"],
        "cpu_units": cores * CPU_UNITS_PER_VCPU,
        "meets_latency_target": endpoint["p99_ms"] <= LATENCY_TARGET_MS,
    }


def _within_target(levels: dict[str, Any]) -> dict[str, Any] | None:
    """The overload level with the most req/s whose p99 holds the target, with no error."""
    held = [
        level
        for level in levels.values()
        if level["p99_ms"] <= LATENCY_TARGET_MS and not level["errors"]
    ]
    best = max(held, key=lambda level: level["requests_per_s"], default=None)
    return best and {k: best[k] for k in ("connections", "requests_per_s", "p99_ms")}


def _shipped(d: Deployment, planned_per_task: float) -> dict[str, Any]:
    """Production's most tasks: the load they are planned for, and their connections at a
    deploy's peak against the shipped class."""
    return {
        "max_tasks": d.max_tasks,
        "planned_requests_per_s": d.max_tasks * planned_per_task,
        "connections": connections_at_peak(d.max_tasks, d),
        "usable": usable_connections(d.database_class),
    }


def _level(load: int, planned_per_task: float, d: Deployment) -> dict[str, Any]:
    tasks = max(d.min_tasks, math.ceil(load / planned_per_task))
    connections = connections_at_peak(tasks, d)
    database = smallest_class(connections)
    types = dict.fromkeys((d.instance_type, SUSTAINED_INSTANCE_TYPE))
    return {
        "requests_per_s": load,
        "database_queries_per_s": load,  # one query an authenticated read
        "tasks": tasks,
        "connections_at_peak": connections,
        "database_class": database or LARGEST_CLASS,
        "rds_proxy": database is None,
        "hosting": {t: _hosting(load, tasks, t, database, d) for t in types},
    }


def connections_at_peak(tasks: int, d: Deployment) -> int:
    """A deploy runs up to maximumPercent of the tasks, each worker with its full pool."""
    peak_tasks = math.ceil(tasks * d.deploy_peak_percent / 100)
    return peak_tasks * d.workers_per_task * d.connections_per_worker


def usable_connections(database_class: str) -> int:
    memory_gib, _ = RDS_CLASSES[database_class]
    memory = memory_gib * 2**30 * RDS_MEMORY_SHARE
    maximum = min(int(memory // RDS_BYTES_PER_CONNECTION), RDS_CONNECTIONS_CAP)
    return maximum - RDS_SUPERUSER_RESERVED


def smallest_class(connections: int) -> str | None:
    """The smallest class the connections fill to at most RDS_HEADROOM; None: RDS Proxy."""
    fits = (c for c in RDS_CLASSES if connections <= usable_connections(c) * RDS_HEADROOM)
    return next(fits, None)


def _hosting(
    load: int, tasks: int, instance_type: str, database: str | None, d: Deployment
) -> dict[str, Any]:
    cpu_units = d.instance_cpu_units[instance_type]
    instances = max(d.min_instances, math.ceil(tasks / (cpu_units // d.task_cpu_units)))
    busy = tasks * d.task_cpu_units * d.cpu_target / (instances * cpu_units)
    per_hour = (
        instances * _instance_per_hour(instance_type, cpu_units, busy)
        + _balancer_per_hour(load)
        + _database_per_hour(database, d.multi_az)
    )
    return {
        "instances": instances,
        "cpu_busy": busy,
        "cost_per_hour": per_hour,
        "cost_per_million": per_hour / (load * 3600) * 1e6,
    }


def _instance_per_hour(instance_type: str, cpu_units: int, busy: float) -> float:
    """The on-demand price, and for a t3 the credits of sustained use above its baseline."""
    price = PRICES.ec2_per_hour[instance_type]
    if not instance_type.startswith("t3."):
        return price
    surplus = max(0.0, busy - T3_BASELINE_PER_VCPU) * cpu_units / CPU_UNITS_PER_VCPU
    return price + surplus * PRICES.cpu_credit_per_vcpu_hour


def _balancer_per_hour(load: int) -> float:
    lcus = load * BYTES_PER_REQUEST * 3600 / LCU_BYTES_PER_HOUR
    return PRICES.alb_per_hour + lcus * PRICES.alb_per_lcu_hour


def _database_per_hour(database: str | None, multi_az: bool) -> float:
    """The class (twice with a standby), and RDS Proxy by the vCPUs behind it."""
    name = database or LARGEST_CLASS
    per_hour = PRICES.rds_per_hour[name] * (2 if multi_az else 1)
    if database is None:
        per_hour += RDS_CLASSES[name][1] * PRICES.rds_proxy_per_vcpu_hour
    return per_hour
