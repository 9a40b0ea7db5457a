"""`users-service create-admin`: accounts an operator manages from the command line."""

import click
from flask.cli import with_appcontext
from pydantic import ValidationError

from users_service.auth.passwords import current_hasher
from users_service.config import current_settings
from users_service.models.database import db
from users_service.users import accounts
from users_service.users.schemas import UserCreate
from users_service.web.wire import problems


@click.command("create-admin")
@with_appcontext
@click.option("--username", required=True)
@click.option("--email", required=True)
@click.password_option(envvar="ADMIN_PASSWORD", help="Prompted for when not given.")
def create_admin_command(username: str, email: str, password: str) -> None:
    """Create an admin account, or promote (and reactivate) the account with this email."""
    ensure_admin(username, email, password)


def ensure_admin(username: str, email: str, password: str) -> None:
    """Validated as a registration is (the password policy included), then created or promoted."""
    try:
        data = UserCreate.model_validate(
            {"username": username, "email": email, "password": password},
            context=current_settings(),
        )
    except ValidationError as error:
        details = "; ".join(f"{p['field']}: {p['message']}" for p in problems(error))
        raise click.BadParameter(details) from error
    try:
        user, created = accounts.ensure_admin(db.session, current_hasher(), **data.model_dump())
    except accounts.DuplicateUserError as error:
        raise click.ClickException(f"the {error.field} belongs to another account") from error
    click.echo(f"{'created' if created else 'promoted'} admin {user.username} <{user.email}>")
