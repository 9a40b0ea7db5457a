"""files and file_blobs."""

import sqlalchemy as sa
from alembic import op

from users_service.migrations.snapshots import create_file_blobs
from users_service.models.base import UTCDateTime

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("uploader_id", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(1024), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_files"),
        sa.ForeignKeyConstraint(["uploader_id"], ["users.id"], name="fk_files_uploader_id_users"),
        sa.UniqueConstraint("storage_key", name="uq_files_storage_key"),
    )
    op.create_index("ix_files_uploader_id", "files", ["uploader_id"])
    op.create_index("ix_files_created_at_id", "files", ["created_at", "id"])
    create_file_blobs()


def downgrade() -> None:
    op.drop_table("file_blobs")
    op.drop_index("ix_files_created_at_id", table_name="files")
    op.drop_index("ix_files_uploader_id", table_name="files")
    op.drop_table("files")
