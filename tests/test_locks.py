"""The write locks on PostgreSQL: story assignment is held by one writer at a time until its
commit, and a deadlock between two writers is told apart from other errors (the core runs
the losing transaction again)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from service.store.db import make_engine
from service.store.locks import ASSIGNMENT, is_deadlock, lock_assignment
from tests.databases import POSTGRES

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
