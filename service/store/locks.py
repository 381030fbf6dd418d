"""Write locks: PostgreSQL advisory locks held until the transaction ends, one per story and
one for choosing stories.

On SQLite there is nothing to take: the core's one write lock serialises the writers of a
process, and SQLite allows one writer per file anyway.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from service.store.tables import Story


def lock_order(session: Session, story_ids: Iterable[str]) -> list[str]:
    """The stories in the one order every writer takes their locks in.

    Ingest takes the lock of the story a key names and then, when that story was merged away,
    the lock of the story it was merged into; so a merged-away story comes before the stories
    it leads to (the longer its chain of merges, the earlier), and otherwise the order is by id.
    Two writers that take locks in one order cannot deadlock.
    """
    ids = set(story_ids)
    rows = session.execute(select(Story.id, Story.merged_into).where(Story.id.in_(ids)))
    merged: dict[str, str | None] = {r.id: r.merged_into for r in rows}

    def depth(story_id: str) -> int:
        steps, seen = 0, set()
        while (survivor := merged.get(story_id)) is not None and story_id not in seen:
            seen.add(story_id)
            story_id, steps = survivor, steps + 1
        return steps

    return sorted(ids, key=lambda s: (-depth(s), s))


def lock_stories(session: Session, story_ids: Iterable[str]) -> None:
    """Hold the write lock of each story until the transaction ends, in `lock_order`.

    A no-op on SQLite. Rows read before the locks are taken may be stale: read them again.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for story_id in lock_order(session, story_ids):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": story_id})


ASSIGNMENT = "crosscheck:story-assignment"
"""The advisory lock of automatic story assignment (hashed like a story id)."""


def lock_assignment(session: Session) -> None:
    """Hold the lock of automatic story assignment until the transaction ends.

    An article without a story key joins the nearest recent story or opens one; two writers
    choosing at once would each miss the other's uncommitted article and open two stories
    where one writer after the other opens one. Under this lock the second chooses after the
    first committed, as in sequential ingest. Take it before any story lock of the article
    (a batch that mixes keyed and unkeyed articles, or spans stories, may still meet a writer
    that takes them in another order: PostgreSQL then ends one transaction with a deadlock
    error, `is_deadlock`, and the core runs it again).
    A no-op on SQLite.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": ASSIGNMENT})


def is_deadlock(error: DBAPIError) -> bool:
    """Whether PostgreSQL ended the transaction to break a deadlock (SQLSTATE 40P01): it
    rolled back whole, and running it again will do."""
    return getattr(error.orig, "sqlstate", None) == "40P01"
