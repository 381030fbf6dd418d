"""Crash counts: a server killed with SIGKILL during a batch ingest loses, duplicates and
orphans nothing once everything is sent again; and each orphan check does find its orphan.

The crash test runs the real server (`bench/server.py`) with its real models on a SQLite file
and on PostgreSQL, through the counting code of `make bench-crash` (`bench/crash.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, text, update
from sqlalchemy.orm import Session

from bench.crash import ORPHAN_CHECKS, orphans, run_crash
from service.store.db import make_engine, migrate
from service.store.tables import (
    ApiKey,
    Article,
    Base,
    ClaimRow,
    Job,
    JobArticle,
    LinkRow,
    SentenceRow,
    Source,
    Story,
    StoryEdit,
    Webhook,
    WebhookDelivery,
)
from tests.databases import DATABASES, empty_database


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database of either kind."""
    return empty_database(request.param, tmp_path)


def _articles(seeds: dict[str, str]) -> list[dict[str, Any]]:
    """Six distinct articles on one event: the two seeds, and copies filed by other outlets
    (with a line of their own, so that each is a new text), some with a story key or a URL."""
    return [
        {"text": seeds["iranwire"], "source": "IranWire"},
        {"text": seeds["guardian"], "source": "The Guardian", "story": "kadhimi"},
        {
            "text": seeds["guardian"] + "\n\nFiled for the Gulf desk.\n",
            "source": "Gulf Times",
            "url": "https://gulf.example.org/kadhimi",
        },
        {
            "text": seeds["iranwire"] + "\n\nTranslated by the Rudaw desk.\n",
            "source": "Rudaw",
            "story": "kadhimi",
        },
        {
            "text": (Path(__file__).parent / "fixtures" / "gulf_ledger.txt").read_text("utf-8"),
            "source": "Gulf Ledger",
            "url": "https://ledger.example.org/ghaani",
        },
        {
            "text": seeds["guardian"] + "\n\nRepublished with permission.\n",
            "source": "Al-Monitor",
            "story": "kadhimi",
        },
    ]


def test_a_killed_server_loses_duplicates_and_orphans_nothing(
    database: str, tmp_path: Path, seed_texts: dict[str, str]
) -> None:
    articles = _articles(seed_texts)
    # Seed 2 arms the kill at the commit of the second batch, before its answer: the articles
    # it stored come back on resubmission as already stored, never twice.
    result = run_crash(database, articles, batch=2, kills=1, seed=2, log=tmp_path / "server.log")
    assert result.kills == 1
    assert result.refused == 0 and result.server_errors == 0
    assert result.accepted == result.stored == len(articles)
    assert result.lost == 0
    assert result.duplicated == 0
    assert result.orphans == dict.fromkeys(result.orphans, 0)


def test_every_table_has_an_orphan_check() -> None:
    assert {t for check in ORPHAN_CHECKS for t in check.tables} == set(Base.metadata.tables)


def _base(session: Session) -> None:
    """Two articles of one story, each with a sentence and a claim, a link between them, an
    API key, an edit, and a webhook with a delivery: every relation that an orphan check
    reads, intact."""
    now = datetime(2021, 11, 7, tzinfo=UTC)
    session.add_all(
        [
            Story(id="s1", title="t", created_at=now, updated_at=now),
            Source(id=1, name="one"),
            ApiKey(id="k1", name="k", scope="ingest", outlets=[], secret_hash="h", created_at=now),
        ]
    )
    session.flush()
    for ident in ("a1", "a2"):
        session.add(
            Article(
                id=ident,
                story_id="s1",
                source_id=1,
                origin_id=ident,
                content_hash=ident,
                text="Two drones were shot down.",
                published_at=now,
                created_at=now,
                lead_vector=b"",
                entities=[],
                api_key_id="k1",
            )
        )
        session.flush()
        session.add(SentenceRow(article_id=ident, index=0, start=0, end=26, text="t", vector=b""))
        session.add(
            ClaimRow(
                id=f"c{ident}",
                article_id=ident,
                index=0,
                sentence_index=0,
                text="t",
                sentence="t",
                start=0,
                end=26,
                checkworthiness=0.9,
                verdict="single_source",
                facts={},
                vector=b"",
            )
        )
    session.flush()
    session.add(
        LinkRow(
            id=1,
            claim_id="ca1",
            article_id="a2",
            origin_id="a2",
            sentence_index=0,
            relation="supports",
            score=0.9,
            reason="entailment",
            explanation="e",
            start=0,
            end=26,
            text="t",
        )
    )
    session.add(
        StoryEdit(
            id="e1",
            action="title",
            story_id="s1",
            from_story_id="s1",
            moves=[],
            kept=[],
            removed_links=[],
            changes={},
            at=now,
        )
    )
    session.add(Webhook(id="w1", url="http://127.0.0.1:9/", events=[], secret="s", created_at=now))
    session.flush()
    session.add(WebhookDelivery(webhook_id="w1", event_id=1, event_type="t", attempt=1, at=now))
    session.flush()
    session.add(Job(id="j1", status="done", attempts=1, created_at=now, finished_at=now))
    session.flush()
    session.add(
        JobArticle(job_id="j1", index=0, input={"text": "t"}, article_id="a1", created=True)
    )
    session.flush()


def _story(ident: str, merged_into: str | None = None) -> Story:
    now = datetime(2021, 11, 7, tzinfo=UTC)
    return Story(id=ident, created_at=now, updated_at=now, merged_into=merged_into)


def _move_to_new_story(session: Session, article_id: str) -> None:
    session.add(_story("s2"))
    session.flush()
    session.execute(update(Article).where(Article.id == article_id).values(story_id="s2"))


# One way to break each relation: the check of that name must count it.
BREAKS: dict[str, Callable[[Session], object]] = {
    "articles without their story": lambda s: s.execute(
        update(Article).where(Article.id == "a1").values(story_id="gone")
    ),
    "articles without their source": lambda s: s.execute(
        update(Article).where(Article.id == "a1").values(source_id=99)
    ),
    "articles whose origin article is missing": lambda s: s.execute(
        update(Article).where(Article.id == "a1").values(origin_id="gone")
    ),
    "articles without sentences": lambda s: s.execute(
        delete(SentenceRow).where(SentenceRow.article_id == "a1")
    ),
    "articles of a missing API key": lambda s: s.execute(
        update(Article).where(Article.id == "a1").values(api_key_id="gone")
    ),
    "sentences without their article": lambda s: s.execute(
        update(SentenceRow).where(SentenceRow.article_id == "a1").values(article_id="gone")
    ),
    "claims without their article": lambda s: s.execute(
        update(ClaimRow).where(ClaimRow.id == "ca2").values(article_id="gone")
    ),
    "claims without their sentence": lambda s: s.execute(
        update(ClaimRow).where(ClaimRow.id == "ca1").values(sentence_index=5)
    ),
    "links without their claim": lambda s: s.execute(update(LinkRow).values(claim_id="gone")),
    "links without their evidence article": lambda s: s.execute(
        update(LinkRow).values(article_id="gone")
    ),
    "links without their evidence sentence": lambda s: s.execute(
        update(LinkRow).values(sentence_index=5)
    ),
    "links whose origin article is missing": lambda s: s.execute(
        update(LinkRow).values(origin_id="gone")
    ),
    "links between two stories": lambda s: _move_to_new_story(s, "a2"),
    "stories without articles (not merged away)": lambda s: s.add(_story("s3")),
    "stories merged into a missing story": lambda s: s.add(_story("s3", merged_into="gone")),
    "sources without articles": lambda s: s.add(Source(id=2, name="two")),
    "edits without their story": lambda s: s.execute(update(StoryEdit).values(story_id="gone")),
    "edits without the story they moved from": lambda s: s.execute(
        update(StoryEdit).values(from_story_id="gone")
    ),
    "deliveries without their webhook": lambda s: s.execute(
        update(WebhookDelivery).values(webhook_id="gone")
    ),
    "jobs without articles": lambda s: s.add(
        Job(id="j2", status="queued", attempts=0, created_at=datetime(2021, 11, 7, tzinfo=UTC))
    ),
    "job articles without their job": lambda s: s.execute(update(JobArticle).values(job_id="gone")),
    "job articles whose stored article is missing": lambda s: s.execute(
        update(JobArticle).values(article_id="gone")
    ),
    "done jobs with an article not stored": lambda s: s.execute(
        update(JobArticle).values(article_id=None)
    ),
}


@contextmanager
def _unchecked(engine: Engine) -> Iterator[Session]:
    """A session whose foreign keys are not enforced, rolled back at the end."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            # Outside a transaction, or SQLite ignores it.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        else:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        with Session(bind=connection) as session:
            try:
                yield session
            finally:
                session.rollback()
                connection.rollback()
                if engine.dialect.name == "sqlite":
                    connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def test_each_orphan_check_counts_its_orphan(database: str) -> None:
    assert set(BREAKS) == {check.name for check in ORPHAN_CHECKS}
    engine = make_engine(database)
    try:
        migrate(engine)
        with Session(engine) as session, session.begin():
            _base(session)
        with Session(engine) as session:
            assert orphans(session) == dict.fromkeys(BREAKS, 0)
        for name, damage in BREAKS.items():
            with _unchecked(engine) as session:
                damage(session)
                session.flush()
                found = orphans(session)
            assert found[name] >= 1, name
    finally:
        engine.dispose()
