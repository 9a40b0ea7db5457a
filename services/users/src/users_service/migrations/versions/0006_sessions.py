"""Sessions: one row per login, listed to its user; the user's session generation.

Every refresh-token family that could still be refreshed becomes a session. When it
started and where from were never recorded: it is shown as started and last used at the
time of this migration, from an unknown client.
"""

import sqlalchemy as sa
from alembic import op

from users_service import clock
from users_service.models.base import UTCDateTime
from users_service.models.login_session import ADDRESS_MAX, ID_LENGTH, USER_AGENT_MAX

revision = "0006"
down_revision = "0005"
REFRESH_TOKENS = sa.table(
    "refresh_tokens",
    sa.column("family"),
    sa.column("user_id"),
    sa.column("expires_at", UTCDateTime()),
    sa.column("used_at"),
)
REVOKED = sa.table("revoked_tokens", sa.column("jti"))


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False),
    )
    sessions = op.create_table(
        "sessions",
        sa.Column("id", sa.String(ID_LENGTH), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=False),
        sa.Column("user_agent", sa.String(USER_AGENT_MAX), nullable=True),
        sa.Column("ip", sa.String(ADDRESS_MAX), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_sessions_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_index("ix_sessions_expires_at", "sessions", ["expires_at"])
    op.create_index("ix_sessions_user_id_created_at", "sessions", ["user_id", "created_at"])
    op.get_bind().execute(sessions.insert().from_select(_COLUMNS, _live_families()))


_COLUMNS = ["id", "user_id", "generation", "created_at", "last_used_at", "expires_at"]


def _live_families() -> sa.Select[tuple[object, ...]]:
    """One row per family with an unspent, unexpired refresh token and no revocation."""
    now = sa.literal(clock.now(), UTCDateTime())
    family = REFRESH_TOKENS.c.family
    revoked = sa.select(REVOKED.c.jti).where(REVOKED.c.jti == sa.literal("family:") + family)
    return (
        sa.select(
            family,
            sa.func.min(REFRESH_TOKENS.c.user_id),
            sa.literal(0),
            now,
            now,
            sa.func.max(REFRESH_TOKENS.c.expires_at),
        )
        .where(
            REFRESH_TOKENS.c.used_at.is_(None),
            REFRESH_TOKENS.c.expires_at > now,
            ~sa.exists(revoked),
        )
        .group_by(family)
    )


def downgrade() -> None:
    op.drop_table("sessions")
    with op.batch_alter_table("users", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("session_generation")
