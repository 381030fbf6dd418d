"""Job records: a queued ingest's articles as submitted, its status, and what it stored.

Every change of status is one conditional UPDATE, so that two runs of one job (a worker
thought dead that was only slow, a message delivered twice) never undo each other: only a
queued or running job starts, and a finished one stays as it finished.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from service.errors import NotFoundError
from service.pipeline import new_id
from service.schemas import ArticleIn, JobArticle, JobError, JobPublic, JobStatus
from service.store.queries import article_public
from service.store.tables import Job
from service.store.tables import JobArticle as JobArticleRow

UNFINISHED = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


def create(session: Session, articles: Sequence[ArticleIn], api_key_id: str | None) -> str:
    """Record a queued job with its articles as validated; returns its id."""
    job = Job(
        id=new_id(),
        status=JobStatus.QUEUED.value,
        api_key_id=api_key_id,
        attempts=0,
        created_at=datetime.now(UTC),
    )
    job.articles = [
        JobArticleRow(index=i, input=article.model_dump(mode="json", exclude_none=True))
        for i, article in enumerate(articles)
    ]
    session.add(job)
    session.flush()
    return job.id


def start(session: Session, job_id: str) -> bool:
    """Mark a job running and count the attempt; False when it is finished (or unknown)."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(UNFINISHED))
        .values(status=JobStatus.RUNNING.value, attempts=Job.attempts + 1, started_at=_now())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def inputs(session: Session, job_id: str) -> tuple[list[dict[str, Any]], str | None]:
    """A job's articles as submitted (JSON), and the API key that sent them.

    Raises:
        NotFoundError: no job has this id.
    """
    job = session.get(Job, job_id, options=[selectinload(Job.articles)])
    if job is None:
        raise NotFoundError("job", job_id)
    return [dict(row.input) for row in job.articles], job.api_key_id


def finish(session: Session, job_id: str, outcomes: Sequence[tuple[str, bool]]) -> None:
    """Mark a job done with the article each of its inputs became.

    Runs in the transaction that stores the articles, so a job is done exactly when its
    articles are stored. A job already done by another run keeps its first record.
    """
    job = session.scalars(select(Job).where(Job.id == job_id).with_for_update()).first()
    if job is None or job.status == JobStatus.DONE.value:
        return
    rows = session.scalars(
        select(JobArticleRow).where(JobArticleRow.job_id == job_id).order_by(JobArticleRow.index)
    ).all()
    for row, (article_id, created) in zip(rows, outcomes, strict=True):
        row.article_id, row.created = article_id, created
    job.status, job.error, job.finished_at = JobStatus.DONE.value, None, _now()


def fail(session: Session, job_id: str, error: dict[str, Any]) -> None:
    """Mark a job failed with the problem document that says why; a done job stays done."""
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status != JobStatus.DONE.value)
        .values(status=JobStatus.FAILED.value, error=error, finished_at=_now())
    )


def unfinished(
    session: Session, statuses: Sequence[JobStatus], created_before: datetime | None = None
) -> list[str]:
    """The ids of the jobs in these states (recorded before `created_before`), oldest first."""
    query = select(Job.id).where(Job.status.in_([s.value for s in statuses]))
    if created_before is not None:
        query = query.where(Job.created_at < created_before)
    return list(session.scalars(query.order_by(Job.created_at, Job.id)))


def public(session: Session, job_id: str) -> JobPublic:
    """A job as answered by the API: its stored articles in full once it is done.

    Raises:
        NotFoundError: no job has this id.
    """
    job = session.get(Job, job_id, options=[selectinload(Job.articles)])
    if job is None:
        raise NotFoundError("job", job_id)
    return JobPublic(
        id=job.id,
        status=JobStatus(job.status),
        attempts=job.attempts,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        articles=[
            JobArticle(
                index=row.index,
                source=row.input.get("source"),
                url=row.input.get("url"),
                created=row.created,
                article=article_public(session, row.article_id) if row.article_id else None,
            )
            for row in job.articles
        ],
        error=JobError.model_validate(job.error) if job.error else None,
    )


def _now() -> datetime:
    return datetime.now(UTC)
