"""The wire format of the service's own routes: readiness and the seed value."""

from typing import Literal

from users_service.web.wire import ErrorReply, Message, Reply, RequestModel


class ReadinessChecks(Reply):
    """What readiness checked."""

    database: Literal["ok", "unavailable"]


class ReadyReply(Message):
    """Ready to serve."""

    checks: ReadinessChecks


class NotReadyReply(ErrorReply):
    """Not ready to serve, and why."""

    checks: ReadinessChecks


class SeedUpdate(RequestModel):
    """POST / (seed 004)"""

    num: int


class SeedReply(Message):
    """The seed value this instance now holds."""

    num: int
