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
    CURRENT,
    DIGEST,
    FAMILY,
    INSTANCE,
    MIGRATE_FAMILY,
    NEW,
    OLD,
    OURS,
    OUTPUTS,
    PROVIDER,
    SERVICE,
    T0,
    TARGET_GROUP,
    StubbedAws,
    healthy_target_group,
    record,
    rendered,
    service,
    target,
    task,
    td,
)

MIGRATION = {
    "containerOverrides": [{"name": "users", "command": ["users-service", "db", "upgrade"]}]
}
THE_SERVICE = {"cluster": CLUSTER, "services": [SERVICE]}
UNDER_WAY = {
    "cluster": CLUSTER,
    "service": SERVICE,
    "status": [
        "PENDING",
        "IN_PROGRESS",
        "STOP_REQUESTED",
        "ROLLBACK_REQUESTED",
        "ROLLBACK_IN_PROGRESS",
    ],
}
OLD_TASKS = [task("old-a", OLD, 32768), task("old-b", OLD, 32769)]
OLD_HEALTHY = [target(32768, "healthy"), target(32769, "healthy")]
# Two t3.small instances, each with one old task: room for 3 more tasks each.
ROOM = [
    {"name": "CPU", "type": "INTEGER", "integerValue": 1536},
    {"name": "MEMORY", "type": "INTEGER", "integerValue": 1600},
]


def stack_outputs(aws: StubbedAws, outputs: dict[str, str] | None = None) -> None:
    found = {
        "StackName": f"{FAMILY}-service",
        "CreationTime": T0,
        "StackStatus": "UPDATE_COMPLETE",
        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in (outputs or OUTPUTS).items()],
    }
    aws.reply(
        "cloudformation", "describe_stacks", {"Stacks": [found]}, {"StackName": f"{FAMILY}-service"}
    )


def preflight(
    aws: StubbedAws,
    reply: dict[str, Any] | None = None,
    group: dict | None = None,
    delay: int = 30,
    room: list[dict[str, Any]] | None = None,
    alarm_state: str = "OK",
) -> None:
    until_service(aws, reply)
    idle(aws)
    aws.reply(
        "ecs",
        "describe_service_deployments",
        record("SUCCESSFUL", arn=CURRENT, old=0),
        {"serviceDeploymentArns": [CURRENT]},
    )
    target_group(aws, group, delay)
    observe(aws, OLD_TASKS, OLD_HEALTHY, revision=OLD)
    revisions(aws, FAMILY, [td(OLD)])
    revisions(aws, MIGRATE_FAMILY, [td(OLD, MIGRATE_FAMILY)])
    aws.fail("logs", "get_log_events", "ResourceNotFoundException")  # the permission probe
    capacity(aws, room or ROOM)
    alarms(aws, alarm_state)


def until_service(aws: StubbedAws, reply: dict[str, Any] | None = None) -> None:
    """Preflight up to the service: the stack, the image, the cluster, then the service's reply."""
    stack_outputs(aws)
    image = {"registryId": ACCOUNT, "repositoryName": FAMILY, "imageDigest": DIGEST}
    query = {"registryId": ACCOUNT, "repositoryName": FAMILY, "imageIds": [{"imageDigest": DIGEST}]}
    aws.reply("ecr", "describe_images", {"imageDetails": [image | {"imagePushedAt": T0}]}, query)
    cluster = {
        "clusterName": CLUSTER,
        "clusterArn": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/{CLUSTER}",
        "status": "ACTIVE",
    }
    aws.reply("ecs", "describe_clusters", {"clusters": [cluster]}, {"clusters": [CLUSTER]})
    aws.reply("ecs", "describe_services", reply or service(OLD), THE_SERVICE)


def idle(aws: StubbedAws, busy: list[dict[str, Any]] | None = None) -> None:
    aws.reply("ecs", "list_service_deployments", {"serviceDeployments": busy or []}, UNDER_WAY)


def target_group(aws: StubbedAws, group: dict | None = None, delay: int = 30) -> None:
    groups = {"TargetGroups": [group or healthy_target_group()]}
    aws.reply("elbv2", "describe_target_groups", groups, {"TargetGroupArns": [TARGET_GROUP]})
    attributes = {
        "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": str(delay)}]
    }
    aws.reply(
        "elbv2", "describe_target_group_attributes", attributes, {"TargetGroupArn": TARGET_GROUP}
    )


def observe(
    aws: StubbedAws, tasks: list[dict[str, Any]], targets: list[dict[str, Any]], revision: int = NEW
) -> None:
    """One look at the running tasks of `revision` and the target group."""
    listing = {"cluster": CLUSTER, "serviceName": SERVICE, "desiredStatus": "RUNNING"}
    aws.reply("ecs", "list_tasks", {"taskArns": [t["taskArn"] for t in tasks]}, listing)
    if tasks:
        aws.reply("ecs", "describe_tasks", {"tasks": tasks})
        instance = {"containerInstanceArn": CONTAINER_INSTANCE, "ec2InstanceId": INSTANCE}
        if any(t["taskDefinitionArn"] == td(revision) for t in tasks):
            aws.reply("ecs", "describe_container_instances", {"containerInstances": [instance]})
    else:
        aws.fail("ecs", "describe_tasks", "InvalidParameterException")  # the permission probe
    aws.reply(
        "elbv2",
        "describe_target_health",
        {"TargetHealthDescriptions": targets},
        {"TargetGroupArn": TARGET_GROUP},
    )


def revisions(aws: StubbedAws, family: str, active: list[str]) -> None:
    listing = {"familyPrefix": family, "status": "ACTIVE"}
    aws.reply("ecs", "list_task_definitions", {"taskDefinitionArns": active}, listing)


def capacity(aws: StubbedAws, room: list[dict[str, Any]]) -> None:
    arns = [f"{CONTAINER_INSTANCE}-{n}" for n in (1, 2)]
    aws.reply(
        "ecs",
        "list_container_instances",
        {"containerInstanceArns": arns},
        {"cluster": CLUSTER, "status": "ACTIVE"},
    )
    instances = [
        {"containerInstanceArn": a, "ec2InstanceId": INSTANCE, "remainingResources": room}
        for a in arns
    ]
    aws.reply(
        "ecs",
        "describe_container_instances",
        {"containerInstances": instances},
        {"cluster": CLUSTER, "containerInstances": arns},
    )
    scaling = {"status": "ENABLED", "targetCapacity": 100, "instanceWarmupPeriod": 300}
    provider = {
        "name": PROVIDER,
        "autoScalingGroupProvider": {
            "autoScalingGroupArn": "arn:aws:autoscaling:asg",
            "managedScaling": scaling,
        },
    }
    aws.reply(
        "ecs",
        "describe_capacity_providers",
        {"capacityProviders": [provider]},
        {"capacityProviders": [PROVIDER]},
    )


def alarms(aws: StubbedAws, state: str = "OK") -> None:
    def alarm(name: str) -> dict[str, Any]:
        return {"AlarmName": name, "StateValue": state, "Period": 60, "EvaluationPeriods": 3}

    names = [OUTPUTS["ErrorsAlarmName"], OUTPUTS["LatencyAlarmName"]]
    aws.reply(
        "cloudwatch",
        "describe_alarms",
        {"MetricAlarms": [alarm(n) for n in names]},
        {"AlarmNames": names},
    )


def register(aws: StubbedAws) -> None:
    defs = rendered()
    for definition, family in ((defs.task, FAMILY), (defs.migration, MIGRATE_FAMILY)):
        registered = {"taskDefinitionArn": td(NEW, family), "family": family, "revision": NEW}
        expected = definition | {"tags": [{"key": "commit", "value": COMMIT}]}
        aws.reply("ecs", "register_task_definition", {"taskDefinition": registered}, expected)


def migrate(aws: StubbedAws, exit_code: int = 0) -> None:
    request = {
        "cluster": CLUSTER,
        "taskDefinition": td(NEW, MIGRATE_FAMILY),
        "count": 1,
        "startedBy": "deploy-migrate",
        "overrides": MIGRATION,
        "capacityProviderStrategy": [{"capacityProvider": PROVIDER, "weight": 1, "base": 0}],
    }
    started = task("migrate", NEW, 32700, status="PENDING")
    aws.reply("ecs", "run_task", {"tasks": [started], "failures": []}, request)
    query = {"cluster": CLUSTER, "tasks": [started["taskArn"]]}
    stopped = task("migrate", NEW, 32700, status="STOPPED", exit_code=exit_code)
    for reply in (
        task("migrate", NEW, 32700),
        stopped,
        stopped,
    ):  # the waiter's two, then the result
        aws.reply("ecs", "describe_tasks", {"tasks": [reply | {"stoppedReason": "exited"}]}, query)
    lines = ["INFO  [alembic] Running upgrade 0002 -> 0003", "migrated"]
    events = [{"timestamp": 1, "message": line, "ingestionTime": 2} for line in lines]
    stream = {"logGroupName": OUTPUTS["LogGroupName"], "logStreamName": "users/users/migrate"}
    aws.reply(
        "logs", "get_log_events", {"events": events}, stream | {"limit": 30, "startFromHead": False}
    )


def update(aws: StubbedAws) -> None:
    """The check that no one deployed meanwhile, then the update to the new revision."""
    idle(aws)
    definition = rendered().service
    settings = {
        key: definition[key]
        for key in (
            "deploymentConfiguration",
            "healthCheckGracePeriodSeconds",
            "placementStrategy",
            "availabilityZoneRebalancing",
            "enableECSManagedTags",
            "propagateTags",
        )
    }
    request = {"cluster": CLUSTER, "service": SERVICE, "taskDefinition": td(NEW), **settings}
    aws.reply(
        "ecs", "update_service", {"service": service(NEW, current=OURS)["services"][0]}, request
    )


def poll(
    aws: StubbedAws,
    deployment: dict[str, Any],
    tasks: list[dict[str, Any]] | None = None,
    targets: list[dict[str, Any]] | None = None,
    reply: dict[str, Any] | None = None,
    arn: str = OURS,
    revision: int = NEW,
) -> None:
    """One poll of the watch: the record, the service, and the targets when it looks at them."""
    aws.reply("ecs", "describe_service_deployments", deployment, {"serviceDeploymentArns": [arn]})
    aws.reply("ecs", "describe_services", reply or service(NEW, current=arn), THE_SERVICE)
    if tasks is not None:
        observe(aws, tasks, targets or [], revision)


def stopped_tasks(aws: StubbedAws, reasons: dict[str, str]) -> None:
    """The lookup of why tasks stopped, made when the breaker's failure count rises."""
    tasks = [
        task(name, NEW, 0, status="STOPPED") | {"stoppedReason": r} for name, r in reasons.items()
    ]
    listing = {"cluster": CLUSTER, "serviceName": SERVICE, "desiredStatus": "STOPPED"}
    aws.reply("ecs", "list_tasks", {"taskArns": [t["taskArn"] for t in tasks]}, listing)
    aws.reply("ecs", "describe_tasks", {"tasks": tasks})


def final(aws: StubbedAws, revision: int) -> None:
    aws.reply("ecs", "describe_services", service(revision, current=OURS), THE_SERVICE)


def cleanup(aws: StubbedAws, active: list[int], deregistered: list[int]) -> None:
    for family in (FAMILY, MIGRATE_FAMILY):
        revisions(aws, family, [td(r, family) for r in active])
        for revision in deregistered:
            arn = td(revision, family)
            reply = {"taskDefinition": {"taskDefinitionArn": arn, "status": "INACTIVE"}}
            aws.reply("ecs", "deregister_task_definition", reply, {"taskDefinition": arn})
