"""The CloudFormation templates in infra/: linted, read for what the service needs, created on moto.

moto accepting a template is not proof that CloudFormation will deploy it. moto 5.2.5:
- skips, without failing the stack, the types it does not model (MOTO_SKIPS): the Secrets
  Manager secrets, the ECS capacity provider and its cluster association, the CloudWatch
  alarms, the log metric filters, the IAM OIDC provider, the S3 bucket policy; it keeps their
  exports without a value, so the cluster and database stacks are created under another name
  and stand-ins export theirs (tests/infra_stacks.py);
- accepts but ignores: Rules, UpdatePolicy and InstanceMaintenancePolicy, ALB and target group
  attributes (access logs, deletion protection, deregistration delay), the bucket's lifecycle
  and policy, Container Insights, RDS DeletionProtection and security groups, ECR scanning;
- never resolves dynamic references, lacks GetAtt TargetGroupFullName (the template splits the
  ARN instead), misreads a dotted !GetAtt A.B.C and short tags over a mapping.
So the moto tests assert only what moto models; the structural tests read the rest. The
scaling stack needs the ECS service, which moto's test of scripts/deploy creates.
"""

import subprocess
import sys
from collections.abc import Iterator
from itertools import takewhile
from pathlib import Path
from typing import Any

import pytest

from users_service.web.security_log import Event

from services.users.tests.support.moto_server import running_moto
from tests.cfn_templates import (
    ENVIRONMENTS,
    INFRA,
    STACK_ORDER,
    exported,
    imported,
    load,
    parameters,
    properties,
    resources,
    value,
)
from tests.infra_stacks import ON_MOTO, Deployment, deploy, name
from tests.support import Record

CFN_LINT = Path(sys.executable).with_name("cfn-lint")
SECRET_OUTPUTS = (
    "DatabaseUrlSecretArn",
    "MigrationDatabaseUrlSecretArn",
    "SecretKeySecretArn",
    "JwtPrivateKeysSecretArn",
)
TEMPLATES = {stack: load(stack) for stack in STACK_ORDER}
NETWORK, LOAD_BALANCER, CLUSTER, DATABASE, SERVICE, IDENTITY, SCALING = TEMPLATES.values()
AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
ORDER = " -> ".join(STACK_ORDER)
# Resources moto 5.2.5 lists as created with an empty id: it has no model for their type.
MOTO_SKIPS = {
    name("network"): {"NatGatewayAddress2", "NatGateway2"},  # staging: one NAT (a condition)
    # no certificate (a condition), and moto has no bucket policy resource
    name("load-balancer"): {
        "HttpsIngress", "HttpsListener", "AccessLogBucketPolicy", "JwtValidatedRule",
    },
    ON_MOTO["cluster"]: {"CapacityProvider", "ClusterCapacityProviders"},
    ON_MOTO["database"]: {
        "OwnerCredentials", "AppCredentials", "DatabaseUrlSecret",
        "MigrationDatabaseUrlSecret", "SecretKeySecret", "JwtPrivateKeysSecret",
    },
    name("service"): {
        "ErrorsAlarm", "LatencyAlarm",
        "FailedLoginsFilter", "RefreshReusesFilter", "FailedLoginsAlarm", "RefreshReusesAlarm",
    },
    name("deploy-identity"): {"GitHubOidcProvider"},
}  # fmt: skip


def test_cfn_lint_reports_nothing_on_any_template() -> None:
    paths = sorted(INFRA.glob("*.yaml"))
    assert sorted(p.stem for p in paths) == sorted(STACK_ORDER)
    lint = subprocess.run(
        [str(CFN_LINT), *map(str, paths)], capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.parametrize("stack", STACK_ORDER)
def test_every_parameter_and_output_is_described_and_the_header_gives_the_order(stack: str) -> None:
    template = TEMPLATES[stack]
    entries = [*template.get("Parameters", {}).items(), *template.get("Outputs", {}).items()]
    assert [key for key, body in entries if not str(body.get("Description", "")).strip()] == []
    lines = (INFRA / f"{stack}.yaml").read_text().splitlines()
    header = list(takewhile(lambda line: line.startswith("#"), lines))
    assert 3 <= len(header) <= 6
    assert ORDER in "\n".join(header)


@pytest.mark.parametrize("stack", STACK_ORDER)
def test_every_stack_takes_the_environment_and_imports_only_earlier_stacks(stack: str) -> None:
    template = TEMPLATES[stack]
    assert template["Parameters"]["Environment"]["AllowedPattern"] == "^[a-z][a-z0-9]{1,15}$"
    assert "Default" not in template["Parameters"]["Environment"]
    for source, output in _imports(template):
        assert STACK_ORDER.index(source) < STACK_ORDER.index(stack), (source, output)
        exported(TEMPLATES[source], output)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_parameter_files_name_their_environment_and_only_declared_parameters(
    environment: str,
) -> None:
    values = parameters(environment)
    declared = {key for template in TEMPLATES.values() for key in template.get("Parameters", {})}
    assert values["Environment"] == environment
    assert set(values) <= declared
    assert all(isinstance(v, str) for v in values.values())  # as CloudFormation takes them


def test_production_requires_a_certificate_and_then_http_redirects() -> None:
    rule = LOAD_BALANCER["Rules"]["ProductionServesHttps"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "Environment"}, "production"]}
    assert rule["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "CertificateArn"}, ""]}]
    }
    assert parameters("production")["CertificateArn"] == ""  # to be filled in: the rule refuses it
    condition, with_certificate, _ = properties(LOAD_BALANCER, "HttpListener")["DefaultActions"][
        "Fn::If"
    ]
    assert condition == "HasCertificate"
    assert with_certificate[0]["RedirectConfig"] == {
        "Protocol": "HTTPS",
        "Port": "443",
        "StatusCode": "HTTP_301",
    }


def test_alb_is_deletion_protected_and_logs_to_a_private_expiring_bucket() -> None:
    attributes = _key_values(properties(LOAD_BALANCER, "LoadBalancer")["LoadBalancerAttributes"])
    assert attributes["deletion_protection.enabled"] == "true"
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.bucket"] == {"Ref": "AccessLogBucket"}
    assert int(attributes["idle_timeout.timeout_seconds"]) == 60 < 75  # gunicorn's keep-alive
    bucket = properties(LOAD_BALANCER, "AccessLogBucket")
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    [rule] = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == {"Ref": "AccessLogDays"}
    statements = properties(LOAD_BALANCER, "AccessLogBucketPolicy")["PolicyDocument"]["Statement"]
    assert [s["Effect"] for s in statements] == ["Allow", "Deny"]
    assert statements[0]["Action"] == "s3:PutObject"


def test_target_group_checks_ping_and_drains_briefly() -> None:
    group = properties(LOAD_BALANCER, "TargetGroup")
    assert (group["TargetType"], group["HealthCheckPath"], group["Matcher"]) == (
        "instance",
        "/ping",
        {"HttpCode": "200"},
    )
    assert group["HealthCheckTimeoutSeconds"] < group["HealthCheckIntervalSeconds"] <= 10
    assert (
        int(_key_values(group["TargetGroupAttributes"])["deregistration_delay.timeout_seconds"])
        <= 60
    )


def test_two_instances_in_two_zones_replaced_one_at_a_time_before_the_old_goes() -> None:
    group = CLUSTER["Resources"]["AutoScalingGroup"]
    assert group["Properties"]["VPCZoneIdentifier"] == {
        "Fn::Split": [",", imported("network", "PrivateSubnetIds")]
    }
    assert CLUSTER["Parameters"]["MinSize"]["MinValue"] == 2
    rolling = group["UpdatePolicy"]["AutoScalingRollingUpdate"]
    assert (rolling["MinInstancesInService"], rolling["MaxBatchSize"]) == ({"Ref": "MinSize"}, 1)
    assert group["Properties"]["InstanceMaintenancePolicy"] == {
        "MinHealthyPercentage": 100,
        "MaxHealthyPercentage": 200,
    }
    for environment in ENVIRONMENTS:
        assert (
            int(value(CLUSTER, "MaxSize", environment))
            > int(value(CLUSTER, "MinSize", environment))
            >= 2
        )


def test_cluster_has_container_insights_and_budgets_instance_warm_up() -> None:
    cluster = properties(CLUSTER, "Cluster")
    assert cluster["ClusterSettings"] == [{"Name": "containerInsights", "Value": "enabled"}]
    scaling = properties(CLUSTER, "CapacityProvider")["AutoScalingGroupProvider"]["ManagedScaling"]
    assert scaling["InstanceWarmupPeriod"] == {"Ref": "InstanceWarmupSeconds"}
    data = properties(CLUSTER, "LaunchTemplate")["LaunchTemplateData"]
    assert CLUSTER["Parameters"]["ImageId"]["Default"] == AMI_PARAMETER
    assert data["MetadataOptions"]["HttpTokens"] == "required"


def test_database_is_protected_and_gives_two_verified_tls_urls() -> None:
    body = DATABASE["Resources"]["Database"]
    props = body["Properties"]
    assert (body["DeletionPolicy"], props["DeletionProtection"], props["StorageEncrypted"]) == (
        "Snapshot",
        True,
        True,
    )
    assert props["PubliclyAccessible"] is False
    for secret, credentials in (
        ("DatabaseUrlSecret", "AppCredentials"),
        ("MigrationDatabaseUrlSecret", "OwnerCredentials"),
    ):
        url, variables = properties(DATABASE, secret)["SecretString"]["Fn::Sub"]
        assert url.endswith("?sslmode=verify-full&sslrootcert=${CaBundlePath}")
        assert credentials in variables["User"]["Fn::Sub"]
    assert props["MasterUsername"]["Fn::Sub"].startswith(
        "{{resolve:secretsmanager:${OwnerCredentials}:"
    )


def test_execution_role_reads_exactly_the_four_secrets_and_task_role_only_sends_mail() -> None:
    [policy] = properties(SERVICE, "ExecutionRole")["Policies"]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Resource"] == [imported("database", key) for key in SECRET_OUTPUTS]
    task_role = properties(SERVICE, "TaskRole")
    assert "ManagedPolicyArns" not in task_role
    [policy] = task_role["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "ses:SendEmail",
            "Resource": {
                "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}"
                ":identity/${MailIdentity}"
            },
        }
    ]


def test_the_service_stack_declares_neither_the_ecs_service_nor_a_task_definition() -> None:
    """One owner: scripts/deploy registers revisions and creates/updates the service."""
    for template in TEMPLATES.values():
        assert resources(template, "AWS::ECS::TaskDefinition") == {}
        assert resources(template, "AWS::ECS::Service") == {}


def test_deployment_alarms_watch_5xx_and_p99_latency_of_this_target_group() -> None:
    errors, latency = properties(SERVICE, "ErrorsAlarm"), properties(SERVICE, "LatencyAlarm")
    metrics = {m["Id"]: m for m in errors["Metrics"]}
    assert metrics["errors"]["Expression"] == "FILL(target, 0) + FILL(balancer, 0)"
    assert metrics["target"]["MetricStat"]["Metric"]["MetricName"] == "HTTPCode_Target_5XX_Count"
    assert metrics["balancer"]["MetricStat"]["Metric"]["MetricName"] == "HTTPCode_ELB_5XX_Count"
    assert (latency["MetricName"], latency["ExtendedStatistic"]) == ("TargetResponseTime", "p99")
    for alarm in (errors, latency):
        assert (
            alarm["EvaluationPeriods"],
            alarm["DatapointsToAlarm"],
            alarm["TreatMissingData"],
        ) == (3, 2, "notBreaching")


@pytest.mark.parametrize(
    ("event", "metric_filter", "alarm"),
    [
        (Event.LOGIN_FAILED, "FailedLoginsFilter", "FailedLoginsAlarm"),
        (Event.REFRESH_REUSED, "RefreshReusesFilter", "RefreshReusesAlarm"),
    ],
)
def test_security_alarms_count_the_events_the_service_logs(
    event: Event, metric_filter: str, alarm: str
) -> None:
    """Each filter matches its event's name as the service writes it, on the service's log
    group; its alarm sums the filter's metric; neither is a deployment alarm."""
    counted = properties(SERVICE, metric_filter)
    assert counted["LogGroupName"] == {"Ref": "LogGroup"}
    assert counted["FilterPattern"] == f'{{ $.event = "{event}" }}'
    [metric] = counted["MetricTransformations"]
    watched = properties(SERVICE, alarm)
    assert (watched["Namespace"], watched["MetricName"], watched["Statistic"]) == (
        metric["MetricNamespace"],
        metric["MetricName"],
        "Sum",
    )
    deployment_alarms = (INFRA / "ecs-service.json").read_text()
    assert alarm not in deployment_alarms


def test_scaling_keeps_at_least_two_tasks() -> None:
    target = properties(SCALING, "ScalableTarget")
    assert SCALING["Parameters"]["MinTaskCount"]["MinValue"] == 2
    assert target["MinCapacity"] == {"Ref": "MinTaskCount"}


def test_deploy_role_trusts_only_this_repositorys_branch_of_the_same_name() -> None:
    role = properties(IDENTITY, "DeployRole")
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    conditions = trust["Condition"]["StringEquals"]
    assert conditions["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    assert conditions["token.actions.githubusercontent.com:sub"] == {
        "Fn::Sub": "repo:${GitHubRepository}:ref:refs/heads/${Environment}"
    }


# --- created on moto ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto() -> Iterator[Deployment]:
    with running_moto() as endpoint:
        yield deploy(endpoint)


def test_moto_creates_the_network_over_two_zones(moto: Deployment) -> None:
    network = moto.outputs[name("network")]
    ec2 = moto.client("ec2")
    for kind in ("PublicSubnetIds", "PrivateSubnetIds"):
        subnets = ec2.describe_subnets(SubnetIds=network[kind].split(","))["Subnets"]
        assert {s["AvailabilityZone"] for s in subnets} == {"us-east-1a", "us-east-1b"}


def test_moto_creates_the_alb_bucket_and_target_group(moto: Deployment) -> None:
    outputs = moto.outputs[name("load-balancer")]
    group = moto.one(
        "elbv2",
        "describe_target_groups",
        "TargetGroups",
        TargetGroupArns=[outputs["TargetGroupArn"]],
    )
    assert (group["HealthCheckPath"], group["HealthyThresholdCount"]) == ("/ping", 2)
    assert outputs["TargetGroupFullName"] == outputs["TargetGroupArn"].split(":")[5]
    assert moto.client("s3").head_bucket(Bucket=outputs["AccessLogBucketName"])


def test_moto_creates_the_named_cluster_and_group_of_two(moto: Deployment) -> None:
    cluster = moto.outputs[ON_MOTO["cluster"]]
    assert cluster["ClusterName"] == "users-staging"
    assert (cluster["InstanceCpuUnits"], cluster["InstanceMemoryMiB"]) == ("2048", "2048")
    [group] = moto.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[cluster["AutoScalingGroupName"]]
    )["AutoScalingGroups"]
    assert (group["MinSize"], group["MaxSize"]) == (2, 3)


def test_moto_creates_the_service_stack_with_the_deploys_inputs(moto: Deployment) -> None:
    outputs = moto.outputs[name("service")]
    assert (outputs["Family"], outputs["ServiceName"], outputs["LogGroupName"]) == (
        "users-staging",
        "users-staging",
        "/ecs/users-staging",
    )
    assert outputs["RepositoryUri"].endswith("/users-staging")
    assert moto.inline_policy_resources(outputs["ExecutionRoleArn"]) == [
        moto.outputs[name("database")][key] for key in SECRET_OUTPUTS
    ]


def test_moto_creates_the_deploy_role(moto: Deployment) -> None:
    role = moto.client("iam").get_role(RoleName="users-staging-deploy")["Role"]
    assert role["MaxSessionDuration"] == 3600


def test_moto_skips_these_resources_silently(moto: Deployment, record: Record) -> None:
    created = {stack: moto.created_logical_ids(stack) for stack in MOTO_SKIPS}
    templates = {
        stack: TEMPLATES[stack.removeprefix("users-staging-").removesuffix("-on-moto")]
        for stack in MOTO_SKIPS
    }
    skipped = {stack: set(templates[stack]["Resources"]) - created[stack] for stack in MOTO_SKIPS}
    assert skipped == MOTO_SKIPS
    record("moto skipped: " + "; ".join(f"{s}: {sorted(ids)}" for s, ids in skipped.items() if ids))


def _imports(node: Any) -> list[tuple[str, str]]:
    """(source template, output) of every Fn::ImportValue in a template."""
    if isinstance(node, list):
        return [found for item in node for found in _imports(item)]
    if not isinstance(node, dict):
        return []
    if "Fn::ImportValue" in node:
        export = node["Fn::ImportValue"]["Fn::Sub"].removeprefix("users-${Environment}-")
        source = next(
            s for s in sorted(STACK_ORDER, key=len, reverse=True) if export.startswith(f"{s}-")
        )
        return [(source, export.removeprefix(f"{source}-"))]
    return [found for value in node.values() for found in _imports(value)]


def _key_values(pairs: list[dict[str, str]]) -> dict[str, str]:
    return {pair["Key"]: pair["Value"] for pair in pairs}
