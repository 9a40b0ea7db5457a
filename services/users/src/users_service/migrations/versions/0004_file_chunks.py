"""file_chunks replaces file_blobs: database content in pieces of at most 256 KiB.

The content moves inside the database (one INSERT ... SELECT, a recursive query numbering
each blob's pieces), so no file passes through the migrating process. Downgrade joins the
pieces back, one file at a time.
"""

import sqlalchemy as sa
from alembic import op

from users_service.migrations.snapshots import create_file_blobs

revision = "0004"
down_revision = "0003"

# The size the service writes (models.stored_file.CHUNK_BYTES), fixed here as it was when
# this migration was written: a later change of the constant must not change this step.
PIECE_BYTES = 256 * 1024
# substr() and length() count bytes of a bytea (PostgreSQL) and of a BLOB (SQLite) alike.
SPLIT_BLOBS = sa.text(
    """
    WITH RECURSIVE pieces (file_id, seq) AS (
        SELECT file_id, 0 FROM file_blobs
        UNION ALL
        SELECT pieces.file_id, pieces.seq + 1
        FROM pieces JOIN file_blobs ON file_blobs.file_id = pieces.file_id
        WHERE (pieces.seq + 1) * :piece < length(file_blobs.content)
    )
    INSERT INTO file_chunks (file_id, seq, data)
    SELECT pieces.file_id, pieces.seq, substr(file_blobs.content, pieces.seq * :piece + 1, :piece)
    FROM pieces JOIN file_blobs ON file_blobs.file_id = pieces.file_id
    """
)


def upgrade() -> None:
    op.create_table(
        "file_chunks",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("file_id", "seq", name="pk_file_chunks"),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name="fk_file_chunks_file_id_files", ondelete="CASCADE"
        ),
    )
    op.get_bind().execute(SPLIT_BLOBS, {"piece": PIECE_BYTES})
    op.drop_table("file_blobs")


def downgrade() -> None:
    blobs = create_file_blobs()
    connection = op.get_bind()
    file_ids = connection.scalars(sa.text("SELECT DISTINCT file_id FROM file_chunks")).all()
    for file_id in file_ids:
        # No portable byte-safe aggregate (SQLite's group_concat works on text): join here.
        pieces = connection.scalars(
            sa.text("SELECT data FROM file_chunks WHERE file_id = :id ORDER BY seq"),
            {"id": file_id},
        )
        connection.execute(sa.insert(blobs), {"file_id": file_id, "content": b"".join(pieces)})
    op.drop_table("file_chunks")
