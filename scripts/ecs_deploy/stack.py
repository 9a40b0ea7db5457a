"""The environment's service stack: its outputs are the values of the templates' {{Name}}s."""

from typing import Any

from botocore.exceptions import ClientError

from ecs_deploy.config import Config
from ecs_deploy.outcome import DeployError, Outcome


def values(cloudformation: Any, config: Config) -> dict[str, str]:
    """The stack's outputs by key, plus IMAGE: the one value a deploy brings."""
    try:
        found = cloudformation.describe_stacks(StackName=config.stack)["Stacks"]
    except ClientError as error:  # CloudFormation answers ValidationError for a missing stack
        raise DeployError(Outcome.PREFLIGHT_FAILED, f"stack {config.stack}: {error}") from error
    if not found or found[0]["StackStatus"].endswith(("_FAILED", "ROLLBACK_COMPLETE")):
        status = found[0]["StackStatus"] if found else "missing"
        raise DeployError(Outcome.PREFLIGHT_FAILED, f"stack {config.stack} is {status}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in found[0].get("Outputs", [])}
    return outputs | {"IMAGE": config.image.pinned}
