"""After a timeout: have ECS roll the deployment back, and follow its record until it is done.

A deployment still rolling forward is stopped with StopServiceDeployment(ROLLBACK), and the same
record then reports ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED. One that ECS already finished
(SUCCESSFUL, but its targets never all turned healthy) can no longer be stopped: the service is
updated back to the previous revision and that new deployment is followed instead.
"""

from typing import Any

from ecs_deploy import records
from ecs_deploy.clock import Clock, say
from ecs_deploy.config import Config
from ecs_deploy.ecs_state import short
from ecs_deploy.reporting import Watch
from ecs_deploy.rollout import Ending, Verdict, follow, watch_for
from ecs_deploy.target_groups import TargetGroup

CONFIRMED = {Ending.ROLLED_BACK, Ending.DEPLOYED}


def restore(
    clients: Any,
    config: Config,
    groups: list[TargetGroup],
    watch: Watch,
    previous: str | None,
    record: dict[str, Any] | None,
    clock: Clock,
) -> Verdict:
    """Roll back and follow; DEPLOYED or ROLLED_BACK in the verdict mean confirmed by ECS."""
    seconds = watch.deadline - watch.started
    status = (record or {}).get("status", "PENDING")
    if status in records.ROLLING_FORWARD:
        say(f"rolling back: StopServiceDeployment(ROLLBACK) of {watch.deployment}")
        clients.ecs.stop_service_deployment(
            serviceDeploymentArn=watch.deployment, stopType="ROLLBACK"
        )
        watch.rollback_requested = True
        watch.started, watch.deadline = clock.monotonic(), clock.monotonic() + seconds
        return follow(clients, config, groups, watch, clock)
    if status == "SUCCESSFUL" and previous:
        say(f"rolling back: updating {watch.service} to {short(previous)}")
        reply = clients.ecs.update_service(
            cluster=watch.cluster, service=watch.service, taskDefinition=previous
        )
        back = watch_for(clients.ecs, watch.cluster, reply["service"], previous, seconds, clock)
        return follow(clients, config, groups, back, clock)
    # Already rolling back (ECS's own decision), or nothing to go back to: follow what runs.
    watch.started, watch.deadline = clock.monotonic(), clock.monotonic() + seconds
    return follow(clients, config, groups, watch, clock)
