"""`users-service db ...`: schema migrations. The application never creates or drops tables."""

import os

import click
from flask.cli import AppGroup

from users_service import migrations
from users_service.cli.accounts import ensure_admin
from users_service.config import current_settings
from users_service.migrations.lock import MigrationLockHeldError


@click.group("db", cls=AppGroup)
def db_group() -> None:
    """Schema migrations (Alembic). The application never creates or drops tables itself."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Migrate to REVISION (default: head); then create the ADMIN_* admin if configured.

    Exits 75 (EX_TEMPFAIL) when another migration holds the lock for too long."""
    settings = current_settings()
    try:
        migrations.upgrade(settings, revision)
    except MigrationLockHeldError as error:
        click.echo(f"db upgrade: {error}", err=True)
        raise click.exceptions.Exit(os.EX_TEMPFAIL) from error
    if settings.admin_email and settings.admin_username and settings.admin_password:
        ensure_admin(
            settings.admin_username,
            settings.admin_email,
            settings.admin_password.get_secret_value(),
        )


@db_group.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Migrate down to REVISION (`base` empties the schema)."""
    migrations.downgrade(current_settings(), revision)


@db_group.command("current")
def current_command() -> None:
    """Show the revision the database is at."""
    migrations.current(current_settings())


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate", is_flag=True, help="Diff the models against the database.")
def revision_command(message: str, autogenerate: bool) -> None:
    """Write a new migration script."""
    migrations.revision(current_settings(), message, autogenerate)
