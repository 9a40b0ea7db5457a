"""Deregister old revisions of the family, keeping the newest N and any the service uses."""

from dataclasses import dataclass
from typing import Any

from ecs_deploy.clock import say
from ecs_deploy.ecs_state import family_of, revision_of, short


@dataclass(frozen=True)
class Pruned:
    kept: list[str]
    deregistered: list[str]


def prune(ecs: Any, family: str, keep: int, protected: set[str]) -> Pruned:
    """Keep the `keep` newest ACTIVE revisions plus `protected` (what runs, and the rollback
    target); deregister the rest. Deregistered revisions still run existing tasks."""
    active = sorted(active_revisions(ecs, family), key=revision_of, reverse=True)
    kept = [arn for i, arn in enumerate(active) if i < keep or arn in protected]
    old = [arn for arn in active if arn not in kept]
    for arn in old:
        ecs.deregister_task_definition(taskDefinition=arn)
        say(f"deregistered {short(arn)}")
    say(f"kept {len(kept)} revision(s): {', '.join(short(a) for a in kept)}")
    return Pruned(kept, old)


def active_revisions(ecs: Any, family: str) -> list[str]:
    # familyPrefix is a prefix: "users-service" also lists "users-service-worker".
    pages = ecs.get_paginator("list_task_definitions").paginate(
        familyPrefix=family, status="ACTIVE"
    )
    arns = [arn for page in pages for arn in page["taskDefinitionArns"]]
    return [arn for arn in arns if family_of(arn) == family]


def in_use(service: dict[str, Any]) -> set[str]:
    """Every revision the service references right now, in any deployment."""
    used = {d["taskDefinition"] for d in service.get("deployments", [])}
    return used | {service["taskDefinition"]}
