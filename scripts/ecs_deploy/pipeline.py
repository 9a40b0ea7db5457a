"""One deploy, phase by phase, always ending in a Summary with its outcome."""

import traceback
from typing import Any

from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError

from ecs_deploy import cleanup, preflight
from ecs_deploy.budget import Budget, derive, overridden
from ecs_deploy.clock import Clock, say, timed
from ecs_deploy.config import Config
from ecs_deploy.ecs_state import describe_service, family_of
from ecs_deploy.migrate import migrate
from ecs_deploy.outcome import DeployError, Outcome, Summary
from ecs_deploy.register import register
from ecs_deploy.render import render_file
from ecs_deploy.reporting import Watch
from ecs_deploy.rollback import restore
from ecs_deploy.rollout import Ending, Verdict, roll_out


def run(config: Config, clients: Any, clock: Clock) -> Summary:
    summary = Summary()
    summary.details.update(
        cluster=config.cluster,
        service=config.service,
        image=config.image.pinned,
        commit=config.commit,
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
    task_def = render_file(config.template, config.placeholders())
    with timed(clock, summary.phases, "preflight"):
        state = preflight.check(clients, config, task_def["family"])
    summary.revisions["previous"] = state.previous_arn
    budget = overridden(derive(state.service, state.groups, task_def), config.timeout)
    summary.details["timeout"] = {"seconds": budget.seconds, "derivation": budget.derivation}
    say(f"preflight passed; rollout timeout {budget.derivation}")
    with timed(clock, summary.phases, "register"):
        new_arn = summary.revisions["new"] = register(clients.ecs, task_def, config.commit)
    with timed(clock, summary.phases, "migrate"):
        summary.details["migration_task"] = migrate(
            clients, config, state.service, task_def, new_arn, clock
        )
    verdict, watch = roll_out(clients, config, state, new_arn, budget, clock)
    record_rollout(summary, watch, clock)
    if verdict.ending is Ending.DEPLOYED:
        finish_deployed(config, clients, clock, summary, verdict)
    else:
        finish_failed(config, clients, clock, summary, verdict, budget)


def record_rollout(summary: Summary, watch: Watch, clock: Clock) -> None:
    summary.phases["rollout"] = clock.monotonic() - watch.started
    if watch.serving_at is not None:
        summary.phases["rollout_until_serving"] = watch.serving_at - watch.started
    if watch.serving_at is not None and watch.drained_at is not None:
        summary.phases["drain"] = watch.drained_at - watch.serving_at


def finish_deployed(
    config: Config, clients: Any, clock: Clock, summary: Summary, verdict: Verdict
) -> None:
    revisions = summary.revisions
    with timed(clock, summary.phases, "cleanup"):
        service = describe_service(clients.ecs, config.cluster, config.service)
        revisions["final"] = service["taskDefinition"]
        protected = cleanup.in_use(service) | {revisions["new"], revisions["previous"]}
        family = family_of(revisions["new"])
        try:
            pruned = cleanup.prune(clients.ecs, family, config.keep_revisions, protected)
            revisions.update(kept=pruned.kept, deregistered=pruned.deregistered)
        except ClientError as error:  # the deploy stands; a later run prunes what is left
            say(f"cleanup failed, the deploy stands: {error}")
            summary.details["cleanup_error"] = str(error)
    summary.end(Outcome.DEPLOYED, verdict.message)


def finish_failed(
    config: Config, clients: Any, clock: Clock, summary: Summary, verdict: Verdict, budget: Budget
) -> None:
    if verdict.ending is Ending.SUPERSEDED:
        raise DeployError(Outcome.DEPLOY_IN_PROGRESS, f"{verdict.message}; not rolling back")
    say(f"the rollout did not succeed ({verdict.ending.value}): {verdict.message}")
    with timed(clock, summary.phases, "rollback"):
        rollback = restore(clients, config, summary.revisions["previous"], budget.seconds, clock)
    summary.revisions["final"] = rollback.final_arn
    summary.details["rolled_back_by"] = "deploy" if rollback.by_deploy else "ecs circuit breaker"
    if not rollback.confirmed:
        summary.end(Outcome.ROLLBACK_UNCONFIRMED, f"{verdict.message}; rollback NOT confirmed")
    elif verdict.ending is Ending.TIMED_OUT:
        summary.end(Outcome.TIMED_OUT, f"{verdict.message}; back on the previous revision")
    else:
        summary.end(Outcome.ROLLED_BACK, f"{verdict.message}; back on the previous revision")
