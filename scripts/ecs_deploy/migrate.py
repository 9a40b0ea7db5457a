"""The migration as a gate: a one-off task of the migration revision must exit 0 before any
rollout. Exit 75 (EX_TEMPFAIL) is the migration's way to say another migration holds the
PostgreSQL advisory lock: another deploy is migrating, so this one stops without touching
the service."""

import math
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from ecs_deploy.clock import say
from ecs_deploy.config import Config
from ecs_deploy.outcome import DeployError, Outcome
from ecs_deploy.render import container

CONTAINER = "users"
COMMAND = ["users-service", "db", "upgrade"]
STARTED_BY = "deploy-migrate"
LOG_TAIL_LINES = 30
LOCK_HELD = 75


def migrate(
    clients: Any,
    config: Config,
    cluster: str,
    placement: dict[str, Any],
    task_def: dict[str, Any],
    arn: str,
) -> str:
    """Run the migration task; its ARN once it stopped with every container's exit code 0."""
    task_arn = start(clients.ecs, cluster, placement, arn)
    say(f"migration task {task_arn.rpartition('/')[2]} started: {' '.join(COMMAND)}")
    task = wait_stopped(clients.ecs, config, cluster, task_arn)
    show_log_tail(clients.logs, task_def, task_arn)
    require_success(task)
    say("migration finished with exit code 0")
    return task_arn


def start(ecs: Any, cluster: str, placement: dict[str, Any], arn: str) -> str:
    reply = ecs.run_task(
        cluster=cluster,
        taskDefinition=arn,
        count=1,
        startedBy=STARTED_BY,
        overrides={"containerOverrides": [{"name": CONTAINER, "command": COMMAND}]},
        **placement_like(placement),
    )
    if reply.get("failures") or not reply.get("tasks"):
        raise failed(f"the migration task could not start: {reply.get('failures')}")
    task_arn: str = reply["tasks"][0]["taskArn"]
    return task_arn


def placement_like(service: dict[str, Any]) -> dict[str, Any]:
    """Run where the service runs: its capacity providers or launch type."""
    if service.get("capacityProviderStrategy"):
        return {"capacityProviderStrategy": service["capacityProviderStrategy"]}
    return {"launchType": service.get("launchType", "EC2")}


def wait_stopped(ecs: Any, config: Config, cluster: str, task_arn: str) -> dict[str, Any]:
    # On timeout the task is left running: stopping a migration midway is worse than a slow one.
    delay = max(1, round(config.poll_seconds))
    attempts = max(1, math.ceil(config.migration_timeout / delay))
    try:
        ecs.get_waiter("tasks_stopped").wait(
            cluster=cluster,
            tasks=[task_arn],
            WaiterConfig={"Delay": delay, "MaxAttempts": attempts},
        )
    except WaiterError as error:
        raise failed(
            f"the migration task {task_arn} did not stop in time; it is still running"
        ) from error
    return dict(ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"][0])


def require_success(task: dict[str, Any]) -> None:
    codes = {c["name"]: c.get("exitCode") for c in task.get("containers", [])}
    if codes.get(CONTAINER) == LOCK_HELD:
        raise DeployError(
            Outcome.DEPLOY_IN_PROGRESS,
            "another migration holds the database's migration lock; the service was not touched",
        )
    if not codes or any(code != 0 for code in codes.values()):
        reasons = [c.get("reason") for c in task.get("containers", []) if c.get("reason")]
        raise failed(
            f"migration exit codes {codes} (stopped: {task.get('stoppedReason')}; "
            f"{reasons}); the service was not touched"
        )


def show_log_tail(logs: Any, task_def: dict[str, Any], task_arn: str) -> None:
    """The last lines the migration logged, from the awslogs stream prefix/container/task-id."""
    options = container(task_def, CONTAINER).get("logConfiguration", {}).get("options", {})
    group = options.get("awslogs-group")
    stream = f"{options.get('awslogs-stream-prefix')}/{CONTAINER}/{task_arn.rpartition('/')[2]}"
    try:
        reply = logs.get_log_events(
            logGroupName=group, logStreamName=stream, limit=LOG_TAIL_LINES, startFromHead=False
        )
    except ClientError as error:  # the tail helps a reader; its absence must not fail the deploy
        say(f"no migration log from {group} {stream}: {error.response['Error']['Code']}")
        return
    say(f"migration log tail ({group} {stream}):")
    for event in reply["events"]:
        say(f"  | {event['message'].rstrip()}")


def failed(message: str) -> DeployError:
    return DeployError(Outcome.MIGRATION_FAILED, message)
