"""Running queued ingests (POST /v1/articles?wait=false), wherever they run.

A job is recorded with its articles before it is answered 202 (`store.jobs`). Running it calls
the ingest of the synchronous path (`Crosscheck.submit`), which marks the job done in the very
transaction that stores its articles: a job is done exactly when its articles are stored, so a
run cut short (a worker killed) leaves it running with nothing stored, and the next run does
it whole. Since ingest is idempotent by article, two runs of one job store each article once.

Jobs reach a runner through a `Sender`: a broker for `crosscheck worker` processes when
settings.broker_url is set (`service.worker`), else `LocalRunner`, one background thread of
the process that queued them.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import TYPE_CHECKING, Protocol

from pydantic import ValidationError

from models.errors import CrosscheckError, InputError
from service import keys
from service.errors import ForbiddenError, problem_body
from service.schemas import ArticleIn, JobStatus
from service.store import jobs as records

if TYPE_CHECKING:
    from service.core import Crosscheck

log = logging.getLogger(__name__)

PERMANENT = (InputError, ForbiddenError)
"""Errors of a job's input: running it again would fail again, so the job fails at once."""


class Sender(Protocol):
    """Hands a recorded job to whatever runs jobs."""

    def send(self, job_id: str) -> None:
        """Queue the job.

        Raises:
            QueueUnavailableError: it could not be queued.
        """

    def close(self) -> None:
        """Stop; jobs not yet run stay recorded as queued or running."""


def run(core: Crosscheck, job_id: str) -> bool:
    """Run a job to done or failed, unless it is finished already.

    Returns:
        False when the job was finished already (or is unknown): nothing was done.

    Raises:
        Exception: an error that is not the input's (the database or the models): the job
            stays running, and the caller runs it again or gives up with `give_up`.
    """
    with core.db.session() as session:
        if not records.start(session, job_id):
            return False
        raw, key_id = records.inputs(session, job_id)
        key = keys.principal(session, key_id) if key_id is not None else None
    try:
        try:
            articles = [ArticleIn.model_validate(item) for item in raw]
        except ValidationError as exc:  # stored valid; only a change of the rules gets here
            message = exc.errors()[0]["msg"]
            raise InputError(f"the stored articles are no longer valid: {message}") from exc
        core.submit(
            articles,
            key,
            record=lambda session, outcomes: records.finish(session, job_id, outcomes),
        )
    except PERMANENT as exc:
        with core.db.session() as session:
            records.fail(session, job_id, problem_body(exc))
    return True


def give_up(core: Crosscheck, job_id: str, exc: BaseException, attempts: int) -> None:
    """Mark a job failed after its last attempt ended in an error that is not the input's."""
    log.error("job %s failed after %d attempts: %s", job_id, attempts, type(exc).__name__)
    error = CrosscheckError(
        f"the job failed after {attempts} attempts ({type(exc).__name__}); nothing was "
        "stored: submit the articles again"
    )
    with core.db.session() as session:
        records.fail(session, job_id, problem_body(error))


class LocalRunner:
    """Runs jobs one at a time in a background thread of this process (no broker).

    Jobs left queued or running by a process that stopped are run again by the next one
    (`Crosscheck.resume_jobs`, at the start of the app).
    """

    def __init__(self, core: Crosscheck) -> None:
        self._core = core
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, job_id: str) -> None:
        """Queue the job for the thread (started on the first job)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="crosscheck-jobs")
                self._thread.daemon = True
                self._thread.start()
        self._queue.put(job_id)

    def close(self) -> None:
        """Let the job in hand finish, then stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _work(self) -> None:
        while (job_id := self._queue.get()) is not None:
            tries = self._core.settings.job_retries + 1
            for attempt in range(1, tries + 1):
                try:
                    run(self._core, job_id)
                    break
                except Exception as exc:  # the job stays recorded; try again, then give up
                    log.warning("job %s, attempt %d failed", job_id, attempt, exc_info=True)
                    if attempt == tries:
                        try:
                            give_up(self._core, job_id, exc, attempt)
                        except Exception:  # the database is gone: the next start resumes it
                            log.exception("job %s could not be marked failed", job_id)


def resumable(sender: Sender) -> tuple[JobStatus, ...]:
    """The states of the jobs a starting process hands to its runner again.

    A local runner takes back every unfinished job: no other process runs them. A broker
    keeps its messages and hands a dead worker's job to another worker itself, so nothing is
    sent again (that would run queued jobs twice).
    """
    return (JobStatus.QUEUED, JobStatus.RUNNING) if isinstance(sender, LocalRunner) else ()
