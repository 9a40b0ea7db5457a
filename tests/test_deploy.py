"""scripts/deploy, outcome by outcome, against botocore Stubbers (tests/deploy_stubs.py).

Every request and reply is validated against the real ECS, ECR, ELBv2 and Logs models, and the
replies play what AWS does in each case: a rollout that succeeds, fails, is rolled back by the
circuit breaker or never finishes. The clock is fake, so the waits take no time.
"""

import json
from pathlib import Path

import pytest

from tests import deploy_steps as steps
from tests.deploy_stubs import (
    NEW,
    NEW_DEPLOYMENT,
    OLD,
    ROLLBACK_DEPLOYMENT,
    StubbedAws,
    deployment,
    event,
    healthy_target_group,
    service,
    target,
    task,
    td,
)

OLD_TASKS = [task("old-a", OLD, 32768), task("old-b", OLD, 32769)]
NEW_TASKS = [task("new-a", NEW, 32770), task("new-b", NEW, 32771)]
OLD_HEALTHY = [target(32768, "healthy"), target(32769, "healthy")]
NEW_HEALTHY = [target(32770, "healthy"), target(32771, "healthy")]


@pytest.fixture
def aws() -> StubbedAws:
    return StubbedAws.create()


def until_update(aws: StubbedAws) -> None:
    steps.preflight(aws)
    steps.register(aws)
    steps.migrate(aws)
    steps.update(aws)


def test_deploy_succeeds_once_new_targets_are_healthy_and_old_ones_drained(aws: StubbedAws) -> None:
    until_update(aws)
    started = event("e-start", "(service users) has started 2 tasks: (task new-a) (task new-b).")
    both = OLD_TASKS + NEW_TASKS
    steps.poll(aws, steps.rolling(running=0))  # t=0: tasks being placed
    new_starting = [*OLD_HEALTHY, target(32770, "initial"), target(32771, "healthy")]
    steps.poll(aws, with_events(steps.rolling(running=2), started), both, new_starting)
    steps.poll(aws, steps.rolling(running=2), both, [*OLD_HEALTHY, *NEW_HEALTHY])  # serving
    old_draining = [target(32768, "draining"), *NEW_HEALTHY]
    steps.poll(aws, steps.rolling(running=2, old=0), NEW_TASKS, old_draining)
    done = service(NEW, deployment(NEW_DEPLOYMENT, NEW, minutes=2))
    steps.poll(aws, done, NEW_TASKS, NEW_HEALTHY)  # drained
    steps.cleanup(aws, [td(r) for r in range(1, NEW + 1)], [td(3), td(2), td(1)])

    result = aws.run()

    aws.verify()
    assert result.code == 0, result.stderr
    summary = result.summary
    assert summary["outcome"] == "deployed"
    assert summary["revisions"] == {
        "previous": td(OLD),
        "new": td(NEW),
        "final": td(NEW),
        "kept": [td(r) for r in range(NEW, 3, -1)],
        "deregistered": [td(3), td(2), td(1)],
    }
    # Serving at the third poll (20 s after the update), drained at the fifth (40 s).
    assert summary["phases_seconds"]["rollout_until_serving"] == 20
    assert summary["phases_seconds"]["drain"] == 20
    assert {"preflight", "register", "migrate", "cleanup"} <= set(summary["phases_seconds"])
    assert summary["timeout"]["seconds"] == 210
    assert (
        "210 s = 1 wave(s) x (grace 30 + healthy threshold 3 x interval 10 s x 2"
        in (summary["timeout"]["derivation"])
    )
    assert "event: (service users) has started 2 tasks" in result.stderr
    assert "  | INFO  [alembic] Running upgrade 0002 -> 0003" in result.stderr


def test_an_api_error_during_the_watch_does_not_abandon_the_rollout(aws: StubbedAws) -> None:
    until_update(aws)
    aws.fail("ecs", "describe_services", "ServerException", status=500)
    done = service(NEW, deployment(NEW_DEPLOYMENT, NEW, minutes=2))
    steps.poll(aws, done, NEW_TASKS, NEW_HEALTHY)
    steps.cleanup(aws, [td(OLD), td(NEW)], [])

    result = aws.run()

    aws.verify()
    assert (result.code, result.summary["outcome"]) == (0, "deployed")
    assert "poll failed, trying again" in result.stderr


def test_missing_image_digest_fails_preflight_before_anything_changes(aws: StubbedAws) -> None:
    aws.fail("ecr", "describe_images", "ImageNotFoundException")

    result = aws.run()

    assert (result.code, result.summary["outcome"]) == (3, "preflight_failed")
    assert "not found in ECR" in result.summary["message"]
    assert result.calls == ["DescribeImages"]


def test_missing_service_fails_preflight(aws: StubbedAws) -> None:
    missing = {"services": [], "failures": [{"arn": "arn:aws:ecs:x", "reason": "MISSING"}]}
    steps.preflight_service(aws, reply=missing)

    result = aws.run()

    aws.verify()
    assert (result.code, result.summary["outcome"]) == (3, "preflight_failed")
    assert "MISSING" in result.summary["message"]
    assert "RegisterTaskDefinition" not in result.calls


@pytest.mark.parametrize(
    ("changes", "delay", "complaint"),
    [
        ({"HealthCheckPath": "/"}, 30, "health check path / is not /ping"),
        ({"HealthCheckIntervalSeconds": 60}, 30, "interval 60 outside 5..30"),
        ({"HealthyThresholdCount": 10}, 30, "healthy threshold 10 outside 2..5"),
        ({"HealthCheckTimeoutSeconds": 10}, 30, "timeout is not shorter than the interval"),
        ({}, 300, "deregistration delay 300 s above 120 s"),
    ],
)
def test_unsane_target_group_fails_preflight(
    aws: StubbedAws, changes: dict[str, object], delay: int, complaint: str
) -> None:
    steps.preflight(aws, group=healthy_target_group(**changes), delay=delay)

    result = aws.run()

    aws.verify()
    assert (result.code, result.summary["outcome"]) == (3, "preflight_failed")
    assert complaint in result.summary["message"]
    assert "RegisterTaskDefinition" not in result.calls


def test_deployment_in_progress_is_refused(aws: StubbedAws) -> None:
    steps.preflight_service(aws, reply=steps.rolling(running=1))

    result = aws.run()

    aws.verify()
    assert (result.code, result.summary["outcome"]) == (7, "deploy_in_progress")
    assert "IN_PROGRESS" in result.summary["message"]
    assert "RegisterTaskDefinition" not in result.calls


def test_deploy_started_elsewhere_during_the_migration_is_not_overridden(aws: StubbedAws) -> None:
    steps.preflight(aws)
    steps.register(aws)
    steps.migrate(aws)
    someone_else = deployment("ecs-svc/999", OLD, minutes=1)
    aws.reply("ecs", "describe_services", service(OLD, someone_else))

    result = aws.run()

    aws.verify()
    assert (result.code, result.summary["outcome"]) == (7, "deploy_in_progress")
    assert "UpdateService" not in result.calls


def test_failed_migration_stops_the_deploy_before_the_service_changes(aws: StubbedAws) -> None:
    steps.preflight(aws)
    steps.register(aws)
    steps.migrate(aws, exit_code=1)

    result = aws.run()

    aws.verify()
    assert (result.code, result.summary["outcome"]) == (4, "migration_failed")
    assert "{'users': 1}" in result.summary["message"]
    assert "UpdateService" not in result.calls
    assert result.calls[-1] == "GetLogEvents"  # the tail is shown before giving up
    assert "  | migrated" in result.stderr


def test_failed_rollout_is_rolled_back_by_the_deploy(aws: StubbedAws) -> None:
    until_update(aws)
    steps.poll(aws, steps.rolling(running=0, failed=2))
    steps.stopped_tasks(aws, {"new-a": "Task failed ELB health checks in (target-group users)"})
    steps.poll(aws, steps.rolling(running=0, failed=2, rollout="FAILED"))
    steps.poll(aws, steps.rolling(running=0, failed=2, rollout="FAILED"))  # restore's first look
    steps.update_back(aws)
    settled = service(OLD, deployment(ROLLBACK_DEPLOYMENT, OLD, minutes=3))
    steps.poll(aws, settled)

    result = aws.run()

    aws.verify()
    assert (result.code, result.summary["outcome"]) == (5, "rolled_back")
    assert result.summary["rolled_back_by"] == "deploy"
    assert result.summary["revisions"]["final"] == td(OLD)
    assert "rollout FAILED" in result.summary["message"]
    assert "stopped: Task failed ELB health checks" in result.stderr


ROLLED_BACK_BY_ECS = service(
    OLD,
    deployment(ROLLBACK_DEPLOYMENT, OLD, rollout="IN_PROGRESS", running=1, minutes=3),
    deployment(NEW_DEPLOYMENT, NEW, status="ACTIVE", rollout="FAILED", running=0, minutes=2),
    events=(event("e-rb", "(service users) rolling back to deployment ecs-svc/111.", 3),),
)
# The rollback already finished and its event is not in the reply: the service looks healthy
# and COMPLETED, but on the previous revision, which must never be reported as deployed.
SILENTLY_ROLLED_BACK = service(OLD, deployment(ROLLBACK_DEPLOYMENT, OLD, minutes=3))


@pytest.mark.parametrize("reply", [ROLLED_BACK_BY_ECS, SILENTLY_ROLLED_BACK])
def test_circuit_breaker_rollback_is_never_success(aws: StubbedAws, reply: dict) -> None:
    until_update(aws)
    steps.poll(aws, steps.rolling(running=0))
    steps.poll(aws, reply)
    steps.poll(aws, reply)  # restore's first look: already on the previous revision
    steps.poll(aws, SILENTLY_ROLLED_BACK)  # settled there

    result = aws.run()

    aws.verify()
    assert (result.code, result.summary["outcome"]) == (5, "rolled_back")
    assert result.summary["rolled_back_by"] == "ecs circuit breaker"
    assert result.calls.count("UpdateService") == 1  # only the deploy's own update
    assert "cleanup" not in result.summary["phases_seconds"]


def test_timeout_returns_the_service_to_the_previous_revision(aws: StubbedAws) -> None:
    until_update(aws)
    for _ in range(4):  # polls at 0, 10, 20 and 30 s; the timeout is 25 s
        steps.poll(aws, steps.rolling(running=1))
    steps.poll(aws, steps.rolling(running=1))  # restore's first look: still on the new one
    steps.update_back(aws)
    steps.poll(aws, service(OLD, deployment(ROLLBACK_DEPLOYMENT, OLD, minutes=3)))

    result = aws.run("--timeout=25")

    aws.verify()
    assert (result.code, result.summary["outcome"]) == (6, "timed_out")
    assert result.summary["revisions"]["final"] == td(OLD)
    assert result.summary["phases_seconds"]["rollout"] == 30
    assert "25 s (--timeout; derived: 210 s" in result.summary["timeout"]["derivation"]


def test_rollback_that_does_not_settle_is_reported_as_unconfirmed(aws: StubbedAws) -> None:
    until_update(aws)
    for _ in range(4):
        steps.poll(aws, steps.rolling(running=1))
    steps.poll(aws, steps.rolling(running=1))
    steps.update_back(aws)
    stuck = service(
        OLD,
        deployment(ROLLBACK_DEPLOYMENT, OLD, rollout="IN_PROGRESS", running=0, minutes=3),
        deployment(NEW_DEPLOYMENT, NEW, status="ACTIVE", running=1, minutes=2),
    )
    for _ in range(4):
        steps.poll(aws, stuck)

    result = aws.run("--timeout=25")

    aws.verify()
    assert (result.code, result.summary["outcome"]) == (8, "rollback_unconfirmed")


def test_placeholder_left_in_the_template_is_a_usage_error(aws: StubbedAws, tmp_path: Path) -> None:
    template = tmp_path / "taskdef.json"
    users = {"name": "users", "image": "{{IMAGE}}", "user": "{{RUN_AS}}"}
    template.write_text(json.dumps({"family": "users-service", "containerDefinitions": [users]}))

    result = aws.run(f"--template={template}")

    assert (result.code, result.summary["outcome"]) == (2, "usage_error")
    assert "/containerDefinitions/0/user: {{RUN_AS}}" in result.summary["message"]
    assert result.calls == []


def with_events(reply: dict, *events: dict) -> dict:
    reply["services"][0]["events"].extend(events)
    return reply
