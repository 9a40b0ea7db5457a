"""New revisions of the task definitions, tagged with the commit they were built from."""

from typing import Any

from ecs_deploy.clock import say
from ecs_deploy.ecs_state import short


def register(ecs: Any, task_def: dict[str, Any], commit: str) -> str:
    """Register `task_def`; its ARN. The tag lets anyone trace a revision back to its commit."""
    reply = ecs.register_task_definition(**task_def, tags=[{"key": "commit", "value": commit}])
    arn: str = reply["taskDefinition"]["taskDefinitionArn"]
    say(f"registered {short(arn)} (commit {commit})")
    return arn
