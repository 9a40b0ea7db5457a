"""Tables as one migration created them, for a later one whose downgrade puts them back:
one definition, so the two can never disagree."""

import sqlalchemy as sa
from alembic import op


def create_file_blobs() -> sa.Table:
    """`file_blobs` as 0003 created it (0004 replaces it with chunks; its downgrade restores
    it)."""
    return op.create_table(
        "file_blobs",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("file_id", name="pk_file_blobs"),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name="fk_file_blobs_file_id_files", ondelete="CASCADE"
        ),
    )
