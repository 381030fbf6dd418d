"""event signatures and word fingerprints of articles, for story assignment

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: articles stored before have neither, and are compared on their embedding alone.
    op.add_column("articles", sa.Column("event", sa.JSON(), nullable=True))
    op.add_column("articles", sa.Column("fingerprint", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("articles", "fingerprint")
    op.drop_column("articles", "event")
