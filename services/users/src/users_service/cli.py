"""Operator commands: `users-service db upgrade`, `create-admin`, `import-reference`, ...

The same commands are available as `flask --app users_service <command>`.
"""

from datetime import timedelta

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from pydantic import ValidationError

from users_service import accounts, clock, migrate
from users_service.extensions import db
from users_service.models import prune_expired
from users_service.reference_import import import_reference_users
from users_service.runtime import runtime
from users_service.schemas import UserCreate, problems


@click.group("db", cls=AppGroup)
def db_group() -> None:
    """Schema migrations (Alembic). The application never creates or drops tables itself."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Migrate to REVISION (default: head); then create the ADMIN_* admin if configured."""
    settings = runtime().settings
    migrate.upgrade(settings, revision)
    if settings.admin_email and settings.admin_username and settings.admin_password:
        _ensure_admin(
            settings.admin_username,
            settings.admin_email,
            settings.admin_password.get_secret_value(),
        )


@db_group.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Migrate down to REVISION (`base` empties the schema)."""
    migrate.downgrade(runtime().settings, revision)


@db_group.command("current")
def current_command() -> None:
    """Show the revision the database is at."""
    migrate.current(runtime().settings)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate", is_flag=True, help="Diff the models against the database.")
def revision_command(message: str, autogenerate: bool) -> None:
    """Write a new migration script."""
    migrate.revision(runtime().settings, message, autogenerate)


@click.command("create-admin")
@with_appcontext
@click.option("--username", required=True)
@click.option("--email", required=True)
@click.password_option(envvar="ADMIN_PASSWORD", help="Prompted for when not given.")
def create_admin_command(username: str, email: str, password: str) -> None:
    """Create an admin account, or promote (and reactivate) the account with this email."""
    _ensure_admin(username, email, password)


@click.command("prune-expired")
@with_appcontext
def prune_expired_command() -> None:
    """Delete revocations, refresh tokens and rate-limit counters that have expired."""
    removed = prune_expired(db.session)
    db.session.commit()
    click.echo(
        f"removed {removed['revoked_tokens']} expired revocation(s),"
        f" {removed['refresh_tokens']} refresh token(s),"
        f" {removed['rate_limit_counters']} rate-limit counter(s)"
    )


@click.command("import-reference")
@click.argument("source_url", envvar="REFERENCE_DATABASE_URL")
@with_appcontext
def import_reference_command(source_url: str) -> None:
    """Copy users (ids, bcrypt hashes, flags) from a reference-service database at SOURCE_URL."""
    report = import_reference_users(db.session, source_url)
    click.echo(f"imported {report.imported} user(s), skipped {len(report.skipped)}")
    for reason in report.skipped:
        click.echo(f"  skipped {reason}")


@click.command("orphan-files")
@with_appcontext
@click.option("--min-age-minutes", default=60, show_default=True, type=click.IntRange(min=0))
@click.option("--delete", is_flag=True, help="Delete them (default: only list them).")
def orphan_files_command(min_age_minutes: int, delete: bool) -> None:
    """List stored objects that no file row names (left by a crash between an S3 PUT and its
    commit). The minimum age keeps uploads still in flight out of the list."""
    storage = runtime().storage
    keys = storage.orphans(db.session, clock.now() - timedelta(minutes=min_age_minutes))
    for key in keys:
        click.echo(key)
    if delete:
        storage.discard(keys)
    click.echo(f"{len(keys)} orphan object(s){' deleted' if delete else ''}")


def _ensure_admin(username: str, email: str, password: str) -> None:
    try:
        data = UserCreate.model_validate(
            {"username": username, "email": email, "password": password},
            context=runtime().password_policy(),
        )
    except ValidationError as error:
        details = "; ".join(f"{p['field']}: {p['message']}" for p in problems(error))
        raise click.BadParameter(details) from error
    try:
        user, created = accounts.ensure_admin(db.session, runtime().hasher, data)
    except accounts.DuplicateUserError as error:
        raise click.ClickException(f"the {error.field} belongs to another account") from error
    click.echo(f"{'created' if created else 'promoted'} admin {user.username} <{user.email}>")


def register_commands(app: Flask) -> None:
    for command in (
        db_group,
        create_admin_command,
        prune_expired_command,
        import_reference_command,
        orphan_files_command,
    ):
        app.cli.add_command(command)


def main() -> None:
    from users_service.app import create_app

    FlaskGroup(create_app=create_app, help="Users service operator commands.")()
