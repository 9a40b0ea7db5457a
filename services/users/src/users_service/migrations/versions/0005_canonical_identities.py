"""Canonical identity keys on users, ids never reused on SQLite, last successful login.

The keys replace the unique indexes on lower(...). They are computed here from every
existing row, with the service's own code (users/identities.py), before anything changes:
rows whose keys would collide (`josé` in NFC and NFD, `Émile` beside `émile` on SQLite,
a fullwidth `bob` beside `bob`) stop the migration with their ids, and are never merged.
"""

import logging
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from users_service.models.user import DIGEST_LENGTH, EMAIL_MAX, USERNAME_MAX
from users_service.users.identities import IdentityKeys, keys_of

revision = "0005"
down_revision = "0004"
log = logging.getLogger(__name__)
USERS = sa.table("users", sa.column("id"), sa.column("username_key"), sa.column("email_key"))


class IdentityCollisionError(RuntimeError):
    """Existing accounts that the canonical keys would make one; an operator decides."""


def upgrade() -> None:
    keys = _existing_keys()  # first: on SQLite each DDL statement below commits by itself
    op.drop_index("uq_users_email_lower", table_name="users")
    op.drop_index("uq_users_username_lower", table_name="users")
    op.add_column("users", sa.Column("username_key", sa.String(USERNAME_MAX), nullable=True))
    op.add_column("users", sa.Column("email_key", sa.String(EMAIL_MAX), nullable=True))
    op.add_column("users", sa.Column("last_login_from", sa.String(DIGEST_LENGTH), nullable=True))
    if keys:
        rows = [{"row_id": i, "u": k.username, "e": k.email} for i, k in keys.items()]
        update = USERS.update().where(USERS.c.id == sa.bindparam("row_id"))
        op.get_bind().execute(
            update.values(username_key=sa.bindparam("u"), email_key=sa.bindparam("e")), rows
        )
    # SQLite rebuilds the table here, now with AUTOINCREMENT; PostgreSQL only alters it.
    with op.batch_alter_table("users", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.alter_column("username_key", existing_type=sa.String(USERNAME_MAX), nullable=False)
        batch.alter_column("email_key", existing_type=sa.String(EMAIL_MAX), nullable=False)
    op.create_index("uq_users_email_key", "users", ["email_key"], unique=True)
    op.create_index("uq_users_username_key", "users", ["username_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_users_username_key", table_name="users")
    op.drop_index("uq_users_email_key", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_login_from")
        batch.drop_column("email_key")
        batch.drop_column("username_key")
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True)
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)


def _existing_keys() -> dict[int, IdentityKeys]:
    query = sa.text("SELECT id, username, email FROM users ORDER BY id")
    keys = {row.id: keys_of(row.username, row.email) for row in op.get_bind().execute(query)}
    problems = _collisions(keys) + _too_long(keys)
    if problems:
        message = (
            "migration 0005 changed nothing: these accounts would share a canonical username "
            "or email (NFKC and case folding) or have one too long for its column. Rename or "
            "merge them by hand, then upgrade again: " + "; ".join(problems)
        )
        log.error(message)
        raise IdentityCollisionError(message)
    return keys


def _collisions(keys: dict[int, IdentityKeys]) -> list[str]:
    problems = []
    for field in ("username", "email"):
        owners: dict[str, list[int]] = defaultdict(list)
        for user_id, identity in keys.items():
            owners[getattr(identity, field)].append(user_id)
        shared = [ids for ids in owners.values() if len(ids) > 1]
        problems += [f"{field} of users {', '.join(map(str, ids))}" for ids in shared]
    return problems


def _too_long(keys: dict[int, IdentityKeys]) -> list[str]:
    return [
        f"user {user_id} (canonical username or email too long)"
        for user_id, identity in keys.items()
        if len(identity.username) > USERNAME_MAX or len(identity.email) > EMAIL_MAX
    ]
