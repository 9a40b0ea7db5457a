"""Every deploy scenario the tests play, queued on a StubbedAws: test_deploy.py asserts each
one's outcome, and test_deploy_iam.py plays them all to collect the AWS calls the deploy makes."""

from collections.abc import Callable

from tests import deploy_steps as steps
from tests.deploy_steps import OLD_HEALTHY, OLD_TASKS
from tests.deploy_stubs import (
    BACK,
    CURRENT,
    NEW,
    OLD,
    Result,
    StubbedAws,
    event,
    healthy_target_group,
    record,
    service,
    target,
    task,
)

NEW_TASKS = [task("new-a", NEW, 32770), task("new-b", NEW, 32771)]
NEW_HEALTHY = [target(32770, "healthy"), target(32771, "healthy")]
BOTH = OLD_TASKS + NEW_TASKS
Scenario = Callable[[StubbedAws], list[str]]


def until_update(aws: StubbedAws, **preflight: object) -> None:
    steps.preflight(aws, **preflight)  # type: ignore[arg-type]
    steps.register(aws)
    steps.migrate(aws)
    steps.update(aws)


def rolls_to_success(aws: StubbedAws) -> None:
    """ECS's record of a healthy rollout, poll by poll, 10 s apart."""
    started = event("e-start", "(service users) has started 2 tasks: (task new-a) (task new-b).")
    steps.poll(aws, record(running=0, pending=2), OLD_TASKS, OLD_HEALTHY)
    starting = [*OLD_HEALTHY, target(32770, "initial"), target(32771, "healthy")]
    steps.poll(
        aws, record(), BOTH, starting, reply=service(NEW, current=steps.OURS, events=(started,))
    )
    steps.poll(aws, record(), BOTH, [*OLD_HEALTHY, *NEW_HEALTHY])  # serving at 20 s
    draining = [target(32768, "draining"), *NEW_HEALTHY]
    steps.poll(aws, record(old=0, stage="BAKE_TIME"), NEW_TASKS, draining)
    steps.poll(aws, record(old=0, stage="BAKE_TIME"), NEW_TASKS, NEW_HEALTHY)  # drained at 40 s
    steps.poll(aws, record("SUCCESSFUL", old=0, stage="CLEAN_UP"), NEW_TASKS, NEW_HEALTHY)


def deployed(aws: StubbedAws) -> list[str]:
    until_update(aws)
    rolls_to_success(aws)
    steps.final(aws, NEW)
    steps.cleanup(aws, list(range(1, NEW + 1)), [3, 2, 1])
    return []


def first_deploy_creates_the_service(aws: StubbedAws) -> list[str]:
    missing = {"services": [], "failures": [{"arn": "arn:aws:ecs:x", "reason": "MISSING"}]}
    steps.until_service(aws, missing)
    steps.idle(aws)
    aws.fail("ecs", "describe_service_deployments", "ClientException")  # the permission probe
    steps.target_group(aws)
    steps.observe(aws, [], [])
    steps.revisions(aws, steps.FAMILY, [])
    steps.revisions(aws, steps.MIGRATE_FAMILY, [])
    aws.fail("logs", "get_log_events", "ResourceNotFoundException")
    steps.capacity(aws, steps.ROOM)
    steps.alarms(aws)
    steps.register(aws)
    steps.migrate(aws)
    steps.idle(aws)
    created = service(NEW, current=steps.OURS)["services"][0]
    request = steps.rendered().service | {"taskDefinition": steps.td(NEW)}
    aws.reply("ecs", "create_service", {"service": created}, request)
    steps.poll(aws, record(old=0), NEW_TASKS, NEW_HEALTHY)
    steps.poll(aws, record("SUCCESSFUL", old=0), NEW_TASKS, NEW_HEALTHY)
    steps.final(aws, NEW)
    steps.cleanup(aws, [NEW], [])
    return []


def denied_mid_preflight(aws: StubbedAws) -> list[str]:
    steps.until_service(aws)
    aws.fail("ecs", "list_service_deployments", "AccessDeniedException")
    return []


def denied_mid_rollout(aws: StubbedAws) -> list[str]:
    until_update(aws)
    steps.poll(aws, record(running=0, pending=2), OLD_TASKS, OLD_HEALTHY)
    aws.fail("ecs", "describe_service_deployments", "AccessDeniedException")
    return []


def breaker_rolls_back(aws: StubbedAws) -> list[str]:
    until_update(aws)
    steps.poll(aws, record(running=0, failures=2))
    steps.stopped_tasks(aws, {"new-a": "Task failed ELB health checks in (target-group users)"})
    steps.observe(aws, OLD_TASKS, OLD_HEALTHY)
    rolling_back = record("ROLLBACK_IN_PROGRESS", running=0, failures=3, breaker="TRIGGERED")
    steps.poll(aws, rolling_back)
    reason = "Circuit breaker: 3 of 3 tasks failed"
    done = record("ROLLBACK_SUCCESSFUL", running=0, failures=3, breaker="TRIGGERED")
    done["serviceDeployments"][0]["rollback"] = {"reason": reason, "startedAt": steps.T0}
    steps.poll(aws, done, reply=service(OLD, current=steps.OURS))
    steps.final(aws, OLD)
    return []


def alarm_rolls_back(aws: StubbedAws) -> list[str]:
    until_update(aws)
    steps.poll(aws, record(old=0, stage="BAKE_TIME"), NEW_TASKS, NEW_HEALTHY)
    fired = {"triggeredAlarmNames": [steps.OUTPUTS["ErrorsAlarmName"]]}
    done = record("ROLLBACK_SUCCESSFUL", running=0, alarms="TRIGGERED")
    done["serviceDeployments"][0]["alarms"] |= fired
    done["serviceDeployments"][0]["rollback"] = {"reason": "alarm", "startedAt": steps.T0}
    steps.poll(aws, done, reply=service(OLD, current=steps.OURS))
    steps.final(aws, OLD)
    return []


def rollback_fails(aws: StubbedAws) -> list[str]:
    until_update(aws)
    steps.poll(aws, record("ROLLBACK_FAILED", running=0, breaker="TRIGGERED"))
    steps.final(aws, NEW)
    return []


def superseded(aws: StubbedAws) -> list[str]:
    until_update(aws)
    steps.poll(aws, record("STOPPED", running=1), reply=service(NEW, current=BACK))
    steps.final(aws, NEW)
    return []


def stopped_by_hand(aws: StubbedAws) -> list[str]:
    until_update(aws)
    steps.poll(aws, record("STOPPED", running=1))
    steps.final(aws, NEW)
    return []


def times_out_and_rolls_back(aws: StubbedAws, settles: bool = True) -> list[str]:
    until_update(aws)
    for _ in range(4):  # polls at 0, 10, 20 and 30 s; the timeout is 25 s
        steps.poll(aws, record(running=1, pending=1), OLD_TASKS, OLD_HEALTHY)
    request = {"serviceDeploymentArn": steps.OURS, "stopType": "ROLLBACK"}
    aws.reply("ecs", "stop_service_deployment", {"serviceDeploymentArn": steps.OURS}, request)
    steps.poll(aws, record("ROLLBACK_IN_PROGRESS", running=1))
    if settles:
        steps.poll(
            aws, record("ROLLBACK_SUCCESSFUL", running=0), reply=service(OLD, current=steps.OURS)
        )
        steps.final(aws, OLD)
    else:
        for _ in range(3):
            steps.poll(aws, record("ROLLBACK_IN_PROGRESS", running=1))
        steps.final(aws, NEW)
    return ["--timeout=25"]


def rollback_does_not_settle(aws: StubbedAws) -> list[str]:
    return times_out_and_rolls_back(aws, settles=False)


def successful_but_targets_unhealthy(aws: StubbedAws) -> list[str]:
    until_update(aws)
    unhealthy = [target(32770, "unhealthy"), target(32771, "healthy")]
    for _ in range(3):  # 0, 10, 20 s; the timeout is 15 s
        steps.poll(aws, record("SUCCESSFUL", old=0), NEW_TASKS, unhealthy)
    request = {"cluster": steps.CLUSTER, "service": steps.SERVICE, "taskDefinition": steps.td(OLD)}
    aws.reply(
        "ecs", "update_service", {"service": service(OLD, current=BACK)["services"][0]}, request
    )
    back = record("SUCCESSFUL", arn=BACK, old=0)
    steps.poll(aws, back, OLD_TASKS, OLD_HEALTHY, service(OLD, current=BACK), BACK, revision=OLD)
    steps.final(aws, OLD)
    return ["--timeout=15"]


def grows_the_cluster_within_budget(aws: StubbedAws) -> list[str]:
    full = [
        {"name": "CPU", "type": "INTEGER", "integerValue": 0},
        {"name": "MEMORY", "type": "INTEGER", "integerValue": 0},
    ]
    until_update(aws, room=full)
    for _ in range(8):  # 0..420 s: the new instance warms up, the new tasks wait for it
        steps.poll(aws, record(running=0, pending=2), OLD_TASKS, OLD_HEALTHY)
    steps.poll(aws, record(old=0), NEW_TASKS, NEW_HEALTHY)
    steps.poll(aws, record("SUCCESSFUL", old=0), NEW_TASKS, NEW_HEALTHY)
    steps.final(aws, NEW)
    steps.cleanup(aws, [OLD, NEW], [])
    return ["--poll-seconds=60"]


def deploy_in_progress(aws: StubbedAws) -> list[str]:
    steps.until_service(aws)
    busy = {"serviceDeploymentArn": CURRENT, "status": "IN_PROGRESS", "createdAt": steps.T0}
    steps.idle(aws, [busy])
    return []


def unsupported_strategy(aws: StubbedAws) -> list[str]:
    steps.until_service(aws, service(OLD, deploymentController={"type": "CODE_DEPLOY"}))
    return []


def target_group_unfit(aws: StubbedAws) -> list[str]:
    steps.until_service(aws)
    steps.idle(aws)
    aws.reply("ecs", "describe_service_deployments", record("SUCCESSFUL", arn=CURRENT, old=0))
    steps.target_group(aws, healthy_target_group(HealthCheckPath="/"))
    return []


def migration_fails(aws: StubbedAws, exit_code: int = 1) -> list[str]:
    steps.preflight(aws)
    steps.register(aws)
    steps.migrate(aws, exit_code=exit_code)
    return []


def migration_lock_held(aws: StubbedAws) -> list[str]:
    return migration_fails(aws, exit_code=75)


def poll_error_is_retried(aws: StubbedAws) -> list[str]:
    until_update(aws)
    aws.fail("ecs", "describe_service_deployments", "ServerException", status=500)
    steps.poll(aws, record("SUCCESSFUL", old=0), NEW_TASKS, NEW_HEALTHY)
    steps.final(aws, NEW)
    steps.cleanup(aws, [OLD, NEW], [])
    return []


SCENARIOS: dict[str, Scenario] = {
    f.__name__: f
    for f in (
        deployed, first_deploy_creates_the_service, denied_mid_preflight, denied_mid_rollout,
        breaker_rolls_back, alarm_rolls_back, rollback_fails, superseded, stopped_by_hand,
        times_out_and_rolls_back, rollback_does_not_settle, successful_but_targets_unhealthy,
        grows_the_cluster_within_budget, deploy_in_progress, unsupported_strategy,
        target_group_unfit, migration_fails, migration_lock_held, poll_error_is_retried,
    )
}  # fmt: skip


def play(name: str) -> Result:
    """Queue a scenario, run the deploy on it, and check every queued reply was asked for."""
    aws = StubbedAws.create()
    result = aws.run(*SCENARIOS[name](aws))
    try:
        aws.verify()
    except AssertionError as error:
        raise AssertionError(f"{error}\n{result.summary}\n{result.stderr}") from error
    return result
