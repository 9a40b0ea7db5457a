"""scripts/deploy, as CI calls it, against a moto server holding the real infra/ stacks.

What this run shows: the launcher and its flags, clients built for --endpoint-url, the service
stack's outputs read from CloudFormation as the real stacks leave them, rendered into both
templates, and a template whose values the stack lacks refused before anything changes.

What moto cannot do: it creates no CloudWatch alarm from a template, so the service stack has
no ErrorsAlarmName/LatencyAlarmName outputs and the run ends there (exit 2, nothing changed);
past that, moto 5.2.5 has no service deployment records (ListServiceDeployments,
DescribeServiceDeployments, StopServiceDeployment) that preflight needs, starts no rollout,
runs no task's command and registers no target. The Stubber scenarios (test_deploy.py) stand
in for all of it.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.users.tests.support.moto_server import running_moto
from tests.infra_stacks import REGION, Deployment, deploy, name

ROOT = Path(__file__).resolve().parent.parent
COMMIT = "feedc0de" * 5
MANIFEST = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1},
    "layers": [],
}
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="module")
def stacks() -> Iterator[Deployment]:
    with running_moto() as url:
        yield deploy(url)


def clean_env() -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DEPLOY_"))}
    return kept | FAKE_CREDENTIALS | {"AWS_EC2_METADATA_DISABLED": "true"}


def test_deploy_on_moto_reads_the_real_stack_and_refuses_what_it_lacks(
    stacks: Deployment, tmp_path: Path
) -> None:
    repository = stacks.outputs[name("service")]["RepositoryUri"]
    ecr = stacks.client("ecr")
    pushed = ecr.put_image(
        repositoryName="users-staging", imageManifest=json.dumps(MANIFEST), imageTag=COMMIT
    )
    digest = pushed["image"]["imageId"]["imageDigest"]
    summary_file = tmp_path / "summary.json"
    flags = {
        "environment": "staging",
        "image": f"{repository}@{digest}",
        "commit": COMMIT,
        "region": REGION,
        "endpoint-url": stacks.endpoint,
        "poll-seconds": "0.2",
        "summary-file": str(summary_file),
    }
    command = [
        sys.executable,
        str(ROOT / "scripts/deploy"),
        *(f"--{k}={v}" for k, v in flags.items()),
    ]
    run = subprocess.run(
        command, env=clean_env(), capture_output=True, text=True, timeout=120, check=False
    )

    summary = json.loads(run.stdout.splitlines()[-1])
    assert summary == json.loads(summary_file.read_text())
    assert (run.returncode, summary["outcome"]) == (2, "usage_error"), run.stderr
    missing = "alarmNames/0: {{ErrorsAlarmName}}, /deploymentConfiguration/alarms/alarmNames/1"
    assert missing in summary["message"]
    assert "preflight" in summary["phases_seconds"]
    # Nothing changed: no revision registered, no service created.
    ecs = stacks.client("ecs")
    assert ecs.list_task_definitions(familyPrefix="users-staging")["taskDefinitionArns"] == []
    assert ecs.list_services(cluster="users-staging")["serviceArns"] == []
