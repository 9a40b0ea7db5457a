"""Bring the service back to the previous revision and wait until it is settled there.

When the circuit breaker already rolled back, the service's task definition is the previous one
and this only waits; otherwise it updates the service back first.
"""

from dataclasses import dataclass
from typing import Any

from ecs_deploy.clock import Clock, say
from ecs_deploy.config import Config
from ecs_deploy.ecs_state import describe_service, is_settled_on, short


@dataclass(frozen=True)
class Rollback:
    confirmed: bool
    by_deploy: bool  # False when ECS's circuit breaker had already rolled back
    final_arn: str


def restore(
    clients: Any, config: Config, previous_arn: str, seconds: float, clock: Clock
) -> Rollback:
    service = describe_service(clients.ecs, config.cluster, config.service)
    by_deploy = service["taskDefinition"] != previous_arn
    if by_deploy:
        say(f"rolling back: setting {config.service} to {short(previous_arn)}")
        clients.ecs.update_service(
            cluster=config.cluster, service=config.service, taskDefinition=previous_arn
        )
    deadline = clock.monotonic() + seconds
    while True:
        service = describe_service(clients.ecs, config.cluster, config.service)
        if is_settled_on(service, previous_arn):
            say(f"the service is back on {short(previous_arn)} and stable")
            return Rollback(True, by_deploy, previous_arn)
        if clock.monotonic() >= deadline:
            say(f"NOT confirmed back on {short(previous_arn)}: check the service by hand")
            return Rollback(False, by_deploy, service["taskDefinition"])
        clock.sleep(config.poll_seconds)
