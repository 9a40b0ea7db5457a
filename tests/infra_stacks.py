"""The infra/ stacks created in order on a moto server, with boto3's CloudFormation client.

Stacks take the default names that the templates' *StackName parameters expect
(users-network, users-load-balancer, ...), so each one finds the exports of the ones before.
"""

import ast
import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from tests.cfn_templates import INFRA

REGION = "us-east-1"  # moto answers !GetAZs with this region's zones whatever the region
IMAGE = f"123456789012.dkr.ecr.{REGION}.amazonaws.com/users-service@sha256:{'0' * 64}"
# The service stack's parameters naming the stacks that stand in for exports moto never made.
STAND_INS = {
    "DatabaseStackName": "users-database-stand-in",
    "ClusterStackName": "users-cluster-stand-in",
}


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

    def create_from_infra(self, template: str, stack: str = "", **parameters: str) -> None:
        body = (INFRA / f"{template}.yaml").read_text()
        self.create(stack or f"users-{template}", body, **parameters)

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


def deploy(endpoint: str) -> Deployment:
    """network -> load-balancer -> cluster -> database -> service, as in production."""
    deployment = Deployment(endpoint)
    for template in ("network", "load-balancer", "cluster", "database"):
        deployment.create_from_infra(template)
    _stand_in_for_skipped_exports(deployment)
    deployment.create_from_infra("service", ImageUri=IMAGE, **STAND_INS)
    return deployment


def _stand_in_for_skipped_exports(deployment: Deployment) -> None:
    """Exports the service imports but moto never made, from stacks of outputs only.

    moto creates no AWS::SecretsManager::Secret and no AWS::ECS::CapacityProvider from a
    template, so users-database exports no secret ARN and users-cluster no capacity
    provider, and the service stack could not be created. These stand-in stacks export the
    same names with secrets and a capacity provider created through moto's own APIs.
    """
    secrets = deployment.client("secretsmanager")
    arns = {
        output: secrets.create_secret(Name=f"users-{output}", SecretString="stand-in")["ARN"]
        for output in ("DatabaseUrlSecretArn", "SecretKeySecretArn")
    }
    cluster = deployment.outputs["users-cluster"]
    [group] = deployment.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[cluster["AutoScalingGroupName"]]
    )["AutoScalingGroups"]
    provider = deployment.client("ecs").create_capacity_provider(
        name="users-stand-in",
        autoScalingGroupProvider={"autoScalingGroupArn": group["AutoScalingGroupARN"]},
    )["capacityProvider"]["name"]
    _create_exports(deployment, STAND_INS["DatabaseStackName"], arns)
    cluster_exports = {"ClusterName": cluster["ClusterName"], "CapacityProviderName": provider}
    _create_exports(deployment, STAND_INS["ClusterStackName"], cluster_exports)


def _create_exports(deployment: Deployment, stack: str, values: dict[str, str]) -> None:
    outputs = {
        name: {"Value": value, "Export": {"Name": f"{stack}-{name}"}}
        for name, value in values.items()
    }
    # A stack needs one resource; moto ignores wait condition handles.
    nothing = {"Nothing": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}
    deployment.create(stack, json.dumps({"Resources": nothing, "Outputs": outputs}))
