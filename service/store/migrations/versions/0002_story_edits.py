"""story edits: merged stories, articles placed by hand, the record of edits

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 11:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: no foreign key on merged_into, because SQLite can
    # only add or drop one by rebuilding `stories`, which the articles' foreign keys forbid.
    op.add_column("stories", sa.Column("merged_into", sa.String(length=32), nullable=True))
    op.create_index(op.f("ix_stories_merged_into"), "stories", ["merged_into"], unique=False)
    op.add_column(
        "articles",
        sa.Column("pinned", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "story_edits",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("story_id", sa.String(length=32), nullable=False),
        sa.Column("from_story_id", sa.String(length=32), nullable=True),
        sa.Column("moves", sa.JSON(), nullable=False),
        sa.Column("kept", sa.JSON(), nullable=False),
        sa.Column("removed_links", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("by", sa.String(length=300), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reverted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reverted_by", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["from_story_id"], ["stories.id"]),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_story_edits_at"), "story_edits", ["at"], unique=False)
    op.create_index(
        op.f("ix_story_edits_from_story_id"), "story_edits", ["from_story_id"], unique=False
    )
    op.create_index(op.f("ix_story_edits_story_id"), "story_edits", ["story_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_story_edits_story_id"), table_name="story_edits")
    op.drop_index(op.f("ix_story_edits_from_story_id"), table_name="story_edits")
    op.drop_index(op.f("ix_story_edits_at"), table_name="story_edits")
    op.drop_table("story_edits")
    op.drop_column("articles", "pinned")
    op.drop_index(op.f("ix_stories_merged_into"), table_name="stories")
    op.drop_column("stories", "merged_into")
