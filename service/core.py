"""The one core that the HTTP API, the CLI and the dashboard share.

Every public operation of crosscheck is a method here; route handlers and click commands only
parse their input, call one method, and format the result.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session, selectinload

from models.embedder import Vectors
from models.errors import InputError
from models.labels import Reason, Relation, Verdict
from service.config import Settings
from service.errors import NotFoundError
from service.matching import (
    Link,
    Side,
    connected_groups,
    fact_edges,
    match,
    verdict,
)
from service.pipeline import (
    Analysed,
    Models,
    analyse,
    attribution_from,
    new_id,
    vector_bytes,
    vectors_from,
)
from service.schemas import (
    ArticleIn,
    ArticlePublic,
    ArticleSummary,
    Attribution,
    ClaimGroup,
    ClaimPublic,
    CompareArticle,
    CompareClaim,
    CompareEvidence,
    CompareReport,
    CompareStory,
    Entity,
    EvidencePublic,
    GroupedClaim,
    JudgementPublic,
    JudgementsPublic,
    JudgePairIn,
    Quantity,
    SourcePublic,
    SourcesPublic,
    StoriesPublic,
    StoryPublic,
    StorySummary,
    SubmitResponse,
    SubmitResult,
)
from service.store.db import Database, migrate
from service.store.tables import Article, ClaimRow, LinkRow, SentenceRow, Source, Story
from service.stories import choose_story, find_origin, shingles

_VERDICT_ORDER = {Verdict.CONTESTED: 2, Verdict.CORROBORATED: 1, Verdict.SINGLE_SOURCE: 0}


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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


class Crosscheck:
    """Models, database and pipeline behind one facade (built once per process)."""

    def __init__(self, settings: Settings, models: Models | None = None) -> None:
        self.settings = settings
        self.models = models if models is not None else Models.load(settings)
        self.db = Database(settings.database_url)
        migrate(self.db.engine)
        # One writer at a time in this process: a story is never matched by two threads at
        # once. Across processes on PostgreSQL, an advisory lock per story does the same.
        self._write_lock = threading.Lock()

    def close(self) -> None:
        """Release the database connections."""
        self.db.close()

    def ready(self) -> dict[str, str]:
        """Names of the loaded components and their state ("ok" when usable)."""
        status = dict(self.models.status)
        try:
            with self.db.session() as session:
                session.execute(text("SELECT 1"))
            status["database"] = "ok"
        except Exception as exc:  # any driver error means "not ready", never a crash
            status["database"] = f"unavailable: {type(exc).__name__}"
        return status

    # -- writing -------------------------------------------------------------------------

    def _analyse_all(self, articles: Sequence[ArticleIn]) -> list[Analysed]:
        if len(articles) > self.settings.max_batch:
            raise InputError(
                f"{len(articles)} articles in one request; the limit is {self.settings.max_batch}"
            )
        analysed = []
        for position, article in enumerate(articles):
            try:
                analysed.append(analyse(self.models, article, self.settings.max_text_chars))
            except InputError as exc:
                prefix = f"article {position}: " if len(articles) > 1 else ""
                raise InputError(prefix + str(exc)) from exc
        return analysed

    def submit(self, articles: Sequence[ArticleIn]) -> SubmitResponse:
        """Ingest articles in order; an article already stored is returned, not duplicated.

        The whole batch is analysed before anything is stored, and stored in one transaction:
        a bad article leaves nothing behind, and the answer comes only after the commit.

        Raises:
            InputError: an article is empty, furniture only, or longer than max_text_chars.
        """
        analysed = self._analyse_all(articles)
        with self._write_lock, self.db.session() as session:
            outcomes = [self._store(session, item) for item in analysed]
        with self.db.session() as session:
            data = [
                SubmitResult(created=created, article=self._article_public(session, ident))
                for ident, created in outcomes
            ]
        return SubmitResponse(data=data, count=len(data))

    def _existing(self, session: Session, item: Analysed) -> str | None:
        condition = Article.content_hash == item.content_hash
        if item.url:
            condition = or_(condition, Article.url == item.url)
        return session.scalars(select(Article.id).where(condition).limit(1)).first()

    def _story_for(self, session: Session, item: Analysed, now: datetime) -> Story:
        story: Story | None = None
        if item.story_key:
            story = session.scalars(select(Story).where(Story.key == item.story_key)).first()
        else:
            story = choose_story(
                session,
                item.lead_vector,
                item.entities,
                item.published_at,
                self.settings.story_window_hours,
                self.settings.story_join_similarity,
            )
        if story is None:
            story = Story(
                id=new_id(), key=item.story_key, title=item.title, created_at=now, updated_at=now
            )
            session.add(story)
            session.flush()
        if self.db.is_postgres:
            session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": story.id})
        return story

    def _source_for(self, session: Session, item: Analysed) -> Source:
        source = session.scalars(select(Source).where(Source.name == item.source)).first()
        if source is None:
            source = Source(name=item.source, domain=item.domain)
            session.add(source)
            session.flush()
        elif source.domain is None and item.domain:
            source.domain = item.domain
        return source

    def _store(self, session: Session, item: Analysed) -> tuple[str, bool]:
        existing = self._existing(session, item)
        if existing is not None:
            return existing, False
        now = datetime.now(UTC)
        story = self._story_for(session, item, now)
        source = self._source_for(session, item)
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
            self.settings.duplicate_similarity,
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

        sides = [self._side(o, source_name=o.source.name) for o in others]
        for other in others:
            for claim_row in other.claims:
                claim_ids[(other.id, claim_row.index)] = claim_row.id
        links = match(
            item.side(article_id, article.origin_id),
            sides,
            self.models.judge,
            self.settings.candidates_per_origin,
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
        for claim_id, row in touched.items():
            stored = session.execute(
                select(LinkRow.origin_id, LinkRow.relation).where(LinkRow.claim_id == claim_id)
            ).all()
            result, n_support, n_contra = verdict((o, Relation(r)) for o, r in stored)
            row.verdict = result.value
            row.supporting_origins = n_support
            row.contradicting_origins = n_contra
        return article_id, True

    @staticmethod
    def _side(article: Article, source_name: str) -> Side:
        from service.matching import ClaimView, SentenceView

        sentences = article.sentences
        claims = article.claims
        return Side(
            key=article.id,
            origin=article.origin_id,
            source=source_name,
            text=article.text,
            sentences=[SentenceView(s.text, s.start, s.end) for s in sentences],
            sentence_vectors=vectors_from(b"".join(s.vector for s in sentences)),
            claims=[ClaimView(c.text, c.sentence_index, attribution_from(c.facts)) for c in claims],
            claim_vectors=vectors_from(b"".join(c.vector for c in claims)),
        )

    # -- reading -------------------------------------------------------------------------

    def _claims_public(self, session: Session, claims: Sequence[ClaimRow]) -> list[ClaimPublic]:
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

    @staticmethod
    def _summary(article: Article) -> ArticleSummary:
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

    def _article_public(
        self, session: Session, article_id: str, min_checkworthiness: float | None = None
    ) -> ArticlePublic:
        article = session.get(Article, article_id, options=[selectinload(Article.claims)])
        if article is None:
            raise NotFoundError("article", article_id)
        return ArticlePublic(
            **self._summary(article).model_dump(),
            text=article.text,
            claims=self._claims_public(session, _worthy(article.claims, min_checkworthiness)),
        )

    def article(self, article_id: str, min_checkworthiness: float | None = None) -> ArticlePublic:
        """One stored article with its claims (those scoring at least min_checkworthiness).

        Raises:
            NotFoundError: no article has this id.
        """
        with self.db.session() as session:
            return self._article_public(session, article_id, min_checkworthiness)

    def _story_counts(self, session: Session, story_ids: Sequence[str]) -> dict[str, Counter[str]]:
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

    @staticmethod
    def _story_summary(story: Story, counts: Counter[str]) -> StorySummary:
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

    def stories(self, offset: int = 0, limit: int = 20) -> StoriesPublic:
        """A page of stories, most recently updated first."""
        with self.db.session() as session:
            total = session.scalar(select(func.count(Story.id))) or 0
            page = session.scalars(
                select(Story)
                .order_by(Story.updated_at.desc(), Story.id)
                .offset(offset)
                .limit(limit)
            ).all()
            counts = self._story_counts(session, [s.id for s in page])
            return StoriesPublic(
                data=[self._story_summary(s, counts[s.id]) for s in page],
                count=total,
                offset=offset,
                limit=limit,
            )

    def story(self, story_id: str, min_checkworthiness: float | None = None) -> StoryPublic:
        """A story with its claims, verdicts, evidence and claim groups.

        Args:
            story_id: The story.
            min_checkworthiness: Leave out claims scoring below this; the counts stay whole.

        Raises:
            NotFoundError: no story has this id.
        """
        with self.db.session() as session:
            story = session.get(Story, story_id)
            if story is None:
                raise NotFoundError("story", story_id)
            articles = session.scalars(
                select(Article)
                .where(Article.story_id == story_id)
                .options(selectinload(Article.claims))
                .order_by(Article.created_at)
            ).all()
            claims = _worthy([c for a in articles for c in a.claims], min_checkworthiness)
            public = self._claims_public(session, claims)
            links = session.scalars(
                select(LinkRow).where(LinkRow.claim_id.in_([c.id for c in claims]))
            ).all()
            groups = self._groups(claims, links, {p.id: p for p in public})
            summary = self._story_summary(story, self._story_counts(session, [story_id])[story_id])
            return StoryPublic(
                **summary.model_dump(),
                article_list=[self._summary(a) for a in articles],
                claim_list=public,
                claim_groups=groups,
            )

    @staticmethod
    def _groups(
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
                    verdict=max((p.verdict for p in items), key=_VERDICT_ORDER.__getitem__),
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

    def claim(self, claim_id: str) -> ClaimPublic:
        """One claim with its verdict and evidence. Raises NotFoundError."""
        with self.db.session() as session:
            row = session.get(ClaimRow, claim_id)
            if row is None:
                raise NotFoundError("claim", claim_id)
            return self._claims_public(session, [row])[0]

    def sources(self) -> SourcesPublic:
        """Every outlet with its share of corroborated, contested and single-source claims."""
        with self.db.session() as session:
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

                def share(v: Verdict, tally: Counter[str] = tally, total: int = total) -> float:
                    return round(tally[v.value] / total, 4) if total else 0.0

                data.append(
                    SourcePublic(
                        name=source.name,
                        domain=source.domain,
                        articles=n_articles.get(source.id, 0),
                        claims=total,
                        corroborated_share=share(Verdict.CORROBORATED),
                        contested_share=share(Verdict.CONTESTED),
                        single_source_share=share(Verdict.SINGLE_SOURCE),
                    )
                )
            return SourcesPublic(data=data, count=len(data))

    # -- stateless -----------------------------------------------------------------------

    def compare(self, articles: Sequence[ArticleIn]) -> CompareReport:
        """The claim-by-claim report on these articles as one story; nothing is stored.

        Raises:
            InputError: as for submit.
        """
        analysed = self._analyse_all(articles)
        origins: list[int] = []
        prints = [item.shingles for item in analysed]
        for i in range(len(analysed)):
            found = find_origin(
                prints[i],
                [(str(origins[j]), prints[j]) for j in range(i)],
                self.settings.duplicate_similarity,
            )
            origins.append(int(found) if found is not None else i)
        sides = [item.side(str(i), str(origins[i])) for i, item in enumerate(analysed)]
        links: list[Link] = []
        for i, side in enumerate(sides):
            links.extend(
                match(side, sides[:i], self.models.judge, self.settings.candidates_per_origin)
            )
        by_claim: dict[tuple[str, int], list[Link]] = defaultdict(list)
        for link in links:
            by_claim[(link.claim_article, link.claim_index)].append(link)
        report_articles = []
        tally: Counter[Verdict] = Counter()
        for i, item in enumerate(analysed):
            claims = []
            for j, claim in enumerate(item.claims):
                mine = by_claim[(str(i), j)]
                result, _, _ = verdict(mine)
                tally[result] += 1
                mine.sort(key=lambda link: (_VERDICT_RANK(link), -link.judgement.probability))
                claims.append(
                    CompareClaim(
                        id=f"{i}.{j}",
                        text=claim.text,
                        sentence=claim.sentence,
                        start=claim.start,
                        end=claim.end,
                        verdict=result,
                        attribution=(
                            Attribution(
                                source=claim.attribution.source,
                                verb=claim.attribution.verb,
                                time=claim.attribution.time,
                            )
                            if claim.attribution
                            else None
                        ),
                        hedges=claim.hedges,
                        evidence=[
                            CompareEvidence(
                                article=int(link.evidence_article),
                                source=link.evidence_source,
                                text=link.text,
                                start=link.span()[0],
                                end=link.span()[1],
                                relation=link.judgement.relation,
                                reason=link.judgement.reason,
                                explanation=link.judgement.explanation,
                                score=link.judgement.probability,
                            )
                            for link in mine
                        ],
                    )
                )
            report_articles.append(
                CompareArticle(
                    source=item.source, title=item.title, origin=origins[i], claims=claims
                )
            )
        vectors = {
            f"{i}.{j}": item.claim_vectors[j]
            for i, item in enumerate(analysed)
            for j in range(len(item.claims))
        }
        per_sentence: dict[tuple[str, int], list[tuple[str, Vectors]]] = defaultdict(list)
        for i, item in enumerate(analysed):
            for j, claim in enumerate(item.claims):
                per_sentence[(str(i), claim.sentence_index)].append(
                    (f"{i}.{j}", vectors[f"{i}.{j}"])
                )
        edges = fact_edges(
            (
                (
                    f"{link.claim_article}.{link.claim_index}",
                    link.evidence_article,
                    link.sentence_index,
                )
                for link in links
            ),
            per_sentence,
            vectors,
        )
        groups = connected_groups(list(vectors), edges)
        return CompareReport(
            articles=report_articles,
            story=CompareStory(
                articles=len(analysed),
                origins=len(set(origins)),
                claims=sum(tally.values()),
                corroborated=tally[Verdict.CORROBORATED],
                contested=tally[Verdict.CONTESTED],
                single_source=tally[Verdict.SINGLE_SOURCE],
                claim_groups=groups,
            ),
        )

    def judge(self, pairs: Sequence[JudgePairIn]) -> JudgementsPublic:
        """Judge claim / evidence pairs."""
        if len(pairs) > self.settings.max_batch:
            raise InputError(
                f"{len(pairs)} pairs in one request; the limit is {self.settings.max_batch}"
            )
        judgements = self.models.judge.judge([(p.claim, p.evidence) for p in pairs])
        data = [
            JudgementPublic(
                relation=j.relation,
                probability=j.probability,
                reason=j.reason,
                explanation=j.explanation,
                evidence_start=j.evidence_start,
                evidence_end=j.evidence_end,
            )
            for j in judgements
        ]
        return JudgementsPublic(data=data, count=len(data))


def _worthy(claims: Sequence[ClaimRow], least: float | None) -> list[ClaimRow]:
    return [c for c in claims if least is None or c.checkworthiness >= least]


def _VERDICT_RANK(link: Link) -> int:  # noqa: N802 - sort key, reads like a constant table
    return 0 if link.judgement.relation is Relation.CONTRADICTS else 1
