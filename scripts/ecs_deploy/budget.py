"""How long a rollout may take, derived from the settings that actually govern it.

    timeout = waves * (grace + healthy_threshold * interval * HEALTH_FACTOR
                       + deregistration_delay + stop_timeout) + MARGIN

A wave is one batch of tasks replaced at once; with maximumPercent 200 every task is replaced
in one wave. Each wave waits for its new tasks to pass the load balancer's health checks, then
for the old targets to drain and the old containers to stop.
"""

import math
from dataclasses import dataclass
from typing import Any

from ecs_deploy.target_groups import TargetGroup

# Gunicorn boots and the first probes may fail before the healthy streak starts: allow double.
HEALTH_FACTOR = 2
# Placement, an image pull on a cold instance, and ECS's own reaction time.
MARGIN_SECONDS = 60
# The ECS agent's ECS_CONTAINER_STOP_TIMEOUT when a container does not set stopTimeout.
DEFAULT_STOP_TIMEOUT = 30


@dataclass(frozen=True)
class Budget:
    seconds: float
    derivation: str


def derive(service: dict[str, Any], groups: list[TargetGroup], task_def: dict[str, Any]) -> Budget:
    grace = service.get("healthCheckGracePeriodSeconds", 0)
    slowest = max(groups, key=lambda g: g.healthy_threshold * g.interval)
    delay = max(g.deregistration_delay for g in groups)
    stop = stop_timeout(task_def)
    waves = rolling_waves(service)
    per_wave = grace + slowest.healthy_threshold * slowest.interval * HEALTH_FACTOR + delay + stop
    seconds = waves * per_wave + MARGIN_SECONDS
    derivation = (
        f"{seconds} s = {waves} wave(s) x (grace {grace} + healthy threshold "
        f"{slowest.healthy_threshold} x interval {slowest.interval} s x {HEALTH_FACTOR} "
        f"+ deregistration delay {delay} + stopTimeout {stop}) + margin {MARGIN_SECONDS}"
    )
    return Budget(seconds, derivation)


def overridden(derived: Budget, seconds: float | None) -> Budget:
    if seconds is None:
        return derived
    return Budget(seconds, f"{seconds:g} s (--timeout; derived: {derived.derivation})")


def stop_timeout(task_def: dict[str, Any]) -> int:
    containers = task_def.get("containerDefinitions", [])
    return int(max((c.get("stopTimeout", DEFAULT_STOP_TIMEOUT) for c in containers), default=0))


def rolling_waves(service: dict[str, Any]) -> int:
    """How many batches ECS needs: extra tasks it may start plus old ones it may stop at once."""
    desired: int = service.get("desiredCount", 0)
    settings = service.get("deploymentConfiguration", {})
    maximum: int = settings.get("maximumPercent", 200)
    minimum: int = settings.get("minimumHealthyPercent", 100)
    surge = desired * maximum // 100 - desired
    may_stop = desired - math.ceil(desired * minimum / 100)
    batch = max(1, surge + may_stop)
    return max(1, math.ceil(desired / batch))
