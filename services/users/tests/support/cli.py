"""Running the service's commands in tests, and looking at what they did."""

from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from users_service.models import User
from users_service.models.database import db


def invoke(app: Flask, *args: str) -> Result:
    """Run a command the way the `flask` / `users-service` entry points do: in an app context.

    (FlaskGroup pushes one before calling any command; the test runner alone does not, see
    cli/test_main.py.)
    """
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
    print(f"\n$ {' '.join(args)}\nexit {result.exit_code}\n{result.output}")
    return result


def user_by_email(app: Flask, email: str) -> User | None:
    """The user with this email (any case), or None."""
    with app.app_context():
        return db.session.scalars(
            select(User).where(func.lower(User.email) == email.lower())
        ).one_or_none()


def count_users(app: Flask) -> int | None:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))
