"""How a deploy ended: one exit code per outcome, and the JSON summary CI reads.

Exit codes (also listed by `scripts/deploy --help`):

    0  deployed             the new revision serves behind the load balancer; old tasks drained
    1  unexpected_error     a bug or an AWS error this tool does not interpret; state unknown
    2  usage_error          bad flags, environment or template; nothing was changed in AWS
    3  preflight_failed     image, cluster, service or target group not fit; nothing changed
    4  migration_failed     the migration task did not exit 0; the service was not touched
    5  rolled_back          ECS rolled the deployment back (circuit breaker or deployment
                            alarms); its deployment record says ROLLBACK_SUCCESSFUL
    6  timed_out            the rollout did not finish in time; this run rolled it back and ECS
                            confirmed it
    7  deploy_in_progress   another deployment of the service is running (or started meanwhile)
    8  rollback_unconfirmed the rollout failed and the service could not be confirmed back on
                            the previous revision in time: a human must look
    9  permission_denied    an AWS call was denied (the message names the IAM action); never
                            retried, and never the cause of a rollback
"""

import enum
import json
from dataclasses import dataclass, field
from typing import Any


class Outcome(enum.Enum):
    DEPLOYED = 0, "the new revision serves behind the load balancer; old tasks drained"
    UNEXPECTED_ERROR = 1, "a bug or an AWS error this tool does not interpret; state unknown"
    USAGE_ERROR = 2, "bad flags, environment or template; nothing was changed in AWS"
    PREFLIGHT_FAILED = 3, "image, cluster, service or target group not fit; nothing changed"
    MIGRATION_FAILED = 4, "the migration task did not exit 0; the service was not touched"
    ROLLED_BACK = 5, "ECS rolled the deployment back (circuit breaker or alarms), confirmed"
    TIMED_OUT = 6, "rollout not done in time; rolled back by this run, confirmed by ECS"
    DEPLOY_IN_PROGRESS = 7, "another deployment of the service is running (or started meanwhile)"
    ROLLBACK_UNCONFIRMED = (
        8,
        "failed, and the service is NOT confirmed back on the previous revision",
    )
    PERMISSION_DENIED = 9, "an AWS call was denied (the message names the action); not retried"

    def __init__(self, code: int, meaning: str) -> None:
        self.code = code
        self.meaning = meaning

    @property
    def label(self) -> str:
        return self.name.lower()


def exit_code_table() -> str:
    return "\n".join(f"  {o.code}  {o.label:<21} {o.meaning}" for o in Outcome)


class DeployError(Exception):
    """Stops the deploy with a known outcome; the message says what happened and what is left."""

    def __init__(self, outcome: Outcome, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass
class Summary:
    """What CI keeps: one JSON object, printed as the last line of stdout."""

    outcome: Outcome = Outcome.UNEXPECTED_ERROR
    message: str = ""
    phases: dict[str, float] = field(default_factory=dict)
    revisions: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    def end(self, outcome: Outcome, message: str) -> None:
        self.outcome, self.message = outcome, message

    def to_json(self) -> str:
        document = {
            "outcome": self.outcome.label,
            "exit_code": self.outcome.code,
            "message": self.message,
            "phases_seconds": {name: round(value, 3) for name, value in self.phases.items()},
            "revisions": self.revisions,
            **self.details,
        }
        return json.dumps(document, sort_keys=True, default=str)
