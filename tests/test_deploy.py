"""scripts/deploy, outcome by outcome, against botocore Stubbers (tests/deploy_scenarios.py).

Every request and reply is validated against the real ECS, ECR, ELBv2, Logs, CloudFormation and
CloudWatch models; the replies play ECS's deployment records through a rollout that succeeds,
is rolled back by the circuit breaker or an alarm, fails to roll back, is stopped, or never
finishes. The clock is fake, so the waits take no time.
"""

import json
from pathlib import Path

from tests.deploy_scenarios import play
from tests.deploy_stubs import MIGRATE_FAMILY, NEW, OLD, StubbedAws, td


def test_deploy_succeeds_once_ecs_reports_success_and_new_targets_serve() -> None:
    result = play("deployed")

    assert result.code == 0, result.stderr
    summary = result.summary
    assert summary["outcome"] == "deployed"
    assert summary["revisions"]["previous"] == td(OLD)
    assert summary["revisions"]["new"] == summary["revisions"]["final"] == td(NEW)
    assert summary["revisions"]["migration"] == td(NEW, MIGRATE_FAMILY)
    assert summary["revisions"]["deregistered"] == [td(r) for r in (3, 2, 1)] + [
        td(r, MIGRATE_FAMILY) for r in (3, 2, 1)
    ]
    # Serving at the third poll (20 s), drained at the fifth (40 s), ECS's SUCCESSFUL at 50 s.
    phases = summary["phases_seconds"]
    assert (
        phases["rollout_until_serving"],
        phases["rollout_until_drained"],
        phases["rollout"],
    ) == (20, 40, 50)
    assert summary["timeout"]["seconds"] == 400
    assert summary["timeout"]["derivation"].startswith("400 s = warm-up 0 + max(rollout 1 wave(s)")
    assert "event: (service users) has started 2 tasks" in result.stderr
    assert "  | INFO  [alembic] Running upgrade 0002 -> 0003" in result.stderr


def test_first_deploy_creates_the_service_from_its_definition() -> None:
    result = play("first_deploy_creates_the_service")

    assert (result.code, result.summary["outcome"]) == (0, "deployed"), result.stderr
    assert result.summary["revisions"]["previous"] is None
    assert "CreateService" in result.actions
    assert "UpdateService" not in result.actions


def test_permission_denied_mid_preflight_is_fatal_and_names_the_action() -> None:
    result = play("denied_mid_preflight")

    assert (result.code, result.summary["outcome"]) == (9, "permission_denied")
    assert "ecs:ListServiceDeployments denied" in result.summary["message"]
    assert "RegisterTaskDefinition" not in result.actions


def test_permission_denied_mid_rollout_is_neither_retried_nor_rolled_back() -> None:
    result = play("denied_mid_rollout")

    assert (result.code, result.summary["outcome"]) == (9, "permission_denied")
    assert "ecs:DescribeServiceDeployments denied" in result.summary["message"]
    assert "StopServiceDeployment" not in result.actions
    assert result.actions.count("UpdateService") == 1
    assert "poll failed, trying again" not in result.stderr


def test_circuit_breaker_rollback_is_read_from_the_record() -> None:
    result = play("breaker_rolls_back")

    assert (result.code, result.summary["outcome"]) == (5, "rolled_back")
    assert result.summary["rolled_back_by"] == "ecs circuit breaker"
    assert result.summary["revisions"]["final"] == td(OLD)
    assert "Circuit breaker: 3 of 3 tasks failed" in result.summary["message"]
    assert "stopped: Task failed ELB health checks" in result.stderr
    assert "StopServiceDeployment" not in result.actions


def test_alarm_triggered_rollback_names_the_alarm() -> None:
    result = play("alarm_rolls_back")

    assert (result.code, result.summary["outcome"]) == (5, "rolled_back")
    assert result.summary["rolled_back_by"] == "ecs deployment alarms ['users-staging-5xx']"
    assert "cleanup" not in result.summary["phases_seconds"]


def test_a_failed_rollback_needs_a_human() -> None:
    result = play("rollback_fails")

    assert (result.code, result.summary["outcome"]) == (8, "rollback_unconfirmed")


def test_a_deployment_replaced_by_a_newer_one_is_superseded() -> None:
    result = play("superseded")

    assert (result.code, result.summary["outcome"]) == (7, "deploy_in_progress")


def test_a_deployment_stopped_without_rollback_needs_a_human() -> None:
    result = play("stopped_by_hand")

    assert (result.code, result.summary["outcome"]) == (8, "rollback_unconfirmed")


def test_timeout_asks_ecs_to_roll_back_and_waits_for_its_record() -> None:
    result = play("times_out_and_rolls_back")

    assert (result.code, result.summary["outcome"]) == (6, "timed_out")
    assert result.summary["rolled_back_by"] == "deploy"
    assert result.summary["revisions"]["final"] == td(OLD)
    assert result.summary["phases_seconds"]["rollout"] == 30
    assert "25 s (--timeout; derived: 400 s" in result.summary["timeout"]["derivation"]


def test_rollback_that_does_not_settle_is_reported_as_unconfirmed() -> None:
    result = play("rollback_does_not_settle")

    assert (result.code, result.summary["outcome"]) == (8, "rollback_unconfirmed")


def test_a_finished_deployment_whose_targets_never_serve_is_reverted_by_an_update() -> None:
    result = play("successful_but_targets_unhealthy")

    assert (result.code, result.summary["outcome"]) == (6, "timed_out")
    assert result.actions.count("UpdateService") == 2
    assert "StopServiceDeployment" not in result.actions


def test_capacity_warm_up_is_budgeted_when_the_cluster_must_grow() -> None:
    result = play("grows_the_cluster_within_budget")

    assert (result.code, result.summary["outcome"]) == (0, "deployed"), result.stderr
    assert (
        result.summary["capacity"]
        == "0 free task slot(s) for a surge of 2: must grow, + warm-up 300 s"
    )
    assert result.summary["timeout"]["seconds"] == 700
    # Deployed at 540 s: later than the 400 s a cluster with room gets, within the 700 s.
    assert 400 < result.summary["phases_seconds"]["rollout"] <= 700


def test_deployment_under_way_is_refused() -> None:
    result = play("deploy_in_progress")

    assert (result.code, result.summary["outcome"]) == (7, "deploy_in_progress")
    assert "IN_PROGRESS" in result.summary["message"]


def test_a_service_deployed_another_way_is_refused() -> None:
    result = play("unsupported_strategy")

    assert (result.code, result.summary["outcome"]) == (3, "preflight_failed")
    assert "controller CODE_DEPLOY" in result.summary["message"]


def test_unfit_target_group_fails_preflight_before_anything_changes() -> None:
    result = play("target_group_unfit")

    assert (result.code, result.summary["outcome"]) == (3, "preflight_failed")
    assert "health check path / is not /ping" in result.summary["message"]
    assert "RegisterTaskDefinition" not in result.actions


def test_failed_migration_stops_the_deploy_before_the_service_changes() -> None:
    result = play("migration_fails")

    assert (result.code, result.summary["outcome"]) == (4, "migration_failed")
    assert "{'users': 1}" in result.summary["message"]
    assert "UpdateService" not in result.actions
    assert "  | migrated" in result.stderr


def test_a_migration_lock_held_elsewhere_means_another_deploy() -> None:
    result = play("migration_lock_held")

    assert (result.code, result.summary["outcome"]) == (7, "deploy_in_progress")
    assert "migration lock" in result.summary["message"]


def test_an_api_error_during_the_watch_does_not_abandon_the_rollout() -> None:
    result = play("poll_error_is_retried")

    assert (result.code, result.summary["outcome"]) == (0, "deployed")
    assert "poll failed, trying again" in result.stderr


def test_missing_image_digest_fails_preflight() -> None:
    aws = StubbedAws.create()
    from tests.deploy_steps import stack_outputs

    stack_outputs(aws)
    aws.fail("ecr", "describe_images", "ImageNotFoundException")

    result = aws.run()

    assert (result.code, result.summary["outcome"]) == (3, "preflight_failed")
    assert result.actions == ["DescribeStacks", "DescribeImages"]


def test_missing_stack_fails_preflight() -> None:
    aws = StubbedAws.create()
    aws.fail("cloudformation", "describe_stacks", "ValidationError")

    result = aws.run()

    assert (result.code, result.summary["outcome"]) == (3, "preflight_failed")
    assert "users-staging-service" in result.summary["message"]


def test_placeholder_left_in_the_template_is_a_usage_error(tmp_path: Path) -> None:
    aws = StubbedAws.create()
    from tests.deploy_steps import stack_outputs

    stack_outputs(aws)
    template = tmp_path / "taskdef.json"
    users = {"name": "users", "image": "{{IMAGE}}", "user": "{{RUN_AS}}"}
    template.write_text(json.dumps({"family": "{{Family}}", "containerDefinitions": [users]}))

    result = aws.run(f"--template={template}")

    assert (result.code, result.summary["outcome"]) == (2, "usage_error")
    assert "/containerDefinitions/0/user: {{RUN_AS}}" in result.summary["message"]
