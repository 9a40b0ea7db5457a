"""Stubbed AWS for the deploy tests: a botocore Stubber per client, which checks every request
and every canned reply against the real service models, and builders for those replies."""

import contextlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import boto3
from botocore.stub import Stubber
from ecs_deploy import aws as deploy_aws
from ecs_deploy import cli
from ecs_deploy.aws import Clients

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ENVIRONMENT = "staging"
CLUSTER = SERVICE = FAMILY = f"users-{ENVIRONMENT}"
MIGRATE_FAMILY = f"{FAMILY}-migrate"
REPOSITORY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{FAMILY}"
DIGEST = "sha256:" + "ab" * 32
COMMIT = "0123456789abcdef0123456789abcdef01234567"
ECS = f"arn:aws:ecs:{REGION}:{ACCOUNT}"
TARGET_GROUP = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/users/0123456789abcdef"
INSTANCE = "i-0123456789abcdef0"
CONTAINER_INSTANCE = f"{ECS}:container-instance/{CLUSTER}/c0ffee"
PROVIDER = f"{CLUSTER}-capacity"
OLD, NEW = 7, 8  # the revision the service runs, and the one the deploy registers
CURRENT, OURS, BACK = (
    f"{ECS}:service-deployment/{CLUSTER}/{SERVICE}/{n}" for n in ("d1", "d2", "d3")
)
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
# The outputs of users-staging-service, as infra/service.yaml declares them.
OUTPUTS = {
    "Environment": ENVIRONMENT,
    "Region": REGION,
    "Family": FAMILY,
    "ServiceName": SERVICE,
    "ClusterName": CLUSTER,
    "CapacityProviderName": PROVIDER,
    "TargetGroupArn": TARGET_GROUP,
    "RepositoryUri": REPOSITORY,
    "RepositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{FAMILY}",
    "LogGroupName": f"/ecs/{FAMILY}",
    "LogGroupArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/{FAMILY}:*",
    "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{FAMILY}-execution",
    "TaskRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{FAMILY}-task",
    "DatabaseUrlSecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app-AbCdEf",
    "MigrationDatabaseUrlSecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:own-AbCdEf",
    "SecretKeySecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:key-AbCdEf",
    "JwtPrivateKeysSecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:jwt-AbCdEf",
    "JwtIssuer": "https://users.example.com",
    "MailFrom": "Users <no-reply@example.com>",
    "PublicAppUrl": "https://app.example.com",
    "ErrorsAlarmName": f"{FAMILY}-5xx",
    "LatencyAlarmName": f"{FAMILY}-latency-p99",
}
ARGS = [
    f"--environment={ENVIRONMENT}",
    f"--image={REPOSITORY}@{DIGEST}",
    f"--commit={COMMIT}",
    f"--region={REGION}",
    "--poll-seconds=10",
]


def td(revision: int, family: str = FAMILY) -> str:
    return f"{ECS}:task-definition/{family}:{revision}"


def task_arn(name: str) -> str:
    return f"{ECS}:task/{CLUSTER}/{name}"


class FakeClock:
    """Monotonic time that moves only when the code under test (or a botocore waiter) sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def record(
    status: str = "IN_PROGRESS",
    running: int = 2,
    pending: int = 0,
    old: int = 2,
    arn: str = OURS,
    stage: str = "SCALE_UP",
    failures: int = 0,
    breaker: str = "MONITORING",
    alarms: str = "MONITORING",
    **extra: Any,
) -> dict[str, Any]:
    """A DescribeServiceDeployments entry for a rolling deployment of 2 tasks."""
    revision = f"{ECS}:service-revision/{CLUSTER}/{SERVICE}/{arn[-2:]}"
    body = {
        "serviceDeploymentArn": arn,
        "serviceArn": f"{ECS}:service/{CLUSTER}/{SERVICE}",
        "clusterArn": f"{ECS}:cluster/{CLUSTER}",
        "createdAt": T0,
        "status": status,
        "lifecycleStage": stage,
        "targetServiceRevision": {
            "arn": revision,
            "requestedTaskCount": 2,
            "runningTaskCount": running,
            "pendingTaskCount": pending,
        },
        "sourceServiceRevisions": [
            {
                "arn": f"{revision}-old",
                "requestedTaskCount": 2,
                "runningTaskCount": old,
                "pendingTaskCount": 0,
            }
        ],
        "deploymentCircuitBreaker": {"status": breaker, "failureCount": failures, "threshold": 3},
        "alarms": {
            "status": alarms,
            "alarmNames": [OUTPUTS["ErrorsAlarmName"], OUTPUTS["LatencyAlarmName"]],
        },
    }
    return {"serviceDeployments": [body | extra], "failures": []}


def event(event_id: str, message: str, minutes: int = 1) -> dict[str, Any]:
    return {"id": event_id, "createdAt": T0 + timedelta(minutes=minutes), "message": message}


def service(
    revision: int, current: str = CURRENT, events: tuple = (), **changes: Any
) -> dict[str, Any]:
    """A describe_services reply for the service on `revision`."""
    body = {
        "serviceArn": f"{ECS}:service/{CLUSTER}/{SERVICE}",
        "serviceName": SERVICE,
        "clusterArn": f"{ECS}:cluster/{CLUSTER}",
        "status": "ACTIVE",
        "desiredCount": 2,
        "runningCount": 2,
        "pendingCount": 0,
        "taskDefinition": td(revision),
        "currentServiceDeployment": current,
        "healthCheckGracePeriodSeconds": 60,
        "loadBalancers": [
            {"targetGroupArn": TARGET_GROUP, "containerName": "users", "containerPort": 5000}
        ],
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
            "strategy": "ROLLING",
        },
        "deploymentController": {"type": "ECS"},
        "events": [event("e-old", "(service users) has reached a steady state.", 0), *events],
    }
    return {"services": [body | changes], "failures": []}


def task(
    name: str, revision: int, port: int, status: str = "RUNNING", exit_code: int | None = None
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "users",
        "lastStatus": status,
        "networkBindings": [{"containerPort": 5000, "hostPort": port, "protocol": "tcp"}],
    }
    if exit_code is not None:
        container["exitCode"] = exit_code
    family = MIGRATE_FAMILY if name == "migrate" else FAMILY
    return {
        "taskArn": task_arn(name),
        "taskDefinitionArn": td(revision, family),
        "containerInstanceArn": CONTAINER_INSTANCE,
        "lastStatus": status,
        "desiredStatus": "STOPPED" if status == "STOPPED" else "RUNNING",
        "containers": [container],
    }


def target(port: int, state: str) -> dict[str, Any]:
    return {"Target": {"Id": INSTANCE, "Port": port}, "TargetHealth": {"State": state}}


def healthy_target_group(**changes: Any) -> dict[str, Any]:
    group = {
        "TargetGroupArn": TARGET_GROUP,
        "TargetGroupName": "users",
        "Protocol": "HTTP",
        "Port": 5000,
        "HealthCheckProtocol": "HTTP",
        "HealthCheckPort": "traffic-port",
        "HealthCheckEnabled": True,
        "HealthCheckIntervalSeconds": 10,
        "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 2,
        "UnhealthyThresholdCount": 2,
        "HealthCheckPath": "/ping",
        "Matcher": {"HttpCode": "200"},
        "TargetType": "instance",
    }
    return group | changes


@dataclass(frozen=True)
class Call:
    action: str  # the IAM action, e.g. ecs:UpdateService
    params: dict[str, Any]


@dataclass
class Result:
    code: int
    summary: dict[str, Any]
    stderr: str
    calls: list[Call]

    @property
    def actions(self) -> list[str]:
        return [call.action.partition(":")[2] for call in self.calls]


@dataclass
class StubbedAws:
    """Stubbed clients built as the deploy builds its own; `calls` records every operation
    attempted, stubbed or not, with its parameters."""

    clients: Clients
    stubbers: dict[str, Stubber]
    calls: list[Call] = field(default_factory=list)

    @classmethod
    def create(cls) -> "StubbedAws":
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        clients = deploy_aws.build(session.client)
        made = {name: getattr(clients, name) for name in deploy_aws.NAMES}
        aws = cls(clients, {name: Stubber(client) for name, client in made.items()})
        for client in made.values():
            client.meta.events.register("before-parameter-build.*.*", aws._record)
        for stubber in aws.stubbers.values():
            stubber.activate()
        return aws

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append(Call(deploy_aws.iam_action(model), dict(params)))

    def reply(self, client: str, operation: str, body: dict[str, Any], params: Any = None) -> None:
        self.stubbers[client].add_response(operation, body, params)

    def fail(self, client: str, operation: str, code: str, status: int = 400) -> None:
        self.stubbers[client].add_client_error(operation, code, f"{code} (stubbed)", status)

    def run(self, *extra: str) -> Result:
        stdout, stderr = io.StringIO(), io.StringIO()
        clock = FakeClock()
        quiet = contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr)
        waiter_sleep = mock.patch("botocore.waiter.time.sleep", clock.sleep)
        with without_deploy_environment(), quiet[0], quiet[1], waiter_sleep:
            code = cli.main([*ARGS, *extra], make_clients=lambda *_: self.clients, clock=clock)
        summary = json.loads(stdout.getvalue().splitlines()[-1])
        return Result(code, summary, stderr.getvalue(), self.calls)

    def verify(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@contextlib.contextmanager
def without_deploy_environment() -> Iterator[None]:
    """The flags alone: a DEPLOY_* or AWS_* variable of the machine must not leak in."""
    leaking = [k for k in os.environ if k.startswith(("DEPLOY_", "AWS_"))]
    with mock.patch.dict(os.environ):
        for name in leaking:
            del os.environ[name]
        yield


def rendered() -> Any:
    """What the deploy must register and apply: the repository's templates, filled in."""
    from ecs_deploy import definitions

    with without_deploy_environment():
        config = cli.to_config(cli.build_parser().parse_args(ARGS))
    return definitions.load(config, OUTPUTS | {"IMAGE": config.image.pinned})
