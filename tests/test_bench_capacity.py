"""The capacity plan that `make bench` writes (services/users/bench/capacity.py), on a
hand-made summary: 1,000 req/s on the bench's two cores, the production deployment's
facts. The arithmetic of docs/benchmarks.md, "Capacity plan", step by step."""

import math
from typing import Any

import pytest

from services.users.bench import capacity

DEPLOYMENT = capacity.Deployment(
    task_cpu_units=512,
    workers_per_task=2,
    connections_per_worker=4,
    instance_cpu_units={"t3.small": 2048, "c6i.large": 2048},
    instance_type="t3.small",
    cpu_target=0.6,
    min_tasks=2,
    max_tasks=4,
    min_instances=2,
    deploy_peak_percent=200,
    database_class="db.t4g.micro",
    multi_az=True,
)


def overload(connections: int, requests_per_s: float, p99_ms: float) -> dict[str, Any]:
    figures = {"requests_per_s": requests_per_s, "p99_ms": p99_ms, "errors": 0}
    return {"connections": connections, **figures}


def summary(p99_ms: float = 20.0) -> dict[str, Any]:
    endpoint = {"label": "GET /auth/status", "requests_per_s": 1000.0, "p99_ms": p99_ms}
    levels = [overload(16, 1400.0, 30.0), overload(64, 1300.0, 120.0), overload(256, 1200, 400)]
    return {
        "context": {"machine": "2 cores, test CPU"},
        "endpoints": {"auth_status": endpoint},
        "overload": {f"overload_{level['connections']}": level for level in levels},
    }


PLAN = capacity.plan(summary(), DEPLOYMENT)
LEVELS = {level["requests_per_s"]: level for level in PLAN["levels"]}


def test_a_task_is_its_share_of_the_bench_machine_at_the_scaling_target() -> None:
    assert PLAN["measured"]["cpu_units"] == 2048
    assert PLAN["per_task_requests_per_s"] == 250  # 1,000 x 512 / 2,048
    assert PLAN["planned_per_task_requests_per_s"] == pytest.approx(150)  # x 60 %
    assert PLAN["requests_per_target_per_minute"] == pytest.approx(9000)


def test_the_latency_target_is_held_by_the_endpoint_and_the_overload_levels_under_it() -> None:
    assert PLAN["measured"]["meets_latency_target"]
    assert PLAN["within_target"] == {"connections": 16, "requests_per_s": 1400.0, "p99_ms": 30.0}
    assert not capacity.plan(summary(p99_ms=150.0), DEPLOYMENT)["measured"]["meets_latency_target"]


@pytest.mark.parametrize(
    ("load", "tasks", "instances", "connections", "database", "proxy"),
    [
        (1_000, 7, 2, 7 * 2 * 2 * 4, "db.t4g.small", False),
        (10_000, 67, 17, 67 * 2 * 2 * 4, "db.m6g.xlarge", False),
        (100_000, 667, 167, 667 * 2 * 2 * 4, "db.m6g.4xlarge", True),
    ],
)
def test_each_load_takes_tasks_instances_and_a_database_class(
    load: int, tasks: int, instances: int, connections: int, database: str, proxy: bool
) -> None:
    level = LEVELS[load]
    assert level["tasks"] == tasks == math.ceil(load / 150)
    assert level["connections_at_peak"] == connections  # twice the tasks at a deploy's peak
    assert (level["database_class"], level["rds_proxy"]) == (database, proxy)
    assert level["database_queries_per_s"] == load
    assert {h["instances"] for h in level["hosting"].values()} == {instances}


def test_a_light_load_still_runs_the_fewest_tasks_and_instances() -> None:
    fast = summary()
    fast["endpoints"]["auth_status"]["requests_per_s"] = 1e6
    level = capacity.plan(fast, DEPLOYMENT)["levels"][0]
    assert level["tasks"] == DEPLOYMENT.min_tasks
    assert level["hosting"]["t3.small"]["instances"] == DEPLOYMENT.min_instances


@pytest.mark.parametrize(
    ("database_class", "usable"),
    [
        ("db.t4g.micro", 84 - 3),  # 1 GiB x 0.75 / 9,531,392 = 84.5
        ("db.t4g.small", 168 - 3),
        ("db.t4g.medium", 337 - 3),
        ("db.m6g.4xlarge", 5000 - 3),  # 5,408 capped at 5,000
    ],
)
def test_max_connections_follows_the_rds_formula(database_class: str, usable: int) -> None:
    assert capacity.usable_connections(database_class) == usable


@pytest.mark.parametrize(
    ("connections", "database_class"),
    [(64, "db.t4g.micro"), (65, "db.t4g.small"), (3997, "db.m6g.4xlarge"), (3998, None)],
)
def test_the_class_switches_past_80_percent_of_its_connections(
    connections: int, database_class: str | None
) -> None:
    assert capacity.smallest_class(connections) == database_class


def test_the_shipped_class_holds_the_most_tasks_at_a_deploys_peak() -> None:
    shipped = PLAN["shipped"]
    assert shipped["connections"] == 4 * 2 * 2 * 4
    assert shipped["connections"] <= shipped["usable"] == 81
    assert shipped["planned_requests_per_s"] == pytest.approx(4 * 150)


def test_the_cost_adds_instances_credits_balancer_and_a_multi_az_database() -> None:
    t3, c6i = (LEVELS[1_000]["hosting"][t] for t in ("t3.small", "c6i.large"))
    prices = capacity.PRICES
    balancer = prices.alb_per_hour + 1_000 * 1_024 * 3_600 / 1e9 * prices.alb_per_lcu_hour
    database = 2 * prices.rds_per_hour["db.t4g.small"]
    assert t3["cpu_busy"] == pytest.approx(7 * 512 * 0.6 / (2 * 2048))
    credits = (t3["cpu_busy"] - 0.2) * 2 * prices.cpu_credit_per_vcpu_hour
    assert t3["cost_per_hour"] == pytest.approx(2 * (0.0208 + credits) + balancer + database)
    assert c6i["cost_per_hour"] == pytest.approx(2 * 0.085 + balancer + database)
    for hosting in (t3, c6i):
        per_request = hosting["cost_per_hour"] / (1_000 * 3_600)
        assert hosting["cost_per_million"] == pytest.approx(per_request * 1e6)


def test_rds_proxy_is_priced_by_the_vcpus_of_the_largest_class() -> None:
    prices = capacity.PRICES
    c6i = LEVELS[100_000]["hosting"]["c6i.large"]
    balancer = prices.alb_per_hour + 100_000 * 1_024 * 3_600 / 1e9 * prices.alb_per_lcu_hour
    database = 2 * 1.216 + 16 * prices.rds_proxy_per_vcpu_hour
    assert c6i["cost_per_hour"] == pytest.approx(167 * 0.085 + balancer + database)
