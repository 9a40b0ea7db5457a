"""`users-service prune-expired`: expired revocations go, live ones stay.

The other maintenance commands are tested beside their subject: `import-reference` in
users/test_reference_import.py, `orphan-files` in files/test_storage_s3.py.
"""

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from services.users.tests.support.clock import FakeClock
from services.users.tests.support.contract import assert_invalid_token
from services.users.tests.support.helpers import bearer
from services.users.tests.support.revocations import (
    add_revocation,
    assert_prune_expired,
    revoked_rows,
    run_cli,
)

INVALID = "Invalid token. Please log in again."


def test_prune_expired_command_removes_expired_entries(app: Flask, fake_clock: FakeClock) -> None:
    """`users-service prune-expired` deletes expired entries and prints how many."""
    now = fake_clock.current
    add_revocation(app, "old-1", now - timedelta(days=2))
    add_revocation(app, "old-2", now - timedelta(seconds=1))
    add_revocation(app, "live", now + timedelta(minutes=5))
    assert_prune_expired(app, removed=2, left={"live"})


def test_prune_expired_command_with_nothing_to_do(app: Flask, fake_clock: FakeClock) -> None:
    """With no expired entries the command removes nothing and says so."""
    add_revocation(app, "live", fake_clock.current + timedelta(minutes=5))
    assert_prune_expired(app, removed=0, left={"live"})


def test_prune_expired_command_uses_the_service_clock(app: Flask, fake_clock: FakeClock) -> None:
    """An entry becomes prunable once the clock passes its expiry."""
    add_revocation(app, "live", fake_clock.current + timedelta(minutes=5))
    fake_clock.advance(minutes=6)
    assert_prune_expired(app, removed=1, left=set())


def test_pruned_entry_was_for_an_expired_token_only(
    client: FlaskClient, app: Flask, token: str
) -> None:
    """Pruning right after a logout keeps that logout's (still live) revocation."""
    client.get("/auth/logout", headers=bearer(token))
    result = run_cli(app, "prune-expired")
    assert "removed 0 expired revocation(s)" in result.output
    assert_invalid_token(client.get("/auth/status", headers=bearer(token)))


def test_prune_expired_command_runs_under_flask_test_runner(
    app: Flask, fake_clock: FakeClock
) -> None:
    """`app.test_cli_runner().invoke(args=["prune-expired"])` works (no outside app context)."""
    add_revocation(app, "old", fake_clock.current - timedelta(minutes=1))
    result = app.test_cli_runner().invoke(args=["prune-expired"])
    assert result.exit_code == 0, repr(result.exception)
    assert "removed 1 expired revocation(s)" in result.output
    assert revoked_rows(app) == {}
