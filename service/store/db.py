"""Engine, schema migrations and sessions: SQLite (WAL) by default, PostgreSQL when configured."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = "crosscheck:migrations"
"""The PostgreSQL advisory lock that one migration at a time holds."""


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL, foreign keys and a busy timeout.

    Statement parameters hold article texts: errors raised (and logged) never show them.
    """
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _alembic(engine: Engine, revision: str, upgrade: bool) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # API replicas and workers that start together migrate one after the other: the
            # later ones find the schema current (held until this transaction ends).
            connection.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": MIGRATION_LOCK}
            )
        config.attributes["connection"] = connection
        (command.upgrade if upgrade else command.downgrade)(config, revision)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` with Alembic (creates it on an empty database)."""
    _alembic(engine, revision, upgrade=True)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Take the schema down to `revision` (tests use it to start from nothing)."""
    _alembic(engine, revision, upgrade=False)


class Database:
    """The engine and a session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        """Dispose of the connection pool."""
        self.engine.dispose()
