"""ecs_taskdefinition.json against ECS's API model and against the rest of the project."""

import json
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.validate import ParamValidator
from ecs_deploy.render import PLACEHOLDER, render

from users_service.auth import rsa_keys
from users_service.config import Settings
from users_service.mail.backends import build_backend
from users_service.mail.ses import SesBackend

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = json.loads((ROOT / "ecs_taskdefinition.json").read_text())
# What changes per deploy (the image) or per environment: outputs of the service stack.
EXPECTED_PLACEHOLDERS = {
    "IMAGE",
    "Family",
    "ExecutionRoleArn",
    "TaskRoleArn",
    "DatabaseUrlSecretArn",
    "SecretKeySecretArn",
    "JwtPrivateKeysSecretArn",
    "JwtIssuer",
    "MailFrom",
    "PublicAppUrl",
    "LogGroupName",
    "Region",
}
# A value of the right form for each placeholder, so the API model can judge the result.
SAMPLES = {
    "IMAGE": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/users@sha256:" + "a" * 64,
    "Family": "users-staging",
    "Region": "eu-west-1",
    "LogGroupName": "/ecs/users-staging",
    "JwtIssuer": "https://users.example.com",
    "MailFrom": "Users <no-reply@example.com>",
    "PublicAppUrl": "https://app.example.com",
}
SAMPLES |= {
    name: f"arn:aws:iam::123456789012:role/{name}" for name in EXPECTED_PLACEHOLDERS - set(SAMPLES)
}


def input_shape() -> StructureShape:
    ecs = botocore.session.get_session().get_service_model("ecs")
    shape = ecs.operation_model("RegisterTaskDefinition").input_shape
    assert isinstance(shape, StructureShape)
    return shape


def rendered() -> dict[str, Any]:
    """The template as scripts/deploy renders it, with the samples."""
    return render(TEMPLATE, SAMPLES)


def enum_violations(value: Any, shape: Shape, path: str = "") -> list[str]:
    """Values outside an enum of the API model (botocore's validator does not check them)."""
    enum = shape.metadata.get("enum") if shape.type_name == "string" else None
    if enum:
        return [] if value in enum else [f"{path}: {value!r} not in {enum}"]
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        return [
            problem
            for key, item in value.items()
            if key in shape.members
            for problem in enum_violations(item, shape.members[key], f"{path}.{key}")
        ]
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [
            problem
            for n, item in enumerate(value)
            for problem in enum_violations(item, shape.member, f"{path}[{n}]")
        ]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return [p for k, v in value.items() for p in enum_violations(v, shape.value, f"{path}.{k}")]
    return []


def test_the_template_is_a_valid_register_task_definition_request() -> None:
    report = ParamValidator().validate(rendered(), input_shape())
    assert not report.has_errors(), report.generate_report()
    assert enum_violations(rendered(), input_shape()) == []


def test_placeholders_are_only_what_changes_per_deploy_or_account() -> None:
    found = set(PLACEHOLDER.findall(json.dumps(TEMPLATE)))
    assert found == EXPECTED_PLACEHOLDERS
    assert TEMPLATE["containerDefinitions"][0]["image"] == "{{IMAGE}}"


def container() -> dict[str, Any]:
    (users,) = TEMPLATE["containerDefinitions"]
    return dict(users)


def test_dynamic_host_port_on_the_image_port() -> None:
    dockerfile = (ROOT / "services/users/Dockerfile").read_text()
    exposed = re.search(r"^EXPOSE (\d+)$", dockerfile, re.MULTILINE)
    assert exposed is not None
    assert TEMPLATE["networkMode"] == "bridge"
    assert container()["portMappings"] == [
        {"containerPort": int(exposed[1]), "hostPort": 0, "protocol": "tcp"}
    ]
    port = {e["name"]: e["value"] for e in container()["environment"]}["PORT"]
    assert port == exposed[1]


def test_the_health_check_is_the_images_probe_of_ping() -> None:
    probe = (ROOT / "services/users/src/users_service/healthcheck.py").read_text()
    assert "/ping" in probe
    assert container()["healthCheck"]["command"] == [
        "CMD",
        "python3",
        "-m",
        "users_service.healthcheck",
    ]


def test_the_stop_timeout_leaves_gunicorn_time_to_drain() -> None:
    graceful = Settings.model_fields["graceful_timeout_seconds"].default
    assert container()["stopTimeout"] > graceful
    assert "GRACEFUL_TIMEOUT_SECONDS" not in {e["name"] for e in container()["environment"]}


def test_required_settings_come_from_secrets_never_plain_environment() -> None:
    """Production refuses to start without DATABASE_URL and its token keys (JWT_PRIVATE_KEYS
    under RS256, SECRET_KEY under HS256): all are set, from Secrets Manager or Parameter Store."""
    secrets = {s["name"]: s["valueFrom"] for s in container()["secrets"]}
    environment = {e["name"]: e["value"] for e in container()["environment"]}
    assert set(secrets) == {"DATABASE_URL", "SECRET_KEY", "JWT_PRIVATE_KEYS"}
    assert environment["JWT_ALGORITHM"] == "RS256"
    assert not set(secrets) & set(environment)
    assert environment["APP_ENV"] == "production"
    for name, value in environment.items():
        assert not re.search(r"(?i)password|secret|key", name), name
        assert "://" not in value or name == "PUBLIC_APP_URL"  # a URL, never a credential


def test_environment_and_secrets_make_a_valid_production_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the service builds at start: the settings from the rendered environment with
    sample secrets, and the SES client (production refuses the console backend), whose
    region the task definition names."""
    (users,) = rendered()["containerDefinitions"]
    environment = {e["name"].lower(): e["value"] for e in users["environment"]}
    monkeypatch.setenv("AWS_DEFAULT_REGION", environment.pop("aws_default_region"))
    secrets = {
        "database_url": "postgresql://users:pw@db.internal:5432/users",
        "jwt_private_keys": rsa_keys.generate_pem(),
        "secret_key": "s" * 48,
    }
    assert {s["name"].lower() for s in users["secrets"]} == set(secrets)
    settings = Settings(_env_file=None, **environment, **secrets)  # type: ignore[call-arg]
    assert (settings.app_env, settings.mail_backend) == ("production", "ses")
    backend = build_backend(settings)
    assert isinstance(backend, SesBackend)
    assert backend.client.meta.region_name == SAMPLES["Region"]


def test_environment_names_are_settings_of_the_service() -> None:
    """And the region, for boto3 (SES): the ECS agent on EC2 instances may not set it."""
    settings = {name.upper() for name in Settings.model_fields} | {"AWS_DEFAULT_REGION"}
    assert {e["name"] for e in container()["environment"]} <= settings


def test_logs_go_to_cloudwatch_non_blocking_with_an_explicit_buffer() -> None:
    """A slow CloudWatch must never block the application's writes (non-blocking); the buffer
    is set, not left to the agent's default, so how much can be lost is a known figure."""
    logging = container()["logConfiguration"]
    assert logging["logDriver"] == "awslogs"
    assert logging["options"]["awslogs-stream-prefix"] == "users"
    assert logging["options"]["mode"] == "non-blocking"
    assert logging["options"]["max-buffer-size"] == "4m"


def test_every_placeholder_but_the_image_is_an_output_of_the_service_stack() -> None:
    from tests.cfn_templates import load

    outputs = set(load("service")["Outputs"])
    service_definition = (ROOT / "infra/ecs-service.json").read_text()
    found = set(PLACEHOLDER.findall(json.dumps(TEMPLATE) + service_definition))
    assert found - {"IMAGE"} <= outputs, found - {"IMAGE"} - outputs


def test_memory_fits_the_measured_footprint() -> None:
    """make bench measured 313 MiB RSS for the master and two workers after its overload phase
    (217 MiB PSS): the soft reservation covers the PSS, the hard limit leaves half as much
    again for bursts (argon2's working memory, transfers)."""
    assert 217 <= container()["memoryReservation"] < container()["memory"]
    assert container()["memory"] >= 313 * 1.5
