"""The scaled-out shape without Docker: the API sends jobs to Redis, real `crosscheck worker`
processes (Celery) run them on PostgreSQL.

- a worker runs queued jobs to done or failed, and a resubmitted job stores nothing twice;
- two workers with two slots each ingest articles at once and end with the stories, links and
  verdicts of one-at-a-time ingest;
- a worker killed with SIGKILL in the middle of a job loses nothing: the job runs again on
  another worker and each article is stored once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.scale import outcome
from service.app import create_app
from service.config import Settings
from service.core import Crosscheck
from service.schemas import ArticleIn
from service.store.db import make_engine
from service.store.tables import Article, Job
from tests.databases import POSTGRES, empty_database
from tests.test_jobs import FURNITURE
from tests.workers import REDIS, empty_broker, skip_without_servers, wait_for, worker

pytestmark = skip_without_servers()

# Polling jobs is the point here: the rate limit of one client must not answer it with 429.
UNLIMITED: dict[str, Any] = {"rate_limit_requests": 1_000_000}
DRONES = "2021-11-07T10:00:00Z"
FIRE = "2026-03-10T12:00:00Z"
FIRE_HERALD = """Three workers killed in Northfield textile factory fire

A fire at the Northfield Mills textile factory killed three workers on Tuesday, the city fire
department said.

The blaze broke out at about 9 a.m. in the dyeing hall and spread to the warehouse.

Fire chief Maria Lopez said 40 firefighters fought the flames for six hours.

Eleven people were taken to St. Luke's hospital with burns and smoke injuries.

The factory employs 300 people. Police have opened an investigation into the cause of the fire.
"""
FIRE_POST = """Two dead as fire sweeps through Northfield Mills

Two workers died when fire swept through the Northfield Mills textile factory on Tuesday
morning, officials said.

The fire started in the dyeing hall shortly after 9 a.m., according to fire chief Maria Lopez.

About 40 firefighters were needed to bring the blaze under control.

Eleven injured people were treated at St. Luke's hospital.

Investigators are examining whether faulty wiring caused the fire.
"""


def _articles(seeds: dict[str, str]) -> list[dict[str, Any]]:
    """Two events: the drone attack (two outlets, no story key: stories are chosen by the
    service) and a factory fire (two outlets that disagree on the dead, with a story key)."""
    return [
        {"text": seeds["iranwire"], "source": "IranWire", "published_at": DRONES},
        {"text": FIRE_HERALD, "source": "Daily Herald", "published_at": FIRE, "story": "fire"},
        {"text": seeds["guardian"], "source": "The Guardian", "published_at": DRONES},
        {"text": FIRE_POST, "source": "Valley Post", "published_at": FIRE, "story": "fire"},
    ]


@pytest.fixture
def database(tmp_path: Path) -> str:
    """An empty PostgreSQL database, and an empty broker."""
    empty_broker()
    return empty_database("postgres", tmp_path)


@pytest.fixture
def api(database: str, core: Crosscheck) -> Iterator[TestClient]:
    """The app on that database, sending jobs to the test broker (models shared, unused)."""
    settings = Settings(database_url=database, broker_url=REDIS, demo_dir=None, **UNLIMITED)
    built = Crosscheck(settings, models=core.models)
    with TestClient(create_app(settings, core=built)) as client:
        yield client
    built.close()


def _enqueue(api: TestClient, body: Any) -> str:
    answer = api.post("/v1/articles", params={"wait": "false"}, json=body)
    assert answer.status_code == 202, answer.text
    location: str = answer.headers["location"]
    return location


def test_a_worker_runs_queued_jobs_to_done_or_failed(
    api: TestClient, database: str, tmp_path: Path, seed_texts: dict[str, str]
) -> None:
    article = {"text": seed_texts["iranwire"], "source": "IranWire"}
    bad = {"articles": [article, {"text": FURNITURE, "source": "Nobody"}]}
    # Queued before any worker runs: the broker keeps them.
    locations = [_enqueue(api, article), _enqueue(api, bad), _enqueue(api, article)]
    with worker(database, tmp_path / "worker.log", pool="prefork", concurrency=1):
        done, failed, again = (wait_for(api, location) for location in locations)
    assert (done["status"], done["attempts"]) == ("done", 1)
    assert done["articles"][0]["created"] is True
    assert failed["status"] == "failed"
    assert failed["error"]["status"] == 422 and failed["error"]["detail"].startswith("article 1")
    # Resubmitted: the stored article, not a second one.
    assert again["status"] == "done" and again["articles"][0]["created"] is False
    assert again["articles"][0]["article"]["id"] == done["articles"][0]["article"]["id"]
    assert outcome(database, by_outlet=True)["articles"] == ["IranWire"]


def test_four_concurrent_slots_give_the_links_and_verdicts_of_sequential_ingest(
    core: Crosscheck, tmp_path: Path, seed_texts: dict[str, str]
) -> None:
    assert POSTGRES is not None
    articles = _articles(seed_texts)
    # One article after the other, in this process.
    sequential = Crosscheck(
        Settings(database_url=empty_database("postgres", tmp_path), demo_dir=None),
        models=core.models,
    )
    try:
        for article in articles:
            sequential.submit([ArticleIn.model_validate(article)])
    finally:
        sequential.close()
    expected = outcome(POSTGRES, by_outlet=True)
    assert expected["stories"] == {
        frozenset({"IranWire", "The Guardian"}),
        frozenset({"Daily Herald", "Valley Post"}),
    }
    assert any(link[4] == "contradicts" for link in expected["links"])

    # Every article its own job, sent at once to two workers of two slots each.
    empty_broker()
    settings = Settings(
        database_url=empty_database("postgres", tmp_path), broker_url=REDIS, **UNLIMITED
    )
    api_core = Crosscheck(settings, models=core.models)
    workers = [
        worker(POSTGRES, tmp_path / "w1.log", pool="threads", concurrency=2, name="w1"),
        worker(POSTGRES, tmp_path / "w2.log", pool="prefork", concurrency=2, name="w2"),
    ]
    try:
        for each in workers:
            each.start()
        with TestClient(create_app(settings, core=api_core)) as api:
            locations = [_enqueue(api, article) for article in articles]
            jobs = [wait_for(api, location) for location in locations]
    finally:
        for each in workers:
            each.stop()
        api_core.close()
    assert [job["status"] for job in jobs] == ["done"] * len(articles)
    assert outcome(POSTGRES, by_outlet=True) == expected
    assert expected["orphans"] == 0


def test_a_worker_killed_mid_job_loses_and_duplicates_nothing(
    api: TestClient, database: str, tmp_path: Path, seed_texts: dict[str, str]
) -> None:
    articles = _articles(seed_texts)
    # Longer than a run of the job, or a slow run would be handed out again (harmless, but
    # this test counts the runs).
    timeout = {"broker_visibility_timeout_seconds": "20"}
    first = worker(database, tmp_path / "w1.log", pool="solo", name="w1", **timeout)
    first.start()
    location = _enqueue(api, {"articles": articles})
    job_id = location.rsplit("/", 1)[1]
    engine = make_engine(database)
    try:
        due = time.monotonic() + 120
        while time.monotonic() < due:
            with Session(engine) as session:
                status = session.scalar(select(Job.status).where(Job.id == job_id))
            if status != "queued":
                break
            time.sleep(0.02)
        assert status == "running", status
        first.kill()  # mid-job: analysing the batch, nothing stored
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Article)) == 0
    finally:
        engine.dispose()
    with worker(database, tmp_path / "w2.log", pool="solo", name="w2", **timeout):
        job = wait_for(api, location)
    assert job["status"] == "done"
    assert job["attempts"] == 2
    assert [a["created"] for a in job["articles"]] == [True] * len(articles)
    result = outcome(database, by_outlet=True)
    assert result["articles"] == sorted(a["source"] for a in articles)  # each stored once
    assert result["orphans"] == 0


def test_a_job_whose_message_was_lost_runs_when_sent_again(
    api: TestClient,
    database: str,
    tmp_path: Path,
    seed_texts: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A job recorded but never sent (the API stopped in between, or the broker lost its data)
    waits for ever; `crosscheck jobs resend` sends it again and a worker runs it."""
    from click.testing import CliRunner

    from service import cli
    from service.store import jobs as job_records

    engine = make_engine(database)
    try:
        with Session(engine) as session, session.begin():
            article = ArticleIn(text=seed_texts["iranwire"], source="IranWire")
            job_id = job_records.create(session, [article], None)
    finally:
        engine.dispose()
    location = f"/v1/jobs/{job_id}"
    monkeypatch.setenv("CROSSCHECK_DATABASE_URL", database)
    monkeypatch.setenv("CROSSCHECK_BROKER_URL", REDIS)
    runner = CliRunner()
    with worker(database, tmp_path / "worker.log", pool="solo"):
        time.sleep(2)
        assert api.get(location).json()["job"]["status"] == "queued"  # nobody sent it
        # Recorded less than the visibility timeout ago: it may still be on its way.
        waiting = runner.invoke(cli.main, ["jobs", "resend"])
        assert waiting.exit_code == 0, waiting.output
        assert waiting.stdout == "" and "sent 0 jobs" in waiting.stderr
        sent = runner.invoke(cli.main, ["jobs", "resend", "--older-than", "0"])
        assert sent.exit_code == 0, sent.output
        assert sent.stdout.split() == [job_id]
        job = wait_for(api, location)
    assert job["status"] == "done" and job["articles"][0]["created"] is True
    assert outcome(database, by_outlet=True)["articles"] == ["IranWire"]


def test_a_workers_ingest_reaches_live_streams_and_webhooks_once(
    api: TestClient, database: str, tmp_path: Path, seed_texts: dict[str, str]
) -> None:
    """A worker delivers the events it commits to the webhooks; the API process hears them
    over Redis (its live streams show them) and does not deliver them a second time."""
    from tests.servers import Receiver

    core: Crosscheck = api.app.state.core  # type: ignore[attr-defined]
    with Receiver() as receiver:
        hook = api.post(
            "/v1/webhooks",
            json={"url": receiver.url, "secret": "s" * 16, "events": ["article.added"]},
        )
        assert hook.status_code == 201, hook.text
        location = _enqueue(api, {"text": seed_texts["iranwire"], "source": "IranWire"})
        with worker(database, tmp_path / "worker.log", pool="solo"):
            job = wait_for(api, location)
            (delivery,) = receiver.wait_for(1)
            time.sleep(2)  # room for a second delivery, if the API process made one
        assert len(receiver.received) == 1
    article_id = job["articles"][0]["article"]["id"]
    assert json.loads(delivery.body)["data"]["article_id"] == article_id
    heard, _complete = core.events.since(0)
    added = [e for e in heard if e.type.value == "article.added"]
    assert [e.data["article_id"] for e in added] == [article_id]
    assert not added[0].local  # heard from the worker, numbered by this process's bus
