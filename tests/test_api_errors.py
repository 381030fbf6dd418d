"""Bad input through HTTP: every error is a 4xx problem+json answer, and nothing is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.core import Crosscheck
from tests.problems import assert_problem as problem_shape

FURNITURE = "Close button\nReuse this content\n1 min read"
FACT = "Iraqi security sources said they shot down two drones over Baghdad on Sunday. "


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """A problem document with this status, short enough not to echo the input."""
    body = problem_shape(response, status)
    assert len(response.content) < 10_000, "an error answer must not echo the input"
    return body


def snapshot(client: TestClient) -> tuple[int, int, list[tuple[str, int]]]:
    """What is stored: stories, articles across stories, and articles per source."""
    stories = client.get("/v1/stories", params={"limit": 100}).json()
    articles = sum(s["articles"] for s in stories["data"])
    offset = 100
    while offset < stories["count"]:
        page = client.get("/v1/stories", params={"limit": 100, "offset": offset}).json()
        articles += sum(s["articles"] for s in page["data"])
        offset += 100
    sources = client.get("/v1/sources").json()["data"]
    return stories["count"], articles, sorted((s["name"], s["articles"]) for s in sources)


@pytest.fixture
def unchanged(client: TestClient) -> Iterator[None]:
    """Fail the test if it stored anything."""
    before = snapshot(client)
    yield
    assert snapshot(client) == before


pytestmark = pytest.mark.usefixtures("unchanged")


def post_json(client: TestClient, path: str, raw: bytes) -> httpx.Response:
    return client.post(path, content=raw, headers={"content-type": "application/json"})


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_empty_text(client: TestClient, text: str) -> None:
    body = assert_problem(client.post("/v1/articles", json={"text": text, "source": "T"}), 422)
    assert body["instance"] == "/v1/articles"


def test_furniture_only(client: TestClient) -> None:
    response = client.post("/v1/articles", json={"text": FURNITURE, "source": "Furniture Daily"})
    body = assert_problem(response, 422)
    assert body["type"].endswith("invalid-input")


def test_furniture_only_in_a_batch_stores_none_of_it(client: TestClient) -> None:
    batch = {
        "articles": [
            {"text": FACT * 3, "source": "Batch Good", "story": "errors-batch"},
            {"text": FURNITURE, "source": "Batch Bad", "story": "errors-batch"},
        ]
    }
    assert_problem(client.post("/v1/articles", json=batch), 422)


def test_body_of_5_mb(client: TestClient, settings: Settings) -> None:
    raw = json.dumps({"text": "a" * (5 * 1024 * 1024), "source": "Huge"}).encode()
    body = assert_problem(post_json(client, "/v1/articles", raw), 413)
    assert f"{settings.max_body_bytes} bytes" in body["detail"]


def test_chunked_body_over_the_limit(client: TestClient, settings: Settings) -> None:
    chunk = b"a" * 65536
    count = settings.max_body_bytes // len(chunk) + 2

    def stream() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(count):
            yield chunk
        yield b'"}'

    response = client.post(
        "/v1/articles", content=stream(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert_problem(response, 413)


def test_body_over_the_limit_on_compare(client: TestClient) -> None:
    raw = json.dumps({"articles": [{"text": "b" * (3 * 1024 * 1024)}]}).encode()
    assert_problem(post_json(client, "/v1/compare", raw), 413)


@pytest.mark.parametrize("raw", [b'{"text": "unfinished', b"text=hello", b"{'text': 'x'}"])
def test_invalid_json(client: TestClient, raw: bytes) -> None:
    body = assert_problem(post_json(client, "/v1/articles", raw), 400)
    assert "not valid JSON" in body["detail"]


def test_no_body(client: TestClient) -> None:
    assert_problem(post_json(client, "/v1/articles", b""), 422)


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({"text": 123}, "text"),
        ({"text": ["a"]}, "text"),
        ({"text": FACT, "published_at": "yesterday"}, "published_at"),
        ({"text": FACT, "format": "pdf"}, "format"),
        ({"articles": "not a list"}, "articles"),
        ({"articles": []}, "articles"),
        ([FACT], "body"),
    ],
)
def test_wrong_types(client: TestClient, payload: Any, where: str) -> None:
    body = assert_problem(client.post("/v1/articles", json=payload), 422)
    assert body["errors"], body
    assert any(where in map(str, error["loc"]) for error in body["errors"]), body["errors"]
    for error in body["errors"]:
        assert set(error) == {"loc", "msg", "type"}, "the input must not be echoed back"


def test_validation_does_not_echo_large_input(client: TestClient) -> None:
    marker = "ECHO-MARKER-" * 5000
    response = client.post("/v1/articles", json={"text": FACT, "unknown": marker})
    assert_problem(response, 422)
    assert "ECHO-MARKER" not in response.text


@pytest.mark.parametrize(
    "raw",
    [b'{"text": "caf\xe9 au lait", "source": "Latin1"}', b'{"text": "\xc3\x28"}', b"\x80\x81"],
)
def test_bytes_that_are_not_utf8(client: TestClient, raw: bytes) -> None:
    assert_problem(post_json(client, "/v1/articles", raw), 400)


@pytest.mark.parametrize("path", ["/v1/articles/nope", "/v1/stories/nope", "/v1/claims/nope"])
def test_unknown_id(client: TestClient, path: str) -> None:
    body = assert_problem(client.get(path), 404)
    assert body["type"].endswith("not-found")
    assert body["instance"] == path


def test_unknown_route_and_method(client: TestClient) -> None:
    assert_problem(client.get("/v1/nowhere"), 404)
    response = client.delete("/v1/articles")
    assert_problem(response, 405)
    assert "POST" in response.headers["allow"]


def test_batch_over_the_limit(client: TestClient, settings: Settings) -> None:
    over = settings.max_batch + 1
    limit = f"limit of {settings.max_batch}"
    articles = [{"text": f"{FACT} Number {i}.", "source": "Many"} for i in range(over)]
    body = assert_problem(client.post("/v1/articles", json={"articles": articles}), 422)
    assert limit in body["detail"] and "CROSSCHECK_MAX_BATCH" in body["detail"]
    body = assert_problem(client.post("/v1/compare", json={"articles": articles}), 422)
    assert limit in body["detail"]
    pairs = [{"claim": "Two drones.", "evidence": "Three drones."}] * over
    body = assert_problem(client.post("/v1/judge", json={"pairs": pairs}), 422)
    assert limit in body["detail"]


def test_unknown_fields(client: TestClient) -> None:
    body = assert_problem(client.post("/v1/articles", json={"text": FACT, "colour": "red"}), 422)
    assert any(e["type"] == "extra_forbidden" for e in body["errors"])
    pairs = {"pairs": [{"claim": "a", "evidence": "b", "weight": 2}]}
    assert_problem(client.post("/v1/judge", json=pairs), 422)


def test_text_over_max_text_chars(client: TestClient, settings: Settings) -> None:
    text = (FACT * (settings.max_text_chars // len(FACT) + 2))[: settings.max_text_chars + 1]
    assert len(text.encode()) < settings.max_body_bytes
    body = assert_problem(client.post("/v1/articles", json={"text": text, "source": "Long"}), 422)
    assert str(settings.max_text_chars) in body["detail"].replace(",", "")


def test_bad_compare_and_judge(client: TestClient) -> None:
    assert_problem(client.post("/v1/compare", json={"articles": []}), 422)
    assert_problem(client.post("/v1/compare", json={"articles": [{"text": FURNITURE}]}), 422)
    assert_problem(client.post("/v1/judge", json={"pairs": []}), 422)
    assert_problem(client.post("/v1/judge", json={"pairs": [{"claim": "", "evidence": "x"}]}), 422)


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 1000}, {"offset": -1}, {"limit": "x"}])
def test_bad_paging(client: TestClient, query: dict[str, Any]) -> None:
    assert_problem(client.get("/v1/stories", params=query), 422)


def test_unexpected_error_is_a_500_problem_without_internals(
    settings: Settings, core: Crosscheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(core, "sources", broken)
    app = create_app(settings, core=core)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/v1/sources")
    body = assert_problem(response, 500)
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert "incident" in body["detail"]


def test_not_ready_is_a_503_problem(core: Crosscheck, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core, "ready", lambda: {"database": "ok", "judge": "loading"})
    with TestClient(create_app(core.settings, core=core)) as client:
        body = assert_problem(client.get("/readyz"), 503)
        assert body["components"] == {"database": "ok", "judge": "loading"}
        assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("state", ["ok (cues and similarity only)", "disabled"])
def test_a_fallback_or_a_disabled_component_is_ready(
    core: Crosscheck, monkeypatch: pytest.MonkeyPatch, state: str
) -> None:
    monkeypatch.setattr(core, "ready", lambda: {"database": "ok", "nli": state})
    with TestClient(create_app(core.settings, core=core)) as client:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "detail": {"database": "ok", "nli": state}}
