"""Queued ingest in the embedded shape (no broker): POST /v1/articles?wait=false answers 202
with a job, a background thread of the process runs it, GET /v1/jobs/{id} follows it.

On a SQLite file and on PostgreSQL, through the real app and the real models.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.app import create_app
from service.config import Settings
from service.core import Crosscheck
from service.schemas import ArticleIn, JobStatus
from service.store import jobs as records
from service.store.tables import Article, Job, JobArticle
from tests.databases import DATABASES, empty_database
from tests.problems import assert_problem
from tests.workers import wait_for

FURNITURE = "Close button\nReuse this content\n1 min read"


@pytest.fixture(params=DATABASES)
def store(request: pytest.FixtureRequest, core: Crosscheck, tmp_path: Path) -> Iterator[Crosscheck]:
    """A core on an empty database of either kind (no broker), sharing the loaded models."""
    url = empty_database(request.param, tmp_path)
    # Polling a job is many reads a minute: the rate limit must not answer them with 429.
    settings = Settings(database_url=url, demo_dir=None, max_batch=3, rate_limit_requests=10**6)
    built = Crosscheck(settings, models=core.models)
    yield built
    built.close()


@pytest.fixture
def client(store: Crosscheck) -> Iterator[TestClient]:
    """The app over that core."""
    with TestClient(create_app(store.settings, core=store)) as test_client:
        yield test_client


def _count(store: Crosscheck, table: type) -> int:
    with store.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_wait_false_answers_202_and_the_job_ends_done(
    client: TestClient, store: Crosscheck, seed_texts: dict[str, str]
) -> None:
    batch = {
        "articles": [
            {"text": seed_texts["iranwire"], "source": "IranWire"},
            {
                "text": seed_texts["guardian"],
                "source": "The Guardian",
                "url": "https://g.example/a",
            },
        ]
    }
    answer = client.post("/v1/articles", params={"wait": "false"}, json=batch)
    assert answer.status_code == 202, answer.text
    job = answer.json()["job"]
    assert answer.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["status"] in ("queued", "running", "done")
    assert [(a["index"], a["source"], a["url"]) for a in job["articles"]] == [
        (0, "IranWire", None),
        (1, "The Guardian", "https://g.example/a"),
    ]

    done = wait_for(client, answer.headers["location"])
    assert done["status"] == "done" and done["error"] is None
    assert done["attempts"] == 1 and done["finished_at"] is not None
    assert [a["created"] for a in done["articles"]] == [True, True]
    ids = [a["article"]["id"] for a in done["articles"]]
    assert [a["article"]["source"] for a in done["articles"]] == ["IranWire", "The Guardian"]
    assert all(a["article"]["claims"] for a in done["articles"])
    # The synchronous path finds the very articles the job stored.
    again = client.post("/v1/articles", json=batch)
    assert again.status_code == 200
    assert [item["article"]["id"] for item in again.json()["data"]] == ids
    assert _count(store, Article) == 2


def test_a_resubmitted_job_stores_nothing_twice(
    client: TestClient, store: Crosscheck, seed_texts: dict[str, str]
) -> None:
    article = {"text": seed_texts["iranwire"], "source": "IranWire"}
    first = wait_for(
        client, client.post("/v1/articles?wait=false", json=article).headers["location"]
    )
    second = wait_for(
        client, client.post("/v1/articles?wait=false", json=article).headers["location"]
    )
    assert first["id"] != second["id"]
    assert (first["status"], second["status"]) == ("done", "done")
    assert first["articles"][0]["created"] is True
    assert second["articles"][0]["created"] is False
    assert second["articles"][0]["article"]["id"] == first["articles"][0]["article"]["id"]
    assert _count(store, Article) == 1


def test_a_job_whose_text_is_furniture_fails_with_its_problem(
    client: TestClient, store: Crosscheck, seed_texts: dict[str, str]
) -> None:
    batch = {
        "articles": [
            {"text": seed_texts["iranwire"], "source": "IranWire"},
            {"text": FURNITURE, "source": "Nobody"},
        ]
    }
    answer = client.post("/v1/articles?wait=false", json=batch)
    assert answer.status_code == 202
    job = wait_for(client, answer.headers["location"])
    assert job["status"] == "failed"
    assert job["error"]["status"] == 422
    assert job["error"]["type"] == "urn:crosscheck:problem:invalid-input"
    assert job["error"]["detail"].startswith("article 1: ")
    assert [a["article"] for a in job["articles"]] == [None, None]
    # As on the synchronous path, a bad article leaves the whole batch unstored.
    assert _count(store, Article) == 0
    assert client.get(answer.headers["location"]).json()["job"]["status"] == "failed"


@pytest.mark.parametrize(
    ("params", "body", "status"),
    [
        ({"wait": "false"}, {"source": "no text"}, 422),
        ({"wait": "false"}, {"articles": []}, 422),
        ({"wait": "false"}, {"articles": [{"text": f"Drone {i} fell."} for i in range(4)]}, 422),
        ({"wait": "false"}, {"text": "Two drones " + "x" * 4000 + " fell."}, 422),
        ({"wait": "maybe"}, {"text": "Two drones fell."}, 422),
    ],
    ids=["no text", "empty batch", "over max_batch", "sentence too long", "wait not a boolean"],
)
def test_bad_input_is_refused_and_records_no_job(
    client: TestClient, store: Crosscheck, params: dict[str, str], body: Any, status: int
) -> None:
    answer = client.post("/v1/articles", params=params, json=body)
    assert_problem(answer, status)
    assert _count(store, Job) == 0 and _count(store, JobArticle) == 0


def test_an_unknown_job_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/v1/jobs/nope"), 404)


def test_jobs_left_unfinished_run_again_when_the_app_starts(
    store: Crosscheck, seed_texts: dict[str, str]
) -> None:
    # A process stopped with one job queued and one half run (marked running, nothing stored).
    with store.db.session() as session:
        queued = records.create(session, [ArticleIn(text=seed_texts["iranwire"])], None)
        cut = records.create(session, [ArticleIn(text=seed_texts["guardian"])], None)
    with store.db.session() as session:
        assert records.start(session, cut)
    with TestClient(create_app(store.settings, core=store)) as client:
        first = wait_for(client, f"/v1/jobs/{queued}")
        second = wait_for(client, f"/v1/jobs/{cut}")
    assert (first["status"], first["attempts"]) == ("done", 1)
    assert (second["status"], second["attempts"]) == ("done", 2)
    assert second["articles"][0]["created"] is True
    assert _count(store, Article) == 2


def test_one_job_run_twice_at_once_stores_each_article_once(
    store: Crosscheck, seed_texts: dict[str, str]
) -> None:
    # A message delivered twice (a worker thought dead that was only slow) runs one job twice.
    articles = [ArticleIn(text=seed_texts["iranwire"]), ArticleIn(text=seed_texts["guardian"])]
    with store.db.session() as session:
        job_id = records.create(session, articles, None)
    threads = [threading.Thread(target=store.run_job, args=(job_id,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    job = store.job(job_id)
    assert job.status is JobStatus.DONE and job.attempts == 2
    assert [a.created for a in job.articles] == [True, True]
    assert _count(store, Article) == 2
    assert store.run_job(job_id) is False  # finished: a third delivery does nothing
    assert store.job(job_id).attempts == 2


def test_an_unreachable_broker_answers_503_and_the_job_is_failed(
    store: Crosscheck, seed_texts: dict[str, str]
) -> None:
    # Nothing listens on port 1: the job is recorded, then refused by the broker.
    settings = store.settings.model_copy(update={"broker_url": "redis://127.0.0.1:1/0"})
    queued = Crosscheck(settings, models=store.models)
    try:
        with TestClient(create_app(settings, core=queued)) as client:
            answer = client.post("/v1/articles?wait=false", json={"text": seed_texts["iranwire"]})
        body = assert_problem(answer, 503)
        assert body["type"] == "urn:crosscheck:problem:queue-unavailable"
        with store.db.session() as session:
            (job_id,) = session.scalars(select(Job.id)).all()
        job = store.job(job_id)
        assert job.status is JobStatus.FAILED and job.error is not None
        assert job.error.status == 503
    finally:
        queued.close()
    assert _count(store, Article) == 0
