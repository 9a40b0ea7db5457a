"""SES (API v2) against a moto server: what is sent, and what a refusal does."""

import os
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses import ses_backends

from users_service.mail import Outbox, current_outbox
from users_service.mail.ses import SesBackend

from services.users.tests.mail.conftest import DRAIN_SECONDS, MESSAGE, TOKEN, deliver


def sent_by_moto(sender: str) -> list[Any]:
    """The messages moto's SES recorded from `sender`: the moto server runs in this process,
    and its documented way to read them is its backend's `sent_messages`."""
    backend = ses_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]
    return [m for m in backend.sent_messages if m.source == sender]


def test_a_mail_is_sent_with_its_subject_and_both_bodies(
    make_app: Callable[..., Flask], ses_settings: dict[str, Any]
) -> None:
    app = make_app(**ses_settings)
    with app.app_context():
        backend = current_outbox().backend
    assert isinstance(backend, SesBackend)
    requests_made: list[dict[str, Any]] = []
    backend.client.meta.events.register(
        "provide-client-params.sesv2.SendEmail", lambda params, **_: requests_made.append(params)
    )
    deliver(app)
    [sent] = sent_by_moto(ses_settings["mail_from"])
    assert sent.destinations == {"ToAddresses": [MESSAGE.to]}
    assert sent.subject == MESSAGE.subject
    assert sent.body == MESSAGE.html  # moto keeps one body, the HTML one
    [simple] = [made["Content"]["Simple"] for made in requests_made]
    assert simple["Body"]["Text"]["Data"] == MESSAGE.text
    assert simple["Body"]["Html"]["Data"] == MESSAGE.html


def test_an_unverified_sender_is_refused_for_good_and_logged_without_the_mail(
    make_app: Callable[..., Flask],
    make_settings: Callable[..., Any],
    ses_settings: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(**{**ses_settings, "mail_from": "no-reply@unverified.example.com"})
    pauses: list[float] = []
    backend = SesBackend.from_settings(settings)
    outbox = Outbox(make_app(), backend, limit=10, attempts=2, sleep=pauses.append)
    assert outbox.submit(lambda: MESSAGE)
    assert outbox.drain(DRAIN_SECONDS)
    assert settings.mail_from is not None
    assert sent_by_moto(settings.mail_from) == []
    assert pauses == []  # SES's 400: the same mail would be refused again
    assert "mail via ses refused for good, not retried: MessageRejected (400)" in caplog.text
    assert TOKEN not in caplog.text
