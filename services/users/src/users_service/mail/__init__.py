"""Outgoing mail: `current_outbox().submit(job)` queues a job that composes a `Message`; the
worker's outbox sends it later through the backend MAIL_BACKEND names (docs/mail.md)."""

from flask import Flask, current_app

from users_service.config import Settings
from users_service.mail.backends import build_backend
from users_service.mail.message import Message
from users_service.mail.outbox import Job, Outbox

__all__ = ["Job", "Message", "Outbox", "current_outbox", "init_app"]
EXTENSION_KEY = "users_service.mail"


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION_KEY] = Outbox(
        app,
        build_backend(settings),
        limit=settings.mail_queue_max,
        attempts=settings.mail_send_attempts,
    )


def current_outbox() -> Outbox:
    outbox: Outbox = current_app.extensions[EXTENSION_KEY]
    return outbox
