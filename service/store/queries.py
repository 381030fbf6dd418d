"""Read side of the store: rows in, the public shapes of `service.schemas` out."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.embedder import Vectors
from models.labels import Reason, Relation, Verdict
from service.errors import NotFoundError
from service.matching import connected_groups, fact_edges
from service.pipeline import vectors_from
from service.schemas import (
    ArticlePublic,
    ArticleSummary,
    Attribution,
    ClaimGroup,
    ClaimPublic,
    Entity,
    EvidencePublic,
    GroupedClaim,
    Quantity,
    SourcePublic,
    SourcesPublic,
    StoriesPublic,
    StoryPublic,
    StorySummary,
)
from service.store.tables import Article, ClaimRow, LinkRow, Source, Story

VERDICT_ORDER = {Verdict.CONTESTED: 2, Verdict.CORROBORATED: 1, Verdict.SINGLE_SOURCE: 0}


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def worthy(claims: Sequence[ClaimRow], least: float | None) -> list[ClaimRow]:
    return [c for c in claims if least is None or c.checkworthiness >= least]


def claims_public(session: Session, claims: Sequence[ClaimRow]) -> list[ClaimPublic]:
    if not claims:
        return []
    ids = [c.id for c in claims]
    links = session.scalars(
        select(LinkRow).where(LinkRow.claim_id.in_(ids)).order_by(LinkRow.id)
    ).all()
    article_ids = {c.article_id for c in claims} | {link.article_id for link in links}
    names = dict(
        session.execute(
            select(Article.id, Source.name)
            .join(Source, Source.id == Article.source_id)
            .where(Article.id.in_(article_ids))
        ).all()
    )
    by_claim: dict[str, list[LinkRow]] = defaultdict(list)
    for link in links:
        by_claim[link.claim_id].append(link)
    out = []
    for c in claims:
        evidence = sorted(
            by_claim[c.id],
            key=lambda link: (link.relation != Relation.CONTRADICTS.value, -link.score),
        )
        facts = c.facts
        attribution = facts.get("attribution")
        out.append(
            ClaimPublic(
                id=c.id,
                article_id=c.article_id,
                source=names.get(c.article_id, "unknown"),
                text=c.text,
                sentence=c.sentence,
                start=c.start,
                end=c.end,
                checkworthiness=round(c.checkworthiness, 4),
                verdict=Verdict(c.verdict),
                supporting_origins=c.supporting_origins,
                contradicting_origins=c.contradicting_origins,
                entities=[Entity(**e) for e in facts.get("entities", [])],
                numbers=[Quantity(**q) for q in facts.get("numbers", [])],
                dates=list(facts.get("dates", [])),
                attribution=Attribution(**attribution) if attribution else None,
                hedges=list(facts.get("hedges", [])),
                evidence=[
                    EvidencePublic(
                        article_id=link.article_id,
                        source=names.get(link.article_id, "unknown"),
                        text=link.text,
                        start=link.start,
                        end=link.end,
                        relation=Relation(link.relation),
                        score=round(link.score, 4),
                        reason=Reason(link.reason),
                        explanation=link.explanation,
                    )
                    for link in evidence
                ],
            )
        )
    return out


def article_summary(article: Article) -> ArticleSummary:
    return ArticleSummary(
        id=article.id,
        story_id=article.story_id,
        source=article.source.name,
        origin_id=article.origin_id,
        url=article.url,
        title=article.title,
        published_at=_utc(article.published_at),
        created_at=_utc(article.created_at),
    )


def article_public(
    session: Session, article_id: str, min_checkworthiness: float | None = None
) -> ArticlePublic:
    article = session.get(Article, article_id, options=[selectinload(Article.claims)])
    if article is None:
        raise NotFoundError("article", article_id)
    return ArticlePublic(
        **article_summary(article).model_dump(),
        text=article.text,
        claims=claims_public(session, worthy(article.claims, min_checkworthiness)),
    )


def story_counts(session: Session, story_ids: Sequence[str]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {s: Counter() for s in story_ids}
    rows = session.execute(
        select(
            Article.story_id,
            func.count(func.distinct(Article.id)),
            func.count(func.distinct(Article.source_id)),
        )
        .where(Article.story_id.in_(story_ids))
        .group_by(Article.story_id)
    ).all()
    for story_id, n_articles, n_sources in rows:
        counts[story_id]["articles"] = n_articles
        counts[story_id]["sources"] = n_sources
    verdict_rows = session.execute(
        select(Article.story_id, ClaimRow.verdict, func.count(ClaimRow.id))
        .join(Article, Article.id == ClaimRow.article_id)
        .where(Article.story_id.in_(story_ids))
        .group_by(Article.story_id, ClaimRow.verdict)
    ).all()
    for story_id, verdict_value, n in verdict_rows:
        counts[story_id][verdict_value] = n
        counts[story_id]["claims"] += n
    return counts


def story_summary(story: Story, counts: Counter[str]) -> StorySummary:
    return StorySummary(
        id=story.id,
        key=story.key,
        title=story.title,
        created_at=_utc(story.created_at),
        updated_at=_utc(story.updated_at),
        articles=counts["articles"],
        sources=counts["sources"],
        claims=counts["claims"],
        corroborated=counts[Verdict.CORROBORATED.value],
        contested=counts[Verdict.CONTESTED.value],
        single_source=counts[Verdict.SINGLE_SOURCE.value],
    )


def claim_groups(
    claims: Sequence[ClaimRow], links: Sequence[LinkRow], public: dict[str, ClaimPublic]
) -> list[ClaimGroup]:
    vectors = {c.id: vectors_from(c.vector)[0] for c in claims}
    per_sentence: dict[tuple[str, int], list[tuple[str, Vectors]]] = defaultdict(list)
    for c in claims:
        per_sentence[(c.article_id, c.sentence_index)].append((c.id, vectors[c.id]))
    edges = fact_edges(
        ((link.claim_id, link.article_id, link.sentence_index) for link in links),
        per_sentence,
        vectors,
    )
    groups = []
    for members in connected_groups([c.id for c in claims], edges):
        items = [public[m] for m in members]
        groups.append(
            ClaimGroup(
                verdict=max((p.verdict for p in items), key=VERDICT_ORDER.__getitem__),
                claims=[
                    GroupedClaim(
                        claim_id=p.id,
                        article_id=p.article_id,
                        source=p.source,
                        text=p.text,
                        verdict=p.verdict,
                    )
                    for p in items
                ],
            )
        )
    return groups


def stories_page(session: Session, offset: int, limit: int) -> StoriesPublic:
    """A page of stories, most recently updated first."""
    total = session.scalar(select(func.count(Story.id))) or 0
    page = session.scalars(
        select(Story).order_by(Story.updated_at.desc(), Story.id).offset(offset).limit(limit)
    ).all()
    counts = story_counts(session, [s.id for s in page])
    return StoriesPublic(
        data=[story_summary(s, counts[s.id]) for s in page],
        count=total,
        offset=offset,
        limit=limit,
    )


def story_public(
    session: Session, story_id: str, min_checkworthiness: float | None = None
) -> StoryPublic:
    """A story with its claims, verdicts, evidence and claim groups. Raises NotFoundError."""
    story = session.get(Story, story_id)
    if story is None:
        raise NotFoundError("story", story_id)
    articles = session.scalars(
        select(Article)
        .where(Article.story_id == story_id)
        .options(selectinload(Article.claims))
        .order_by(Article.created_at)
    ).all()
    claims = worthy([c for a in articles for c in a.claims], min_checkworthiness)
    public = claims_public(session, claims)
    links = session.scalars(
        select(LinkRow).where(LinkRow.claim_id.in_([c.id for c in claims]))
    ).all()
    summary = story_summary(story, story_counts(session, [story_id])[story_id])
    return StoryPublic(
        **summary.model_dump(),
        article_list=[article_summary(a) for a in articles],
        claim_list=public,
        claim_groups=claim_groups(claims, links, {p.id: p for p in public}),
    )


def claim_public(session: Session, claim_id: str) -> ClaimPublic:
    """One claim with its verdict and evidence. Raises NotFoundError."""
    row = session.get(ClaimRow, claim_id)
    if row is None:
        raise NotFoundError("claim", claim_id)
    return claims_public(session, [row])[0]


def sources_public(session: Session) -> SourcesPublic:
    """Every outlet with its share of corroborated, contested and single-source claims."""
    sources = session.scalars(select(Source).order_by(Source.name)).all()
    n_articles = dict(
        session.execute(
            select(Article.source_id, func.count(Article.id)).group_by(Article.source_id)
        ).all()
    )
    tallies: dict[int, Counter[str]] = defaultdict(Counter)
    for source_id, verdict_value, n in session.execute(
        select(Article.source_id, ClaimRow.verdict, func.count(ClaimRow.id))
        .join(Article, Article.id == ClaimRow.article_id)
        .group_by(Article.source_id, ClaimRow.verdict)
    ).all():
        tallies[source_id][verdict_value] = n
    data = []
    for source in sources:
        tally = tallies[source.id]
        total = sum(tally.values())
        data.append(
            SourcePublic(
                name=source.name,
                domain=source.domain,
                articles=n_articles.get(source.id, 0),
                claims=total,
                corroborated_share=_share(tally, Verdict.CORROBORATED, total),
                contested_share=_share(tally, Verdict.CONTESTED, total),
                single_source_share=_share(tally, Verdict.SINGLE_SOURCE, total),
            )
        )
    return SourcesPublic(data=data, count=len(data))


def _share(tally: Counter[str], verdict: Verdict, total: int) -> float:
    return round(tally[verdict.value] / total, 4) if total else 0.0


def totals(session: Session) -> dict[str, int]:
    """Numbers of stories, articles, sources and claims (by verdict) in the store."""
    counts = {
        "stories": session.scalar(select(func.count(Story.id))) or 0,
        "articles": session.scalar(select(func.count(Article.id))) or 0,
        "sources": session.scalar(select(func.count(Source.id))) or 0,
    }
    for verdict in Verdict:
        counts[f"claims_{verdict.value}"] = 0
    for value, n in session.execute(
        select(ClaimRow.verdict, func.count(ClaimRow.id)).group_by(ClaimRow.verdict)
    ).all():
        counts[f"claims_{value}"] = n
    return counts
