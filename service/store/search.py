"""Full-text search of claims: one condition, an FTS5 table on SQLite, a tsvector on PostgreSQL.

Migration 0005 builds both and keeps them in step with the claims table inside the database
(SQLite triggers, a PostgreSQL generated column), so that every write path (ingest, edits,
reverts) indexes what it stores without knowing about search. On both databases a query keeps
the claims whose text or sentence holds every word of it, matched by stem ("drone" finds
"drones"); PostgreSQL also drops English stop words ("the", "of") from the query.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, column, func, literal_column, select, table
from sqlalchemy.orm import Session

from models.errors import InputError
from service.store.tables import ClaimRow

MAX_WORDS = 32
"""Most words a query may hold: each one is a term the index must intersect."""

_WORD = re.compile(r"\w+")
# The FTS5 table of migration 0005: one row per claim, `claim_id` stored but not indexed.
_FTS = table("claims_search", column("claim_id"))
# The generated tsvector column of migration 0005 (PostgreSQL only; the ORM leaves it out).
_TSVECTOR: ColumnElement[Any] = literal_column("claims.search")


def search_words(query: str) -> list[str]:
    """The words of a query, in order.

    Raises:
        InputError: the query holds no word, or more than MAX_WORDS.
    """
    words = _WORD.findall(query)
    if not words:
        raise InputError("the search text holds no word (letters or digits)")
    if len(words) > MAX_WORDS:
        raise InputError(f"the search text holds {len(words)} words; the limit is {MAX_WORDS}")
    return words


def claims_matching(session: Session, query: str) -> ColumnElement[bool]:
    """A condition on claims: the claim's text or sentence holds every word of `query`.

    Raises:
        InputError: as search_words.
    """
    words = search_words(query)
    if session.get_bind().dialect.name == "postgresql":
        tsquery = func.plainto_tsquery(literal_column("'english'::regconfig"), " ".join(words))
        return _TSVECTOR.op("@@")(tsquery)
    # Each word quoted: FTS5 reads it as a term, never as query syntax (AND, NEAR, column:).
    expression = " ".join(f'"{word}"' for word in words)
    found = select(_FTS.c.claim_id).where(literal_column("claims_search").op("MATCH")(expression))
    return ClaimRow.id.in_(found)
