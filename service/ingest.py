"""Storing one analysed article: its story, source and origin, its links and the verdicts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session, selectinload

from models.judge import Judge
from models.labels import Reason, Relation, Verdict
from service.assembly import ClaimNode, EvidenceEdge, judge_claim
from service.config import Settings
from service.matching import ClaimView, SentenceView, Side, match
from service.pipeline import Analysed, attribution_from, new_id, vector_bytes, vectors_from
from service.store.tables import Article, ClaimRow, LinkRow, SentenceRow, Source, Story
from service.stories import choose_story, find_origin, outlet_keys, shingles


def _facts(analysed: Analysed, index: int) -> dict[str, object]:
    claim = analysed.claims[index]
    return {
        "entities": [{"text": t, "label": label} for t, label in claim.entities],
        "numbers": [{"value": q.value, "text": q.text, "counts": q.counts} for q in claim.numbers],
        "dates": claim.dates,
        "attribution": (
            {
                "source": claim.attribution.source,
                "verb": claim.attribution.verb,
                "time": claim.attribution.time,
            }
            if claim.attribution
            else None
        ),
        "hedges": claim.hedges,
    }


def _existing(session: Session, item: Analysed) -> str | None:
    condition = Article.content_hash == item.content_hash
    if item.url:
        condition = or_(condition, Article.url == item.url)
    return session.scalars(select(Article.id).where(condition).limit(1)).first()


def _story_for(
    session: Session, item: Analysed, now: datetime, settings: Settings, postgres: bool
) -> Story:
    story: Story | None = None
    if item.story_key:
        story = session.scalars(select(Story).where(Story.key == item.story_key)).first()
    else:
        story = choose_story(
            session,
            item.lead_vector,
            item.entities,
            item.published_at,
            settings.story_window_hours,
            settings.story_join_similarity,
        )
    if story is None:
        story = Story(
            id=new_id(), key=item.story_key, title=item.title, created_at=now, updated_at=now
        )
        session.add(story)
        session.flush()
    if postgres:
        # Two replicas never match one story at once: the lock lasts until the commit.
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": story.id})
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
    session: Session, item: Analysed, judge: Judge, settings: Settings, postgres: bool
) -> tuple[str, bool]:
    """Place an analysed article in its story, match it both ways and update the verdicts.

    Runs inside the caller's transaction; nothing is committed here.

    Returns:
        The article's id, and whether it was created (False: it was already stored).
    """
    existing = _existing(session, item)
    if existing is not None:
        return existing, False
    now = datetime.now(UTC)
    story = _story_for(session, item, now, settings, postgres)
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
        lead_vector=vector_bytes(item.lead_vector),
        entities=sorted(item.entities),
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
    claim_ids: dict[tuple[str, int], str] = {}
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
            facts=_facts(item, i),
            vector=vector_bytes(item.claim_vectors[i]),
        )
        session.add(row)
        new_claims.append(row)
        claim_ids[(article_id, i)] = row.id
    if story.title is None:
        story.title = item.title
    story.updated_at = now
    session.flush()

    sides = [stored_side(o) for o in others]
    for other in others:
        for claim_row in other.claims:
            claim_ids[(other.id, claim_row.index)] = claim_row.id
    links = match(
        item.side(article_id, article.origin_id),
        sides,
        judge,
        settings.candidates_per_origin,
    )
    touched = {row.id: row for row in new_claims}
    for link in links:
        claim_id = claim_ids[(link.claim_article, link.claim_index)]
        session.add(
            LinkRow(
                claim_id=claim_id,
                article_id=link.evidence_article,
                origin_id=link.evidence_origin,
                sentence_index=link.sentence_index,
                relation=link.judgement.relation.value,
                score=link.judgement.probability,
                reason=link.judgement.reason.value,
                explanation=link.judgement.explanation,
                start=link.span()[0],
                end=link.span()[1],
                text=link.text,
            )
        )
        if claim_id not in touched:
            touched[claim_id] = session.get_one(ClaimRow, claim_id)
    session.flush()
    for row in touched.values():
        update_verdict(session, row)
    return article_id, True


def update_verdict(session: Session, claim: ClaimRow) -> None:
    """Recompute a stored claim's verdict and counts from its stored links."""
    claim_article = session.get_one(Article, claim.article_id)
    node = ClaimNode(
        claim.id,
        claim.article_id,
        claim_article.origin_id,
        outlet_keys(claim_article.source.name, claim_article.source.domain),
        claim.sentence_index,
        vectors_from(claim.vector)[0],
    )
    rows = session.execute(
        select(LinkRow, Article.source_id)
        .join(Article, Article.id == LinkRow.article_id)
        .where(LinkRow.claim_id == claim.id)
    ).all()
    edges = []
    for link, source_id in rows:
        source = session.get_one(Source, source_id)
        edges.append(
            EvidenceEdge(
                claim.id,
                link.article_id,
                link.origin_id,
                outlet_keys(source.name, source.domain),
                link.sentence_index,
                Relation(link.relation),
                Reason(link.reason),
                link.score,
            )
        )
    result = judge_claim(node, enumerate(edges))
    claim.verdict = result.verdict.value
    claim.supporting_origins = result.supporting_origins
    claim.contradicting_origins = result.contradicting_origins


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def stored_side(article: Article) -> Side:
    """A stored article as the matcher sees it."""
    sentences = article.sentences
    claims = article.claims
    return Side(
        key=article.id,
        origin=article.origin_id,
        source=article.source.name,
        outlet=outlet_keys(article.source.name, article.source.domain),
        text=article.text,
        sentences=[SentenceView(s.text, s.start, s.end) for s in sentences],
        sentence_vectors=vectors_from(b"".join(s.vector for s in sentences)),
        claims=[ClaimView(c.text, c.sentence_index, attribution_from(c.facts)) for c in claims],
        claim_vectors=vectors_from(b"".join(c.vector for c in claims)),
        published=_aware(article.published_at),
    )
