"""The CloudFormation templates in infra/: linted, read for what the service needs, created on moto.

moto accepting a template is not proof that CloudFormation will deploy it. moto 5.2.5:
- skips, without failing the stack, the types it does not model: the Secrets Manager secrets,
  the ECS capacity provider and its cluster association, the Application Auto Scaling target
  and policy (MOTO_SKIPS); outputs and exports naming them vanish, so the service stack
  imports stand-ins (tests/infra_stacks.py);
- accepts but ignores: ALB and target group attributes (deregistration delay stays 300 s),
  ECR scan-on-push and lifecycle policy, the task definition's roles, the ECS service's load
  balancer, capacity provider strategy and deployment configuration (desired count 0, not 1),
  the RDS instance's security groups (it gets the VPC's default group, port 3306);
- never resolves dynamic references: the database's master user name stays the literal
  "{{resolve:secretsmanager:...}}";
- misreads a dotted !GetAtt A.B.C and short tags over a mapping (!ImportValue over Fn::Sub),
  and fails on AWS::NoValue in an ingress list: the templates use long forms and a separate
  ingress resource instead.
So the moto tests assert only what moto models; the structural tests read the rest.
"""

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from itertools import takewhile
from pathlib import Path
from typing import Any

import pytest
from ecs_deploy.render import render

from tests.cfn_templates import (
    INFRA,
    STACK_ORDER,
    default,
    exported,
    imported,
    load,
    properties,
    resources,
)
from tests.conftest import Record
from tests.infra_stacks import IMAGE, REGION, STAND_INS, Deployment, deploy

from s3_server import running_moto

CFN_LINT = Path(sys.executable).with_name("cfn-lint")
TASK_DEFINITION_JSON = INFRA.parent / "ecs_taskdefinition.json"
TEMPLATES = {name: load(name) for name in STACK_ORDER}
NETWORK, LOAD_BALANCER, CLUSTER, DATABASE, SERVICE = TEMPLATES.values()
AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"

# Resources moto 5.2.5 lists as created with an empty id: it has no model for their type.
MOTO_SKIPS = {
    "users-network": set(),
    "users-load-balancer": set(),
    "users-cluster": {"CapacityProvider", "ClusterCapacityProviders"},
    "users-database": {"DatabaseCredentials", "DatabaseUrlSecret", "SecretKeySecret"},
    "users-service": {"ScalableTarget", "CpuScalingPolicy"},
}
# Conditions false in the moto run (no certificate given): their resources are not expected.
FALSE_CONDITIONS = {"HasCertificate"}


# --- cfn-lint ---------------------------------------------------------------------------------


def test_cfn_lint_reports_nothing_on_any_template() -> None:
    paths = sorted(INFRA.glob("*.yaml"))
    assert sorted(p.stem for p in paths) == sorted(STACK_ORDER)
    lint = subprocess.run(
        [str(CFN_LINT), *map(str, paths)], capture_output=True, text=True, check=False
    )
    print(f"cfn-lint exit {lint.returncode}\n{lint.stdout}{lint.stderr}")
    assert lint.returncode == 0, lint.stdout + lint.stderr


# --- every template -------------------------------------------------------------------------


@pytest.mark.parametrize("name", STACK_ORDER)
def test_every_parameter_and_output_is_described(name: str) -> None:
    template = TEMPLATES[name]
    entries = [*template.get("Parameters", {}).items(), *template.get("Outputs", {}).items()]
    assert [key for key, body in entries if not str(body.get("Description", "")).strip()] == []


@pytest.mark.parametrize("name", STACK_ORDER)
def test_header_says_what_and_the_order_of_stacks(name: str) -> None:
    lines = (INFRA / f"{name}.yaml").read_text().splitlines()
    header = list(takewhile(lambda line: line.startswith("#"), lines))
    assert 3 <= len(header) <= 6
    assert "network -> load-balancer -> cluster -> database -> service" in "\n".join(header)


@pytest.mark.parametrize("name", STACK_ORDER)
def test_imports_name_exports_of_earlier_stacks(name: str) -> None:
    template = TEMPLATES[name]
    for stack_parameter, output in _imports(template):
        source = template["Parameters"][stack_parameter]["Default"].removeprefix("users-")
        assert STACK_ORDER.index(source) < STACK_ORDER.index(name), (stack_parameter, output)
        exported(TEMPLATES[source], output)


# --- network --------------------------------------------------------------------------------


def test_subnets_span_two_zones_and_private_ones_are_exported_together() -> None:
    zones = {
        name: body["Properties"]["AvailabilityZone"]
        for name, body in resources(NETWORK, "AWS::EC2::Subnet").items()
    }
    for kind in ("Public", "Private"):
        assert zones[f"{kind}Subnet1"] == {"Fn::Select": [0, {"Fn::GetAZs": ""}]}
        assert zones[f"{kind}Subnet2"] == {"Fn::Select": [1, {"Fn::GetAZs": ""}]}
    both = [{"Ref": "PrivateSubnet1"}, {"Ref": "PrivateSubnet2"}]
    assert exported(NETWORK, "PrivateSubnetIds")["Value"] == {"Fn::Join": [",", both]}


# --- load balancer ------------------------------------------------------------------------------


def test_target_group_checks_ping_and_drains_briefly() -> None:
    group = properties(LOAD_BALANCER, "TargetGroup")
    assert (group["TargetType"], group["Protocol"], group["Port"]) == ("instance", "HTTP", 5000)
    assert group["HealthCheckPath"] == "/ping"
    assert group["Matcher"] == {"HttpCode": "200"}
    assert group["HealthyThresholdCount"] <= 3
    assert group["HealthCheckIntervalSeconds"] <= 10
    assert group["HealthCheckTimeoutSeconds"] < group["HealthCheckIntervalSeconds"]
    attributes = _key_values(group["TargetGroupAttributes"])
    assert int(attributes["deregistration_delay.timeout_seconds"]) <= 60


def test_alb_closes_idle_connections_before_gunicorn_does() -> None:
    attributes = _key_values(properties(LOAD_BALANCER, "LoadBalancer")["LoadBalancerAttributes"])
    keepalive_seconds = 75  # KEEPALIVE_SECONDS, the service's default
    assert int(attributes["idle_timeout.timeout_seconds"]) == 60 < keepalive_seconds


def test_https_exists_only_with_a_certificate_and_then_http_redirects() -> None:
    template = LOAD_BALANCER["Resources"]
    assert template["HttpsListener"]["Condition"] == "HasCertificate"
    assert template["HttpsIngress"]["Condition"] == "HasCertificate"
    assert template["HttpsIngress"]["Properties"]["FromPort"] == 443
    assert _ingress(LOAD_BALANCER, "LoadBalancerSecurityGroup") == [
        _tcp(80, 80, CidrIp="0.0.0.0/0")
    ]
    actions = properties(LOAD_BALANCER, "HttpListener")["DefaultActions"]
    condition, with_certificate, without = actions["Fn::If"]
    assert condition == "HasCertificate"
    assert with_certificate[0]["RedirectConfig"]["Protocol"] == "HTTPS"
    assert without == [{"Type": "forward", "TargetGroupArn": {"Ref": "TargetGroup"}}]


# --- cluster --------------------------------------------------------------------------------


def test_instances_accept_ephemeral_ports_from_the_alb_only() -> None:
    assert list(resources(CLUSTER, "AWS::EC2::SecurityGroup")) == ["InstanceSecurityGroup"]
    assert resources(CLUSTER, "AWS::EC2::SecurityGroupIngress") == {}
    alb_group = imported("LoadBalancerStackName", "LoadBalancerSecurityGroupId")
    assert _ingress(CLUSTER, "InstanceSecurityGroup") == [
        _tcp(32768, 65535, SourceSecurityGroupId=alb_group)
    ]
    exported_group = exported(LOAD_BALANCER, "LoadBalancerSecurityGroupId")["Value"]
    assert exported_group == {"Ref": "LoadBalancerSecurityGroup"}


def test_launch_template_takes_the_ami_from_ssm_and_joins_the_cluster() -> None:
    data = properties(CLUSTER, "LaunchTemplate")["LaunchTemplateData"]
    assert data["ImageId"] == {"Ref": "ImageId"}
    parameter = CLUSTER["Parameters"]["ImageId"]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert parameter["Default"] == AMI_PARAMETER
    user_data = data["UserData"]["Fn::Base64"]["Fn::Sub"]
    assert "echo ECS_CLUSTER=${Cluster} >> /etc/ecs/ecs.config" in user_data
    assert data["MetadataOptions"]["HttpTokens"] == "required"


def test_instances_spread_over_both_private_subnets_with_managed_scaling() -> None:
    group = properties(CLUSTER, "AutoScalingGroup")
    private = imported("NetworkStackName", "PrivateSubnetIds")
    assert group["VPCZoneIdentifier"] == {"Fn::Split": [",", private]}
    assert group["HealthCheckType"] == "EC2"
    provider = properties(CLUSTER, "CapacityProvider")["AutoScalingGroupProvider"]
    assert provider["AutoScalingGroupArn"] == {"Ref": "AutoScalingGroup"}
    assert provider["ManagedScaling"]["Status"] == "ENABLED"
    association = properties(CLUSTER, "ClusterCapacityProviders")
    assert association["CapacityProviders"] == [{"Ref": "CapacityProvider"}]
    assert exported(CLUSTER, "InstanceSecurityGroupId")["Value"] == {"Ref": "InstanceSecurityGroup"}


# --- database -------------------------------------------------------------------------------


def test_database_accepts_postgres_from_the_instances_only() -> None:
    assert list(resources(DATABASE, "AWS::EC2::SecurityGroup")) == ["DatabaseSecurityGroup"]
    assert resources(DATABASE, "AWS::EC2::SecurityGroupIngress") == {}
    instances = imported("ClusterStackName", "InstanceSecurityGroupId")
    assert _ingress(DATABASE, "DatabaseSecurityGroup") == [
        _tcp(5432, 5432, SourceSecurityGroupId=instances)
    ]


def test_database_is_private_encrypted_postgres_15_kept_on_delete() -> None:
    body = DATABASE["Resources"]["Database"]
    assert (body["DeletionPolicy"], body["UpdateReplacePolicy"]) == ("Snapshot", "Snapshot")
    props = body["Properties"]
    assert (props["Engine"], props["EngineVersion"]) == ("postgres", "15")
    assert props["PubliclyAccessible"] is False
    assert props["StorageEncrypted"] is True
    password = props["MasterUserPassword"]["Fn::Sub"]
    assert password.startswith("{{resolve:secretsmanager:${DatabaseCredentials}:")
    subnets = properties(DATABASE, "DatabaseSubnetGroup")["SubnetIds"]
    assert subnets == {"Fn::Split": [",", imported("NetworkStackName", "PrivateSubnetIds")]}


def test_secrets_hold_the_whole_database_url_and_a_generated_secret_key() -> None:
    url, variables = properties(DATABASE, "DatabaseUrlSecret")["SecretString"]["Fn::Sub"]
    assert url == "postgresql://${User}:${Password}@${Host}:${Port}/${DatabaseName}"
    for name, key in (("User", "username"), ("Password", "password")):
        reference = f"{{{{resolve:secretsmanager:${{DatabaseCredentials}}:SecretString:{key}}}}}"
        assert variables[name] == {"Fn::Sub": reference}
    credentials = properties(DATABASE, "DatabaseCredentials")["GenerateSecretString"]
    assert credentials["ExcludePunctuation"] is True  # the password goes into a URL unescaped
    secret_key = properties(DATABASE, "SecretKeySecret")["GenerateSecretString"]
    assert (secret_key["PasswordLength"], secret_key["ExcludePunctuation"]) == (64, True)


# --- service --------------------------------------------------------------------------------


def test_service_replaces_tasks_safely_behind_the_target_group() -> None:
    service = properties(SERVICE, "Service")
    assert service["DeploymentConfiguration"] == {
        "MinimumHealthyPercent": 100,
        "MaximumPercent": 200,
        "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
    }
    assert service["HealthCheckGracePeriodSeconds"] > 0
    target_group = imported("LoadBalancerStackName", "TargetGroupArn")
    assert service["LoadBalancers"] == [
        {"ContainerName": "users", "ContainerPort": 5000, "TargetGroupArn": target_group}
    ]
    spreads = [(s["Type"], s["Field"]) for s in service["PlacementStrategies"]]
    assert spreads[0] == ("spread", "attribute:ecs.availability-zone")


def test_service_scales_between_one_and_two_tasks() -> None:
    target = properties(SERVICE, "ScalableTarget")
    assert default(SERVICE, target["MinCapacity"]) == 1
    assert default(SERVICE, target["MaxCapacity"]) == 2
    policy = properties(SERVICE, "CpuScalingPolicy")
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert policy["ScalingTargetId"] == {"Ref": "ScalableTarget"}


def test_task_definition_is_the_container_of_ecs_taskdefinition_json() -> None:
    task = properties(SERVICE, "TaskDefinition")
    reference = json.loads(TASK_DEFINITION_JSON.read_text())
    expected = reference["containerDefinitions"][0]
    container = task["ContainerDefinitions"][0]
    assert (task["NetworkMode"], task["Family"]) == (reference["networkMode"], reference["family"])
    assert container["PortMappings"] == [{"ContainerPort": 5000, "HostPort": 0, "Protocol": "tcp"}]
    assert container["PortMappings"] == [_pascal(m) for m in expected["portMappings"]]
    assert container["HealthCheck"] == _pascal(expected["healthCheck"])
    assert container["Environment"] == [_pascal(v) for v in expected["environment"]]
    assert container["StopTimeout"] == expected["stopTimeout"] > 20  # gunicorn drains in 20 s
    for key in ("Cpu", "Memory", "MemoryReservation", "ReadonlyRootFilesystem"):
        assert container[key] == expected[key[0].lower() + key[1:]], key
    secret_names = [s["Name"] for s in container["Secrets"]]
    assert secret_names == ["DATABASE_URL", "SECRET_KEY"]
    assert not {e["Name"] for e in container["Environment"]} & set(secret_names)


def test_execution_role_reads_exactly_the_two_secrets_and_task_role_nothing() -> None:
    [policy] = properties(SERVICE, "ExecutionRole")["Policies"]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "secretsmanager:GetSecretValue"
    assert statement["Resource"] == [
        imported("DatabaseStackName", "DatabaseUrlSecretArn"),
        imported("DatabaseStackName", "SecretKeySecretArn"),
    ]
    assert exported(DATABASE, "DatabaseUrlSecretArn")["Value"] == {"Ref": "DatabaseUrlSecret"}
    task_role = properties(SERVICE, "TaskRole")
    assert "Policies" not in task_role
    assert "ManagedPolicyArns" not in task_role


# --- created on moto ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with running_moto(tmp_path_factory.mktemp("moto") / "moto_server.log") as endpoint:
        yield deploy(endpoint)


def test_moto_creates_the_vpc_subnets_and_nat(moto: Deployment) -> None:
    network = moto.outputs["users-network"]
    ec2 = moto.client("ec2")
    assert ec2.describe_vpcs(VpcIds=[network["VpcId"]])["Vpcs"][0]["CidrBlock"] == "10.0.0.0/16"
    for kind in ("PublicSubnetIds", "PrivateSubnetIds"):
        subnets = ec2.describe_subnets(SubnetIds=network[kind].split(","))["Subnets"]
        assert {s["AvailabilityZone"] for s in subnets} == {"us-east-1a", "us-east-1b"}
    [nat] = ec2.describe_nat_gateways()["NatGateways"]
    assert nat["SubnetId"] in network["PublicSubnetIds"].split(",")


def test_moto_creates_the_alb_and_target_group_checking_ping(moto: Deployment) -> None:
    arn = moto.outputs["users-load-balancer"]["TargetGroupArn"]
    group = moto.one("elbv2", "describe_target_groups", "TargetGroups", TargetGroupArns=[arn])
    assert group["HealthCheckPath"] == "/ping"
    assert (group["Port"], group["TargetType"]) == (5000, "instance")
    assert (group["HealthyThresholdCount"], group["HealthCheckIntervalSeconds"]) == (2, 10)
    [balancer_arn] = group["LoadBalancerArns"]
    balancer = moto.one(
        "elbv2", "describe_load_balancers", "LoadBalancers", LoadBalancerArns=[balancer_arn]
    )
    assert balancer["Scheme"] == "internet-facing"
    public = set(moto.outputs["users-network"]["PublicSubnetIds"].split(","))
    assert {zone["SubnetId"] for zone in balancer["AvailabilityZones"]} == public
    listener = moto.one("elbv2", "describe_listeners", "Listeners", LoadBalancerArn=balancer_arn)
    assert (listener["Port"], listener["DefaultActions"][0]["Type"]) == (80, "forward")


def test_moto_alb_with_a_certificate_serves_https_and_redirects_http(moto: Deployment) -> None:
    certificate = moto.client("acm").request_certificate(DomainName="users.example.com")
    moto.create_from_infra(
        "load-balancer", "users-load-balancer-tls", CertificateArn=certificate["CertificateArn"]
    )
    outputs = moto.outputs["users-load-balancer-tls"]
    elb = moto.client("elbv2")
    group_arn = outputs["TargetGroupArn"]
    [group] = elb.describe_target_groups(TargetGroupArns=[group_arn])["TargetGroups"]
    listeners = elb.describe_listeners(LoadBalancerArn=group["LoadBalancerArns"][0])["Listeners"]
    actions = {item["Port"]: item["DefaultActions"][0] for item in listeners}
    assert actions[80]["RedirectConfig"]["Protocol"] == "HTTPS"
    assert actions[443]["TargetGroupArn"] == group_arn
    assert moto.ingress(outputs["LoadBalancerSecurityGroupId"]) == [
        (80, 80, None),
        (443, 443, None),
    ]


def test_moto_creates_the_cluster_and_instances_from_the_ssm_ami(moto: Deployment) -> None:
    cluster = moto.outputs["users-cluster"]
    described = moto.one("ecs", "describe_clusters", "clusters", clusters=[cluster["ClusterName"]])
    assert described["status"] == "ACTIVE"
    autoscaling = moto.client("autoscaling")
    names = [cluster["AutoScalingGroupName"]]
    [group] = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=names)[
        "AutoScalingGroups"
    ]
    private = moto.outputs["users-network"]["PrivateSubnetIds"]
    assert set(group["VPCZoneIdentifier"].split(",")) == set(private.split(","))
    assert group["HealthCheckType"] == "EC2"
    template_id = group["LaunchTemplate"]["LaunchTemplateId"]
    versions = moto.client("ec2").describe_launch_template_versions(LaunchTemplateId=template_id)
    data = versions["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    ami = moto.client("ssm").get_parameter(Name=AMI_PARAMETER)["Parameter"]["Value"]
    assert data["ImageId"] == ami
    user_data = base64.b64decode(data["UserData"]).decode()
    assert f"echo ECS_CLUSTER={cluster['ClusterName']} >> /etc/ecs/ecs.config" in user_data
    alb_group = moto.outputs["users-load-balancer"]["LoadBalancerSecurityGroupId"]
    assert moto.ingress(cluster["InstanceSecurityGroupId"]) == [(32768, 65535, alb_group)]


def test_moto_creates_the_private_encrypted_database(moto: Deployment) -> None:
    database = moto.one("rds", "describe_db_instances", "DBInstances")
    assert (database["Engine"], database["EngineVersion"]) == ("postgres", "15")
    assert database["PubliclyAccessible"] is False
    assert database["StorageEncrypted"] is True
    subnets = {s["SubnetIdentifier"] for s in database["DBSubnetGroup"]["Subnets"]}
    assert subnets == set(moto.outputs["users-network"]["PrivateSubnetIds"].split(","))
    # moto's DBInstance reads VpcSecurityGroupIds, not VPCSecurityGroups, and so puts the
    # instance in the VPC's default group: the template's group is checked by its own id.
    group = moto.physical_id("users-database", "DatabaseSecurityGroup")
    instances = moto.outputs["users-cluster"]["InstanceSecurityGroupId"]
    assert moto.ingress(group) == [(5432, 5432, instances)]


def test_moto_creates_the_repository_logs_roles_task_definition_and_service(
    moto: Deployment,
) -> None:
    service = moto.outputs["users-service"]
    repository = moto.one(
        "ecr", "describe_repositories", "repositories", repositoryNames=["users-service"]
    )
    assert repository["repositoryUri"] == service["RepositoryUri"]
    prefix = service["LogGroupName"]
    group = moto.one("logs", "describe_log_groups", "logGroups", logGroupNamePrefix=prefix)
    assert group["retentionInDays"] == 30
    ecs = moto.client("ecs")
    task = ecs.describe_task_definition(taskDefinition="users-service")["taskDefinition"]
    secrets = moto.outputs["users-database-stand-in"]
    values = {
        "IMAGE": IMAGE,
        "LOG_GROUP": service["LogGroupName"],
        "REGION": REGION,
        "EXECUTION_ROLE_ARN": service["ExecutionRoleArn"],
        "TASK_ROLE_ARN": service["TaskRoleArn"],
        "DATABASE_URL_SECRET_ARN": secrets["DatabaseUrlSecretArn"],
        "SECRET_KEY_SECRET_ARN": secrets["SecretKeySecretArn"],
    }
    # Rendered as scripts/deploy renders it.
    reference = render(json.loads(TASK_DEFINITION_JSON.read_text()), values)
    assert (task["family"], task["networkMode"]) == (reference["family"], reference["networkMode"])
    # The container that service.yaml registers is the one the JSON template describes,
    # field for field (moto adds empty mountPoints and volumesFrom).
    [container] = task["containerDefinitions"]
    assert {k: v for k, v in container.items() if v != []} == reference["containerDefinitions"][0]
    cluster = moto.outputs["users-cluster"]["ClusterName"]
    [described] = ecs.describe_services(cluster=cluster, services=[service["ServiceName"]])[
        "services"
    ]
    assert described["taskDefinition"] == task["taskDefinitionArn"]
    assert moto.inline_policy_resources(service["ExecutionRoleArn"]) == [
        secrets["DatabaseUrlSecretArn"],
        secrets["SecretKeySecretArn"],
    ]


def test_moto_service_stack_without_an_image_makes_the_repository_logs_and_roles_only(
    moto: Deployment,
) -> None:
    # The first creation: the repository must exist before an image can be pushed to it.
    stack = "users-service-first"
    moto.create_from_infra("service", stack, RepositoryName="users-first", **STAND_INS)
    assert moto.created_logical_ids(stack) == {
        "Repository",
        "LogGroup",
        "ExecutionRole",
        "TaskRole",
    }
    assert "ServiceName" not in moto.outputs[stack]


def test_moto_skips_these_resources_silently(moto: Deployment, record: Record) -> None:
    skipped = {}
    for name in STACK_ORDER:
        stack = f"users-{name}"
        expected = {
            logical_id
            for logical_id, body in TEMPLATES[name]["Resources"].items()
            if body.get("Condition") not in FALSE_CONDITIONS
        }
        skipped[stack] = expected - moto.created_logical_ids(stack)
    assert skipped == MOTO_SKIPS
    # No secret came from database.yaml: the only ones are the test's stand-ins.
    names = {s["Name"] for s in moto.client("secretsmanager").list_secrets()["SecretList"]}
    assert names == {"users-DatabaseUrlSecretArn", "users-SecretKeySecretArn"}
    record("moto skipped: " + "; ".join(f"{s}: {sorted(ids)}" for s, ids in skipped.items() if ids))


# --- helpers --------------------------------------------------------------------------------


def _imports(node: Any) -> list[tuple[str, str]]:
    """(stack parameter, output) of every Fn::ImportValue in a template."""
    if isinstance(node, list):
        return [found for item in node for found in _imports(item)]
    if not isinstance(node, dict):
        return []
    if "Fn::ImportValue" in node:
        stack_parameter, output = node["Fn::ImportValue"]["Fn::Sub"].split("-", 1)
        return [(stack_parameter.strip("${}"), output)]
    return [found for value in node.values() for found in _imports(value)]


def _tcp(first: int, last: int, **source: Any) -> dict[str, Any]:
    return {"IpProtocol": "tcp", "FromPort": first, "ToPort": last, **source}


def _key_values(pairs: list[dict[str, str]]) -> dict[str, str]:
    return {pair["Key"]: pair["Value"] for pair in pairs}


def _ingress(template: dict[str, Any], group: str) -> list[dict[str, Any]]:
    """A security group's inline ingress rules, descriptions left out."""
    rules = properties(template, group)["SecurityGroupIngress"]
    return [{k: v for k, v in rule.items() if k != "Description"} for rule in rules]


def _pascal(mapping: dict[str, Any]) -> dict[str, Any]:
    """ECS API keys (containerPort) as CloudFormation spells them (ContainerPort)."""
    return {key[0].upper() + key[1:]: value for key, value in mapping.items()}
