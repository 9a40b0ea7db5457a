"""One deploy, phase by phase, always ending in a Summary with its outcome."""

import traceback
from typing import Any

from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError

from ecs_deploy import cleanup, definitions, preflight, stack
from ecs_deploy.budget import Budget, derive, overridden
from ecs_deploy.clock import Clock, say, timed
from ecs_deploy.config import Config
from ecs_deploy.definitions import Definitions
from ecs_deploy.ecs_state import describe_service
from ecs_deploy.migrate import migrate
from ecs_deploy.outcome import DeployError, Outcome, Summary
from ecs_deploy.preflight import ServiceState
from ecs_deploy.register import register
from ecs_deploy.reporting import Watch
from ecs_deploy.rollback import CONFIRMED, restore
from ecs_deploy.rollout import Ending, Verdict, follow, start, watch_for

# How each way a rollout ended maps to the command's outcome (TIMED_OUT goes through restore).
ENDINGS = {
    Ending.DEPLOYED: Outcome.DEPLOYED,
    Ending.ROLLED_BACK: Outcome.ROLLED_BACK,
    Ending.ROLLBACK_FAILED: Outcome.ROLLBACK_UNCONFIRMED,
    Ending.STOPPED: Outcome.ROLLBACK_UNCONFIRMED,
    Ending.SUPERSEDED: Outcome.DEPLOY_IN_PROGRESS,
}


def run(config: Config, clients: Any, clock: Clock) -> Summary:
    summary = Summary()
    summary.details.update(
        environment=config.environment, image=config.image.pinned, commit=config.commit
    )
    try:
        deploy(config, clients, clock, summary)
    except DeployError as failure:
        summary.end(failure.outcome, str(failure))
    except (NoCredentialsError, NoRegionError) as error:
        summary.end(Outcome.USAGE_ERROR, f"AWS configuration: {error}")
    except Exception as error:  # the summary must still reach CI, with what is known
        traceback.print_exc()
        summary.end(Outcome.UNEXPECTED_ERROR, f"{type(error).__name__}: {error}")
    say(f"{summary.outcome.label} (exit {summary.outcome.code}): {summary.message}")
    return summary


def deploy(config: Config, clients: Any, clock: Clock, summary: Summary) -> None:
    with timed(clock, summary.phases, "preflight"):
        defs = definitions.load(config, stack.values(clients.cloudformation, config))
        state = preflight.check(clients, config, defs)
    budget = overridden(
        derive(state.settings, state.groups, defs.task, state.capacity, state.bake), config.timeout
    )
    record_preflight(summary, defs, state, budget)
    with timed(clock, summary.phases, "register"):
        new = summary.revisions["new"] = register(clients.ecs, defs.task, config.commit)
        migration = summary.revisions["migration"] = register(
            clients.ecs, defs.migration, config.commit
        )
    with timed(clock, summary.phases, "migrate"):
        summary.details["migration_task"] = migrate(
            clients, config, defs.service["cluster"], defs.service, defs.migration, migration
        )
    preflight.require_idle(clients.ecs, defs.service["cluster"], defs.service["serviceName"])
    watch = begin(clients, defs, state, new, budget, clock)
    summary.details["deployment"] = watch.deployment
    verdict = follow(clients, config, state.groups, watch, clock)
    record_rollout(summary, watch, clock)
    finish(config, clients, clock, summary, (defs, state, watch), verdict)


def record_preflight(
    summary: Summary, defs: Definitions, state: ServiceState, budget: Budget
) -> None:
    summary.revisions["previous"] = state.previous_arn
    summary.details.update(
        cluster=defs.service["cluster"],
        service=defs.service["serviceName"],
        capacity=state.capacity.describe(),
        timeout={"seconds": budget.seconds, "derivation": budget.derivation},
    )
    say(f"preflight passed; capacity: {state.capacity.describe()}")
    say(f"rollout timeout {budget.derivation}")


def begin(
    clients: Any, defs: Definitions, state: ServiceState, new: str, budget: Budget, clock: Clock
) -> Watch:
    cluster = defs.service["cluster"]
    service = start(clients.ecs, defs.service, state.service is not None, new)
    return watch_for(clients.ecs, cluster, service, new, budget.seconds, clock)


def record_rollout(summary: Summary, watch: Watch, clock: Clock) -> None:
    summary.phases["rollout"] = clock.monotonic() - watch.started
    if watch.serving_at is not None:
        summary.phases["rollout_until_serving"] = watch.serving_at - watch.started
    if watch.drained_at is not None:
        summary.phases["rollout_until_drained"] = watch.drained_at - watch.started


def finish(
    config: Config,
    clients: Any,
    clock: Clock,
    summary: Summary,
    context: tuple[Definitions, ServiceState, Watch],
    verdict: Verdict,
) -> None:
    defs, state, watch = context
    if verdict.ending is Ending.TIMED_OUT:
        say(f"the rollout did not succeed: {verdict.message}")
        with timed(clock, summary.phases, "rollback"):
            back = restore(
                clients, config, state.groups, watch, state.previous_arn, verdict.record, clock
            )
        confirmed = back.ending in CONFIRMED and state.previous_arn is not None
        summary.details["rolled_back_by"] = "deploy"
        final(clients, defs, summary)
        outcome = Outcome.TIMED_OUT if confirmed else Outcome.ROLLBACK_UNCONFIRMED
        summary.end(outcome, f"{verdict.message}; {back.message}")
        return
    if verdict.ending is Ending.ROLLED_BACK:
        summary.details["rolled_back_by"] = verdict.message.split(":")[0].removeprefix(
            "rolled back by "
        )
    final(clients, defs, summary)
    if verdict.ending is Ending.DEPLOYED:
        prune(config, clients, clock, summary, defs)
    summary.end(ENDINGS[verdict.ending], verdict.message)


def final(clients: Any, defs: Definitions, summary: Summary) -> None:
    service = describe_service(clients.ecs, defs.service["cluster"], defs.service["serviceName"])
    summary.revisions["final"] = service["taskDefinition"]


def prune(config: Config, clients: Any, clock: Clock, summary: Summary, defs: Definitions) -> None:
    """Deregister old revisions of both families; a failure leaves the deploy standing."""
    revisions = summary.revisions
    protected = {
        revisions["final"],
        revisions.get("previous"),
        revisions["new"],
        revisions["migration"],
    }
    with timed(clock, summary.phases, "cleanup"):
        for family in (defs.task["family"], defs.migration["family"]):
            try:
                pruned = cleanup.prune(
                    clients.ecs, family, config.keep_revisions, protected - {None}
                )
            except ClientError as error:  # a later run prunes what is left
                say(f"cleanup of {family} failed, the deploy stands: {error}")
                summary.details["cleanup_error"] = str(error)
                continue
            revisions.setdefault("kept", []).extend(pruned.kept)
            revisions.setdefault("deregistered", []).extend(pruned.deregistered)
