"""full-text search of claims: FTS5 on SQLite, a tsvector with a GIN index on PostgreSQL

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 10:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# SQLite: an FTS5 table of its own rather than one over `claims` (content=): that kind keys its
# rows by the claims' rowid, which VACUUM may renumber on a table without an integer key.
# Triggers keep it in step with every insert, delete and change of a claim's words.
_SQLITE_UP = [
    "CREATE VIRTUAL TABLE claims_search USING fts5("
    "claim_id UNINDEXED, text, sentence, tokenize = 'porter unicode61 remove_diacritics 2')",
    "INSERT INTO claims_search (claim_id, text, sentence) SELECT id, text, sentence FROM claims",
    "CREATE TRIGGER claims_search_insert AFTER INSERT ON claims BEGIN "
    "INSERT INTO claims_search (claim_id, text, sentence) "
    "VALUES (new.id, new.text, new.sentence); END",
    "CREATE TRIGGER claims_search_delete AFTER DELETE ON claims BEGIN "
    "DELETE FROM claims_search WHERE claim_id = old.id; END",
    "CREATE TRIGGER claims_search_update AFTER UPDATE OF id, text, sentence ON claims BEGIN "
    "DELETE FROM claims_search WHERE claim_id = old.id; "
    "INSERT INTO claims_search (claim_id, text, sentence) "
    "VALUES (new.id, new.text, new.sentence); END",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS claims_search_update",
    "DROP TRIGGER IF EXISTS claims_search_delete",
    "DROP TRIGGER IF EXISTS claims_search_insert",
    "DROP TABLE IF EXISTS claims_search",
]
# PostgreSQL: a stored generated column is computed for the rows already there and on every
# write, by the database itself.
_POSTGRES_UP = [
    "ALTER TABLE claims ADD COLUMN search tsvector GENERATED ALWAYS AS "
    "(to_tsvector('english'::regconfig, text || ' ' || sentence)) STORED",
    "CREATE INDEX ix_claims_search ON claims USING gin (search)",
]
_POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_claims_search",
    "ALTER TABLE claims DROP COLUMN IF EXISTS search",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run(_POSTGRES_UP)
    else:
        _run(_SQLITE_UP)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run(_POSTGRES_DOWN)
    else:
        _run(_SQLITE_DOWN)
