"""The capacity arithmetic and the timing model of docs/deploy-aws.md, recomputed from the
templates, parameter files, task definition and service definition, and from the deploy's
own budget code: the page fails this test when it disagrees."""

import json
import math
from pathlib import Path

import pytest
from ecs_deploy import budget
from ecs_deploy.capacity import Capacity, reservation
from ecs_deploy.target_groups import TargetGroup

from services.users.bench import capacity, deployment
from tests.cfn_templates import ENVIRONMENTS, load, properties, value

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs/deploy-aws.md").read_text()
TASK = json.loads((ROOT / "ecs_taskdefinition.json").read_text())
SERVICE = json.loads((ROOT / "infra/ecs-service.json").read_text())
CLUSTER, SCALING, BALANCER, ALARMS = (
    load(n) for n in ("cluster", "scaling", "load-balancer", "service")
)
PLACEABLE_SHARE_OF_MEMORY = 0.75  # the doc's assumption: OS, Docker and agent keep a quarter
MIGRATION_CONNECTIONS = 1


def tasks_per_instance(instance_type: str) -> int:
    sizes = CLUSTER["Mappings"]["InstanceTypes"][instance_type]
    cpu, memory = reservation(TASK)
    return min(
        sizes["CpuUnits"] // cpu, int(sizes["MemoryMiB"] * PLACEABLE_SHARE_OF_MEMORY) // memory
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_peak_of_a_deploy_at_most_tasks_fits_the_fewest_instances(environment: str) -> None:
    per_instance = tasks_per_instance(value(CLUSTER, "InstanceType", environment))
    low, high = (int(value(CLUSTER, k, environment)) for k in ("MinSize", "MaxSize"))
    tasks = [int(value(SCALING, k, environment)) for k in ("MinTaskCount", "MaxTaskCount")]
    peak = deploy_peak_tasks(environment)
    needed = math.ceil(peak / per_instance)
    assert low >= 2
    assert tasks[0] >= 2
    assert SERVICE["desiredCount"] == tasks[0]
    assert needed <= low < high
    row = f"| {environment} | {low}-{high} | {tasks[0]}-{tasks[1]} | {peak} | {needed} |"
    assert row in DOC
    assert per_instance == 4
    assert "= min(4, 6) = **4**" in DOC


def deploy_peak_tasks(environment: str) -> int:
    most = int(value(SCALING, "MaxTaskCount", environment))
    return most * SERVICE["deploymentConfiguration"]["maximumPercent"] // 100


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_peak_of_a_deploy_fits_the_databases_connections(environment: str) -> None:
    """Read and counted as the bench's capacity plan does."""
    facts = deployment.read(environment)
    limit = capacity.usable_connections(facts.database_class)
    tasks = deploy_peak_tasks(environment)
    connections = capacity.connections_at_peak(facts.max_tasks, facts) + MIGRATION_CONNECTIONS
    assert connections <= limit
    assert f"| {environment} | {tasks} | {connections} | {limit} |" in DOC
    assert f"`{facts.database_class}`" in DOC
    per_task = facts.workers_per_task * facts.connections_per_worker
    assert f"**{per_task}** connections" in DOC


def test_the_timing_model_of_the_doc_is_the_codes() -> None:
    group = properties(BALANCER, "TargetGroup")
    delay = int(
        {a["Key"]: a["Value"] for a in group["TargetGroupAttributes"]}[
            "deregistration_delay.timeout_seconds"
        ]
    )
    target_group = TargetGroup(
        "tg", "users", 5000, group["HealthCheckIntervalSeconds"], group["HealthyThresholdCount"],
        group["UnhealthyThresholdCount"], delay,
    )  # fmt: skip
    latency = properties(ALARMS, "LatencyAlarm")
    bake = latency["Period"] * latency["EvaluationPeriods"]
    warmup = int(CLUSTER["Parameters"]["InstanceWarmupSeconds"]["Default"])
    settings = SERVICE | {"desiredCount": SERVICE["desiredCount"]}
    room = budget.derive(settings, [target_group], TASK, Capacity(8, 2, warmup), bake)
    growing = budget.derive(settings, [target_group], TASK, Capacity(0, 2, warmup), bake)
    assert f"**{room.seconds} s** when the cluster has" in DOC
    assert f"**{growing.seconds} s** when it must grow (warm-up {warmup} s" in DOC
    assert f"60 s x 3 = **{bake} s**" in DOC
    assert "timeout = warm-up + max(rollout, breaker) + bake + 60" in DOC
    assert budget.MARGIN_SECONDS == 60
