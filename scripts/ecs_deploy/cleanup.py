"""Deregister old revisions of this environment's families, keeping the newest N and any in use.

Only the exact families of this deploy (users-ENV and users-ENV-migrate) are touched: another
environment's or service's revisions, even under a common prefix, never are.
"""

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
    say(f"kept {len(kept)} revision(s) of {family}: {', '.join(short(a) for a in kept)}")
    return Pruned(kept, old)


def active_revisions(ecs: Any, family: str) -> list[str]:
    # familyPrefix is a prefix: "users-staging" also lists "users-staging-migrate".
    pages = ecs.get_paginator("list_task_definitions").paginate(
        familyPrefix=family, status="ACTIVE"
    )
    arns = [arn for page in pages for arn in page["taskDefinitionArns"]]
    return [arn for arn in arns if family_of(arn) == family]
