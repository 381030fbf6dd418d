"""api keys with scopes, and the key that submitted each article

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("outlets", sa.JSON(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
    )
    # Nullable and without a foreign key (as stories.merged_into in 0002): articles stored
    # before had no key, and SQLite can only add a foreign key by rebuilding the table.
    op.add_column("articles", sa.Column("api_key_id", sa.String(length=32), nullable=True))
    op.create_index(op.f("ix_articles_api_key_id"), "articles", ["api_key_id"], unique=False)


def downgrade() -> None:
    # SQLite refuses to drop an indexed column: the index goes first.
    op.drop_index(op.f("ix_articles_api_key_id"), table_name="articles")
    op.drop_column("articles", "api_key_id")
    op.drop_table("api_keys")
