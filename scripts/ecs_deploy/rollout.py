"""Point the service at the new revision and watch until it serves and the old tasks drained.

Deployed only when all hold on one poll: the service's task definition is the new revision; the
new deployment is the only one, PRIMARY and COMPLETED, with runningCount == desiredCount; as
many running tasks of the new revision as desired; each one's target healthy in every target
group; and no old target still draining. A deployment that ECS rolled back is never a success.
"""

import enum
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ecs_deploy import targets
from ecs_deploy.budget import Budget
from ecs_deploy.clock import Clock, say
from ecs_deploy.config import Config
from ecs_deploy.ecs_state import deployment_of, describe_service, primary, short
from ecs_deploy.preflight import ServiceState, still_idle
from ecs_deploy.reporting import Watch, progress, report_events, report_stopped
from ecs_deploy.target_groups import TargetGroup


class Ending(enum.Enum):
    DEPLOYED = "deployed"
    FAILED = "failed"  # rolloutState FAILED, or ECS rolled it back
    TIMED_OUT = "timed out"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class Verdict:
    ending: Ending
    message: str


def roll_out(
    clients: Any, config: Config, state: ServiceState, new_arn: str, budget: Budget, clock: Clock
) -> tuple[Verdict, Watch]:
    service = still_idle(clients.ecs, config, state)
    started = clock.monotonic()
    reply = clients.ecs.update_service(
        cluster=config.cluster, service=config.service, taskDefinition=new_arn
    )
    ours = deployment_of(reply["service"], new_arn)
    say(f"service {config.service} now set to {short(new_arn)}; watching for {budget.seconds:g} s")
    watch = Watch(
        new_arn=new_arn,
        previous_arn=state.previous_arn,
        started=started,
        deadline=started + budget.seconds,
        deployment_id=ours["id"] if ours else None,
        event_ids={e["id"] for e in service.get("events", [])},
    )
    return watch_until_done(clients, config, state.groups, watch, clock), watch


def watch_until_done(
    clients: Any, config: Config, groups: list[TargetGroup], watch: Watch, clock: Clock
) -> Verdict:
    while True:
        try:
            verdict = poll(clients, config, groups, watch, clock)
        except (BotoCoreError, ClientError) as error:
            # The service is mid-rollout: an API hiccup must not abandon it there. Persistent
            # errors run into the deadline, and the timeout path puts the service back.
            say(f"poll failed, trying again: {error}")
            verdict = None
        if verdict:
            return verdict
        if clock.monotonic() >= watch.deadline:
            return Verdict(
                Ending.TIMED_OUT, f"not deployed within {watch.deadline - watch.started:g} s"
            )
        clock.sleep(config.poll_seconds)


def poll(
    clients: Any, config: Config, groups: list[TargetGroup], watch: Watch, clock: Clock
) -> Verdict | None:
    service = describe_service(clients.ecs, config.cluster, config.service)
    report_events(service, watch)
    ours = find_ours(service, watch)
    say(progress(service, ours, clock.monotonic() - watch.started))
    verdict = judge(service, ours, watch)
    if verdict or ours is None:
        return verdict
    report_stopped(clients.ecs, config, ours, watch)
    if ours["status"] != "PRIMARY" or ours.get("runningCount") != ours.get("desiredCount"):
        return None
    health = targets.observe(clients, config, groups, watch.new_arn)
    return settle(service, ours, health, watch, clock)


def find_ours(service: dict[str, Any], watch: Watch) -> dict[str, Any] | None:
    if watch.deployment_id is None:
        found = deployment_of(service, watch.new_arn)
        watch.deployment_id = found["id"] if found else None
        return found
    return next((d for d in service["deployments"] if d["id"] == watch.deployment_id), None)


def judge(service: dict[str, Any], ours: dict[str, Any] | None, watch: Watch) -> Verdict | None:
    """Has the rollout failed, been rolled back, or been replaced by someone else's deploy?"""
    current = service["taskDefinition"]
    if current not in (watch.new_arn, watch.previous_arn):
        return Verdict(Ending.SUPERSEDED, f"someone else set the service to {short(current)}")
    if watch.rollback_event:
        return Verdict(Ending.FAILED, f"ECS rolled back: {watch.rollback_event}")
    if ours and ours.get("rolloutState") == "FAILED":
        reason = str(ours.get("rolloutStateReason", "no reason given")).rstrip(".")
        return Verdict(Ending.FAILED, f"rollout FAILED: {reason}")
    head = primary(service)
    reverted = current == watch.previous_arn or (
        head is not None
        and head["taskDefinition"] == watch.previous_arn
        and head["id"] != watch.deployment_id
    )
    if watch.deployment_id and reverted:
        return Verdict(Ending.FAILED, f"the service went back to {short(watch.previous_arn)}")
    return None


def settle(
    service: dict[str, Any],
    ours: dict[str, Any],
    health: targets.Health,
    watch: Watch,
    clock: Clock,
) -> Verdict | None:
    healthy = sum(health.states.get(t) == "healthy" for t in health.expected)
    if health.tasks != ours["desiredCount"] or not health.all_new_healthy():
        say(f"new tasks running {health.tasks}, targets healthy {healthy}/{len(health.expected)}")
        return None
    now = clock.monotonic()
    if watch.serving_at is None:
        watch.serving_at = now
        say(f"serving: {len(health.expected)} new target(s) healthy at {now - watch.started:.0f} s")
    draining = health.old_draining()
    if len(service["deployments"]) > 1 or ours.get("rolloutState") != "COMPLETED" or draining:
        old = len(service["deployments"]) - 1
        say(f"draining: {old} old deployment(s), {len(draining)} old target(s) draining")
        return None
    watch.drained_at = now
    return Verdict(Ending.DEPLOYED, f"{short(watch.new_arn)} serves; old tasks drained")
