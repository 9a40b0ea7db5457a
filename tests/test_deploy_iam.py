"""The deploy role's policy (infra/deploy-identity.yaml) against what the code calls.

The operations come from the code paths themselves: every Stubber scenario is played and each
AWS call it makes is recorded with its parameters; a static read of scripts/ecs_deploy checks
that no boto3 call escapes the scenarios. Each recorded call needs its IAM action, plus the
dependent actions the Service Authorization Reference and the ECS guide name: ecs:TagResource
when tags are given on create, iam:PassRole for the roles in a task definition (and RunTask).
scripts/push-image's calls and docker push's (ECR's documented push actions) are listed.
"""

import ast
import fnmatch
from pathlib import Path

import pytest

from tests.cfn_templates import load
from tests.deploy_scenarios import SCENARIOS
from tests.deploy_stubs import Call, StubbedAws

ROOT = Path(__file__).resolve().parents[1]
# What `docker push` and scripts/push-image call (ECR: "Pushing a Docker image").
PUSH = {
    "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage",
    "ecr:DescribeImages",
}  # fmt: skip
# Actions that take no resource-level permission (Service Authorization Reference): only these
# may be granted on "*".
NO_RESOURCE_LEVEL = {
    "ecr:GetAuthorizationToken", "ecs:ListTaskDefinitions", "ecs:RegisterTaskDefinition",
    "ecs:DeregisterTaskDefinition", "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
}  # fmt: skip


def statements() -> list[dict]:
    [policy] = load("deploy-identity")["Resources"]["DeployRole"]["Properties"]["Policies"]
    return list(policy["PolicyDocument"]["Statement"])


def granted() -> set[str]:
    found = set()
    for statement in statements():
        actions = statement["Action"]
        found |= {actions} if isinstance(actions, str) else set(actions)
    return found


def required(call: Call) -> set[str]:
    needs = {call.action}
    if call.params.get("tags"):
        needs.add("ecs:TagResource")
    if call.action in ("ecs:RegisterTaskDefinition", "ecs:RunTask"):
        needs.add("iam:PassRole")
    return needs


@pytest.fixture(scope="module")
def recorded() -> list[Call]:
    calls = []
    for scenario in SCENARIOS.values():
        aws = StubbedAws.create()
        calls += aws.run(*scenario(aws)).calls
    return calls


def test_every_call_of_every_scenario_is_granted_by_the_deploy_role(recorded: list[Call]) -> None:
    needed = {action for call in recorded for action in required(call)}
    assert needed - granted() == set()
    assert len(needed) >= 25  # the scenarios reach every phase, not a few calls


def test_the_role_grants_nothing_the_code_and_docker_push_do_not_use(recorded: list[Call]) -> None:
    needed = {action for call in recorded for action in required(call)}
    assert granted() - needed - PUSH == set()


def test_no_boto3_call_in_the_code_escapes_the_scenarios(recorded: list[Call]) -> None:
    """Every AWS method scripts/ecs_deploy names is one the scenarios made."""
    called = {_snake(call.action.partition(":")[2]) for call in recorded}
    named = set()
    for path in (ROOT / "scripts/ecs_deploy").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr == "get_paginator" and isinstance(node.args[0], ast.Constant):
                    named.add(node.args[0].value)
                elif node.func.attr in AWS_METHODS:
                    named.add(node.func.attr)
    assert named - called == set()


def test_wildcard_resources_only_where_iam_offers_no_resource_level_permission() -> None:
    for statement in statements():
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        if statement["Resource"] == "*":
            assert set(actions) <= NO_RESOURCE_LEVEL, statement["Sid"]
        else:
            assert not set(actions) & NO_RESOURCE_LEVEL, statement["Sid"]


def test_every_resource_names_this_environment() -> None:
    for statement in statements():
        if statement["Resource"] == "*":
            continue
        text = repr(statement["Resource"])
        assert "${Environment}" in text, statement["Sid"]
        assert not fnmatch.fnmatch(text, "*:::*"), statement["Sid"]


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _methods() -> set[str]:
    import boto3

    names = set()
    for service in ("ecs", "ecr", "elbv2", "logs", "cloudformation", "cloudwatch"):
        client = boto3.client(
            service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        names |= set(client.meta.method_to_api_mapping)
    return names


AWS_METHODS = _methods()
