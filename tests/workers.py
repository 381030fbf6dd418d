"""`crosscheck worker` processes (bench.server.Worker) on the test Redis and PostgreSQL, and
`wait_for`, which follows a queued job (wherever it runs) to its end.

`REDIS` is the broker the worker tests use (CROSSCHECK_TEST_REDIS_URL; this machine's Redis,
database 5, by default); its database is emptied before each test, so give the tests one of
their own. The tests skip, saying why, when it or PostgreSQL cannot be reached.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bench.server import Worker

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


def worker(database_url: str, log: Path, **options: Any) -> Worker:
    """A `crosscheck worker` on the test broker (see bench.server.Worker for the options)."""
    return Worker(database_url, REDIS, log, **options)


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
