"""The one core that the HTTP API, the CLI and the dashboard share.

Every public operation of crosscheck is a method here; route handlers and click commands only
parse their input, call one method, and format the result. The stages live in their own
modules: `pipeline` (analysis), `ingest` (storing and matching), `report` (the stateless
report) and `store.queries` (the read side).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from models.errors import InputError
from models.labels import Verdict
from service import editing, export, jobs, keys, webhooks
from service.analysis import Analyser
from service.config import Settings
from service.deadline import check_deadline
from service.errors import (
    ConflictError,
    NoReviewError,
    QueueUnavailableError,
    check_batch,
    problem_body,
)
from service.events import Event, EventBus, pending
from service.ingest import store_article
from service.keys import Principal
from service.pipeline import Models
from service.relay import EventRelay
from service.schemas import (
    ApiKeyPublic,
    ArticleIn,
    ArticlePublic,
    ClaimFilter,
    ClaimFound,
    ClaimPublic,
    ClaimsPublic,
    CompareReport,
    DeliveriesPublic,
    JobPublic,
    JobStatus,
    JudgementsPublic,
    JudgePairIn,
    Scope,
    SourceDetail,
    SourcesPublic,
    StoriesPublic,
    StoryEditPublic,
    StoryEditsPublic,
    StoryFilter,
    StoryOrder,
    StoryPublic,
    StoryUpdateIn,
    SubmitResponse,
    SubmitResult,
    WebhookCreated,
    WebhookIn,
    WebhookPublic,
)
from service.store import jobs as job_records
from service.store import queries
from service.store.db import Database, migrate
from service.store.locks import is_deadlock
from service.store.tables import StoryEdit

T = TypeVar("T")

MAX_PAGE = 100
"""Most claims or stories one JSON page holds; exports stream any number."""
EXPORT_BATCH = 200
"""Claims read from the store per query while an export streams."""


@dataclass
class _CachedStory:
    """An assembled story, and its rendered body once one was asked for."""

    public: StoryPublic
    body: bytes | None = None


class Crosscheck:
    """Models, database and pipeline behind one facade (built once per process)."""

    def __init__(
        self, settings: Settings, models: Models | None = None, *, load_models: bool = True
    ) -> None:
        """Open the database (migrated to the latest schema) and load the models.

        Args:
            settings: Service settings.
            models: Models already loaded (tests share one set).
            load_models: False for work that needs none (API keys): no model is loaded.
        """
        self.settings = settings
        # The stateless work (analyse, compare, judge) needs no database: the core wraps it.
        self.analyser = Analyser(settings, models, load_models=load_models)
        self.db = Database(settings.database_url)
        migrate(self.db.engine)
        # One writer at a time in this process: a story is never matched by two threads at
        # once. Across processes on PostgreSQL, an advisory lock per story does the same.
        self._write_lock = threading.Lock()
        # What committed writes change, told to live streams and webhooks (service.events).
        self.events = EventBus(settings.events_buffer)
        # With a broker, the other processes (replicas, workers) hear these events too.
        self.relay = EventRelay(settings.broker_url, self.events) if settings.broker_url else None
        self._jobs: jobs.Sender | None = None
        self._jobs_lock = threading.Lock()
        # Assembled stories by (id, last change, checkworthiness floor): see `story`.
        self._story_cache: OrderedDict[tuple[str, datetime, float | None], _CachedStory] = (
            OrderedDict()
        )
        self._story_cache_lock = threading.Lock()

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """One write, as the only writer of this process; once it commits, its events are
        published (still under the lock, so that they come in the order of the commits)."""
        with self._write_lock:
            with self.db.session() as session:
                recorded = pending(session)
                yield session
            drafts = recorded.drafts()
            if self.relay is not None:
                self.relay.publish(drafts)
            else:
                self.events.publish(drafts)

    def events_since(self, last: int) -> tuple[list[Event], bool]:
        """The committed events numbered after `last` that are still kept, and whether all of
        them are (False: the reader must read afresh). With a broker, from the log that the
        processes share, so a stream resumes on any replica."""
        if self.relay is not None:
            return self.relay.since(last)
        return self.events.since(last)

    @property
    def models(self) -> Models:
        """The analyser's loaded models.

        Raises:
            ModelMissingError: the core was built without models.
        """
        return self.analyser.models

    def close(self) -> None:
        """Stop the job runner of this process, if one started, and release the database."""
        with self._jobs_lock:
            sender, self._jobs = self._jobs, None
        if sender is not None:
            sender.close()
        if self.relay is not None:
            self.relay.stop()
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

    def submit(
        self,
        articles: Sequence[ArticleIn],
        key: Principal | None = None,
        record: Callable[[Session, list[tuple[str, bool]]], None] | None = None,
    ) -> SubmitResponse:
        """Ingest articles in order; an article already stored is returned, not duplicated.

        The whole batch is analysed before anything is stored, and stored in one transaction:
        a bad article leaves nothing behind, and the answer comes only after the commit.

        Args:
            articles: The articles.
            key: The API key submitting them, recorded on each new article; a key bound to
                outlets may submit only articles of those outlets.
            record: Called with the (article id, created) of each article inside the
                transaction that stores them (a queued job records its outcome this way).

        Raises:
            ForbiddenError: the key may not post as an article's outlet.
            InputError: an article is empty, furniture only, or longer than max_text_chars;
                WorkLimitError for a request over the work limits.
            RequestTimeoutError: the request's deadline passed; nothing was stored.
        """
        if key is not None:
            for article in articles:
                key.check_outlet(article)
        analysed = self.analyser.analyse_all(articles)
        key_id = key.id if key is not None else None
        for attempt in (1, 2):
            try:
                with self._transaction() as session:
                    outcomes = [
                        store_article(session, item, self.models.judge, self.settings, key_id)
                        for item in analysed
                    ]
                    if record is not None:
                        record(session, outcomes)
                    check_deadline()  # past it, the transaction rolls back: nothing stored
                break
            except (IntegrityError, OperationalError) as exc:
                # Another process stored the same article (URL or text) between our lookup and
                # our commit, or took two story locks in the other order (a deadlock); the
                # transaction rolled back, and a second pass finds its copy or gets the locks.
                if attempt == 2 or (isinstance(exc, OperationalError) and not is_deadlock(exc)):
                    raise
        with self.db.session() as session:
            data = [
                SubmitResult(created=created, article=queries.article_public(session, ident))
                for ident, created in outcomes
            ]
        return SubmitResponse(data=data, count=len(data))

    def _job_sender(self) -> jobs.Sender:
        with self._jobs_lock:
            if self._jobs is None:
                if self.settings.broker_url is None:
                    self._jobs = jobs.LocalRunner(self)
                else:
                    from service.worker import BrokerSender  # Celery only where configured

                    self._jobs = BrokerSender(self.settings)
            return self._jobs

    def enqueue(self, articles: Sequence[ArticleIn], key: Principal | None = None) -> JobPublic:
        """Record the articles as a job, in one transaction, and queue it; `run_job` ingests
        them later as `submit` would.

        The checks that need no model (outlets of the key, batch size, work limits) are made
        first: a request they refuse records nothing.

        Raises:
            ForbiddenError: the key may not post as an article's outlet.
            WorkLimitError: the request is over the work limits (BatchTooLargeError: too many
                articles).
            QueueUnavailableError: the broker could not be reached; the job is recorded as
                failed.
        """
        if key is not None:
            for article in articles:
                key.check_outlet(article)
        check_batch(articles, self.settings.max_batch, "articles")
        self.analyser.check_work(articles)
        with self.db.session() as session:
            job_id = job_records.create(session, articles, key.id if key is not None else None)
        try:
            self._job_sender().send(job_id)
        except QueueUnavailableError as exc:
            with self.db.session() as session:
                job_records.fail(session, job_id, problem_body(exc))
            raise
        return self.job(job_id)

    def job(self, job_id: str) -> JobPublic:
        """A queued ingest: its status, then its articles or its error.

        Raises:
            NotFoundError: no job has this id.
        """
        with self.db.session() as session:
            return job_records.public(session, job_id)

    def run_job(self, job_id: str) -> bool:
        """Run a queued job (a worker calls this); False when it was finished already.

        Raises:
            Exception: an error that is not the input's; the job stays running, to be run
                again (see `service.jobs.run`).
        """
        return jobs.run(self, job_id)

    def resume_jobs(self) -> int:
        """Hand the jobs that a stopped process left unfinished to this process's runner;
        returns how many (none when a broker runs jobs: it redelivers them itself)."""
        sender = self._job_sender()
        with self.db.session() as session:
            left = job_records.unfinished(session, jobs.resumable(sender))
        for job_id in left:
            sender.send(job_id)
        return len(left)

    def resend_jobs(self, older_than_seconds: float) -> list[str]:
        """Send again the jobs recorded more than `older_than_seconds` ago and not finished:
        their message was lost (a broker that lost its data, an API that stopped between
        recording a job and sending it). A job whose message was not lost runs twice, which
        stores nothing twice (ingest is idempotent by article). Returns their ids.

        Raises:
            QueueUnavailableError: the broker could not be reached.
        """
        sender = self._job_sender()
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        with self.db.session() as session:
            left = job_records.unfinished(
                session, (JobStatus.QUEUED, JobStatus.RUNNING), created_before=cutoff
            )
        for job_id in left:
            sender.send(job_id)
        return left

    def submit_each(self, articles: Sequence[ArticleIn]) -> list[SubmitResult | InputError]:
        """Ingest a batch where each article stands alone: the good ones are stored, each bad
        one is answered with its error, in the articles' order (for files of many rows).

        The batch is tried whole first; only when an article of it is refused is each
        article submitted on its own.
        """
        try:
            return list(self.submit(articles).data)
        except InputError as exc:
            if len(articles) == 1:
                return [exc]
        outcomes: list[SubmitResult | InputError] = []
        for article in articles:
            try:
                outcomes.append(self.submit([article]).data[0])
            except InputError as exc:
                outcomes.append(exc)
        return outcomes

    def article(self, article_id: str, min_checkworthiness: float | None = None) -> ArticlePublic:
        """One stored article with its claims (those scoring at least min_checkworthiness).

        Raises:
            NotFoundError: no article has this id.
        """
        with self.db.session() as session:
            return queries.article_public(session, article_id, min_checkworthiness)

    def stories(
        self,
        offset: int = 0,
        limit: int = 20,
        filters: StoryFilter | None = None,
        order: StoryOrder = StoryOrder.NEWEST,
    ) -> StoriesPublic:
        """A page of the stories that pass the filters, most recently updated first or most
        contested first.

        Raises:
            InputError: the search text holds no word, or too many.
        """
        with self.db.session() as session:
            return queries.stories_page(session, offset, limit, filters, order)

    def story(self, story_id: str, min_checkworthiness: float | None = None) -> StoryPublic:
        """A story with its claims, verdicts, evidence and claim groups.

        Args:
            story_id: The story's id, or the client's key for it.
            min_checkworthiness: Leave out claims scoring below this; the counts stay whole.

        Raises:
            NotFoundError: no story has this id or key.
        """
        return self._cached_story(story_id, min_checkworthiness).public

    def story_body(
        self,
        story_id: str,
        render: Callable[[StoryPublic], bytes],
        min_checkworthiness: float | None = None,
    ) -> bytes:
        """A story as `render` writes it, rendered once while the story is unchanged (the
        API's JSON of a 1,000-claim story costs more than reading it).

        Raises:
            NotFoundError: as for `story`.
        """
        entry = self._cached_story(story_id, min_checkworthiness)
        body = entry.body
        if body is None:
            body = entry.body = render(entry.public)
        return body

    def _cached_story(self, story_id: str, min_checkworthiness: float | None) -> _CachedStory:
        with self.db.session() as session:
            story = queries.find_story(session, story_id)
            # Every write that changes what a story shows (ingest into it, its verdicts, an
            # edit) moves its updated_at, in any process: an entry under the moment of the
            # story's last change is still the story.
            key = (story.id, story.updated_at, min_checkworthiness)
            with self._story_cache_lock:
                cached = self._story_cache.get(key)
                if cached is not None:
                    self._story_cache.move_to_end(key)
                    return cached
            entry = _CachedStory(queries.assembled_story(session, story, min_checkworthiness))
        size = self.settings.story_cache_size
        if size:
            with self._story_cache_lock:
                self._story_cache[key] = entry
                while len(self._story_cache) > size:
                    self._story_cache.popitem(last=False)
        return entry

    def require_story(self, story_id: str) -> None:
        """Check that a story exists and was not merged away.

        Raises:
            NotFoundError: no story has this id, or it was merged (MergedStoryError).
        """
        with self.db.session() as session:
            queries.live_story(session, story_id)

    def _write(self, change: Callable[[Session], T]) -> T:
        """Run one edit in one transaction, as the only writer of this process.

        Raises:
            ConflictError: another process gave a story the key this edit sets, meanwhile.
        """
        try:
            with self._transaction() as session:
                done = change(session)
                if isinstance(done, StoryEdit):
                    pending(session).story_edited(
                        [s for s in (done.story_id, done.from_story_id) if s is not None],
                        {
                            "edit_id": done.id,
                            "action": done.action,
                            "story_id": done.story_id,
                            "from_story_id": done.from_story_id,
                            "reverted": done.reverted_at is not None,
                        },
                    )
                return done
        except IntegrityError as exc:
            # The only unique value an edit writes is a story key: taken between check and commit.
            raise ConflictError("a story key this edit sets was taken meanwhile") from exc

    def merge_stories(self, story_id: str, other_id: str, by: str | None = None) -> StoryPublic:
        """Move every article of another story into this one, and compare their claims.

        The other story is gone from listings; reading it answers 404 naming this story
        (MergedStoryError), and an article sent later with its key joins this story.
        Reverting the merge brings it back with its id, key and title.

        Raises:
            NotFoundError: either story is unknown or was merged away.
            EditError: the two ids name one story.
        """
        judge, settings = self.models.judge, self.settings
        self._write(lambda s: editing.merge(s, story_id, other_id, by, judge, settings))
        return self.story(story_id)

    def split_story(
        self,
        story_id: str,
        article_ids: Sequence[str],
        title: str | None = None,
        by: str | None = None,
    ) -> StoryPublic:
        """Move some of a story's articles into a new story; returns the new story.

        Raises:
            NotFoundError: the story or an article is unknown.
            EditError: an article is not in the story, or all of them would move.
        """
        judge, settings = self.models.judge, self.settings
        edit = self._write(
            lambda s: editing.split(s, story_id, article_ids, title, by, judge, settings)
        )
        return self.story(edit.story_id)

    def move_article(self, article_id: str, story_id: str, by: str | None = None) -> ArticlePublic:
        """Move one article into another existing story; it stays there (pinned).

        Raises:
            NotFoundError: the article or the story is unknown, or the story was merged away.
            EditError: the article is in that story already, or is its story's only article.
            ConflictError: another edit moved the article meanwhile.
        """
        judge, settings = self.models.judge, self.settings
        self._write(lambda s: editing.move(s, article_id, story_id, by, judge, settings))
        return self.article(article_id)

    def update_story(
        self, story_id: str, changes: StoryUpdateIn, by: str | None = None
    ) -> StoryPublic:
        """Set a story's client key or title (the fields given); nothing is recorded when
        nothing changes.

        Raises:
            NotFoundError: the story is unknown or was merged away.
            ConflictError: the key belongs to another story.
        """
        self._write(lambda s: editing.update(s, story_id, changes, by))
        return self.story(story_id)

    def revert_edit(self, edit_id: str, by: str | None = None) -> StoryEditPublic:
        """Undo an edit: articles, links, verdicts, keys and titles as they were before it.

        Raises:
            NotFoundError: no edit has this id.
            ConflictError: the edit was reverted already, or a later change depends on it.
        """
        judge, settings = self.models.judge, self.settings
        edit = self._write(lambda s: editing.revert(s, edit_id, by, judge, settings))
        return queries.edit_public(edit)

    def story_edits(self, story_id: str) -> StoryEditsPublic:
        """The edits that involved a story, newest first (a merged-away story's too).

        Raises:
            NotFoundError: no story has this id.
        """
        with self.db.session() as session:
            return queries.story_edits(session, story_id)

    def claim(self, claim_id: str) -> ClaimPublic:
        """One claim with its verdict and evidence. Raises NotFoundError."""
        with self.db.session() as session:
            return queries.claim_public(session, claim_id)

    def claims(self, filters: ClaimFilter, offset: int = 0, limit: int = 20) -> ClaimsPublic:
        """A page of the claims across the store that pass the filters, newest article first.

        Raises:
            NotFoundError: the story or the source the filters name is unknown.
            InputError: the search text holds no word or too many, or limit is over MAX_PAGE.
        """
        if limit > MAX_PAGE:
            raise InputError(
                f"a page holds at most {MAX_PAGE} claims; ask for an export (format csv or "
                "jsonl) to have more at once"
            )
        with self.db.session() as session:
            return queries.claims_page(session, filters, offset, limit)

    def export_claims(
        self, filters: ClaimFilter, offset: int = 0, limit: int | None = None
    ) -> Iterator[ClaimFound]:
        """Every claim that passes the filters, from `offset` on and at most `limit`, in search
        order, read from the store a batch at a time (each in its own short transaction, after
        a cursor, so that claims stored meanwhile never shift the rest).

        The filters are checked, and the first batch read, before this returns.

        Raises:
            NotFoundError: the story or the source the filters name is unknown.
            InputError: the search text holds no word, or too many.
        """
        size = EXPORT_BATCH if limit is None else min(EXPORT_BATCH, limit)
        with self.db.session() as session:
            first, cursor = queries.claims_after(session, filters, None, size, offset)
        return self._rest_of_export(filters, first, cursor, limit)

    def _rest_of_export(
        self,
        filters: ClaimFilter,
        batch: list[ClaimFound],
        cursor: queries.ClaimKey | None,
        limit: int | None,
    ) -> Iterator[ClaimFound]:
        left = limit
        while batch:
            if left is not None:
                batch = batch[:left]
                left -= len(batch)
            yield from batch
            if cursor is None or left == 0:
                return
            size = EXPORT_BATCH if left is None else min(EXPORT_BATCH, left)
            with self.db.session() as session:
                batch, cursor = queries.claims_after(session, filters, cursor, size)

    def claim_review(self, claim_id: str, url: str) -> dict[str, Any]:
        """A contested claim as a schema.org ClaimReview (JSON-LD) to embed in a page.

        Args:
            claim_id: The claim.
            url: Where the review is served (its `url`).

        Raises:
            NotFoundError: no claim has this id; NoReviewError when it is not contested.
        """
        with self.db.session() as session:
            claim = queries.claim_found(session, claim_id)
            if claim.verdict is not Verdict.CONTESTED:
                raise NoReviewError(claim_id, claim.verdict.value)
            ids = [claim.article_id, *(e.article_id for e in claim.evidence if e.article_id)]
            articles = queries.article_summaries(session, ids)
        return export.claim_review(claim, articles, url)

    def source(self, name: str) -> SourceDetail:
        """One outlet: its claims by verdict, and the outlets it most often agrees and
        disagrees with (claim pairs of independent evidence).

        Raises:
            NotFoundError: no outlet has this name.
        """
        with self.db.session() as session:
            return queries.source_detail(session, name)

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
        return self.analyser.compare(articles)

    def judge(self, pairs: Sequence[JudgePairIn]) -> JudgementsPublic:
        """Judge claim / evidence pairs."""
        return self.analyser.judge(pairs)

    def create_key(
        self, name: str, scope: Scope, outlets: Sequence[str] = ()
    ) -> tuple[ApiKeyPublic, str]:
        """Make an API key; returns it as listed and its secret, which is never shown again."""
        with self.db.session() as session:
            return keys.create(session, name, scope, outlets)

    def list_keys(self) -> list[ApiKeyPublic]:
        """Every API key, revoked ones too, without secrets."""
        with self.db.session() as session:
            return keys.listing(session)

    def revoke_key(self, key_id: str) -> ApiKeyPublic:
        """Revoke an API key. Raises NotFoundError, or ConflictError when revoked already."""
        with self.db.session() as session:
            return keys.revoke(session, key_id)

    def authenticate(self, secret: str) -> Principal:
        """The API key a secret belongs to, its use recorded.

        Raises:
            AuthenticationError: the secret is unknown, or its key was revoked.
        """
        with self.db.session() as session:
            return keys.authenticate(session, secret)

    def create_webhook(self, hook: WebhookIn) -> WebhookCreated:
        """Register a webhook; the answer is the only one that shows its secret."""
        with self.db.session() as session:
            return webhooks.create(session, hook)

    def list_webhooks(self) -> list[WebhookPublic]:
        """Every webhook, oldest first, without secrets."""
        with self.db.session() as session:
            return webhooks.listing(session)

    def webhook(self, webhook_id: str) -> WebhookPublic:
        """One webhook, without its secret. Raises NotFoundError."""
        with self.db.session() as session:
            return webhooks.get(session, webhook_id)

    def update_webhook(self, webhook_id: str, active: bool) -> WebhookPublic:
        """Pause (False) or resume (True) a webhook. Raises NotFoundError."""
        with self.db.session() as session:
            return webhooks.set_active(session, webhook_id, active)

    def delete_webhook(self, webhook_id: str) -> None:
        """Remove a webhook and its delivery log. Raises NotFoundError."""
        with self.db.session() as session:
            webhooks.delete(session, webhook_id)

    def deliveries(self, webhook_id: str, offset: int = 0, limit: int = 20) -> DeliveriesPublic:
        """A page of a webhook's delivery attempts, newest first. Raises NotFoundError."""
        with self.db.session() as session:
            return webhooks.deliveries(session, webhook_id, offset, limit)
