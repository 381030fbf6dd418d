"""Celery on Redis: the API sends jobs to the broker, `crosscheck worker` processes run them.

The API and the workers share settings.database_url: a message carries only a job id, and the
job's articles wait in the database (`store.jobs`). Messages are acknowledged late, after the
job ran: a worker killed mid-job never acknowledges its message, and the broker hands it to
another worker once settings.broker_visibility_timeout_seconds have passed (a pool process
killed alone: at once). Running a job twice stores each article once (`service.jobs`), and
one story is never matched by two workers at once (`store.locks`), so the result is that of
one uninterrupted run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from celery import Celery
from celery.signals import worker_process_init
from kombu.exceptions import OperationalError

from service.config import Settings
from service.core import Crosscheck
from service.delivery import Dispatcher
from service.errors import QueueUnavailableError
from service.jobs import give_up

log = logging.getLogger(__name__)

TASK = "crosscheck.run_job"
POOLS = ("prefork", "threads", "solo")
"""Worker pools: prefork (a process per job slot, each with its own models), threads (one
process, one set of models, slots as threads) or solo (one slot)."""
RETRY_BACKOFF_MAX = 30.0
"""Longest wait, in seconds, before a job is tried again after an error."""


class ProcessCore:
    """The core of one worker process, built on first use: models load once per process."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._core: Crosscheck | None = None
        self._lock = threading.Lock()

    def get(self) -> Crosscheck:
        """The core, loading the models on the first call of this process."""
        with self._lock:
            if self._core is None:
                self._core = Crosscheck(self._settings)
                # The process that commits an event delivers it to the webhooks: a worker's
                # ingests reach them from here (the API replicas only show them live).
                Dispatcher(self._core.db, self._settings, self._core.events).start()
            return self._core


def make_celery(settings: Settings) -> Any:
    """The Celery app of crosscheck: its broker settings and its one task.

    Raises:
        ValueError: settings.broker_url is not set.
    """
    if settings.broker_url is None:
        raise ValueError("no broker: set CROSSCHECK_BROKER_URL (redis://host:6379/0)")
    app = Celery("crosscheck", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        # A message is acknowledged once its job ran; a worker that dies before leaves it
        # unacknowledged, and the broker hands it to another worker.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # One message at a time per slot: a dead worker holds back no more than it ran.
        worker_prefetch_multiplier=1,
        broker_transport_options={
            "visibility_timeout": settings.broker_visibility_timeout_seconds,
            # Restore a dead worker's messages soon after the timeout (kombu's default checks
            # seldom: a minute or more late).
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        },
        broker_connection_retry_on_startup=True,
        task_default_queue=settings.jobs_queue,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,  # the outcome is the job row
        worker_hijack_root_logger=False,
    )
    holder = ProcessCore(settings)
    app.crosscheck_core = holder

    def run_job(task: Any, job_id: str) -> None:
        core = holder.get()
        try:
            core.run_job(job_id)
        except Exception as exc:
            attempts = task.request.retries + 1
            if task.request.retries >= settings.job_retries:
                give_up(core, job_id, exc, attempts)
                return
            log.warning("job %s, attempt %d failed; trying again", job_id, attempts, exc_info=True)
            # Under the visibility timeout: a message waiting longer would be handed out again.
            delay = min(
                2.0**task.request.retries,
                RETRY_BACKOFF_MAX,
                settings.broker_visibility_timeout_seconds / 2,
            )
            raise task.retry(exc=exc, countdown=delay, max_retries=settings.job_retries) from exc

    app.task(name=TASK, bind=True, acks_late=True, reject_on_worker_lost=True)(run_job)
    return app


class BrokerSender:
    """Sends jobs to the broker for `crosscheck worker` processes (`jobs.Sender`)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._app = make_celery(settings)

    def send(self, job_id: str) -> None:
        """Publish the job's id on the jobs queue.

        Raises:
            QueueUnavailableError: the broker did not take it (after a few quick tries).
        """
        try:
            self._app.send_task(
                TASK,
                args=[job_id],
                queue=self._settings.jobs_queue,
                retry=True,
                retry_policy={
                    "max_retries": 2,
                    "interval_start": 0,
                    "interval_step": 0.5,
                    "interval_max": 1,
                },
            )
        except (OperationalError, OSError) as exc:
            raise QueueUnavailableError(
                f"the job broker could not be reached ({type(exc).__name__}); nothing will "
                "be stored: try again, or send the articles with wait=true"
            ) from exc

    def close(self) -> None:
        """Close the broker connections."""
        self._app.close()


def start_worker(
    settings: Settings,
    concurrency: int,
    queues: Sequence[str],
    pool: str,
    hostname: str | None = None,
) -> None:
    """Run a worker until it is stopped: `concurrency` jobs at once from these queues.

    The models load before the first job: in each pool process (prefork), or once in this
    process (threads, solo).
    """
    app = make_celery(settings)
    holder: ProcessCore = app.crosscheck_core
    if pool == "prefork":
        worker_process_init.connect(lambda **_: holder.get(), weak=False)
    else:
        holder.get()
    argv = [
        "worker",
        f"--concurrency={concurrency}",
        f"--queues={','.join(queues)}",
        f"--pool={pool}",
        f"--loglevel={settings.log_level.upper()}",
        # Workers need not know each other: no gossip, no start-up exchange of state.
        "--without-gossip",
        "--without-mingle",
    ]
    if hostname:
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)
