"""Limits on cost over HTTP: rate (429 with Retry-After; shared by replicas through the
broker's Redis), work per request (422), time (503), and CORS origins from settings."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.api.limits import RateLimiter, SharedRateLimiter
from service.app import create_app
from service.config import AuthMode, Settings
from service.core import Crosscheck
from service.errors import RateLimitedError
from service.schemas import Scope
from tests.problems import assert_problem
from tests.workers import REDIS, redis_reason

Factory = Callable[..., TestClient]
PAIR = {"pairs": [{"claim": "Two drones were shot down.", "evidence": "Three drones fell."}]}


@pytest.fixture
def make_client(settings: Settings, core: Crosscheck) -> Iterator[Factory]:
    """Apps with some settings changed, each over its own core on the session's database and
    models (the work limits are the core's settings)."""
    opened: list[tuple[TestClient, Crosscheck]] = []

    def make(**changes: Any) -> TestClient:
        changed = settings.model_copy(update=changes)
        own = Crosscheck(changed, models=core.models)
        client = TestClient(create_app(changed, core=own))
        opened.append((client.__enter__(), own))
        return client

    yield make
    for client, own in opened:
        client.__exit__(None, None, None)
        own.close()


def test_requests_over_the_rate_answer_429_with_retry_after(make_client: Factory) -> None:
    client = make_client(rate_limit_requests=2)
    assert client.get("/v1/stories").status_code == 200
    assert client.get("/v1/sources").status_code == 200
    response = client.get("/v1/stories")
    body = assert_problem(response, 429)
    assert int(response.headers["retry-after"]) >= 1
    assert "CROSSCHECK_RATE_LIMIT_REQUESTS" in body["detail"]
    # Probes are not counted.
    assert client.get("/healthz").status_code == 200


def test_each_key_has_its_own_allowance(make_client: Factory, core: Crosscheck) -> None:
    client = make_client(auth=AuthMode.REQUIRED, rate_limit_requests=1)
    first = {"Authorization": f"Bearer {core.create_key('one', Scope.READ)[1]}"}
    second = {"Authorization": f"Bearer {core.create_key('two', Scope.READ)[1]}"}
    assert client.get("/v1/stories", headers=first).status_code == 200
    assert_problem(client.get("/v1/stories", headers=first), 429)
    assert client.get("/v1/stories", headers=second).status_code == 200


def test_characters_over_the_rate_answer_429(make_client: Factory) -> None:
    client = make_client(rate_limit_chars=300)
    assert client.post("/v1/judge", json=PAIR).status_code == 200
    response = client.post("/v1/judge", json={"pairs": [PAIR["pairs"][0]] * 4})
    body = assert_problem(response, 429)
    assert "CROSSCHECK_RATE_LIMIT_CHARS" in body["detail"]
    assert int(response.headers["retry-after"]) >= 1


def test_the_bucket_refills_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(60, "requests", "SETTING", clock=lambda: now[0])
    for _ in range(60):
        limiter.take("a")
    with pytest.raises(RateLimitedError) as refused:
        limiter.take("a")
    assert refused.value.retry_after == 1
    now[0] = 2.0  # two seconds later, two more
    limiter.take("a")
    limiter.take("a")
    with pytest.raises(RateLimitedError):
        limiter.take("a")
    with pytest.raises(RateLimitedError, match="more than the 60 allowed"):
        limiter.take("b", 61)


def test_work_over_the_limits_is_a_422_naming_the_setting(make_client: Factory) -> None:
    client = make_client(max_sentence_chars=200, max_sentences=3)
    line = "Officials said " + "the convoy moved on " * 20 + "before dawn"
    body = assert_problem(client.post("/v1/compare", json={"articles": [{"text": line}]}), 422)
    assert "CROSSCHECK_MAX_SENTENCE_CHARS" in body["detail"] and "200" in body["detail"]
    assert body["type"].endswith("work-limit")
    many = " ".join(f"Police said {n} men were arrested on Sunday." for n in range(2, 7))
    article = {"text": many, "source": "Work"}
    body = assert_problem(client.post("/v1/articles", json=article), 422)
    assert "CROSSCHECK_MAX_SENTENCES" in body["detail"] and "5 sentences" in body["detail"]
    # Within the limits, the same kind of text is accepted.
    few = {"articles": [{"text": "Police said two men were arrested on Sunday.", "source": "W"}]}
    assert client.post("/v1/compare", json=few).status_code == 200


def test_a_request_past_its_time_is_a_503_and_stores_nothing(
    make_client: Factory, seed_copy: Callable[[str, str], str]
) -> None:
    article = {"text": seed_copy("iranwire", "timeout"), "source": "IranWire"}
    slow = make_client(request_timeout_seconds=1e-6)
    body = assert_problem(slow.post("/v1/articles", json=article), 503)
    assert body["type"].endswith("timeout")
    assert "CROSSCHECK_REQUEST_TIMEOUT_SECONDS" in body["detail"]
    # The work stopped before its commit: the article is new to a client with time.
    response = make_client().post("/v1/articles", json=article)
    assert response.status_code == 201 and response.json()["data"][0]["created"] is True


def test_cors_headers_only_for_allowed_origins(make_client: Factory) -> None:
    allowed = "https://desk.example.org"
    client = make_client(cors_origins=[allowed])
    response = client.get("/v1/stories", headers={"Origin": allowed})
    assert response.headers["access-control-allow-origin"] == allowed
    other = client.get("/v1/stories", headers={"Origin": "https://evil.example.com"})
    assert other.status_code == 200 and "access-control-allow-origin" not in other.headers
    preflight = client.options(
        "/v1/articles",
        headers={
            "Origin": allowed,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    # None by default.
    default = make_client().get("/v1/stories", headers={"Origin": allowed})
    assert "access-control-allow-origin" not in default.headers


@pytest.mark.redis
@pytest.mark.skipif(bool(redis_reason()), reason=str(redis_reason()))
def test_replicas_on_one_broker_spend_one_allowance() -> None:
    caller = f"key:{uuid.uuid4().hex}"
    first = SharedRateLimiter(3, "requests", "SETTING", REDIS)
    second = SharedRateLimiter(3, "requests", "SETTING", REDIS)
    first.take(caller)
    second.take(caller)
    first.take(caller)
    for limiter in (first, second):
        with pytest.raises(RateLimitedError, match="limit of 3 requests") as refused:
            limiter.take(caller)
        assert 1 <= refused.value.retry_after <= 20
    # Another caller has an allowance of its own, and a local limiter knows nothing of it.
    second.take(f"key:{uuid.uuid4().hex}")
    RateLimiter(3, "requests", "SETTING").take(caller)
    with pytest.raises(RateLimitedError, match="more than the 3 allowed"):
        first.take(caller, 4)


def test_an_unreachable_redis_leaves_each_process_counting_alone() -> None:
    now = [0.0]
    limiter = SharedRateLimiter(2, "requests", "SETTING", "redis://127.0.0.1:1/0", lambda: now[0])
    limiter.take("a")
    limiter.take("a")
    with pytest.raises(RateLimitedError):
        limiter.take("a")
    started = time.perf_counter()
    with pytest.raises(RateLimitedError):
        limiter.take("a")
    assert time.perf_counter() - started < 0.1  # marked down: Redis is not asked again


@pytest.mark.redis
@pytest.mark.skipif(bool(redis_reason()), reason=str(redis_reason()))
def test_two_api_replicas_with_a_broker_share_the_rate(
    settings: Settings, core: Crosscheck
) -> None:
    import redis

    shared = settings.model_copy(update={"broker_url": REDIS, "rate_limit_requests": 2})
    # The test client always calls from the same address: start from a full allowance.
    for key in redis.Redis.from_url(REDIS).scan_iter("crosscheck:rate:*"):
        redis.Redis.from_url(REDIS).delete(key)
    with (
        TestClient(create_app(shared, core=core)) as one,
        TestClient(create_app(shared, core=core)) as two,
    ):
        assert one.get("/v1/stories").status_code == 200
        assert two.get("/v1/stories").status_code == 200
        body = assert_problem(one.get("/v1/stories"), 429)
        assert "CROSSCHECK_RATE_LIMIT_REQUESTS" in body["detail"]
        assert_problem(two.get("/v1/stories"), 429)
    # Without a broker, each process counts alone.
    alone = settings.model_copy(update={"rate_limit_requests": 2})
    with TestClient(create_app(alone, core=core)) as three:
        assert three.get("/v1/stories").status_code == 200
