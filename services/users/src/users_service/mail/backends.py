"""How mail leaves: one small interface, the console backend, and the choice by MAIL_BACKEND."""

import logging
from typing import Protocol

from users_service.config import Settings
from users_service.mail.message import Message

log = logging.getLogger(__name__)


class Backend(Protocol):
    name: str

    def send(self, message: Message) -> None:
        """Hand the message to the mail system, or raise (the outbox retries)."""


class ConsoleBackend:
    """Development only (production refuses it): the mail is logged, not sent."""

    name = "console"

    def send(self, message: Message) -> None:
        log.warning(
            "mail not sent (MAIL_BACKEND=console): to %s, subject %r\n%s",
            message.to,
            message.subject,
            message.text,
        )


def build_backend(settings: Settings) -> Backend:
    # Imported here: deployments that do not use a backend never load it (nor boto3).
    if settings.mail_backend == "smtp":
        from users_service.mail.smtp import SmtpBackend

        return SmtpBackend.from_settings(settings)
    if settings.mail_backend == "ses":
        from users_service.mail.ses import SesBackend

        return SesBackend.from_settings(settings)
    return ConsoleBackend()
