"""The one core that the HTTP API, the CLI and the dashboard share.

Every public operation of crosscheck is a method here; route handlers and click commands only
parse their input, call one method, and format the result. The stages live in their own
modules: `pipeline` (analysis), `ingest` (storing and matching), `report` (the stateless
report) and `store.queries` (the read side).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from models.errors import InputError
from service.config import Settings
from service.errors import check_batch
from service.ingest import store_article
from service.pipeline import Analysed, Models, analyse
from service.report import compare_report
from service.schemas import (
    ArticleIn,
    ArticlePublic,
    ClaimPublic,
    CompareReport,
    JudgementPublic,
    JudgementsPublic,
    JudgePairIn,
    SourcesPublic,
    StoriesPublic,
    StoryPublic,
    SubmitResponse,
    SubmitResult,
)
from service.store import queries
from service.store.db import Database, migrate


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

    def _analyse_all(self, articles: Sequence[ArticleIn]) -> list[Analysed]:
        check_batch(articles, self.settings.max_batch, "articles")
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
        postgres = self.db.is_postgres
        for attempt in (1, 2):
            try:
                with self._write_lock, self.db.session() as session:
                    outcomes = [
                        store_article(session, item, self.models.judge, self.settings, postgres)
                        for item in analysed
                    ]
                break
            except IntegrityError:
                # Another process stored the same article (URL or text) between our lookup and
                # our commit; the transaction rolled back, and a second pass finds its copy.
                if attempt == 2:
                    raise
        with self.db.session() as session:
            data = [
                SubmitResult(created=created, article=queries.article_public(session, ident))
                for ident, created in outcomes
            ]
        return SubmitResponse(data=data, count=len(data))

    def article(self, article_id: str, min_checkworthiness: float | None = None) -> ArticlePublic:
        """One stored article with its claims (those scoring at least min_checkworthiness).

        Raises:
            NotFoundError: no article has this id.
        """
        with self.db.session() as session:
            return queries.article_public(session, article_id, min_checkworthiness)

    def stories(self, offset: int = 0, limit: int = 20) -> StoriesPublic:
        """A page of stories, most recently updated first."""
        with self.db.session() as session:
            return queries.stories_page(session, offset, limit)

    def story(self, story_id: str, min_checkworthiness: float | None = None) -> StoryPublic:
        """A story with its claims, verdicts, evidence and claim groups.

        Args:
            story_id: The story.
            min_checkworthiness: Leave out claims scoring below this; the counts stay whole.

        Raises:
            NotFoundError: no story has this id.
        """
        with self.db.session() as session:
            return queries.story_public(session, story_id, min_checkworthiness)

    def claim(self, claim_id: str) -> ClaimPublic:
        """One claim with its verdict and evidence. Raises NotFoundError."""
        with self.db.session() as session:
            return queries.claim_public(session, claim_id)

    def sources(self) -> SourcesPublic:
        """Every outlet with its share of corroborated, contested and single-source claims."""
        with self.db.session() as session:
            return queries.sources_public(session)

    def totals(self) -> dict[str, int]:
        """Numbers of stories, articles, sources and claims by verdict in the store."""
        with self.db.session() as session:
            return queries.totals(session)

    def compare(self, articles: Sequence[ArticleIn]) -> CompareReport:
        """The claim-by-claim report on these articles as one story; nothing is stored.

        Raises:
            InputError: as for submit.
        """
        return compare_report(self._analyse_all(articles), self.models.judge, self.settings)

    def judge(self, pairs: Sequence[JudgePairIn]) -> JudgementsPublic:
        """Judge claim / evidence pairs."""
        check_batch(pairs, self.settings.max_batch, "pairs")
        judgements = self.models.judge.judge([(p.claim, p.evidence) for p in pairs])
        data = [JudgementPublic.model_validate(j, from_attributes=True) for j in judgements]
        return JudgementsPublic(data=data, count=len(data))
