"""`users-service deactivate`, `activate`, `promote` and `demote EMAIL`: an operator changes
an account's standing; the last active admin is kept."""

from collections.abc import Callable

import pytest
from flask import Flask

from users_service.models import User

from services.users.tests.support.admin import sign_in, status, stored
from services.users.tests.support.cli import invoke
from services.users.tests.support.security_events import security_events

LAST_ADMIN = "Error: this is the last active admin; promote another account first"


def said(output: str, user: User) -> str:
    """What the command told its operator, having checked that it logged the change as one
    security event of the account (a JSON line on stdout, like every security event)."""
    events = security_events(output)
    assert [(e["event"], e["user_id"], e["client"]) for e in events] == [
        ("account.updated", user.id, None)
    ]
    return "".join(line + "\n" for line in output.splitlines() if not line.startswith("{"))


@pytest.fixture
def worker(make_user: Callable[..., User]) -> User:
    return make_user(username="worker", email="worker@example.com")


def test_deactivate_ends_the_sessions_and_says_so(app: Flask, worker: User) -> None:
    session = sign_in(app.test_client(), worker)
    result = invoke(app, "deactivate", "Worker@Example.com")
    assert result.exit_code == 0, result.output
    assert said(result.output, worker) == "deactivated worker <worker@example.com>\n"
    after = stored(app, worker.id)
    assert after is not None
    assert after.active is False
    assert status(app.test_client(), session.access).status_code == 401


def test_activate_lets_the_account_log_in_again(app: Flask, worker: User) -> None:
    assert invoke(app, "deactivate", worker.email).exit_code == 0
    result = invoke(app, "activate", worker.email)
    assert said(result.output, worker) == "activated worker <worker@example.com>\n"
    assert sign_in(app.test_client(), worker).access


def test_promote_makes_an_admin(app: Flask, worker: User) -> None:
    result = invoke(app, "promote", worker.email)
    assert result.exit_code == 0, result.output
    assert said(result.output, worker) == "promoted worker <worker@example.com>\n"
    promoted = stored(app, worker.id)
    assert promoted is not None
    assert promoted.admin is True


def test_demote_with_another_admin(
    app: Flask, worker: User, make_user: Callable[..., User]
) -> None:
    make_user(admin=True)
    assert invoke(app, "promote", worker.email).exit_code == 0
    result = invoke(app, "demote", worker.email)
    assert said(result.output, worker) == "demoted worker <worker@example.com>\n"
    after = stored(app, worker.id)
    assert after is not None
    assert after.admin is False


@pytest.mark.parametrize("command", ["activate", "deactivate", "promote", "demote"])
def test_an_unknown_email_is_an_error(app: Flask, worker: User, command: str) -> None:
    result = invoke(app, command, "nobody@example.com")
    assert result.exit_code == 1
    assert result.output == "Error: no account has the email nobody@example.com\n"


@pytest.mark.parametrize("command", ["deactivate", "demote"])
def test_the_last_active_admin_is_kept(
    app: Flask, make_user: Callable[..., User], command: str
) -> None:
    boss = make_user(admin=True)
    make_user(admin=True, active=False)  # an inactive admin does not count
    result = invoke(app, command, boss.email)
    assert result.exit_code == 1
    assert result.output == LAST_ADMIN + "\n"
    after = stored(app, boss.id)
    assert after is not None
    assert (after.active, after.admin) == (True, True)
