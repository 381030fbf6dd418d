"""Storing one analysed article: its story, source and origin, its links and the verdicts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from models.judge import Judge
from models.labels import Verdict
from service.config import Settings
from service.editing import connect, stored_side, surviving, update_verdicts
from service.events import pending
from service.pipeline import Analysed, new_id
from service.store.codec import claim_facts, vector_bytes
from service.store.locks import lock_assignment, lock_stories
from service.store.queries import placements_near
from service.store.tables import Article, ClaimRow, SentenceRow, Source, Story
from service.stories import JoinRule, choose_story, find_origin, shingles


def _existing(session: Session, item: Analysed) -> str | None:
    condition = Article.content_hash == item.content_hash
    if item.url:
        condition = or_(condition, Article.url == item.url)
    return session.scalars(select(Article.id).where(condition).limit(1)).first()


def _story_for(session: Session, item: Analysed, now: datetime, settings: Settings) -> Story:
    story: Story | None = None
    if item.story_key:
        story = session.scalars(select(Story).where(Story.key == item.story_key)).first()
    else:
        # Stories are chosen one writer at a time, each seeing the stories opened before.
        lock_assignment(session)
        rule = JoinRule.from_settings(settings)
        chosen = choose_story(
            placements_near(session, item.published_at, rule, item.placement.event.undated),
            item.placement,
            rule,
        )
        story = session.get(Story, chosen) if chosen else None
    if story is None:
        story = Story(
            id=new_id(), key=item.story_key, title=item.title, created_at=now, updated_at=now
        )
        session.add(story)
        session.flush()
    # Two replicas never match one story at once: the lock lasts until the commit.
    lock_stories(session, [story.id])
    return story


def _source_for(session: Session, item: Analysed) -> Source:
    source = session.scalars(select(Source).where(Source.name == item.source)).first()
    if source is None:
        source = Source(name=item.source, domain=item.domain)
        session.add(source)
        session.flush()
    elif source.domain is None and item.domain:
        source.domain = item.domain
    return source


def store_article(
    session: Session,
    item: Analysed,
    judge: Judge,
    settings: Settings,
    api_key_id: str | None = None,
) -> tuple[str, bool]:
    """Place an analysed article in its story, match it both ways and update the verdicts.

    Runs inside the caller's transaction; nothing is committed here. `api_key_id` names the
    key that submitted it (None without one).

    Returns:
        The article's id, and whether it was created (False: it was already stored).
    """
    existing = _existing(session, item)
    if existing is not None:
        return existing, False
    now = datetime.now(UTC)
    # A key may name a story that was merged into another: its articles go where it went.
    story = surviving(session, _story_for(session, item, now, settings))
    source = _source_for(session, item)
    others = list(
        session.scalars(
            select(Article)
            .where(Article.story_id == story.id)
            .options(selectinload(Article.sentences), selectinload(Article.claims))
            .order_by(Article.created_at)
        )
    )
    article_id = new_id()
    origin = find_origin(
        item.shingles,
        [(o.origin_id, shingles(o.text)) for o in others],
        settings.duplicate_similarity,
    )
    article = Article(
        id=article_id,
        story_id=story.id,
        source_id=source.id,
        origin_id=origin or article_id,
        url=item.url,
        content_hash=item.content_hash,
        title=item.title,
        text=item.document.text,
        published_at=item.published_at,
        created_at=now,
        lead_vector=vector_bytes(item.placement.vector),
        entities=sorted(item.placement.entities),
        event=item.placement.event.as_json(),
        fingerprint=item.placement.fingerprint,
        api_key_id=api_key_id,
    )
    session.add(article)
    for i, sentence in enumerate(item.document.sentences):
        session.add(
            SentenceRow(
                article_id=article_id,
                index=i,
                start=sentence.start,
                end=sentence.end,
                text=sentence.text,
                vector=vector_bytes(item.sentence_vectors[i]),
            )
        )
    new_claims = []
    for i, claim in enumerate(item.claims):
        row = ClaimRow(
            id=new_id(),
            article_id=article_id,
            index=i,
            sentence_index=claim.sentence_index,
            text=claim.text,
            sentence=claim.sentence,
            start=claim.start,
            end=claim.end,
            checkworthiness=claim.checkworthiness,
            verdict=Verdict.SINGLE_SOURCE.value,
            supporting_origins=0,
            contradicting_origins=0,
            facts=claim_facts(item.claims[i]),
            vector=vector_bytes(item.claim_vectors[i]),
        )
        session.add(row)
        new_claims.append(row)
    if story.title is None:
        story.title = item.title
    story.updated_at = now
    session.flush()

    new = item.side(article_id, article.origin_id)
    touched = {row.id for row in new_claims}
    pending(session).article_added(
        story.id, article_id, source.name, article.title, article.url, touched
    )
    touched |= connect(session, new, [stored_side(o) for o in others], judge, settings)
    update_verdicts(session, touched)
    return article_id, True
