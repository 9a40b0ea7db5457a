"""The mail settings: what is refused, what production requires, the console backend."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask

from users_service.auth import rsa_keys
from users_service.config import ConfigError, load_settings
from users_service.mail import Message, current_outbox
from users_service.mail.backends import ConsoleBackend

from services.users.tests.mail.conftest import MESSAGE, deliver
from services.users.tests.support.helpers import PRODUCTION_MAIL

REPOSITORY = Path(__file__).resolve().parents[4]
PRODUCTION = {
    "app_env": "production",
    "jwt_private_keys": rsa_keys.generate_pem(),
    "database_url": "postgresql://svc:pw@db.internal:5432/users",
    **PRODUCTION_MAIL,
}


@pytest.fixture(autouse=True)
def no_mail_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No mail setting leaks in from the machine running the tests."""
    for name in PRODUCTION_MAIL:
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"mail_backend": "smtp", "mail_from": "a@example.com"}, "SMTP_HOST"),
        ({"mail_backend": "smtp", "smtp_host": "mail.example.com"}, "MAIL_FROM"),
        ({"mail_backend": "ses"}, "MAIL_FROM"),
        ({"mail_backend": "sendmail"}, "MAIL_BACKEND"),
        ({"mail_from": "a@example.com, b@example.com"}, "MAIL_FROM"),
        ({"mail_from": "Users <a@example.com>\r\nBcc: all@example.com"}, "MAIL_FROM"),
        ({"mail_from": "not an address"}, "MAIL_FROM"),
        ({"mail_from": "users@localhost"}, "MAIL_FROM"),
        ({"smtp_username": "relay-user"}, "SMTP_PASSWORD"),
        ({"smtp_security": "tls"}, "SMTP_SECURITY"),
        ({"smtp_port": 70000}, "SMTP_PORT"),
        ({"ses_endpoint_url": "localhost:5000"}, "SES_ENDPOINT_URL"),
        ({"public_app_url": "app.example.com"}, "PUBLIC_APP_URL"),
        ({"public_app_url": "ftp://app.example.com"}, "PUBLIC_APP_URL"),
        ({"public_app_url": "https://app.example.com/?next=1"}, "PUBLIC_APP_URL"),
        ({"public_app_url": "https://app.example.com/#top"}, "PUBLIC_APP_URL"),
        ({"public_app_url": "https://app.example.com/?"}, "PUBLIC_APP_URL"),
        ({"public_app_url": "https://app.example.com:99999"}, "PUBLIC_APP_URL"),
        ({"public_app_url": "https://user:pw@app.example.com"}, "PUBLIC_APP_URL"),
        ({"mail_queue_max": 0}, "MAIL_QUEUE_MAX"),
        ({"mail_send_attempts": 0}, "MAIL_SEND_ATTEMPTS"),
    ],
)
def test_invalid_mail_settings_are_refused_by_name(overrides: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(**overrides)


def test_the_smtp_password_is_never_shown() -> None:
    settings = load_settings(smtp_username="relay-user", smtp_password="smtp-pw-9c1b")
    assert "smtp-pw-9c1b" not in repr(settings)
    with pytest.raises(ConfigError) as refused:
        load_settings(smtp_password="smtp-pw-9c1b", smtp_port=0)
    assert "smtp-pw-9c1b" not in str(refused.value)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("no-reply@example.com", "no-reply@example.com"),
        ("Users <no-reply@example.com>", "Users <no-reply@example.com>"),
        ('"Doe, Jane" <jane@example.com>', '"Doe, Jane" <jane@example.com>'),
    ],
)
def test_the_sender_is_kept_as_a_header_value(given: str, kept: str) -> None:
    assert load_settings(mail_from=given).mail_from == kept


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://app.example.com/", "https://app.example.com"),
        ("https://example.com/app/", "https://example.com/app"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_the_public_url_loses_its_trailing_slash(given: str, kept: str) -> None:
    assert load_settings(public_app_url=given).public_app_url == kept


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"mail_backend": "console"}, "MAIL_BACKEND"),
        ({"public_app_url": None}, "PUBLIC_APP_URL"),
        ({"public_app_url": "http://app.example.com"}, "PUBLIC_APP_URL"),
    ],
    ids=["console", "no public url", "http public url"],
)
def test_production_refuses_mail_that_is_not_sent_or_links_in_clear(
    overrides: dict[str, Any], named: str
) -> None:
    values = {**PRODUCTION, **overrides}
    values = {name: value for name, value in values.items() if value is not None}
    with pytest.raises(ConfigError, match=named):
        load_settings(**values)


@pytest.mark.parametrize("url", ["https://app.example.com", "http://127.0.0.1:8080"])
def test_production_accepts_https_or_this_machine(url: str) -> None:
    """http only where the browser is on the same machine (the compose stack)."""
    assert load_settings(**{**PRODUCTION, "public_app_url": url}).public_app_url == url


def test_development_logs_mail_marked_as_not_sent(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()
    with app.app_context():
        assert isinstance(current_outbox().backend, ConsoleBackend)
    deliver(app)
    [line] = [r.getMessage() for r in caplog.records if r.name == "users_service.mail.backends"]
    assert line.startswith("mail not sent (MAIL_BACKEND=console): to ada@example.org,")
    assert repr(MESSAGE.subject) in line
    assert line.endswith(f"\n{MESSAGE.text}")


@pytest.mark.parametrize("field", ["to", "subject"])
def test_a_header_of_a_message_is_one_line(field: str) -> None:
    values = {"to": "a@example.org", "subject": "Hello", "text": "t", "html": "<p>t</p>"}
    with pytest.raises(ValueError, match="one line"):
        Message(**{**values, field: values[field] + "\r\nBcc: all@example.com"})


def test_the_compose_stack_sends_mail_as_production_allows() -> None:
    """docker-compose.yml runs APP_ENV=production: its mail settings pass production's rules
    (its stack tests need a Docker engine; this needs none)."""
    compose = yaml.safe_load((REPOSITORY / "docker-compose.yml").read_text())
    environment = compose["x-users-environment"]
    names = {"MAIL_BACKEND", "MAIL_FROM", "SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY"}
    mail = {name.lower(): str(environment[name]) for name in names}
    url = environment["PUBLIC_APP_URL"].replace("${LB_PORT:-8080}", "8080")
    settings = load_settings(**{**PRODUCTION, **mail, "public_app_url": url})
    assert (settings.mail_backend, settings.smtp_host) == ("smtp", "mail")
    assert compose["services"]["mail"]["command"][-1] == f"0.0.0.0:{settings.smtp_port}"
