"""The infra/ stacks created in order on a moto server, with boto3's CloudFormation client.

Stacks are named users-ENV-PART as in production, so each one finds the exports of the ones
before it; ENV is "staging" and the parameters those of infra/parameters/staging.json.
"""

import ast
import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from tests.cfn_templates import INFRA, load

REGION = "us-east-1"  # moto answers !GetAZs with this region's zones whatever the region
ENVIRONMENT = "staging"
PARAMETERS = json.loads((INFRA / "parameters" / f"{ENVIRONMENT}.json").read_text())["Parameters"]


@dataclass
class Deployment:
    endpoint: str
    session: boto3.Session = field(init=False)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint)

    def one(self, service: str, operation: str, key: str, **request: Any) -> Any:
        """The single item a describe call answers with, e.g. one("ecs", "describe_clusters",
        "clusters", clusters=[name])."""
        [item] = getattr(self.client(service), operation)(**request)[key]
        return item

    def ingress(self, group_id: str) -> list[tuple[int, int, str | None]]:
        """(from port, to port, source group or None) of each ingress rule of a group."""
        group = self.one("ec2", "describe_security_groups", "SecurityGroups", GroupIds=[group_id])
        return sorted(
            (rule["FromPort"], rule["ToPort"], pair["GroupId"] if pair else None)
            for rule in group["IpPermissions"]
            for pair in (rule["UserIdGroupPairs"] or [None])
        )

    def inline_policy_resources(self, role_arn: str) -> list[str]:
        """The resources of the first statement of a role's one inline policy."""
        iam = self.client("iam")
        role = role_arn.rsplit("/", 1)[-1]
        [policy] = iam.list_role_policies(RoleName=role)["PolicyNames"]
        document = iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
        # moto keeps a template's inline policy as the Python repr of the dict, not as JSON.
        resources: list[str] = ast.literal_eval(document)["Statement"][0]["Resource"]
        return resources

    def create(self, stack: str, template_body: str, **parameters: str) -> dict[str, str]:
        """Create a stack, wait for CREATE_COMPLETE, keep and return its outputs."""
        cloudformation = self.client("cloudformation")
        cloudformation.create_stack(
            StackName=stack,
            TemplateBody=template_body,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=["CAPABILITY_IAM"],
        )
        waiter = cloudformation.get_waiter("stack_create_complete")
        waiter.wait(StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
        self.outputs[stack] = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
        return self.outputs[stack]

    def create_from_infra(self, template: str, stack: str = "", **overrides: str) -> None:
        """Create users-ENV-TEMPLATE with the parameter file's values for its parameters, as
        `aws cloudformation deploy --parameter-overrides file://...` passes them."""
        body = (INFRA / f"{template}.yaml").read_text()
        declared = load(template).get("Parameters", {})
        values = {k: v for k, v in (PARAMETERS | overrides).items() if k in declared}
        self.create(stack or name(template), body, **values)

    def physical_id(self, stack: str, logical_id: str) -> str:
        cloudformation = self.client("cloudformation")
        found = cloudformation.describe_stack_resource(
            StackName=stack, LogicalResourceId=logical_id
        )
        physical_id: str = found["StackResourceDetail"]["PhysicalResourceId"]
        return physical_id

    def created_logical_ids(self, stack: str) -> set[str]:
        """Resources moto lists for the stack (it lists skipped ones with an empty id)."""
        summaries = self.client("cloudformation").list_stack_resources(StackName=stack)
        return {r["LogicalResourceId"] for r in summaries["StackResourceSummaries"]} - {""}


def name(template: str) -> str:
    return f"users-{ENVIRONMENT}-{template}"


# moto creates no Secrets Manager secret and no capacity provider from a template, and keeps
# the exports naming them without a value, which later stacks cannot import. These two stacks
# are therefore created under another name, and a stand-in stack exports their outputs under
# the production names, with secrets and a capacity provider made through moto's own APIs.
ON_MOTO = {"cluster": f"{name('cluster')}-on-moto", "database": f"{name('database')}-on-moto"}


def deploy(endpoint: str) -> Deployment:
    """Every stack in order, as in production (scaling comes after the first deploy)."""
    deployment = Deployment(endpoint)
    for template in ("network", "load-balancer"):
        deployment.create_from_infra(template)
    deployment.create_from_infra("cluster", ON_MOTO["cluster"])
    _stand_in(deployment, "cluster", _cluster_exports(deployment))
    deployment.create_from_infra("database", ON_MOTO["database"])
    _stand_in(deployment, "database", _secret_exports(deployment))
    deployment.create_from_infra("service")
    deployment.create_from_infra("deploy-identity", GitHubRepository="owner/users")
    return deployment


def _cluster_exports(deployment: Deployment) -> dict[str, str]:
    cluster = deployment.outputs[ON_MOTO["cluster"]]
    [group] = deployment.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[cluster["AutoScalingGroupName"]]
    )["AutoScalingGroups"]
    provider = deployment.client("ecs").create_capacity_provider(
        name=f"users-{ENVIRONMENT}-stand-in",
        autoScalingGroupProvider={"autoScalingGroupArn": group["AutoScalingGroupARN"]},
    )["capacityProvider"]["name"]
    kept = ("ClusterName", "InstanceSecurityGroupId")
    return {key: cluster[key] for key in kept} | {"CapacityProviderName": provider}


def _secret_exports(deployment: Deployment) -> dict[str, str]:
    secrets = deployment.client("secretsmanager")
    names = (
        "DatabaseUrlSecretArn",
        "MigrationDatabaseUrlSecretArn",
        "SecretKeySecretArn",
        "JwtPrivateKeysSecretArn",
    )
    return {n: secrets.create_secret(Name=n, SecretString="stand-in")["ARN"] for n in names}


def _stand_in(deployment: Deployment, template: str, values: dict[str, str]) -> None:
    outputs = {
        key: {"Value": value, "Export": {"Name": f"{name(template)}-{key}"}}
        for key, value in values.items()
    }
    # A stack needs one resource; moto ignores wait condition handles.
    nothing = {"Nothing": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}
    deployment.create(name(template), json.dumps({"Resources": nothing, "Outputs": outputs}))
