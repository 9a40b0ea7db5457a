"""The optional ALB rule that lets only requests with our valid tokens through to another
service: its CloudFormation shape against ELBv2's API model, and what it agrees with in the
service. Only AWS can show that the ALB accepts our key set and tokens (docs/testing.md)."""

import re
from typing import Any

import botocore.session
from botocore.model import StructureShape
from botocore.validate import ParamValidator

from users_service.auth import rsa_keys
from users_service.auth.well_known import bp as well_known
from users_service.config import Settings

from tests.cfn_templates import imported, load, properties

LOAD_BALANCER, SERVICE = load("load-balancer"), load("service")
RULE = LOAD_BALANCER["Resources"]["JwtValidatedRule"]
# Values of the right form for the parameters and resources the rule refers to.
SAMPLES = {
    "JwtIssuer": "https://users.example.com",
    "JwtValidatedPathPattern": "/orders/*",
    "JwtValidatedRulePriority": 10,
    "JwtValidatedTargetGroupArn": (
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders/0123456789abcdef"
    ),
    "HttpsListener": (
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/users/0123/4567"
    ),
}
SUBSTITUTION = re.compile(r"\$\{([^}]+)\}")


def resolved(node: Any) -> Any:
    """The template's value with Ref and Sub filled from SAMPLES, as CloudFormation would."""
    if isinstance(node, dict) and set(node) == {"Ref"}:
        return SAMPLES[node["Ref"]]
    if isinstance(node, dict) and set(node) == {"Fn::Sub"}:
        return SUBSTITUTION.sub(lambda match: str(SAMPLES[match[1]]), node["Fn::Sub"])
    if isinstance(node, dict):
        return {key: resolved(value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolved(item) for item in node]
    return node


def create_rule_shape() -> StructureShape:
    elbv2 = botocore.session.get_session().get_service_model("elbv2")
    shape = elbv2.operation_model("CreateRule").input_shape
    assert isinstance(shape, StructureShape)
    return shape


def test_the_rule_is_a_valid_create_rule_request() -> None:
    props = resolved(properties(LOAD_BALANCER, "JwtValidatedRule"))
    request = {key: props[key] for key in ("ListenerArn", "Priority", "Conditions", "Actions")}
    report = ParamValidator().validate(request, create_rule_shape())
    assert not report.has_errors(), report.generate_report()


def test_the_rule_validates_then_forwards_to_the_other_service() -> None:
    validate, forward = resolved(properties(LOAD_BALANCER, "JwtValidatedRule"))["Actions"]
    assert (validate["Type"], validate["Order"]) == ("jwt-validation", 1)
    assert (forward["Type"], forward["Order"]) == ("forward", 2)
    assert forward["TargetGroupArn"] == SAMPLES["JwtValidatedTargetGroupArn"]
    config = validate["JwtValidationConfig"]
    assert config["Issuer"] == SAMPLES["JwtIssuer"]
    assert config["JwksEndpoint"] == f"{SAMPLES['JwtIssuer']}{well_known.url_prefix}/jwks.json"
    assert config["AdditionalClaims"] == [
        {"Name": "typ", "Format": "single-string", "Values": ["access"]}
    ]


def test_the_rule_exists_only_when_enabled_on_https() -> None:
    assert RULE["Condition"] == "ValidatesJwt"
    assert properties(LOAD_BALANCER, "JwtValidatedRule")["ListenerArn"] == {"Ref": "HttpsListener"}
    enabled = LOAD_BALANCER["Conditions"]["ValidatesJwt"]["Fn::And"]
    assert {"Condition": "HasCertificate"} in enabled
    assert LOAD_BALANCER["Parameters"]["JwtValidatedPathPattern"]["Default"] == ""
    assertions = LOAD_BALANCER["Rules"]["JwtValidationNeedsHttpsIssuerAndTarget"]["Assertions"]
    refused = [a["Assert"]["Fn::Not"][0]["Fn::Equals"] for a in assertions]
    assert refused == [
        [{"Ref": "CertificateArn"}, ""],
        [{"Ref": "JwtIssuer"}, "users-service"],
        [{"Ref": "JwtValidatedTargetGroupArn"}, ""],
    ]


def test_the_issuer_is_the_services_and_reaches_its_task_definition() -> None:
    """One source for JWT_ISSUER: the load-balancer stack's parameter, whose default is the
    service's own default; the service stack passes it on to the task definition."""
    parameter = LOAD_BALANCER["Parameters"]["JwtIssuer"]
    assert parameter["Default"] == Settings.model_fields["jwt_issuer"].default
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.fullmatch(SAMPLES["JwtIssuer"])
    assert not pattern.fullmatch("http://users.example.com")
    assert not pattern.fullmatch("https://users.example.com/")  # the JWKS URL appends a path
    assert SERVICE["Outputs"]["JwtIssuer"]["Value"] == imported("load-balancer", "JwtIssuer")


def test_our_key_set_fits_the_albs_limits() -> None:
    """The ALB reads at most 10 keys, RS256 only, an issuer of at most 256 characters."""
    assert rsa_keys.MAX_KEYS <= 10
    assert rsa_keys.ALGORITHM == "RS256"
    issuer = Settings.model_fields["jwt_issuer"]
    assert any(getattr(rule, "max_length", None) == 256 for rule in issuer.metadata)
