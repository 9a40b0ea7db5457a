"""How long a rollout may take, derived from the settings that actually govern it.

    timeout = warm-up + max(rollout, breaker) + bake + MARGIN
    rollout = waves * (grace + healthy_threshold * interval * HEALTH_FACTOR
                       + deregistration_delay + stop_timeout)
    breaker = attempts * (grace + unhealthy_threshold * interval)

warm-up: the capacity provider's instanceWarmupPeriod when the cluster must grow for the surge,
else 0. A wave is one batch of tasks replaced at once (maximumPercent 200 replaces all in one).
breaker: the time ECS's circuit breaker needs to see its threshold of failed tasks (half the
desired count, at least 3, at most 200), `attempts` batches of new tasks failing their health
checks after the grace period; the budget lets it decide before the deploy's own timeout.
bake: ECS's watch of the deployment alarms after steady state (alarms.py).
"""

import math
from dataclasses import dataclass
from typing import Any

from ecs_deploy.capacity import Capacity
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


def derive(
    settings: dict[str, Any],
    groups: list[TargetGroup],
    task_def: dict[str, Any],
    capacity: Capacity,
    bake: int,
) -> Budget:
    grace = settings.get("healthCheckGracePeriodSeconds", 0)
    slowest = max(groups, key=lambda g: g.healthy_threshold * g.interval)
    delay = max(g.deregistration_delay for g in groups)
    stop = stop_timeout(task_def)
    waves = rolling_waves(settings)
    per_wave = grace + slowest.healthy_threshold * slowest.interval * HEALTH_FACTOR + delay + stop
    breaker = breaker_seconds(settings, slowest, capacity.surge)
    warmup = capacity.warmup if capacity.must_grow else 0
    seconds = warmup + max(waves * per_wave, breaker) + bake + MARGIN_SECONDS
    derivation = (
        f"{seconds} s = warm-up {warmup} + max(rollout {waves} wave(s) x (grace {grace} "
        f"+ healthy threshold {slowest.healthy_threshold} x interval {slowest.interval} s "
        f"x {HEALTH_FACTOR} + deregistration delay {delay} + stopTimeout {stop}), "
        f"breaker {breaker}) + bake {bake} + margin {MARGIN_SECONDS}"
    )
    return Budget(seconds, derivation)


def overridden(derived: Budget, seconds: float | None) -> Budget:
    if seconds is None:
        return derived
    return Budget(seconds, f"{seconds:g} s (--timeout; derived: {derived.derivation})")


def stop_timeout(task_def: dict[str, Any]) -> int:
    containers = task_def.get("containerDefinitions", [])
    return int(max((c.get("stopTimeout", DEFAULT_STOP_TIMEOUT) for c in containers), default=0))


def breaker_threshold(settings: dict[str, Any]) -> int:
    """ECS's failure threshold: BOUNDED_PERCENT 50 of the desired count within 3..200 by default."""
    breaker = settings.get("deploymentConfiguration", {}).get("deploymentCircuitBreaker", {})
    config = breaker.get("thresholdConfiguration", {"type": "BOUNDED_PERCENT", "value": 50})
    if config["type"] == "COUNT":
        return int(config["value"])
    threshold = math.ceil(int(settings["desiredCount"]) * int(config["value"]) / 100)
    return threshold if config["type"] == "UNBOUNDED_PERCENT" else min(200, max(3, threshold))


def breaker_seconds(settings: dict[str, Any], group: TargetGroup, batch: int) -> int:
    attempts = math.ceil(breaker_threshold(settings) / max(1, batch))
    grace = settings.get("healthCheckGracePeriodSeconds", 0)
    return int(attempts * (grace + group.unhealthy_threshold * group.interval))


def rolling_waves(settings: dict[str, Any]) -> int:
    """How many batches ECS needs: extra tasks it may start plus old ones it may stop at once."""
    desired: int = settings.get("desiredCount", 0)
    deployment = settings.get("deploymentConfiguration", {})
    maximum: int = deployment.get("maximumPercent", 200)
    minimum: int = deployment.get("minimumHealthyPercent", 100)
    surge = desired * maximum // 100 - desired
    may_stop = desired - math.ceil(desired * minimum / 100)
    batch = max(1, surge + may_stop)
    return max(1, math.ceil(desired / batch))
