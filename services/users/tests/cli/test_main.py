"""The `users-service` entry point: the commands run with or without a pushed app context."""

from click.testing import CliRunner
from flask import Flask
from flask.cli import FlaskGroup

from services.users.tests.support.cli import user_by_email
from services.users.tests.support.helpers import PASSWORD


def test_commands_run_from_the_bare_test_runner(app: Flask) -> None:
    """app.test_cli_runner() without a pushed app context can run the service's commands."""
    result = app.test_cli_runner().invoke(args=["prune-expired"])
    assert result.exception is None, repr(result.exception)
    assert result.exit_code == 0, result.output
    assert "removed 0 expired revocation(s)" in result.output


def test_commands_run_through_the_flask_group(app: Flask) -> None:
    """The users-service entry point (a FlaskGroup) runs create-admin in an app context."""
    group = FlaskGroup(create_app=lambda: app, load_dotenv=False)
    args = ["create-admin", "--username", "boss", "--email", "boss@example.com"]
    result = CliRunner().invoke(group, [*args, "--password", PASSWORD])
    assert result.exit_code == 0, (result.output, repr(result.exception))
    assert "created admin boss <boss@example.com>" in result.output
    user = user_by_email(app, "boss@example.com")
    assert user is not None
    assert user.admin is True
