"""Hostile and careless input over HTTP, on SQLite and PostgreSQL: every input gets a clean
answer (never a 500), times are stored and answered in UTC, markup never comes back."""

from __future__ import annotations

import http.client
import io
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from service.app import create_app
from service.config import Settings
from service.core import Crosscheck
from tests.databases import DATABASES, empty_database
from tests.problems import assert_problem
from tests.servers import serving

ARTICLE = """Fire destroys Millbrook bakery

A fire destroyed the Hollis Street bakery in Millbrook early on Tuesday, the town's fire \
department said.
Two firefighters were treated for smoke inhalation, fire chief Dana Morrow said."""


@pytest.fixture(
    scope="module",
    params=DATABASES,
)
def client(
    request: pytest.FixtureRequest, core: Crosscheck, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The app over a core on an empty database of either kind, with the session's models."""
    url = empty_database(request.param, tmp_path_factory.mktemp("inputs"))
    settings = Settings(database_url=url, demo_dir=None)
    built = Crosscheck(settings, models=core.models)
    with TestClient(create_app(settings, core=built)) as test_client:
        yield test_client
    built.close()


def article(tag: str, **fields: Any) -> dict[str, Any]:
    """A valid article of its own (the tag makes its text unique), with fields set."""
    return {
        "text": f"{ARTICLE}\nThis copy was filed for the {tag} desk.\n",
        "source": tag,
        **fields,
    }


def stored(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/articles", json=body)
    assert response.status_code == 201, response.text[:500]
    found: dict[str, Any] = response.json()["data"][0]["article"]
    return found


def test_nul_and_control_characters_are_removed_from_every_field(client: TestClient) -> None:
    body = article("nul desk")
    body["text"] = body["text"].replace("Two firefighters", "Two\u0000 firefighters\u0007")
    body.update(source="Nul\u0000 Daily", title="Bakery\u0000 fire\x85", story="nul\u0000key")
    answer = stored(client, body)
    assert "\u0000" not in json.dumps(answer) and "\\u0000" not in json.dumps(answer)
    assert answer["source"] == "Nul Daily" and answer["title"] == "Bakery fire"
    assert "Two firefighters" in answer["text"] and "\n" in answer["text"]
    assert "\u0007" not in answer["text"]
    story = client.get(f"/v1/stories/{answer['story_id']}").json()
    assert story["key"] == "nul key"


def test_control_characters_in_a_path_id_are_refused(client: TestClient) -> None:
    for path in ("/v1/stories/%00", "/v1/articles/a%00b", "/v1/claims/%01", "/v1/edits/%00/revert"):
        method = client.post if path.endswith("revert") else client.get
        assert_problem(method(path), 422)
    assert_problem(client.get("/v1/stories/nope"), 404)


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+05:00",
        "1899-12-31T23:59:59Z",
        "2999-01-01T00:00:00Z",
    ],
)
def test_publication_times_outside_the_calendar_are_refused(
    client: TestClient, moment: str
) -> None:
    response = client.post("/v1/articles", json=article("calendar", published_at=moment, story="k"))
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "article", "published_at"]
    assert "1900" in body["detail"]


@pytest.mark.parametrize(
    ("given", "utc"),
    [
        ("2021-11-07T10:00:00+05:00", "2021-11-07T05:00:00Z"),
        ("2021-11-07T01:30:00-03:00", "2021-11-07T04:30:00Z"),
        ("2021-11-07T06:00:00", "2021-11-07T06:00:00Z"),
        ("1900-01-01T00:00:00+00:00", "1900-01-01T00:00:00Z"),
    ],
)
def test_offsets_are_stored_and_answered_in_utc(client: TestClient, given: str, utc: str) -> None:
    answer = stored(client, article(f"offset {given}", published_at=given))
    assert answer["published_at"] == utc
    again = client.get(f"/v1/articles/{answer['id']}").json()
    assert again["published_at"] == utc
    story = client.get(f"/v1/stories/{answer['story_id']}").json()
    assert utc in [a["published_at"] for a in story["article_list"]]


@pytest.mark.parametrize("moment", [1636279200, 1636279200.5, "1636279200", True, ["2021"]])
def test_a_publication_time_is_an_iso_string(client: TestClient, moment: Any) -> None:
    body = assert_problem(
        client.post("/v1/articles", json=article("ints", published_at=moment)), 422
    )
    assert body["errors"][0]["loc"][-1] == "published_at"


@pytest.mark.parametrize("field", ["title", "source", "story"])
def test_short_fields_are_bounded_after_normalisation(client: TestClient, field: str) -> None:
    # U+FDFA is one character that NFKC turns into 18.
    body = assert_problem(
        client.post("/v1/articles", json=article("nfkc", **{field: "\ufdfa" * 300})), 422
    )
    assert "5400 characters long once normalised" in body["detail"]
    assert "300" in body["detail"]


def test_a_long_url_host_without_a_source_is_refused(client: TestClient) -> None:
    url = "https://" + "a" * 1000 + ".com/story"
    body = assert_problem(client.post("/v1/articles", json={"text": ARTICLE, "url": url}), 422)
    assert "host of 1004 characters" in body["detail"]


def test_an_url_at_the_host_limit_is_stored(client: TestClient) -> None:
    host = ".".join(["h" * 62] * 4) + ".com"  # 255 - 2: the longest name DNS allows
    url = f"https://{host[-253:]}/story"
    answer = stored(client, {"text": article("host")["text"], "url": url})
    assert answer["url"] == url and len(answer["source"]) <= 300


@pytest.mark.parametrize("offset", ["9223372036854775808", "2147483648", "99999999999999999999"])
def test_huge_offsets_are_refused(client: TestClient, offset: str) -> None:
    assert_problem(client.get(f"/v1/stories?offset={offset}"), 422)
    assert client.get("/v1/stories?offset=2147483647").json()["data"] == []


def test_markup_never_comes_back(client: TestClient) -> None:
    body = article("markup", format="text", story="<script>alert(1)</script>markup key")
    body["text"] = body["text"].replace(
        "Two firefighters", '<script>alert("x")</script>Two <b>firefighters</b>'
    )
    body["text"] += "Officials said 2 < 3 and 5 > 4 in the count.\n"
    answer = stored(client, body)
    assert "<script" not in answer["text"] and "alert" not in answer["text"]
    assert "<b>" not in answer["text"] and "Two  firefighters " in answer["text"]
    assert "2 < 3 and 5 > 4" in answer["text"]
    for claim in answer["claims"]:
        assert answer["text"][claim["start"] : claim["end"]] == claim["sentence"]
    story = client.get(f"/v1/stories/{answer['story_id']}").json()
    assert story["key"] == "alert(1) markup key"
    assert "<" not in json.dumps(story).replace("2 < 3", "")


def test_a_deeply_nested_body_is_named_as_such(client: TestClient) -> None:
    raw = b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = client.post(
        "/v1/articles", content=raw, headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 400)
    assert "nested too deeply" in body["detail"] and "UTF-8" not in body["detail"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_utf16_body_is_refused(client: TestClient, encoding: str) -> None:
    raw = json.dumps(article("utf16")).encode(encoding)
    response = client.post(
        "/v1/articles", content=raw, headers={"content-type": "application/json"}
    )
    assert "UTF-8" in assert_problem(response, 400)["detail"]


def test_a_declared_charset_other_than_utf8_is_refused(client: TestClient) -> None:
    raw = json.dumps(article("charset")).encode("utf-16")
    headers = {"content-type": "application/json; charset=utf-16"}
    response = client.post("/v1/articles", content=raw, headers=headers)
    assert "utf-16" in assert_problem(response, 415)["detail"]
    ok = {"content-type": "application/json; charset=UTF-8"}
    response = client.post("/v1/articles", content=json.dumps(article("utf8")).encode(), headers=ok)
    assert response.status_code == 201


def test_database_errors_never_log_parameters(
    client: TestClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "Confidential source Jane Roe said the ministry lied."

    def failing_store(session: Any, item: Any, *args: Any) -> Any:
        # A statement that fails with the article's text as a parameter, on either database.
        session.execute(text("INSERT INTO no_such_table (body) VALUES (:body)"), {"body": secret})

    monkeypatch.setattr("service.core.store_article", failing_store)
    body = article("secret")
    body["text"] += secret + "\n"
    with caplog.at_level(logging.DEBUG):
        response = client.post("/v1/articles", json=body)
    assert_problem(response, 500)
    assert "incident" in caplog.text and "no_such_table" in caplog.text
    assert "Jane Roe" not in caplog.text
    assert "Jane Roe" not in response.text


# A real server on a socket: keep-alive and streamed uploads are the server's business.


@pytest.fixture(scope="module")
def server(core: Crosscheck) -> Iterator[tuple[str, int]]:
    """uvicorn serving the session's core on a free local port, with a small body limit."""
    settings = core.settings.model_copy(update={"max_body_bytes": 64 * 1024})
    with serving(create_app(settings, core=core)) as address:
        yield address


def test_a_500_keeps_the_connection_usable(
    server: tuple[str, int], core: Crosscheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(core, "sources", broken)
    connection = http.client.HTTPConnection(*server)
    connection.request("GET", "/v1/sources")
    first = connection.getresponse()
    first.read()
    assert first.status == 500
    assert first.getheader("connection") != "close"
    sock = connection.sock
    connection.request("GET", "/healthz")
    second = connection.getresponse()
    second.read()
    assert second.status == 200
    assert connection.sock is sock and sock is not None, "the server closed the connection"
    connection.close()


def test_bad_then_good_requests_on_one_httpx_client(server: tuple[str, int]) -> None:
    host, port = server
    with httpx.Client(base_url=f"http://{host}:{port}") as pooled:
        bad = pooled.post(
            "/v1/articles", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert bad.status_code == 400 and bad.headers.get("connection") != "close"
        assert_problem(pooled.get("/v1/stories?offset=9223372036854775808"), 422)
        assert pooled.get("/healthz").status_code == 200


# Up to DRAIN_FACTOR times the limit (64 KiB here) is read to answer; beyond it, a reset.
@pytest.mark.parametrize("size", [100 * 1024, 500 * 1024])
def test_a_streamed_body_over_the_limit_gets_the_413(server: tuple[str, int], size: int) -> None:
    host, port = server
    payload = io.BytesIO(b'{"text": "' + b"a" * size + b'"}')
    request = urllib.request.Request(
        f"http://{host}:{port}/v1/articles",
        data=payload,
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=60)
    assert answer.value.code == 413
    body = json.loads(answer.value.read())
    answer.value.close()
    assert body["status"] == 413 and "CROSSCHECK_MAX_BODY_BYTES" in body["detail"]


def test_a_declared_length_over_the_limit_gets_the_413(
    server: tuple[str, int],
) -> None:
    host, port = server
    raw = b'{"text": "' + b"a" * (300 * 1024) + b'"}'
    request = urllib.request.Request(
        f"http://{host}:{port}/v1/articles",
        data=raw,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=60)
    assert answer.value.code == 413
    assert json.loads(answer.value.read())["status"] == 413
    answer.value.close()
