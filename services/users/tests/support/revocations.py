"""Revocations as rows, and the `prune-expired` command that removes the expired ones."""

from datetime import datetime

from click.testing import Result
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy import select

from users_service.models import RevokedToken
from users_service.models.database import db


def revoked_rows(app: Flask) -> dict[str, datetime]:
    """Revoked access-token ids (session families are covered by auth/test_refresh_tokens.py)."""
    with app.app_context():
        rows = db.session.execute(select(RevokedToken.jti, RevokedToken.expires_at)).all()
        return {jti: expires_at for jti, expires_at in rows if not jti.startswith("family:")}


def add_revocation(app: Flask, jti: str, expires_at: datetime) -> None:
    with app.app_context():
        db.session.add(RevokedToken(jti=jti, expires_at=expires_at))
        db.session.commit()


def run_cli(app: Flask, *args: str) -> Result:
    """Run a command as `users-service ...` does: a FlaskGroup that loads this app."""
    operator_cli = FlaskGroup(create_app=lambda: app, load_dotenv=False)
    return app.test_cli_runner().invoke(operator_cli, args=list(args))


def assert_prune_expired(app: Flask, removed: int, left: set[str]) -> None:
    """`users-service prune-expired` succeeds, reports `removed` entries and leaves `left`."""
    result = run_cli(app, "prune-expired")
    assert result.exit_code == 0, result.output
    assert f"removed {removed} expired revocation(s)" in result.output
    assert set(revoked_rows(app)) == left
