"""Which load balancer targets the new revision's tasks are, and what the target groups say.

In bridge mode with hostPort 0 a task's target is its EC2 instance plus the host port Docker
picked, found in the container's network binding; the instance comes from its container instance.
"""

from dataclasses import dataclass
from typing import Any

from ecs_deploy import probe
from ecs_deploy.target_groups import TargetGroup

# An ALB reports a deregistered target as draining until the deregistration delay has passed.
DRAINING = ("draining", "unhealthy.draining")


@dataclass(frozen=True)
class Target:
    group_arn: str
    instance_id: str
    port: int


@dataclass(frozen=True)
class Health:
    """The new revision's running tasks, their expected targets, and every target's state."""

    tasks: int
    expected: frozenset[Target]
    states: dict[Target, str]

    def all_new_healthy(self) -> bool:
        return all(self.states.get(target) == "healthy" for target in self.expected)

    def old_draining(self) -> list[Target]:
        return [t for t, s in self.states.items() if s in DRAINING and t not in self.expected]


def observe(
    clients: Any, cluster: str, service: str, groups: list[TargetGroup], revision: str
) -> Health:
    """The running tasks of `revision` and the state of every target in the groups."""
    tasks = running_tasks(clients.ecs, cluster, service, revision)
    instances = instance_ids(clients.ecs, cluster, tasks)
    expected = {t for task in tasks for t in task_targets(task, instances, groups)}
    states = {t: s for group in groups for t, s in target_states(clients.elbv2, group).items()}
    return Health(len(tasks), frozenset(expected), states)


def running_tasks(ecs: Any, cluster: str, service: str, revision: str) -> list[dict[str, Any]]:
    pages = ecs.get_paginator("list_tasks").paginate(
        cluster=cluster, serviceName=service, desiredStatus="RUNNING"
    )
    arns = [arn for page in pages for arn in page["taskArns"]]
    if not arns:
        probe.tasks_readable(ecs, cluster)
        return []
    tasks = describe_tasks(ecs, cluster, arns)
    return [t for t in tasks if t["taskDefinitionArn"] == revision and t["lastStatus"] == "RUNNING"]


def describe_tasks(ecs: Any, cluster: str, arns: list[str]) -> list[dict[str, Any]]:
    # describe_tasks takes at most 100 tasks per call.
    batches = [arns[i : i + 100] for i in range(0, len(arns), 100)]
    return [t for b in batches for t in ecs.describe_tasks(cluster=cluster, tasks=b)["tasks"]]


def instance_ids(ecs: Any, cluster: str, tasks: list[dict[str, Any]]) -> dict[str, str]:
    """containerInstanceArn -> EC2 instance id, for the instances these tasks run on."""
    arns = sorted({t["containerInstanceArn"] for t in tasks if t.get("containerInstanceArn")})
    if not arns:
        return {}
    return {
        ci["containerInstanceArn"]: ci["ec2InstanceId"]
        for ci in describe_instances(ecs, cluster, arns)
    }


def describe_instances(ecs: Any, cluster: str, arns: list[str]) -> list[dict[str, Any]]:
    # describe_container_instances takes at most 100 per call.
    batches = [arns[i : i + 100] for i in range(0, len(arns), 100)]
    return [
        ci
        for b in batches
        for ci in ecs.describe_container_instances(cluster=cluster, containerInstances=b)[
            "containerInstances"
        ]
    ]


def task_targets(
    task: dict[str, Any], instances: dict[str, str], groups: list[TargetGroup]
) -> list[Target]:
    """The target this task must be in each group; a task without a binding yet gets a
    placeholder that never reads healthy, so it cannot count as serving."""
    instance = instances.get(task.get("containerInstanceArn", ""), f"unplaced:{task['taskArn']}")
    found = []
    for group in groups:
        port = host_port(task, group.container_name, group.container_port)
        found.append(Target(group.arn, instance, port if port is not None else -1))
    return found


def host_port(task: dict[str, Any], name: str, container_port: int) -> int | None:
    for each in task.get("containers", []):
        if each.get("name") != name:
            continue
        for binding in each.get("networkBindings", []):
            if binding.get("containerPort") == container_port:
                return int(binding["hostPort"])
    return None


def target_states(elbv2: Any, group: TargetGroup) -> dict[Target, str]:
    reply = elbv2.describe_target_health(TargetGroupArn=group.arn)
    return {
        Target(group.arn, d["Target"]["Id"], d["Target"].get("Port", -1)): d["TargetHealth"][
            "State"
        ]
        for d in reply["TargetHealthDescriptions"]
    }
