"""Whether the cluster can place a deploy's surge of new tasks now, or must grow first.

Placement counts reservations: a task reserves its containers' CPU units and memoryReservation
(or memory). When the free room on the ACTIVE instances holds fewer new tasks than a wave
starts, managed scaling launches instances, and the rollout waits the capacity provider's
instanceWarmupPeriod before they count: the budget adds it.
"""

import math
from dataclasses import dataclass
from typing import Any

from ecs_deploy import probe
from ecs_deploy.targets import describe_instances

DEFAULT_WARMUP = 300  # ECS's instanceWarmupPeriod when a capacity provider sets none


@dataclass(frozen=True)
class Capacity:
    free_slots: int
    surge: int
    warmup: int

    @property
    def must_grow(self) -> bool:
        return self.free_slots < self.surge

    def describe(self) -> str:
        verdict = f"must grow, + warm-up {self.warmup} s" if self.must_grow else "fits"
        return f"{self.free_slots} free task slot(s) for a surge of {self.surge}: {verdict}"


def reservation(task_def: dict[str, Any]) -> tuple[int, int]:
    """CPU units and MiB one task reserves."""
    containers = task_def["containerDefinitions"]
    cpu = int(task_def.get("cpu") or sum(c.get("cpu", 0) for c in containers))
    memory = sum(c.get("memoryReservation") or c.get("memory", 0) for c in containers)
    return cpu, int(task_def.get("memory") or memory)


def surge(settings: dict[str, Any]) -> int:
    """New tasks a wave starts: what maximumPercent allows above the desired count, or all of
    them for a service being created."""
    desired: int = settings["desiredCount"]
    if settings.get("creating"):
        return desired
    maximum = int(settings.get("deploymentConfiguration", {}).get("maximumPercent", 200))
    return max(1, min(desired, desired * maximum // 100 - desired))


def assess(ecs: Any, cluster: str, settings: dict[str, Any], task_def: dict[str, Any]) -> Capacity:
    cpu, memory = reservation(task_def)
    instances = active_instances(ecs, cluster)
    free = sum(slots(i, cpu, memory) for i in instances)
    return Capacity(
        free, surge(settings), warmup(ecs, settings.get("capacityProviderStrategy", []))
    )


def active_instances(ecs: Any, cluster: str) -> list[dict[str, Any]]:
    pages = ecs.get_paginator("list_container_instances").paginate(cluster=cluster, status="ACTIVE")
    arns = [arn for page in pages for arn in page["containerInstanceArns"]]
    if not arns:
        probe.instances_readable(ecs, cluster)
        return []
    return describe_instances(ecs, cluster, arns)


def slots(instance: dict[str, Any], cpu: int, memory: int) -> int:
    free = {r["name"]: r.get("integerValue", 0) for r in instance.get("remainingResources", [])}
    by_cpu = free.get("CPU", 0) // cpu if cpu else math.inf
    by_memory = free.get("MEMORY", 0) // memory if memory else math.inf
    return int(min(by_cpu, by_memory, 10_000))


def warmup(ecs: Any, strategy: list[dict[str, Any]]) -> int:
    names = [s["capacityProvider"] for s in strategy]
    if not names:
        return 0  # no capacity provider: nothing launches instances, nothing to wait for
    providers = ecs.describe_capacity_providers(capacityProviders=names)["capacityProviders"]
    scaling = [p.get("autoScalingGroupProvider", {}).get("managedScaling", {}) for p in providers]
    return max((s.get("instanceWarmupPeriod", DEFAULT_WARMUP) for s in scaling), default=0)
