"""`users-service create-admin`, `activate`, `deactivate`, `promote`, `demote`: accounts an
operator manages from the command line."""

import click
from flask.cli import with_appcontext
from pydantic import ValidationError

from users_service.auth.passwords import current_hasher
from users_service.config import current_settings
from users_service.models.database import db
from users_service.users import accounts
from users_service.users.schemas import UserCreate
from users_service.web.security_log import Event, security_event
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


def _standing_command(
    name: str, done: str, summary: str, *, active: bool | None = None, admin: bool | None = None
) -> click.Command:
    """A command that changes the standing of the account with the EMAIL argument."""

    @click.command(name, help=summary)
    @with_appcontext
    @click.argument("email")
    def command(email: str) -> None:
        user = accounts.find_by_email(db.session, email)
        if user is None:
            raise click.ClickException(f"no account has the email {email}")
        try:
            accounts.update_account(db.session, user, active=active, admin=admin)
        except accounts.LastAdminError as error:
            raise click.ClickException(LAST_ADMIN) from error
        security_event(Event.ACCOUNT_UPDATED, user.id)  # by an operator: no `by`, no client
        click.echo(f"{done} {user.username} <{user.email}>")

    return command


LAST_ADMIN = "this is the last active admin; promote another account first"
activate_command = _standing_command(
    "activate", "activated", "Let the account with this email log in again.", active=True
)
deactivate_command = _standing_command(
    "deactivate",
    "deactivated",
    "Stop the account with this email from logging in, and end its sessions.",
    active=False,
)
promote_command = _standing_command(
    "promote", "promoted", "Make the account with this email an admin.", admin=True
)
demote_command = _standing_command(
    "demote", "demoted", "Make the account with this email an admin no more.", admin=False
)
