"""How mail leaves: one small interface, the console backend, and the choice by MAIL_BACKEND."""

import logging
from typing import Protocol

from users_service.config import Settings
from users_service.mail.message import Message

log = logging.getLogger(__name__)


class PermanentRefusalError(Exception):
    """The mail system refused this mail for good (an SMTP 5xx reply, a 4xx from SES other
    than throttling): the same mail sent again would be refused again. Its text names the
    error and its code, never the mail nor the address."""


class Backend(Protocol):
    name: str

    def send(self, message: Message) -> None:
        """Hand the message to the mail system, or raise: PermanentRefusalError when sending it
        again cannot help, anything else when it may (the outbox retries those)."""


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
