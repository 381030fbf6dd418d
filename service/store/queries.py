"""Read side of the store: rows in, the public shapes of `service.schemas` out."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from models.events import EventSignature
from models.labels import Reason, Relation, Verdict
from service.assembly import (
    Assembly,
    ClaimNode,
    EvidenceEdge,
    assemble,
    group_verdict,
    stance,
)
from service.errors import MergedStoryError, NotFoundError
from service.schemas import (
    ArticlePublic,
    ArticleSummary,
    Attribution,
    ClaimFilter,
    ClaimFound,
    ClaimGroup,
    ClaimPublic,
    ClaimsPublic,
    EditAction,
    Entity,
    EvidencePublic,
    GroupedClaim,
    MovedArticle,
    Quantity,
    SourceAgreement,
    SourceDetail,
    SourcePublic,
    SourcesPublic,
    StoriesPublic,
    StoryChange,
    StoryEditPublic,
    StoryEditsPublic,
    StoryFilter,
    StoryOrder,
    StoryPublic,
    StorySummary,
    VerdictCounts,
)
from service.store.codec import reads_from, vectors_from
from service.store.search import claims_matching
from service.store.tables import Article, ClaimRow, LinkRow, Source, Story, StoryEdit
from service.stories import JoinRule, Placement, outlet_keys


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def worthy(claims: Sequence[ClaimRow], least: float | None) -> list[ClaimRow]:
    return [c for c in claims if least is None or c.checkworthiness >= least]


def _evidence_graph(
    session: Session, claims: Sequence[ClaimRow], links: Sequence[LinkRow]
) -> tuple[list[ClaimNode], list[EvidenceEdge], dict[str, str]]:
    """Stored claims and links as the assembler sees them, and each article's outlet name."""
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
    return nodes, edges, names


def _assembled(
    session: Session, claims: Sequence[ClaimRow]
) -> tuple[Assembly, list[LinkRow], dict[str, str]]:
    """The assembly of some stored claims with their links, and each article's outlet name."""
    ids = [c.id for c in claims]
    links = list(
        session.scalars(select(LinkRow).where(LinkRow.claim_id.in_(ids)).order_by(LinkRow.id)).all()
    )
    nodes, edges, names = _evidence_graph(session, claims, links)
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
                reads=reads_from(facts),
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


def find_story(session: Session, ident: str) -> Story:
    """A story that was not merged away, by id or else by the client's key.

    Raises:
        MergedStoryError: the story was merged into another (a NotFoundError naming it).
        NotFoundError: no story has this id or key.
    """
    story = session.get(Story, ident)
    if story is None:
        story = session.scalars(select(Story).where(Story.key == ident)).first()
    if story is None:
        raise NotFoundError("story", ident, by="id or key")
    if story.merged_into is not None:
        raise MergedStoryError(story.id, story.merged_into)
    return story


def _story_conditions(session: Session, filters: StoryFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [LIVE]
    if filters.since is not None:
        conditions.append(Story.updated_at >= filters.since)
    claim_of_story = (
        select(ClaimRow.id)
        .join(Article, Article.id == ClaimRow.article_id)
        .where(Article.story_id == Story.id)
    )
    if filters.contested is not None:
        contested = exists(claim_of_story.where(ClaimRow.verdict == Verdict.CONTESTED.value))
        conditions.append(contested if filters.contested else ~contested)
    if filters.q is not None:
        conditions.append(exists(claim_of_story.where(claims_matching(session, filters.q))))
    return conditions


def stories_page(
    session: Session,
    offset: int,
    limit: int,
    filters: StoryFilter | None = None,
    order: StoryOrder = StoryOrder.NEWEST,
) -> StoriesPublic:
    """A page of the stories that pass the filters, in the order asked for.

    Raises:
        InputError: the search text holds no word, or too many.
    """
    conditions = _story_conditions(session, filters or StoryFilter())
    total = session.scalar(select(func.count(Story.id)).where(*conditions)) or 0
    newest = (Story.updated_at.desc(), Story.id)
    if order is StoryOrder.CONTESTED:
        contested = (
            select(func.count(ClaimRow.id))
            .join(Article, Article.id == ClaimRow.article_id)
            .where(Article.story_id == Story.id, ClaimRow.verdict == Verdict.CONTESTED.value)
            .correlate(Story)
            .scalar_subquery()
        )
        ordering: tuple[Any, ...] = (contested.desc(), *newest)
    else:
        ordering = newest
    page = session.scalars(
        select(Story).where(*conditions).order_by(*ordering).offset(offset).limit(limit)
    ).all()
    counts = story_counts(session, [s.id for s in page])
    return StoriesPublic(
        data=[story_summary(s, counts[s.id]) for s in page],
        count=total,
        offset=offset,
        limit=limit,
    )


def assembled_story(
    session: Session, story: Story, min_checkworthiness: float | None = None
) -> StoryPublic:
    """A story (found with `find_story`: by id or client key, never a merged-away one) with
    its claims, verdicts, evidence and claim groups."""
    articles = session.scalars(
        select(Article)
        .where(Article.story_id == story.id)
        .options(selectinload(Article.claims))
        .order_by(Article.created_at)
    ).all()
    claims = worthy([c for a in articles for c in a.claims], min_checkworthiness)
    public, assembled = _claims_public(session, claims)
    summary = story_summary(story, story_counts(session, [story.id])[story.id])
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


ClaimKey = tuple[datetime, str, int]
"""Where a claim stands in search order: its article's publication time, article id, index."""

_CLAIM_ORDER = (Article.published_at.desc(), ClaimRow.article_id, ClaimRow.index)


def _claim_conditions(session: Session, filters: ClaimFilter) -> list[ColumnElement[bool]]:
    """The filters as conditions on claims joined to their articles.

    Raises:
        NotFoundError: the story or the source named is unknown (or the story merged away).
        InputError: the search text holds no word, or too many.
    """
    conditions: list[ColumnElement[bool]] = []
    if filters.verdict is not None:
        conditions.append(ClaimRow.verdict == filters.verdict.value)
    if filters.source is not None:
        conditions.append(Article.source_id == find_source(session, filters.source).id)
    if filters.story is not None:
        conditions.append(Article.story_id == find_story(session, filters.story).id)
    if filters.since is not None:
        conditions.append(Article.published_at >= filters.since)
    if filters.min_checkworthiness is not None:
        conditions.append(ClaimRow.checkworthiness >= filters.min_checkworthiness)
    if filters.q is not None:
        conditions.append(claims_matching(session, filters.q))
    return conditions


def _claims_found(session: Session, rows: Sequence[tuple[ClaimRow, Article]]) -> list[ClaimFound]:
    public = claims_public(session, [claim for claim, _article in rows])
    return [
        ClaimFound(
            **p.model_dump(),
            story_id=article.story_id,
            url=article.url,
            title=article.title,
            published_at=_utc(article.published_at),
        )
        for p, (_claim, article) in zip(public, rows, strict=True)
    ]


def claims_page(session: Session, filters: ClaimFilter, offset: int, limit: int) -> ClaimsPublic:
    """A page of the claims across the store that pass the filters, newest article first.

    Raises:
        NotFoundError: the story or the source named is unknown.
        InputError: the search text holds no word, or too many.
    """
    conditions = _claim_conditions(session, filters)
    joined = select(ClaimRow, Article).join(Article, Article.id == ClaimRow.article_id)
    total = session.scalar(
        select(func.count(ClaimRow.id))
        .join(Article, Article.id == ClaimRow.article_id)
        .where(*conditions)
    )
    rows = session.execute(
        joined.where(*conditions).order_by(*_CLAIM_ORDER).offset(offset).limit(limit)
    ).all()
    found = _claims_found(session, [(r[0], r[1]) for r in rows])
    return ClaimsPublic(data=found, count=total or 0, offset=offset, limit=limit)


def claims_after(
    session: Session, filters: ClaimFilter, after: ClaimKey | None, limit: int, offset: int = 0
) -> tuple[list[ClaimFound], ClaimKey | None]:
    """The next claims in search order after a cursor: pages that stay in place while claims
    are added before them (exports page through the store this way).

    Args:
        session: The session.
        filters: Which claims.
        after: The cursor the previous batch returned; None to start.
        limit: Most claims in the batch.
        offset: Claims to skip first (with no cursor only).

    Returns:
        The claims and the cursor of the last one (None when the batch is empty).
    """
    conditions = _claim_conditions(session, filters)
    if after is not None:
        published, article_id, index = after
        conditions.append(
            or_(
                Article.published_at < published,
                and_(
                    Article.published_at == published,
                    or_(
                        ClaimRow.article_id > article_id,
                        and_(ClaimRow.article_id == article_id, ClaimRow.index > index),
                    ),
                ),
            )
        )
    rows = session.execute(
        select(ClaimRow, Article)
        .join(Article, Article.id == ClaimRow.article_id)
        .where(*conditions)
        .order_by(*_CLAIM_ORDER)
        .offset(offset if after is None else 0)
        .limit(limit)
    ).all()
    pairs = [(r[0], r[1]) for r in rows]
    if not pairs:
        return [], None
    last_claim, last_article = pairs[-1]
    return _claims_found(session, pairs), (
        last_article.published_at,
        last_claim.article_id,
        last_claim.index,
    )


def claim_found(session: Session, claim_id: str) -> ClaimFound:
    """One claim with its story and article. Raises NotFoundError."""
    row = session.get(ClaimRow, claim_id)
    if row is None:
        raise NotFoundError("claim", claim_id)
    return _claims_found(session, [(row, row.article)])[0]


def article_summaries(session: Session, article_ids: Sequence[str]) -> dict[str, ArticleSummary]:
    """The stored articles among these ids, by id."""
    rows = session.scalars(select(Article).where(Article.id.in_(set(article_ids)))).all()
    return {a.id: article_summary(a) for a in rows}


def find_source(session: Session, name: str) -> Source:
    """An outlet by its name, or else by its name in any case.

    Raises:
        NotFoundError: no outlet has this name.
    """
    source = session.scalars(select(Source).where(Source.name == name)).first()
    if source is None:
        source = session.scalars(
            select(Source).where(func.lower(Source.name) == name.lower()).order_by(Source.id)
        ).first()
    if source is None:
        raise NotFoundError("source", name, by="name")
    return source


def _source_tallies(
    session: Session, sources: Sequence[Source]
) -> tuple[dict[int, int], dict[int, Counter[str]]]:
    """Per outlet id: its number of articles, and its claims by verdict."""
    ids = [s.id for s in sources]
    n_articles: dict[int, int] = dict(
        session.execute(
            select(Article.source_id, func.count(Article.id))
            .where(Article.source_id.in_(ids))
            .group_by(Article.source_id)
        ).all()
    )
    tallies: dict[int, Counter[str]] = defaultdict(Counter)
    for source_id, verdict_value, n in session.execute(
        select(Article.source_id, ClaimRow.verdict, func.count(ClaimRow.id))
        .join(Article, Article.id == ClaimRow.article_id)
        .where(Article.source_id.in_(ids))
        .group_by(Article.source_id, ClaimRow.verdict)
    ).all():
        tallies[source_id][verdict_value] = n
    return n_articles, tallies


def _source_public(source: Source, n_articles: int, tally: Counter[str]) -> SourcePublic:
    total = sum(tally.values())
    return SourcePublic(
        name=source.name,
        domain=source.domain,
        articles=n_articles,
        claims=total,
        corroborated_share=_share(tally, Verdict.CORROBORATED, total),
        contested_share=_share(tally, Verdict.CONTESTED, total),
        single_source_share=_share(tally, Verdict.SINGLE_SOURCE, total),
    )


def source_agreement(session: Session, source: Source) -> list[SourceAgreement]:
    """With each other outlet: the claim pairs where they agree and where they clash.

    A pair is one stored link (a claim of one outlet, the other outlet's sentence about it),
    in either direction; it counts as the assembler weighs evidence for verdicts (`stance`).
    """
    own = select(Article.id).where(Article.source_id == source.id)
    touching = (
        select(LinkRow.id)
        .join(ClaimRow, ClaimRow.id == LinkRow.claim_id)
        .where(or_(ClaimRow.article_id.in_(own), LinkRow.article_id.in_(own)))
    )
    links = session.scalars(
        select(LinkRow).where(LinkRow.id.in_(touching)).order_by(LinkRow.id)
    ).all()
    claims = session.scalars(
        select(ClaimRow).where(
            ClaimRow.id.in_(select(LinkRow.claim_id).where(LinkRow.id.in_(touching)))
        )
    ).all()
    nodes, edges, names = _evidence_graph(session, claims, links)
    node = {n.id: n for n in nodes}
    tally: dict[str, Counter[Relation]] = defaultdict(Counter)
    for edge in edges:
        claim = node[edge.claim]
        pair = {names[claim.article], names[edge.article]}
        if source.name not in pair or len(pair) == 1:
            continue
        relation = stance(claim, edge)
        if relation is not None:
            (other,) = pair - {source.name}
            tally[other][relation] += 1
    out = []
    for other, counts in tally.items():
        agreeing, contradicting = counts[Relation.SUPPORTS], counts[Relation.CONTRADICTS]
        out.append(
            SourceAgreement(
                source=other,
                agreeing=agreeing,
                contradicting=contradicting,
                agreement_share=round(agreeing / (agreeing + contradicting), 4),
            )
        )
    return out


def source_detail(session: Session, name: str) -> SourceDetail:
    """One outlet: its claims by verdict and the outlets it agrees and disagrees with.

    Raises:
        NotFoundError: no outlet has this name.
    """
    source = find_source(session, name)
    n_articles, tallies = _source_tallies(session, [source])
    tally = tallies[source.id]
    summary = _source_public(source, n_articles.get(source.id, 0), tally)
    agreement = source_agreement(session, source)
    return SourceDetail(
        **summary.model_dump(),
        verdicts=VerdictCounts(**{v.value: tally[v.value] for v in Verdict}),
        agrees_with=sorted(
            (a for a in agreement if a.agreeing), key=lambda a: (-a.agreeing, a.source)
        ),
        disagrees_with=sorted(
            (a for a in agreement if a.contradicting), key=lambda a: (-a.contradicting, a.source)
        ),
    )


def sources_public(session: Session) -> SourcesPublic:
    """Every outlet with its share of corroborated, contested and single-source claims."""
    sources = session.scalars(select(Source).order_by(Source.name)).all()
    n_articles, tallies = _source_tallies(session, sources)
    data = [_source_public(s, n_articles.get(s.id, 0), tallies[s.id]) for s in sources]
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


def placements_near(
    session: Session, published: datetime, rule: JoinRule, undated: bool = False
) -> list[Placement]:
    """The stored articles that story assignment weighs for an article published then: those
    within the rule's reach and those that state no publication time; every one when the
    article itself states none (`service.stories.timeless`)."""
    query = select(
        Article.story_id,
        Article.lead_vector,
        Article.fingerprint,
        Article.entities,
        Article.event,
        Article.published_at,
    )
    if not undated:
        query = query.where(
            or_(
                and_(
                    Article.published_at >= published - rule.reach,
                    Article.published_at <= published + rule.reach,
                ),
                Article.event["undated"].as_boolean().is_(True),
            )
        )
    rows = session.execute(query).all()
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
