"""Webhooks over HTTP, on SQLite and PostgreSQL, delivered to real receivers on 127.0.0.1:
signature, retry with backoff, the delivery log, and an ingest that never waits for them."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.app import create_app
from service.config import AuthMode, Settings
from service.core import Crosscheck
from service.delivery import Dispatcher
from service.events import EventBus
from service.schemas import Scope
from service.store.tables import WebhookDelivery
from tests.databases import DATABASES, empty_database
from tests.problems import assert_problem
from tests.servers import Receiver, serving

SECRET = "s3cret-for-the-night-desk"
ARTICLE = """Fire destroys Millbrook bakery

A fire destroyed the Hollis Street bakery in Millbrook early on Tuesday, the town's fire \
department said.
Two firefighters were treated for smoke inhalation, fire chief Dana Morrow said."""

# Fast retries: 0.2 s, 0.4 s, 0.8 s between the four attempts.
FAST = {
    "webhook_attempts": 4,
    "webhook_base_delay_seconds": 0.2,
    "webhook_max_delay_seconds": 1.0,
    "webhook_timeout_seconds": 5.0,
}

Factory = Callable[..., Settings]


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of either kind."""
    return empty_database(request.param, tmp_path)


@pytest.fixture
def built(database: str, core: Crosscheck) -> Iterator[Crosscheck]:
    """A core on that database with the session's models."""
    own = Crosscheck(Settings(database_url=database, demo_dir=None, **FAST), models=core.models)
    yield own
    own.close()


@pytest.fixture
def client(built: Crosscheck) -> Iterator[TestClient]:
    """The app over that core, its dispatcher running."""
    with TestClient(create_app(built.settings, core=built)) as test_client:
        yield test_client


def register(client: TestClient, url: str, **fields: Any) -> dict[str, Any]:
    body = {"url": url, "secret": SECRET} | fields
    response = client.post("/v1/webhooks", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/v1/webhooks/{created['id']}"
    return created


def submit(client: httpx.Client | TestClient, text: str = ARTICLE) -> dict[str, Any]:
    response = client.post("/v1/articles", json={"text": text, "source": "Millbrook Gazette"})
    assert response.status_code == 201, response.text
    article: dict[str, Any] = response.json()["data"][0]["article"]
    return article


def verify(headers: dict[str, str], body: bytes, secret: str) -> bool:
    """What a receiver does (README): HMAC-SHA256 of `timestamp.body`, compared in constant
    time."""
    signed = headers["x-crosscheck-timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-crosscheck-signature"])


def test_a_failing_receiver_gets_retries_signed_and_logged(client: TestClient) -> None:
    with Receiver(fail=2) as receiver:
        hook = register(client, receiver.url, events=["article.added"])
        assert hook["secret"] == SECRET and hook["events"] == ["article.added"]
        article = submit(client)
        first, second, third = receiver.wait_for(3)

    for n, delivery in enumerate((first, second, third), start=1):
        assert delivery.headers["x-crosscheck-attempt"] == str(n)
        assert delivery.headers["x-crosscheck-event"] == "article.added"
        assert delivery.headers["content-type"] == "application/json"
        assert verify(delivery.headers, delivery.body, SECRET)
        assert not verify(delivery.headers, delivery.body, SECRET + "x")
        assert not verify(delivery.headers, delivery.body + b" ", SECRET)
    assert first.body == second.body == third.body  # one event, sent again as it was
    event = json.loads(third.body)
    assert event["type"] == "article.added" and event["story_id"] == article["story_id"]
    assert event["data"]["article_id"] == article["id"]
    assert third.headers["x-crosscheck-delivery"] == str(event["id"])

    log = {"data": wait_for_log(client, hook["id"], 3)}
    assert client.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["count"] == 3
    newest, middle, oldest = log["data"]
    assert [d["attempt"] for d in log["data"]] == [3, 2, 1]
    assert {d["event_id"] for d in log["data"]} == {event["id"]}
    assert [d["status_code"] for d in log["data"]] == [204, 500, 500]
    assert [d["delivered"] for d in log["data"]] == [True, False, False]
    assert newest["error"] is None and newest["next_retry_at"] is None
    assert "500" in oldest["error"]
    # Backoff: each retry came no sooner than announced, and the second wait was the longer.
    at = {k: datetime.fromisoformat(d["at"]) for k, d in zip("nmo", log["data"], strict=True)}
    retry = {
        k: datetime.fromisoformat(d["next_retry_at"]) for k, d in (("m", middle), ("o", oldest))
    }
    assert retry["o"] <= at["m"] and retry["m"] <= at["n"]
    assert retry["m"] - at["m"] > retry["o"] - at["o"]


def test_backoff_doubles_up_to_its_ceiling(built: Crosscheck) -> None:
    dispatcher = Dispatcher(built.db, built.settings, EventBus(1))
    assert [dispatcher.delay(n) for n in (1, 2, 3, 4)] == [0.2, 0.4, 0.8, 1.0]


def test_the_last_attempt_gives_up(client: TestClient) -> None:
    with Receiver(fail=99) as receiver:
        hook = register(client, receiver.url)
        submit(client)
        receiver.wait_for(FAST["webhook_attempts"])
        log = wait_for_log(client, hook["id"], FAST["webhook_attempts"])
    attempts = sorted(d["attempt"] for d in log if d["event_type"] == "article.added")
    assert attempts == [1, 2, 3, 4]
    last = next(d for d in log if d["attempt"] == 4)
    assert not last["delivered"] and last["next_retry_at"] is None


def test_webhooks_are_listed_without_secrets_and_deleted(client: TestClient) -> None:
    hook = register(client, "https://desk.example.org/hooks/crosscheck")
    assert hook["events"] == ["article.added", "verdict.changed", "claim.contested", "story.edited"]
    listed = client.get("/v1/webhooks").json()
    assert listed["count"] == 1 and listed["data"][0]["id"] == hook["id"]
    assert "secret" not in listed["data"][0]
    one = client.get(f"/v1/webhooks/{hook['id']}").json()
    assert "secret" not in one and one["active"] is True
    assert SECRET not in client.get("/v1/webhooks").text
    assert client.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["count"] == 0

    assert client.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
    assert_problem(client.get(f"/v1/webhooks/{hook['id']}"), 404)
    assert_problem(client.get(f"/v1/webhooks/{hook['id']}/deliveries"), 404)
    assert_problem(client.delete(f"/v1/webhooks/{hook['id']}"), 404)
    assert client.get("/v1/webhooks").json()["count"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://desk.example.org/hook", "secret": SECRET},
        {"url": "file:///etc/passwd", "secret": SECRET},
        {"url": "desk.example.org/hook", "secret": SECRET},
        {"url": "https://desk.example.org/hook"},
        {"url": "https://desk.example.org/hook", "secret": "Zq9#x"},
        {"url": "https://desk.example.org/hook", "secret": "has a space in it, so no"},
        {"url": "https://desk.example.org/hook", "secret": SECRET, "events": []},
        {"url": "https://desk.example.org/hook", "secret": SECRET, "events": ["article.gone"]},
        {"url": "https://desk.example.org/hook", "secret": SECRET, "active": False},
    ],
)
def test_a_bad_webhook_is_a_422_and_stores_nothing(
    client: TestClient, body: dict[str, Any]
) -> None:
    problem = assert_problem(client.post("/v1/webhooks", json=body), 422)
    assert problem["errors"]
    if "secret" in body:
        assert body["secret"] not in json.dumps(problem)  # never echoed
    assert client.get("/v1/webhooks").json()["count"] == 0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_ingest_never_waits_for_a_receiver_that_is_down_or_stuck(built: Crosscheck) -> None:
    # The stuck receiver holds its answer until the test lets go, and the dispatcher would
    # wait for it a minute: an ingest that waited for it would run past the client's timeout.
    settings = built.settings.model_copy(update={"webhook_timeout_seconds": 60.0})
    release = threading.Event()
    with (
        Receiver(hold=release) as stuck,
        serving(create_app(settings, core=built)) as (host, port),
        httpx.Client(base_url=f"http://{host}:{port}", timeout=30) as http,
    ):
        down = register_http(http, f"http://127.0.0.1:{_closed_port()}/hook")
        register_http(http, stuck.url)
        article = submit(http)
        assert http.get(f"/v1/articles/{article['id']}").status_code == 200
        (held,) = stuck.wait_for(1)  # it did arrive, and is still unanswered
        assert json.loads(held.body)["data"]["article_id"] == article["id"]
        second = submit(http, ARTICLE + "\nThe bakery will reopen in the spring, the owner said.")
        assert second["id"] != article["id"]
        release.set()
        log = wait_for_log(http, down["id"], 2)
    assert all(not d["delivered"] and d["status_code"] is None for d in log)
    assert all("ConnectError" in d["error"] for d in log)
    assert all(d["next_retry_at"] is not None for d in log if d["attempt"] == 1)


def register_http(http: httpx.Client, url: str) -> dict[str, Any]:
    response = http.post("/v1/webhooks", json={"url": url, "secret": SECRET})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def wait_for_log(http: httpx.Client | TestClient, hook_id: str, count: int) -> list[dict[str, Any]]:
    """The delivery log once it holds `count` attempts (a bounded wait on real retries)."""
    for _ in range(300):
        data: list[dict[str, Any]] = http.get(f"/v1/webhooks/{hook_id}/deliveries").json()["data"]
        if len(data) >= count:
            return data
        threading.Event().wait(0.1)
    raise AssertionError(f"fewer than {count} attempts were logged")


def test_webhook_routes_need_an_admin_key(core: Crosscheck, settings: Settings) -> None:
    guarded = settings.model_copy(update={"auth": AuthMode.REQUIRED})
    reader = core.create_key("reader", Scope.READ)[1]
    ingester = core.create_key("ingester", Scope.INGEST)[1]
    admin = core.create_key("admin", Scope.ADMIN)[1]
    with TestClient(create_app(guarded, core=core)) as client:
        assert_problem(client.get("/v1/webhooks"), 401)
        for secret in (reader, ingester):
            headers = {"Authorization": f"Bearer {secret}"}
            assert_problem(client.get("/v1/webhooks", headers=headers), 403)
            assert_problem(
                client.post(
                    "/v1/webhooks",
                    json={"url": "https://desk.example.org/h", "secret": SECRET},
                    headers=headers,
                ),
                403,
            )
        assert_problem(
            client.get("/v1/webhooks/x/deliveries", headers={"Authorization": f"Bearer {reader}"}),
            403,
        )
        answer = client.get("/v1/webhooks", headers={"Authorization": f"Bearer {admin}"})
        assert answer.status_code == 200


def test_a_webhook_gets_only_its_types_and_story_edits_too(client: TestClient) -> None:
    with Receiver() as receiver:
        hook = register(client, receiver.url, events=["story.edited"])
        story_id = submit(client)["story_id"]  # article.added: not for this webhook
        answer = client.patch(f"/v1/stories/{story_id}", json={"title": "Bakery fire"})
        assert answer.status_code == 200, answer.text
        (delivery,) = receiver.wait_for(1)
        wait_for_log(client, hook["id"], 1)
    event = json.loads(delivery.body)
    (edit,) = client.get(f"/v1/stories/{story_id}/edits").json()["data"]
    assert event["type"] == "story.edited" and event["story_id"] == story_id
    assert event["data"] == {
        "edit_id": edit["id"],
        "action": "update",
        "story_id": story_id,
        "from_story_id": None,
        "reverted": False,
    }
    assert len(receiver.received) == 1


def test_a_paused_webhook_gets_nothing_until_resumed(client: TestClient) -> None:
    with Receiver() as receiver:
        hook = register(client, receiver.url, events=["article.added"])
        paused = client.patch(f"/v1/webhooks/{hook['id']}", json={"active": False})
        assert paused.status_code == 200 and paused.json()["active"] is False
        assert "secret" not in paused.json()
        submit(client)
        assert client.patch(f"/v1/webhooks/{hook['id']}", json={"active": True}).json()["active"]
        second = submit(client, ARTICLE + "\nThe bakery will reopen in the spring.")
        (delivery,) = receiver.wait_for(1)
        wait_for_log(client, hook["id"], 1)
    # Only the article sent while it was active reached it.
    assert json.loads(delivery.body)["data"]["article_id"] == second["id"]
    assert len(receiver.received) == 1
    assert_problem(client.patch("/v1/webhooks/nope", json={"active": True}), 404)
    assert_problem(client.patch(f"/v1/webhooks/{hook['id']}", json={"active": "no"}), 422)
    # Deleting it takes its delivery log along, on either database.
    assert client.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
    core: Crosscheck = client.app.state.core  # type: ignore[attr-defined]
    with core.db.session() as session:
        assert session.scalar(select(func.count(WebhookDelivery.id))) == 0
