"""Database tables (SQLAlchemy 2 declarative); the schema itself is created by Alembic."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ID = String(32)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and read back in UTC, on every database.

    SQLite keeps no offset: "10:00+05:00" stored as is would come back as 10:00 UTC. Every
    moment is converted to UTC on the way in (a naive one is taken as UTC) and marked UTC on
    the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC before storing or comparing."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Mark what was read as UTC (SQLite hands back naive values)."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Story(Base):
    """A set of articles about one event."""

    __tablename__ = "stories"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    key: Mapped[str | None] = mapped_column(String(300), unique=True)
    title: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # Set when a merge moved every article of this story into another; the row stays so that
    # the merge can be reverted. No foreign key: SQLite cannot add or drop one on a live table.
    merged_into: Mapped[str | None] = mapped_column(ID, index=True, default=None)


class Source(Base):
    """An outlet, by normalised name."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    domain: Mapped[str | None] = mapped_column(String(300))


class Article(Base):
    """One submitted article, cleaned."""

    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    story_id: Mapped[str] = mapped_column(ForeignKey("stories.id"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    origin_id: Mapped[str] = mapped_column(ID, index=True)
    url: Mapped[str | None] = mapped_column(String(2000), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lead_vector: Mapped[bytes] = mapped_column(LargeBinary)
    entities: Mapped[list[str]] = mapped_column(JSON)
    event: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    """The event signature (`models.events.EventSignature.as_json`)."""
    fingerprint: Mapped[dict[str, float] | None] = mapped_column(JSON, default=None)
    """The heaviest words of the text with their weights (`models.lexical.fingerprint`)."""
    # Placed in its story by hand (an edit): automatic assignment must never move it.
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The API key that submitted it; None without one. No foreign key, as for merged_into:
    # SQLite cannot add one to a live table. Keys are revoked, never deleted.
    api_key_id: Mapped[str | None] = mapped_column(ID, index=True, default=None)

    source: Mapped[Source] = relationship(lazy="joined")
    sentences: Mapped[list[SentenceRow]] = relationship(
        order_by="SentenceRow.index", cascade="all, delete-orphan"
    )
    claims: Mapped[list[ClaimRow]] = relationship(
        order_by="ClaimRow.index", cascade="all, delete-orphan", back_populates="article"
    )


class SentenceRow(Base):
    """A body sentence of an article: the evidence that other outlets' claims are judged on."""

    __tablename__ = "sentences"
    __table_args__ = (UniqueConstraint("article_id", "index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class ClaimRow(Base):
    """An atomic claim of an article with its current verdict."""

    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("article_id", "index"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)
    sentence_index: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sentence: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    checkworthiness: Mapped[float] = mapped_column(Float)
    verdict: Mapped[str] = mapped_column(String(20), index=True)
    supporting_origins: Mapped[int] = mapped_column(Integer, default=0)
    contradicting_origins: Mapped[int] = mapped_column(Integer, default=0)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    vector: Mapped[bytes] = mapped_column(LargeBinary)

    article: Mapped[Article] = relationship(back_populates="claims")
    links: Mapped[list[LinkRow]] = relationship(
        cascade="all, delete-orphan", order_by="LinkRow.id", foreign_keys="LinkRow.claim_id"
    )


class LinkRow(Base):
    """What one other article says about a claim: supports or contradicts, with evidence."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("claim_id", "article_id"),
        Index("ix_links_article", "article_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    origin_id: Mapped[str] = mapped_column(ID)
    sentence_index: Mapped[int] = mapped_column(Integer)
    relation: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(40))
    explanation: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class StoryEdit(Base):
    """One edit of stories by hand, with what it takes to revert it exactly."""

    __tablename__ = "story_edits"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    action: Mapped[str] = mapped_column(String(20))
    story_id: Mapped[str] = mapped_column(ForeignKey("stories.id"), index=True)
    """The story the articles went into (merge: the survivor; split: the new story), or the
    story whose key or title changed."""
    from_story_id: Mapped[str | None] = mapped_column(ForeignKey("stories.id"), index=True)
    """The story the articles came from; None for a change of key or title."""
    moves: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """Each moved article: {"article", "from", "pinned"} (its story and pin before)."""
    kept: Mapped[list[str]] = mapped_column(JSON)
    """The articles that stayed in the story the moved ones left."""
    removed_links: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """The links between moved and kept articles that the edit deleted, row for row."""
    changes: Mapped[dict[str, list[str | None]]] = mapped_column(JSON)
    """For a change of key or title: {"key": [before, after], "title": [before, after]}."""
    by: Mapped[str | None] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    reverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reverted_by: Mapped[str | None] = mapped_column(String(300))


class ApiKey(Base):
    """An API key: only the SHA-256 of its secret is kept, never the secret itself."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    scope: Mapped[str] = mapped_column(String(20))
    outlets: Mapped[list[str]] = mapped_column(JSON)
    """The outlets the key may post articles as; empty: any outlet."""
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Webhook(Base):
    """A URL that receives events, signed with its secret (kept: it is needed to sign)."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON)
    """The event types it receives (`service.schemas.EventType` values)."""
    secret: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class WebhookDelivery(Base):
    """One attempt to deliver an event to a webhook, and how it went."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_hook_at", "webhook_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(40))
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    """The receiver's HTTP status; None when no answer came (see `error`)."""
    error: Mapped[str | None] = mapped_column(String(500))
    """Why the attempt failed, in words; None when it succeeded."""
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the next attempt is due; None when this one succeeded or was the last."""


class Job(Base):
    """A queued ingest (POST /v1/articles?wait=false): its articles as submitted, then what
    became of them. The articles are stored with the job, in one transaction, before the job
    is answered 202: a worker that dies loses nothing, the job runs again."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    """queued, running, done or failed (`service.schemas.JobStatus`)."""
    api_key_id: Mapped[str | None] = mapped_column(ID, default=None)
    """The API key that submitted it; its articles are recorded as that key's. No foreign key,
    as for Article.api_key_id."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Runs started: more than one after a worker died or a transient error."""
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    """For a failed job: the problem document (RFC 9457) that a synchronous request would
    have been answered with."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    articles: Mapped[list[JobArticle]] = relationship(
        order_by="JobArticle.index", cascade="all, delete-orphan", passive_deletes=True
    )


class JobArticle(Base):
    """One article of a job: the input as submitted (validated), and the article it became."""

    __tablename__ = "job_articles"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    input: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The article as `service.schemas.ArticleIn` validated it (JSON mode)."""
    article_id: Mapped[str | None] = mapped_column(ID, index=True, default=None)
    """The stored article, once the job is done. No foreign key: set in the transaction that
    stores the article, and articles are never deleted."""
    created: Mapped[bool | None] = mapped_column(Boolean, default=None)
    """Whether this job stored the article (False: it was stored already)."""
