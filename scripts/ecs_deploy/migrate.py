"""The migration as a gate: a one-off task of the new revision must exit 0 before any rollout."""

from typing import Any

from botocore.exceptions import ClientError

from ecs_deploy.clock import Clock, say
from ecs_deploy.config import Config
from ecs_deploy.outcome import DeployError, Outcome
from ecs_deploy.render import container

CONTAINER = "users"
COMMAND = ["users-service", "db", "upgrade"]
STARTED_BY = "deploy-migrate"
LOG_TAIL_LINES = 30


def migrate(
    clients: Any,
    config: Config,
    service: dict[str, Any],
    task_def: dict[str, Any],
    arn: str,
    clock: Clock,
) -> str:
    """Run the migration task; its ARN once it stopped with every container's exit code 0."""
    task_arn = start(clients.ecs, config.cluster, service, arn)
    say(f"migration task {task_arn.rpartition('/')[2]} started: {' '.join(COMMAND)}")
    task = wait_stopped(clients.ecs, config, task_arn, clock)
    show_log_tail(clients.logs, task_def, task_arn)
    require_success(task)
    say("migration finished with exit code 0")
    return task_arn


def start(ecs: Any, cluster: str, service: dict[str, Any], arn: str) -> str:
    request = {
        "cluster": cluster,
        "taskDefinition": arn,
        "count": 1,
        "startedBy": STARTED_BY,
        "overrides": {"containerOverrides": [{"name": CONTAINER, "command": COMMAND}]},
        **placement_like(service),
    }
    reply = ecs.run_task(**request)
    if reply.get("failures") or not reply.get("tasks"):
        raise failed(f"the migration task could not start: {reply.get('failures')}")
    task_arn: str = reply["tasks"][0]["taskArn"]
    return task_arn


def placement_like(service: dict[str, Any]) -> dict[str, Any]:
    """Run where the service runs: its capacity providers or launch type, its network."""
    if service.get("capacityProviderStrategy"):
        placement = {"capacityProviderStrategy": service["capacityProviderStrategy"]}
    else:
        placement = {"launchType": service.get("launchType", "EC2")}
    if service.get("networkConfiguration", {}).get("awsvpcConfiguration"):
        placement["networkConfiguration"] = service["networkConfiguration"]
    return placement


def wait_stopped(ecs: Any, config: Config, task_arn: str, clock: Clock) -> dict[str, Any]:
    # On timeout the task is left running: stopping a migration midway is worse than a slow one.
    deadline = clock.monotonic() + config.migration_timeout
    while True:
        tasks = ecs.describe_tasks(cluster=config.cluster, tasks=[task_arn])["tasks"]
        if tasks and tasks[0]["lastStatus"] == "STOPPED":
            return dict(tasks[0])
        if clock.monotonic() >= deadline:
            raise failed(f"the migration task {task_arn} did not stop in time; it is still running")
        clock.sleep(config.poll_seconds)


def require_success(task: dict[str, Any]) -> None:
    codes = {c["name"]: c.get("exitCode") for c in task.get("containers", [])}
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
