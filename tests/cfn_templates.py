"""The CloudFormation templates of infra/, parsed as cfn-lint parses them, and small queries.

cfn-lint's loader turns the short forms (!Ref, !Sub, ...) into their long forms, so a template
reads as plain dicts: {"Ref": "X"}, {"Fn::ImportValue": {"Fn::Sub": "..."}}.
"""

import json
from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

INFRA = Path(__file__).resolve().parents[1] / "infra"
# The order the stacks are created in: each imports the exports of the ones before it.
STACK_ORDER = (
    "network",
    "load-balancer",
    "cluster",
    "database",
    "service",
    "deploy-identity",
    "scaling",
)
ENVIRONMENTS = ("staging", "production")

Template = dict[str, Any]


def load(name: str) -> Template:
    path = INFRA / f"{name}.yaml"
    template: Template = cfn_yaml.loads(path.read_text(), str(path))
    return template


def resources(template: Template, resource_type: str) -> dict[str, Any]:
    """The template's resources of one type, by logical id."""
    items = template["Resources"].items()
    return {name: body for name, body in items if body["Type"] == resource_type}


def properties(template: Template, logical_id: str) -> dict[str, Any]:
    props: dict[str, Any] = template["Resources"][logical_id]["Properties"]
    return props


def default(template: Template, value: Any) -> Any:
    """A value, or the default of the parameter it refers to."""
    if isinstance(value, dict) and value.get("Ref") in template.get("Parameters", {}):
        return template["Parameters"][value["Ref"]]["Default"]
    return value


def imported(stack: str, output: str) -> dict[str, Any]:
    """How a template imports `output` of the environment's stack made from template `stack`."""
    return {"Fn::ImportValue": {"Fn::Sub": f"users-${{Environment}}-{stack}-{output}"}}


def parameters(environment: str) -> dict[str, str]:
    """An environment's parameter file (CodePipeline's format, as `cloudformation deploy` reads)."""
    path = INFRA / "parameters" / f"{environment}.json"
    values: dict[str, str] = json.loads(path.read_text())["Parameters"]
    return values


def value(template: Template, name: str, environment: str) -> Any:
    """A parameter's value in an environment: its file's, else the template's default."""
    return parameters(environment).get(name, template["Parameters"][name].get("Default"))


def exported(template: Template, output: str) -> dict[str, Any]:
    """The export of one output, checked to be named the way `imported` expects."""
    body: dict[str, Any] = template["Outputs"][output]
    assert body["Export"]["Name"] == {"Fn::Sub": f"${{AWS::StackName}}-{output}"}
    return body
