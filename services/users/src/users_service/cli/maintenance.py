"""Maintenance commands: pruning expired rows, importing a reference database, orphan files."""

from datetime import timedelta

import click
from flask.cli import with_appcontext

from users_service import clock
from users_service.files.storage import current_storage
from users_service.models import prune_expired
from users_service.models.database import db
from users_service.users.reference_import import import_reference_users


@click.command("prune-expired")
@with_appcontext
def prune_expired_command() -> None:
    """Delete revocations, refresh tokens and rate-limit counters that have expired (run it
    from a scheduled task: requests never do this work)."""
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
    storage = current_storage()
    keys = storage.orphans(db.session, clock.now() - timedelta(minutes=min_age_minutes))
    for key in keys:
        click.echo(key)
    if delete:
        storage.discard(keys)
    click.echo(f"{len(keys)} orphan object(s){' deleted' if delete else ''}")
