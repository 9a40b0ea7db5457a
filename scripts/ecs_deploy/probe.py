"""Preflight's proof that a read the rollout needs is allowed, when there is nothing to read yet.

A call for an ID that does not exist is authorised like any other: AccessDenied ends the deploy
(aws.py), while ECS answering "missing" proves the permission.
"""

from typing import Any

from botocore.exceptions import ClientError

NO_ID = "0" * 32


def allowed(call: Any, **params: Any) -> None:
    try:
        call(**params)
    except ClientError:  # anything but a denial (handled in aws.py) means the call was allowed
        return


def tasks_readable(ecs: Any, cluster: str) -> None:
    allowed(ecs.describe_tasks, cluster=cluster, tasks=[NO_ID])


def instances_readable(ecs: Any, cluster: str) -> None:
    allowed(ecs.describe_container_instances, cluster=cluster, containerInstances=[NO_ID])


def deployments_readable(ecs: Any, arn: str) -> None:
    allowed(ecs.describe_service_deployments, serviceDeploymentArns=[arn])


def log_readable(logs: Any, group: str) -> None:
    allowed(logs.get_log_events, logGroupName=group, logStreamName=f"preflight/{NO_ID}", limit=1)
