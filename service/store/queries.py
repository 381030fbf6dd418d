"""Read side of the store: rows in, the public shapes of `service.schemas` out."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from models.events import EventSignature
from models.labels import Reason, Relation, Verdict
from service.assembly import Assembly, ClaimNode, EvidenceEdge, assemble, group_verdict
from service.errors import MergedStoryError, NotFoundError
from service.pipeline import vectors_from
from service.schemas import (
    ArticlePublic,
    ArticleSummary,
    Attribution,
    ClaimGroup,
    ClaimPublic,
    EditAction,
    Entity,
    EvidencePublic,
    GroupedClaim,
    MovedArticle,
    Quantity,
    SourcePublic,
    SourcesPublic,
    StoriesPublic,
    StoryChange,
    StoryEditPublic,
    StoryEditsPublic,
    StoryPublic,
    StorySummary,
)
from service.store.tables import Article, ClaimRow, LinkRow, Source, Story, StoryEdit
from service.stories import JoinRule, Placement, outlet_keys


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def worthy(claims: Sequence[ClaimRow], least: float | None) -> list[ClaimRow]:
    return [c for c in claims if least is None or c.checkworthiness >= least]


def _assembled(
    session: Session, claims: Sequence[ClaimRow]
) -> tuple[Assembly, list[LinkRow], dict[str, str]]:
    """The assembly of some stored claims with their links, and each article's outlet name."""
    ids = [c.id for c in claims]
    links = list(
        session.scalars(select(LinkRow).where(LinkRow.claim_id.in_(ids)).order_by(LinkRow.id)).all()
    )
    article_ids = {c.article_id for c in claims} | {link.article_id for link in links}
    rows = session.execute(
        select(Article.id, Article.origin_id, Source.name, Source.domain)
        .join(Source, Source.id == Article.source_id)
        .where(Article.id.in_(article_ids))
    ).all()
    names = {r.id: r.name for r in rows}
    origin = {r.id: r.origin_id for r in rows}
    outlet = {r.id: outlet_keys(r.name, r.domain) for r in rows}
    nodes = [
        ClaimNode(
            c.id,
            c.article_id,
            origin[c.article_id],
            outlet[c.article_id],
            c.sentence_index,
            vectors_from(c.vector)[0],
        )
        for c in claims
    ]
    edges = [
        EvidenceEdge(
            link.claim_id,
            link.article_id,
            link.origin_id,
            outlet.get(link.article_id, frozenset()),
            link.sentence_index,
            Relation(link.relation),
            Reason(link.reason),
            link.score,
        )
        for link in links
    ]
    return assemble(nodes, edges), links, names


def claims_public(session: Session, claims: Sequence[ClaimRow]) -> list[ClaimPublic]:
    """Stored claims with their verdicts and evidence, as the assembler orders them."""
    return _claims_public(session, claims)[0]


def _claims_public(
    session: Session, claims: Sequence[ClaimRow]
) -> tuple[list[ClaimPublic], Assembly]:
    if not claims:
        return [], Assembly()
    story, links, names = _assembled(session, claims)
    out = []
    for c in claims:
        assembled = story.claims[c.id]
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
                verdict=assembled.verdict,
                supporting_origins=assembled.supporting_origins,
                contradicting_origins=assembled.contradicting_origins,
                entities=[Entity(**e) for e in facts.get("entities", [])],
                numbers=[Quantity(**q) for q in facts.get("numbers", [])],
                dates=list(facts.get("dates", [])),
                attribution=Attribution(**attribution) if attribution else None,
                hedges=list(facts.get("hedges", [])),
                evidence=[
                    EvidencePublic(
                        article_id=links[k].article_id,
                        source=names.get(links[k].article_id, "unknown"),
                        text=links[k].text,
                        start=links[k].start,
                        end=links[k].end,
                        relation=Relation(links[k].relation),
                        score=round(links[k].score, 4),
                        reason=Reason(links[k].reason),
                        explanation=links[k].explanation,
                        independent=own,
                    )
                    for k, own in zip(assembled.evidence, assembled.independent, strict=True)
                ],
            )
        )
    return out, story


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
        pinned=article.pinned,
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


def claim_groups(story: Assembly, public: dict[str, ClaimPublic]) -> list[ClaimGroup]:
    """The assembled fact groups in their public shape."""
    groups = []
    for members in story.groups:
        items = [public[m] for m in members]
        groups.append(
            ClaimGroup(
                verdict=group_verdict(story.claims, members),
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


LIVE = Story.merged_into.is_(None)
"""Stories that were not merged into another: the ones listed and counted."""


def live_story(session: Session, story_id: str) -> Story:
    """A story that was not merged away.

    Raises:
        MergedStoryError: the story was merged into another (a NotFoundError naming it).
        NotFoundError: no story has this id.
    """
    story = session.get(Story, story_id)
    if story is None:
        raise NotFoundError("story", story_id)
    if story.merged_into is not None:
        raise MergedStoryError(story_id, story.merged_into)
    return story


def stories_page(session: Session, offset: int, limit: int) -> StoriesPublic:
    """A page of stories, most recently updated first."""
    total = session.scalar(select(func.count(Story.id)).where(LIVE)) or 0
    page = session.scalars(
        select(Story)
        .where(LIVE)
        .order_by(Story.updated_at.desc(), Story.id)
        .offset(offset)
        .limit(limit)
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
    """A story with its claims, verdicts, evidence and claim groups.

    Raises:
        NotFoundError: no story has this id, or it was merged into another (MergedStoryError).
    """
    story = live_story(session, story_id)
    articles = session.scalars(
        select(Article)
        .where(Article.story_id == story_id)
        .options(selectinload(Article.claims))
        .order_by(Article.created_at)
    ).all()
    claims = worthy([c for a in articles for c in a.claims], min_checkworthiness)
    public, assembled = _claims_public(session, claims)
    summary = story_summary(story, story_counts(session, [story_id])[story_id])
    return StoryPublic(
        **summary.model_dump(),
        article_list=[article_summary(a) for a in articles],
        claim_list=public,
        claim_groups=claim_groups(assembled, {p.id: p for p in public}),
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
        "stories": session.scalar(select(func.count(Story.id)).where(LIVE)) or 0,
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


def edit_public(edit: StoryEdit) -> StoryEditPublic:
    """A recorded edit in its public shape."""
    return StoryEditPublic(
        id=edit.id,
        action=EditAction(edit.action),
        story_id=edit.story_id,
        from_story_id=edit.from_story_id,
        articles=[
            MovedArticle(article_id=move["article"], from_story_id=move["from"])
            for move in edit.moves
        ],
        changes=[
            StoryChange(field=field, before=before, after=after)
            for field, (before, after) in sorted(edit.changes.items())
        ],
        by=edit.by,
        at=_utc(edit.at),
        reverted_at=_utc(edit.reverted_at) if edit.reverted_at else None,
        reverted_by=edit.reverted_by,
    )


def story_edits(session: Session, story_id: str) -> StoryEditsPublic:
    """The edits that involved a story (merged-away ones too), newest first.

    Raises:
        NotFoundError: no story has this id.
    """
    if session.get(Story, story_id) is None:
        raise NotFoundError("story", story_id)
    edits = session.scalars(
        select(StoryEdit)
        .where(or_(StoryEdit.story_id == story_id, StoryEdit.from_story_id == story_id))
        .order_by(StoryEdit.at.desc(), StoryEdit.id)
    ).all()
    return StoryEditsPublic(data=[edit_public(e) for e in edits], count=len(edits))


def placements_near(session: Session, published: datetime, rule: JoinRule) -> list[Placement]:
    """The stored articles that story assignment weighs for an article published then."""
    rows = session.execute(
        select(
            Article.story_id,
            Article.lead_vector,
            Article.fingerprint,
            Article.entities,
            Article.event,
            Article.published_at,
        ).where(
            Article.published_at >= published - rule.reach,
            Article.published_at <= published + rule.reach,
        )
    ).all()
    return [
        Placement(
            story=r.story_id,
            vector=vectors_from(r.lead_vector)[0],
            fingerprint=r.fingerprint or {},
            entities=frozenset(r.entities or ()),
            event=EventSignature.from_json(r.event),
            published=_utc(r.published_at),
        )
        for r in rows
    ]
