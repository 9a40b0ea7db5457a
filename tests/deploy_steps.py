"""The AWS calls of each deploy phase, queued on a StubbedAws in the order the deploy makes them.

Each reply is checked by botocore against the service model, and so is each request that has
expected parameters here: a misspelled parameter or a wrong type fails the test.
"""

from typing import Any

from tests.deploy_stubs import (
    ACCOUNT,
    CLUSTER,
    COMMIT,
    CONTAINER_INSTANCE,
    DIGEST,
    FAMILY,
    INSTANCE,
    NEW,
    NEW_DEPLOYMENT,
    OLD,
    OLD_DEPLOYMENT,
    SERVICE,
    T0,
    TARGET_GROUP,
    StubbedAws,
    deployment,
    healthy_target_group,
    rendered_template,
    service,
    task,
    td,
)

MIGRATION = {
    "containerOverrides": [{"name": "users", "command": ["users-service", "db", "upgrade"]}]
}
THE_SERVICE = {"cluster": CLUSTER, "services": [SERVICE]}


def preflight(
    aws: StubbedAws, reply: dict[str, Any] | None = None, group: dict | None = None, delay: int = 30
) -> None:
    preflight_service(aws, reply)
    groups = {"TargetGroups": [group or healthy_target_group()]}
    aws.reply("elbv2", "describe_target_groups", groups, {"TargetGroupArns": [TARGET_GROUP]})
    attributes = {
        "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": str(delay)}]
    }
    aws.reply(
        "elbv2", "describe_target_group_attributes", attributes, {"TargetGroupArn": TARGET_GROUP}
    )


def preflight_service(aws: StubbedAws, reply: dict[str, Any] | None = None) -> None:
    """Preflight up to the service: the image, the cluster, then the service's reply."""
    image = {"registryId": ACCOUNT, "repositoryName": "users", "imageDigest": DIGEST}
    query = {
        "registryId": ACCOUNT,
        "repositoryName": "users",
        "imageIds": [{"imageDigest": DIGEST}],
    }
    aws.reply("ecr", "describe_images", {"imageDetails": [image | {"imagePushedAt": T0}]}, query)
    cluster = {"clusterName": CLUSTER, "status": "ACTIVE"}
    aws.reply("ecs", "describe_clusters", {"clusters": [cluster]}, {"clusters": [CLUSTER]})
    aws.reply("ecs", "describe_services", reply or service(OLD), THE_SERVICE)


def register(aws: StubbedAws) -> None:
    registered = {"taskDefinitionArn": td(NEW), "family": FAMILY, "revision": NEW}
    expected = rendered_template() | {"tags": [{"key": "commit", "value": COMMIT}]}
    aws.reply("ecs", "register_task_definition", {"taskDefinition": registered}, expected)


def migrate(aws: StubbedAws, exit_code: int = 0) -> None:
    request = {
        "cluster": CLUSTER,
        "taskDefinition": td(NEW),
        "count": 1,
        "startedBy": "deploy-migrate",
        "overrides": MIGRATION,
        "launchType": "EC2",
    }
    started = task("migrate", NEW, 32700, status="PENDING")
    aws.reply("ecs", "run_task", {"tasks": [started], "failures": []}, request)
    query = {"cluster": CLUSTER, "tasks": [started["taskArn"]]}
    aws.reply("ecs", "describe_tasks", {"tasks": [task("migrate", NEW, 32700)]}, query)
    stopped = task("migrate", NEW, 32700, status="STOPPED", exit_code=exit_code)
    aws.reply("ecs", "describe_tasks", {"tasks": [stopped | {"stoppedReason": "exited"}]}, query)
    lines = ["INFO  [alembic] Running upgrade 0002 -> 0003", "migrated"]
    events = [{"timestamp": 1, "message": line, "ingestionTime": 2} for line in lines]
    stream = {"logGroupName": "/ecs/users", "logStreamName": "users/users/migrate"}
    aws.reply(
        "logs", "get_log_events", {"events": events}, stream | {"limit": 30, "startFromHead": False}
    )


def update(aws: StubbedAws, idle: dict[str, Any] | None = None) -> None:
    """The check that no one deployed meanwhile, then the update to the new revision."""
    aws.reply("ecs", "describe_services", idle or service(OLD), THE_SERVICE)
    updated = rolling(running=0)["services"][0]
    request = {"cluster": CLUSTER, "service": SERVICE, "taskDefinition": td(NEW)}
    aws.reply("ecs", "update_service", {"service": updated}, request)


def rolling(running: int, failed: int = 0, rollout: str = "IN_PROGRESS", old: int = 2) -> dict:
    """The service mid-rollout: the new deployment PRIMARY, the old one ACTIVE."""
    new = deployment(
        NEW_DEPLOYMENT, NEW, rollout=rollout, running=running, failed=failed, minutes=2
    )
    previous = deployment(OLD_DEPLOYMENT, OLD, status="ACTIVE", running=old, desired=old)
    return service(NEW, new, previous)


def poll(
    aws: StubbedAws,
    reply: dict[str, Any],
    tasks: list[dict[str, Any]] | None = None,
    targets: list[dict[str, Any]] | None = None,
) -> None:
    """One poll of the watch; `tasks` and `targets` when it looks at the target health."""
    aws.reply("ecs", "describe_services", reply, THE_SERVICE)
    if tasks is None:
        return
    listing = {"cluster": CLUSTER, "serviceName": SERVICE, "desiredStatus": "RUNNING"}
    aws.reply("ecs", "list_tasks", {"taskArns": [t["taskArn"] for t in tasks]}, listing)
    if tasks:
        aws.reply("ecs", "describe_tasks", {"tasks": tasks})
    if any(t["taskDefinitionArn"] == td(NEW) for t in tasks):
        instance = {"containerInstanceArn": CONTAINER_INSTANCE, "ec2InstanceId": INSTANCE}
        aws.reply("ecs", "describe_container_instances", {"containerInstances": [instance]})
    health = {"TargetHealthDescriptions": targets or []}
    aws.reply("elbv2", "describe_target_health", health, {"TargetGroupArn": TARGET_GROUP})


def stopped_tasks(aws: StubbedAws, reasons: dict[str, str]) -> None:
    """The lookup of why tasks stopped, made when a deployment's failedTasks rises."""
    tasks = [
        task(name, NEW, 0, status="STOPPED") | {"stoppedReason": r} for name, r in reasons.items()
    ]
    listing = {"cluster": CLUSTER, "serviceName": SERVICE, "desiredStatus": "STOPPED"}
    aws.reply("ecs", "list_tasks", {"taskArns": [t["taskArn"] for t in tasks]}, listing)
    aws.reply("ecs", "describe_tasks", {"tasks": tasks})


def update_back(aws: StubbedAws) -> None:
    request = {"cluster": CLUSTER, "service": SERVICE, "taskDefinition": td(OLD)}
    aws.reply("ecs", "update_service", {"service": service(OLD)["services"][0]}, request)


def cleanup(aws: StubbedAws, active: list[str], deregistered: list[str]) -> None:
    aws.reply(
        "ecs", "describe_services", service(NEW, deployment(NEW_DEPLOYMENT, NEW)), THE_SERVICE
    )
    listing = {"familyPrefix": FAMILY, "status": "ACTIVE"}
    aws.reply("ecs", "list_task_definitions", {"taskDefinitionArns": active}, listing)
    for arn in deregistered:
        reply = {"taskDefinition": {"taskDefinitionArn": arn, "status": "INACTIVE"}}
        aws.reply("ecs", "deregister_task_definition", reply, {"taskDefinition": arn})
