"""The deploy's parts on their own: template rendering, image references, the timeout derivation,
revision cleanup, the command line and its documented exit codes."""

import json
from pathlib import Path

import pytest
from ecs_deploy import budget, cleanup, cli, outcome
from ecs_deploy.capacity import Capacity
from ecs_deploy.config import ImageRef
from ecs_deploy.outcome import DeployError, Outcome
from ecs_deploy.render import render, render_task_definition
from ecs_deploy.target_groups import TargetGroup

from tests.deploy_stubs import (
    ACCOUNT,
    ARGS,
    DIGEST,
    FAMILY,
    REPOSITORY,
    StubbedAws,
    td,
    without_deploy_environment,
)

VALUES = {"IMAGE": f"{REPOSITORY}@{DIGEST}", "ROLE": 'arn:aws:iam::1:role/a"b\\c'}


def test_every_exit_code_is_documented_in_the_module_docstring_and_help() -> None:
    epilog = cli.build_parser().epilog or ""
    for each in Outcome:
        assert f"{each.code}  {each.label}" in (outcome.__doc__ or "")
        assert f"{each.code}  {each.label}" in epilog
    assert len({each.code for each in Outcome}) == len(Outcome)


def test_placeholders_are_filled_in_values_so_quotes_cannot_change_the_document() -> None:
    template = {"containerDefinitions": [{"image": "{{IMAGE}}"}], "taskRoleArn": "{{ROLE}}"}

    rendered = render(template, VALUES)

    assert rendered["taskRoleArn"] == VALUES["ROLE"]
    assert json.loads(json.dumps(rendered)) == rendered


@pytest.mark.parametrize(
    ("template", "values", "complaint"),
    [
        (
            {"containerDefinitions": [{"image": "{{IMAGE}}"}], "x": "{{NOPE}}"},
            VALUES,
            "/x: {{NOPE}}",
        ),
        ({"containerDefinitions": [{"image": "{{IMAGE}}"}], "{{K}}": 1}, VALUES, "(in a key)"),
        ({"containerDefinitions": [{"image": "{{IMAGE}}"}]}, {"IMAGE": "r/u:latest"}, "pinned"),
        ({"containerDefinitions": [{"image": "{{IMAGE}}"}]}, {"IMAGE": "{{IMAGE}}"}, "holds a"),
    ],
)
def test_render_refuses_what_would_register_a_broken_revision(
    template: dict, values: dict[str, str], complaint: str, tmp_path: Path
) -> None:
    path = tmp_path / "taskdef.json"
    path.write_text(json.dumps(template))
    with pytest.raises(DeployError, match=complaint.replace("(", r"\(").replace(")", r"\)")) as e:
        render_task_definition(path, values)
    assert e.value.outcome is Outcome.USAGE_ERROR


def test_image_reference_names_its_registry_and_repository() -> None:
    image = ImageRef.parse(f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/team/users@{DIGEST}")

    assert (image.registry_id, image.repository_name, image.digest) == (
        ACCOUNT,
        "team/users",
        DIGEST,
    )


@pytest.mark.parametrize(
    "image", [f"{REPOSITORY}:latest", f"{REPOSITORY}@sha256:abc", f"users@{DIGEST}"]
)
def test_image_reference_must_be_a_repository_uri_pinned_by_digest(image: str) -> None:
    with pytest.raises(DeployError):
        ImageRef.parse(image)


def test_timeout_is_derived_from_warm_up_health_checks_drain_breaker_and_bake() -> None:
    rolling = {"maximumPercent": 100, "minimumHealthyPercent": 50}
    settings = {
        "desiredCount": 4,
        "healthCheckGracePeriodSeconds": 60,
        "deploymentConfiguration": rolling,
    }
    group = TargetGroup(
        "tg",
        "users",
        5000,
        interval=15,
        healthy_threshold=2,
        unhealthy_threshold=3,
        deregistration_delay=45,
    )
    task_def = {"containerDefinitions": [{"stopTimeout": 20}]}
    growing = Capacity(free_slots=1, surge=2, warmup=300)

    derived = budget.derive(settings, [group], task_def, growing, bake=180)

    # Two tasks may stop at once with 4 desired and 50 % minimum healthy: 2 waves; the breaker
    # needs 3 failures (the minimum), 2 batches of 2 failing after grace + 3 x 15 s.
    rollout, breaker = 2 * (60 + 2 * 15 * 2 + 45 + 20), 2 * (60 + 3 * 15)
    assert derived.seconds == 300 + max(rollout, breaker) + 180 + 60
    assert derived.derivation.startswith(
        f"{derived.seconds} s = warm-up 300 + max(rollout 2 wave(s)"
    )


@pytest.mark.parametrize(
    ("desired", "configured", "threshold"),
    [
        (2, None, 3),
        (10, None, 5),
        (1000, None, 200),
        (1000, {"type": "UNBOUNDED_PERCENT", "value": 50}, 500),
        (2, {"type": "COUNT", "value": 7}, 7),
    ],
)
def test_breaker_threshold_follows_ecs(
    desired: int, configured: dict | None, threshold: int
) -> None:
    breaker = {"thresholdConfiguration": configured} if configured else {}
    settings = {
        "desiredCount": desired,
        "deploymentConfiguration": {"deploymentCircuitBreaker": breaker},
    }
    assert budget.breaker_threshold(settings) == threshold


@pytest.mark.parametrize(
    ("desired", "maximum", "minimum", "waves"),
    [(2, 200, 100, 1), (4, 100, 50, 2), (3, 150, 100, 3), (0, 200, 100, 1)],
)
def test_rolling_waves(desired: int, maximum: int, minimum: int, waves: int) -> None:
    settings = {"maximumPercent": maximum, "minimumHealthyPercent": minimum}
    service = {"desiredCount": desired, "deploymentConfiguration": settings}
    assert budget.rolling_waves(service) == waves


def test_cleanup_keeps_the_newest_and_never_the_revision_in_use() -> None:
    aws = StubbedAws.create()
    # Another environment's family and one under this family's prefix are never touched.
    listing = [td(r) for r in range(1, 10)] + [
        td(4, "users-staging-migrate"),
        td(4, "users-production"),
    ]
    aws.reply("ecs", "list_task_definitions", {"taskDefinitionArns": listing})
    for revision in (7, 6, 5, 4, 2, 1):
        reply = {"taskDefinition": {"taskDefinitionArn": td(revision)}}
        aws.reply("ecs", "deregister_task_definition", reply, {"taskDefinition": td(revision)})

    # The service runs revision 3 (a rollback left it there); keep the 2 newest besides.
    pruned = cleanup.prune(aws.clients.ecs, FAMILY, keep=2, protected={td(3)})

    aws.verify()
    assert pruned.kept == [td(9), td(8), td(3)]
    assert pruned.deregistered == [td(r) for r in (7, 6, 5, 4, 2, 1)]


def test_flags_default_to_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEPLOY_TEMPLATE", raising=False)
    monkeypatch.setenv("DEPLOY_ENVIRONMENT", "production")
    monkeypatch.setenv("DEPLOY_KEEP_REVISIONS", "3")
    without = [arg for arg in ARGS if not arg.startswith("--environment")]

    config = cli.to_config(cli.build_parser().parse_args(without))
    overridden = cli.to_config(cli.build_parser().parse_args([*without, "--environment=staging"]))

    assert (config.environment, config.keep_revisions, overridden.environment) == (
        "production",
        3,
        "staging",
    )
    assert config.stack == "users-production-service"
    assert config.template == Path(cli.ROOT / "ecs_taskdefinition.json")
    assert config.service_template == Path(cli.ROOT / "infra/ecs-service.json")


def test_summary_file_holds_the_same_json_as_the_last_line(tmp_path: Path) -> None:
    aws = StubbedAws.create()
    aws.fail("cloudformation", "describe_stacks", "ValidationError")

    result = aws.run(f"--summary-file={tmp_path / 'summary.json'}")

    written = json.loads((tmp_path / "summary.json").read_text())
    assert written == result.summary
    assert written["exit_code"] == 3


def test_missing_settings_are_a_usage_error_naming_them(capsys: pytest.CaptureFixture[str]) -> None:
    with without_deploy_environment():
        code = cli.main(["--environment=staging"])

    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert code == 2
    assert "--commit" in summary["message"]
    assert "--region" in summary["message"]
