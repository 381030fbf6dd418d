"""Real `crosscheck worker` processes for the tests, on the local Redis and PostgreSQL, and
`wait_for`, which follows a queued job (wherever it runs) to its end.

`REDIS` is the broker the worker tests use (CROSSCHECK_TEST_REDIS_URL; this machine's Redis,
database 5, by default); its database is emptied before each test, so give the tests one of
their own. The tests skip, saying why, when it or PostgreSQL cannot be reached.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import pytest
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
REDIS = os.environ.get("CROSSCHECK_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def wait_for(client: TestClient, location: str, timeout: float = 300.0) -> dict[str, Any]:
    """The job at `location` once it is done or failed."""
    due = time.monotonic() + timeout
    while time.monotonic() < due:
        answer = client.get(location)
        assert answer.status_code == 200, answer.text
        job: dict[str, Any] = answer.json()["job"]
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.25)
    raise AssertionError(f"the job at {location} did not finish in {timeout} s")


def redis_reason() -> str | None:
    """Why the broker tests cannot run here (None: they can)."""
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except (redis.RedisError, OSError) as exc:
        return f"Redis at {REDIS} (CROSSCHECK_TEST_REDIS_URL) is unreachable: {exc}"
    return None


def empty_broker() -> None:
    """Drop every message of the test broker's database (left by an earlier run)."""
    import redis

    redis.Redis.from_url(REDIS).flushdb()


class Worker:
    """`crosscheck worker` from this tree, in a process group of its own (kill -9 takes its
    pool processes too)."""

    def __init__(
        self,
        database_url: str,
        log: Path,
        *,
        pool: str = "threads",
        concurrency: int = 1,
        name: str = "w1",
        **settings: str,
    ) -> None:
        self.log = log
        self.argv = [
            sys.executable,
            "-c",
            "from service.cli import main; main()",
            "worker",
            "--pool",
            pool,
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"{name}@%h",
        ]
        self.env = dict(os.environ)
        self.env.update(
            {
                "HF_HUB_OFFLINE": "1",
                "PYTHONPATH": str(ROOT),
                "CROSSCHECK_DATABASE_URL": database_url,
                "CROSSCHECK_BROKER_URL": REDIS,
                "CROSSCHECK_LOG_LEVEL": "INFO",
                **{f"CROSSCHECK_{k.upper()}": v for k, v in settings.items()},
            }
        )
        self.process: subprocess.Popen[bytes] | None = None
        self._output: IO[Any] | None = None

    def start(self, timeout: float = 300.0) -> None:
        """Start the worker and wait until it takes jobs (its models loaded).

        Raises:
            RuntimeError: it exited, or was not ready in time (its log is named).
        """
        offset = self.log.stat().st_size if self.log.exists() else 0
        self._output = self.log.open("ab")
        self.process = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        due = time.monotonic() + timeout
        while time.monotonic() < due:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited with {self.process.returncode}: {self.log}")
            with self.log.open("rb") as handle:
                handle.seek(offset)
                if b" ready." in handle.read():
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the worker was not ready in {timeout} s: {self.log}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: nothing is acknowledged or cleaned up."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """Stop the worker (SIGTERM: it finishes the job in hand; SIGKILL after 60 s)."""
        if self.process is None:
            return
        self._signal(signal.SIGTERM, wait=60.0)

    def _signal(self, which: signal.Signals, wait: float = 30.0) -> None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, which)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass
        try:  # pool processes that outlived their parent
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self._close()

    def _close(self) -> None:
        if self._output is not None:
            self._output.close()
            self._output = None

    def __enter__(self) -> Worker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def skip_without_servers() -> Any:
    """The marks of a test that needs the test PostgreSQL and Redis."""
    from tests.databases import POSTGRES

    marks = [pytest.mark.postgres, pytest.mark.redis]
    if not POSTGRES:
        marks.append(
            pytest.mark.skip(reason="CROSSCHECK_TEST_POSTGRES_URL is not set (.ci/run sets it)")
        )
    else:
        reason = redis_reason()
        if reason:
            marks.append(pytest.mark.skip(reason=reason))
    return marks
