"""The write locks on PostgreSQL: story assignment is held by one writer at a time until its
commit (two writers at once choose stories as one after the other would), and a deadlock
between two writers is told apart from other errors (the core runs the losing transaction
again)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from service.config import Settings
from service.core import Crosscheck
from service.schemas import ArticleIn
from service.store.db import make_engine
from service.store.locks import ASSIGNMENT, is_deadlock, lock_assignment
from service.store.tables import Article
from tests.databases import POSTGRES, empty_database

DRONES = "2021-11-07T10:00:00Z"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not POSTGRES, reason="CROSSCHECK_TEST_POSTGRES_URL is not set (.ci/run sets it)"
    ),
]


@pytest.fixture
def engine() -> Iterator[Engine]:
    """An engine on the test PostgreSQL (no schema needed: advisory locks only)."""
    assert POSTGRES is not None
    built = make_engine(POSTGRES)
    yield built
    built.dispose()


def _free(engine: Engine, name: str) -> bool:
    """Whether another session could take this advisory lock now."""
    with engine.connect() as connection:
        taken = connection.execute(
            text("SELECT pg_try_advisory_xact_lock(hashtext(:s))"), {"s": name}
        ).scalar_one()
        connection.rollback()
        return bool(taken)


def test_story_assignment_is_held_until_the_transaction_ends(engine: Engine) -> None:
    assert _free(engine, ASSIGNMENT)
    with Session(engine) as session, session.begin():
        lock_assignment(session)
        assert not _free(engine, ASSIGNMENT)
    assert _free(engine, ASSIGNMENT)


def test_a_deadlock_is_told_apart_from_other_errors(engine: Engine) -> None:
    both = threading.Barrier(2)
    errors: list[OperationalError] = []

    def writer(first: str, second: str) -> None:
        with engine.connect() as connection:
            try:
                for name in (first, second):
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": name}
                    )
                    if name == first:
                        both.wait()
            except OperationalError as exc:
                errors.append(exc)
            finally:
                connection.rollback()

    threads = [
        threading.Thread(target=writer, args=("story-a", "story-b")),
        threading.Thread(target=writer, args=("story-b", "story-a")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 1 and is_deadlock(errors[0])
    # A statement cancelled by its time limit is an OperationalError too, not a deadlock.
    with engine.connect() as connection:
        connection.execute(text("SET statement_timeout = 1"))
        with pytest.raises(OperationalError) as other:
            connection.execute(text("SELECT pg_sleep(1)"))
        connection.rollback()
    assert not is_deadlock(other.value)


def test_two_writers_choosing_stories_at_once_choose_as_one_after_the_other(
    core: Crosscheck, tmp_path: Path, seed_texts: dict[str, str]
) -> None:
    # Two cores are two processes to the database: each its own sessions and write lock.
    url = empty_database("postgres", tmp_path)
    writers = [Crosscheck(Settings(database_url=url), models=core.models) for _ in range(2)]
    articles = [
        ArticleIn(text=seed_texts["iranwire"], source="IranWire", published_at=DRONES),
        ArticleIn(text=seed_texts["guardian"], source="The Guardian", published_at=DRONES),
    ]
    inside = [threading.Event(), threading.Event()]

    def meet(me: int) -> Callable[[Session, list[tuple[str, bool]]], None]:
        def record(_session: Session, _outcomes: list[tuple[str, bool]]) -> None:
            # Each waits, before its commit, for the other to store as well: unless a lock
            # keeps the other out until this commit, both choose a story unaware of the other.
            inside[me].set()
            inside[1 - me].wait(timeout=5)

        return record

    threads = [
        threading.Thread(
            target=writers[i].submit, args=([articles[i]],), kwargs={"record": meet(i)}
        )
        for i in range(2)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with writers[0].db.session() as session:
            stories = session.scalars(select(Article.story_id)).all()
    finally:
        for writer in writers:
            writer.close()
    assert len(stories) == 2
    assert len(set(stories)) == 1  # one story, as when the second comes after the first
