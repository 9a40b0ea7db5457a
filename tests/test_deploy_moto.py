"""One end-to-end run of scripts/deploy, as CI calls it, against a moto server on 127.0.0.1.

What this run shows: the launcher, the flags, clients built for --endpoint-url, and every
request of preflight, register, migrate, update and rollback accepted over HTTP by a server
that implements ECR, ECS, ELBv2 and CloudWatch Logs, with the state it leaves behind read back.

What moto cannot do, so the Stubber tests (test_deploy.py) stand in for it:
- update_service changes the service's taskDefinition but no deployment of the new revision
  ever appears (moto keeps the old one, PRIMARY and COMPLETED): no rollout can be watched,
  so neither success, a FAILED rollout nor a circuit-breaker rollback can happen here;
- services start no tasks, tasks carry no network bindings and nothing is registered in the
  target group, so no target can ever be healthy;
- run_task does not run the command: its container reports exit code 0 whatever it is, and
  moto moves the task to STOPPED by itself after a few describe_tasks; there is no log stream.
The honest end of a deploy on moto is therefore the timeout path (exit 6): the deploy watches a
rollout that never starts, then puts the service back on the previous revision. Moto accepting
that rollback (its stale deployment looks settled at once) is not proof that ECS would settle.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from ecs_deploy.render import render_file

from s3_server import running_moto

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
COMMIT = "feedc0de" * 5
MANIFEST = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1},
    "layers": [],
}
ROLES = {
    "EXECUTION_ROLE_ARN": "arn:aws:iam::123456789012:role/users-execution",
    "TASK_ROLE_ARN": "arn:aws:iam::123456789012:role/users-task",
    "DATABASE_URL_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
    "SECRET_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:key-AbCdEf",
    "LOG_GROUP": "/ecs/users",
    "REGION": REGION,
}
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture
def moto(tmp_path: Path) -> Iterator[str]:
    # Without MOTO_ECS_SERVICE_RUNNING moto's services never reach their desired count, and
    # preflight would rightly see a deployment in progress.
    env = clean_env() | {"MOTO_ECS_SERVICE_RUNNING": "1"}
    with running_moto(tmp_path / "moto.log", env) as url:
        yield url


def clean_env() -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DEPLOY_"))}
    return kept | FAKE_CREDENTIALS | {"AWS_EC2_METADATA_DISABLED": "true"}


def client(url: str, name: str) -> Any:
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client(name, region_name=REGION, endpoint_url=url, **credentials)


def seed(url: str) -> dict[str, str]:
    """What the deploy expects to exist: an image, a cluster with an instance, a target group,
    a log group, and the service running revision 1 of the family behind the target group."""
    ecr, ecs, ec2, elbv2 = (client(url, n) for n in ("ecr", "ecs", "ec2", "elbv2"))
    uri = ecr.create_repository(repositoryName="users")["repository"]["repositoryUri"]
    pushed = ecr.put_image(repositoryName="users", imageManifest=json.dumps(MANIFEST), imageTag="1")
    digest = pushed["image"]["imageId"]["imageDigest"]
    ecs.create_cluster(clusterName="users")
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]
    document = json.dumps({"instanceId": instance["InstanceId"]})
    ecs.register_container_instance(cluster="users", instanceIdentityDocument=document)
    group = target_group(elbv2, ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"])
    client(url, "logs").create_log_group(logGroupName=ROLES["LOG_GROUP"])
    first = render_file(ROOT / "ecs_taskdefinition.json", ROLES | {"IMAGE": f"{uri}@{digest}"})
    arn = ecs.register_task_definition(**first)["taskDefinition"]["taskDefinitionArn"]
    balancer = {"targetGroupArn": group, "containerName": "users", "containerPort": 5000}
    service = {"serviceName": "users", "taskDefinition": arn, "desiredCount": 1}
    ecs.create_service(cluster="users", launchType="EC2", loadBalancers=[balancer], **service)
    return {"repository": uri, "digest": digest, "previous": arn}


def target_group(elbv2: Any, vpc: str) -> str:
    health_check = {
        "HealthCheckPath": "/ping",
        "HealthCheckIntervalSeconds": 10,
        "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 3,
        "UnhealthyThresholdCount": 3,
        "Matcher": {"HttpCode": "200"},
    }
    reply = elbv2.create_target_group(
        Name="users", Protocol="HTTP", Port=5000, VpcId=vpc, TargetType="instance", **health_check
    )
    group = reply["TargetGroups"][0]["TargetGroupArn"]
    attributes = [{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]
    elbv2.modify_target_group_attributes(TargetGroupArn=group, Attributes=attributes)
    return str(group)


def deploy_command(url: str, seeded: dict[str, str], summary: Path) -> list[str]:
    roles = {name.lower().replace("_", "-"): value for name, value in ROLES.items()}
    flags = roles | {
        "cluster": "users",
        "service": "users",
        "repository": seeded["repository"],
        "digest": seeded["digest"],
        "commit": COMMIT,
        "endpoint-url": url,
        "timeout": "3",  # moto never starts the rollout: wait no longer than needed to see it
        "poll-seconds": "0.2",
        "migration-timeout": "20",
        "summary-file": str(summary),
    }
    # The shebang's python3 is whichever is first on PATH; the suite's interpreter has boto3.
    return [sys.executable, str(ROOT / "scripts/deploy"), *(f"--{k}={v}" for k, v in flags.items())]


def test_deploy_against_a_moto_server_registers_migrates_and_returns_on_timeout(
    moto: str, tmp_path: Path
) -> None:
    seeded = seed(moto)
    ecs = client(moto, "ecs")
    command = deploy_command(moto, seeded, tmp_path / "summary.json")
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    process = subprocess.Popen(command, env=clean_env(), **pipes)
    assert process.stderr is not None
    seen_during_watch, stderr = None, []
    for line in process.stderr:  # read the server's state the moment the deploy says it updated
        stderr.append(line)
        if " now set to " in line:
            seen_during_watch = ecs.describe_services(cluster="users", services=["users"])
    stdout, _ = process.communicate(timeout=60)
    log = "".join(stderr)

    summary = json.loads(stdout.splitlines()[-1])
    assert (process.returncode, summary["outcome"]) == (6, "timed_out"), log
    assert summary == json.loads((tmp_path / "summary.json").read_text())
    new = summary["revisions"]["new"]
    assert new.endswith("task-definition/users-service:2")
    assert summary["revisions"] == {
        "previous": seeded["previous"],
        "new": new,
        "final": seeded["previous"],
    }
    assert summary["rolled_back_by"] == "deploy"
    assert {"preflight", "register", "migrate", "rollout", "rollback"} <= set(
        summary["phases_seconds"]
    )
    assert "(--timeout; derived: " in summary["timeout"]["derivation"]

    registered = ecs.describe_task_definition(taskDefinition=new, include=["TAGS"])
    assert registered["tags"] == [{"key": "commit", "value": COMMIT}]
    container = registered["taskDefinition"]["containerDefinitions"][0]
    assert container["image"] == f"{seeded['repository']}@{seeded['digest']}"
    assert seen_during_watch is not None, log
    assert seen_during_watch["services"][0]["taskDefinition"] == new
    final = ecs.describe_services(cluster="users", services=["users"])["services"][0]
    assert final["taskDefinition"] == seeded["previous"]
    assert_migration_ran(ecs, new)


def assert_migration_ran(ecs: Any, new: str) -> None:
    """The migration task as moto recorded it: the new revision, with the command override.
    (Its exit code 0 is moto's constant, not a result.)"""
    arns = ecs.list_tasks(cluster="users", startedBy="deploy-migrate")["taskArns"]
    tasks = ecs.describe_tasks(cluster="users", tasks=arns)["tasks"]
    assert [t["taskDefinitionArn"] for t in tasks] == [new]
    override = tasks[0]["overrides"]["containerOverrides"][0]
    assert override == {"name": "users", "command": ["users-service", "db", "upgrade"]}
