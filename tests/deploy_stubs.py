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
from ecs_deploy import cli
from ecs_deploy.aws import Clients
from ecs_deploy.render import render_file

REGION = "eu-west-1"
ACCOUNT = "123456789012"
CLUSTER = "users-cluster"
SERVICE = "users"
FAMILY = "users-service"
REPOSITORY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/users"
DIGEST = "sha256:" + "ab" * 32
COMMIT = "0123456789abcdef0123456789abcdef01234567"
TARGET_GROUP = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/users/0123456789abcdef"
INSTANCE = "i-0123456789abcdef0"
CONTAINER_INSTANCE = f"arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/{CLUSTER}/c0ffee"
OLD, NEW = 7, 8  # the revision the service runs, and the one the deploy registers
OLD_DEPLOYMENT, NEW_DEPLOYMENT, ROLLBACK_DEPLOYMENT = "ecs-svc/111", "ecs-svc/222", "ecs-svc/333"
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
ARGS = [
    f"--cluster={CLUSTER}",
    f"--service={SERVICE}",
    f"--image={REPOSITORY}@{DIGEST}",
    f"--commit={COMMIT}",
    f"--execution-role-arn=arn:aws:iam::{ACCOUNT}:role/users-execution",
    f"--task-role-arn=arn:aws:iam::{ACCOUNT}:role/users-task",
    f"--database-url-secret-arn=arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db-AbCdEf",
    f"--secret-key-secret-arn=arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:key-AbCdEf",
    "--log-group=/ecs/users",
    f"--region={REGION}",
    "--poll-seconds=10",
]


def td(revision: int, family: str = FAMILY) -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}"


def task_arn(name: str) -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{name}"


class FakeClock:
    """Monotonic time that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def deployment(
    dep_id: str,
    revision: int,
    status: str = "PRIMARY",
    rollout: str = "COMPLETED",
    running: int = 2,
    desired: int = 2,
    failed: int = 0,
    minutes: int = 0,
) -> dict[str, Any]:
    return {
        "id": dep_id,
        "status": status,
        "taskDefinition": td(revision),
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": desired - running,
        "failedTasks": failed,
        "createdAt": T0 + timedelta(minutes=minutes),
        "updatedAt": T0 + timedelta(minutes=minutes),
        "launchType": "EC2",
        "rolloutState": rollout,
        "rolloutStateReason": f"ECS deployment {dep_id} {rollout.lower()}.",
    }


def event(event_id: str, message: str, minutes: int = 1) -> dict[str, Any]:
    return {"id": event_id, "createdAt": T0 + timedelta(minutes=minutes), "message": message}


def service(revision: int, *deployments: dict[str, Any], events: tuple = ()) -> dict[str, Any]:
    """A describe_services reply for the service on `revision` (one idle deployment by default)."""
    body = {
        "serviceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{SERVICE}",
        "serviceName": SERVICE,
        "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}",
        "status": "ACTIVE",
        "launchType": "EC2",
        "desiredCount": 2,
        "runningCount": 2,
        "pendingCount": 0,
        "taskDefinition": td(revision),
        "healthCheckGracePeriodSeconds": 30,
        "loadBalancers": [
            {"targetGroupArn": TARGET_GROUP, "containerName": "users", "containerPort": 5000}
        ],
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        },
        "deploymentController": {"type": "ECS"},
        "deployments": list(deployments) or [deployment(OLD_DEPLOYMENT, revision)],
        "events": [event("e-old", "(service users) has reached a steady state.", 0), *events],
    }
    return {"services": [body], "failures": []}


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
    return {
        "taskArn": task_arn(name),
        "taskDefinitionArn": td(revision),
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
        "HealthyThresholdCount": 3,
        "UnhealthyThresholdCount": 3,
        "HealthCheckPath": "/ping",
        "Matcher": {"HttpCode": "200"},
        "TargetType": "instance",
    }
    return group | changes


@dataclass
class Result:
    code: int
    summary: dict[str, Any]
    stderr: str
    calls: list[str]


@dataclass
class StubbedAws:
    """Four stubbed clients; `calls` records every operation attempted, stubbed or not."""

    clients: Clients
    stubbers: dict[str, Stubber]
    calls: list[str] = field(default_factory=list)

    @classmethod
    def create(cls) -> "StubbedAws":
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        made = {name: session.client(name) for name in ("ecs", "ecr", "elbv2", "logs")}
        aws = cls(Clients(**made), {name: Stubber(client) for name, client in made.items()})
        for client in made.values():
            client.meta.events.register("before-parameter-build.*.*", aws._record)
        for stubber in aws.stubbers.values():
            stubber.activate()
        return aws

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def reply(self, client: str, operation: str, body: dict[str, Any], params: Any = None) -> None:
        self.stubbers[client].add_response(operation, body, params)

    def fail(self, client: str, operation: str, code: str, status: int = 400) -> None:
        self.stubbers[client].add_client_error(operation, code, f"{code} (stubbed)", status)

    def run(self, *extra: str) -> Result:
        stdout, stderr = io.StringIO(), io.StringIO()
        quiet = contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr)
        with without_deploy_environment(), quiet[0], quiet[1]:
            code = cli.main(
                [*ARGS, *extra], make_clients=lambda *_: self.clients, clock=FakeClock()
            )
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


def rendered_template() -> dict[str, Any]:
    """What the deploy must register: the repository's template, filled from ARGS."""
    with without_deploy_environment():
        config = cli.to_config(cli.build_parser().parse_args(ARGS))
    return render_file(config.template, config.placeholders())
