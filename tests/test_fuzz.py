"""schemathesis against the live OpenAPI schema, on SQLite and PostgreSQL: every generated
request gets an answer that the schema documents (status, content type, body), never a 500.

Bounded so that it runs in `make test` (about a minute for both databases): derandomized
(a fixed seed: every run sends the same requests), at most 25 examples per operation and mode,
no shrinking. Valid and invalid requests go to every operation, then valid ones to the
operations with path parameters on the ids of the stored seeds, so that success bodies are
checked as well as error bodies. Runs in-process against the ASGI app over the real core (the
session's models), with the default settings but the rate limit: auth `auto` on loopback, so
the guarded routes answer without a key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pytest
import schemathesis
from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.app import create_app
from service.config import Settings
from service.core import Crosscheck
from tests.databases import DATABASES, empty_database
from tests.workers import wait_for

EXAMPLES = 25
FIXTURES = Path(__file__).parent / "fixtures"

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class Fuzzed:
    """The app under test and the ids of what it stores, by path parameter name."""

    app: FastAPI
    ids: dict[str, str]


def store_seeds(client: TestClient, seed_texts: dict[str, str]) -> dict[str, str]:
    """Store the two seeds and a third outlet that contests them as one story, and edit its
    title once: ids that answer 200 (the claim is contested, so that it has a review)."""
    articles = [
        {"text": text, "source": name, "story": "fuzz"} for name, text in seed_texts.items()
    ]
    submitted = client.post("/v1/articles", json={"articles": articles})
    assert submitted.status_code == 201, submitted.text
    article = submitted.json()["data"][0]["article"]
    story_id = article["story_id"]
    gulf = {"text": (FIXTURES / "gulf_ledger.txt").read_text(encoding="utf-8"), "story": "fuzz"}
    third = client.post("/v1/articles", json={**gulf, "source": "Gulf Ledger"})
    assert third.status_code == 201, third.text
    claims = third.json()["data"][0]["article"]["claims"]
    contested = next(c for c in claims if c["verdict"] == "contested")
    assert client.patch(f"/v1/stories/{story_id}", json={"title": "Fuzzed"}).status_code == 200
    edits = client.get(f"/v1/stories/{story_id}/edits").json()["data"]
    # A job (queued ingest) of an article stored already, run to done by the app's thread.
    queued = client.post("/v1/articles?wait=false", json={**gulf, "source": "Gulf Ledger"})
    assert queued.status_code == 202, queued.text
    job = wait_for(client, queued.headers["location"])
    assert job["status"] == "done", job
    # A webhook to a closed local port: its deliveries fail at once, and are logged.
    hook = client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/", "secret": "f" * 16})
    assert hook.status_code == 201, hook.text
    return {
        "article_id": article["id"],
        "story_id": story_id,
        "claim_id": contested["id"],
        "edit_id": edits[0]["id"],
        "source_name": article["source"],
        "webhook_id": hook.json()["id"],
        "job_id": job["id"],
    }


@pytest.fixture(
    scope="module",
    params=DATABASES,
)
def fuzzed(
    request: pytest.FixtureRequest,
    core: Crosscheck,
    tmp_path_factory: pytest.TempPathFactory,
    seed_texts: dict[str, str],
) -> Iterator[Fuzzed]:
    """The app over a core on a database of either kind holding the two seeds, lifespan entered."""
    url = empty_database(request.param, tmp_path_factory.mktemp("fuzz"))
    # Default settings but the rate limit: a few hundred requests a minute from one client is
    # the point here, and a wall of 429s would hide every other answer.
    fuzz_settings = Settings(database_url=url, demo_dir=None, rate_limit_requests=1_000_000)
    built = Crosscheck(fuzz_settings, models=core.models)
    app = create_app(fuzz_settings, core=built)
    # schemathesis sends each request through its own client; entering the lifespan once here
    # hangs the core on app.state for all of them.
    with TestClient(app) as client:
        yield Fuzzed(app, store_seeds(client, seed_texts))
    built.close()


def fuzz_operation(
    operation: APIOperation,
    mode: GenerationMode,
    path_parameters: dict[str, str] | None = None,
    statuses: list[int] | None = None,
) -> str | None:
    """Send up to EXAMPLES generated requests to one operation; the first failure, if any.

    Args:
        operation: The operation of the schema.
        mode: Valid (positive) or invalid (negative) requests.
        path_parameters: Path parameters to send as given rather than generate.
        statuses: Collects the status of every answer.

    Returns:
        The failure as "METHOD /path (mode): what failed", or None.
    """
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,  # the same requests on every run: a failure here is reproducible
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: it has no bound on time
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case) -> None:
        response = case.call_and_validate(checks=CHECKS)
        if statuses is not None:
            statuses.append(response.status_code)

    try:
        run()
    except Unsatisfiable:
        # Nothing to negate: an operation without parameters or body has no invalid input.
        assert mode is GenerationMode.NEGATIVE, operation.label
        return None
    # Every failure of this operation, to report them all at once; a FailureGroup is a
    # BaseExceptionGroup, not an Exception.
    except (Exception, FailureGroup) as error:
        return f"{operation.label} ({mode.value}): {error}"
    return None


def operations(app: FastAPI) -> list[APIOperation]:
    """Every operation of the schema the app serves at /openapi.json, read as a client would,
    deletions last (so that the reads before them find what they read).

    The event stream is left out: it never ends, so no answer of it could be checked whole
    (tests/test_events.py reads it over a real server)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 10  # the schema was read, not an empty one
    found = [op for op in found if op.path != "/v1/events"]
    return sorted(found, key=lambda op: op.method.upper() == "DELETE")


@pytest.mark.models
@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda mode: mode.value)
def test_every_answer_is_documented(fuzzed: Fuzzed, mode: GenerationMode) -> None:
    """No generated request, valid or not, gets a 500 or an answer its schema leaves out."""
    found = [fuzz_operation(op, mode) for op in operations(fuzzed.app)]
    failures = [failure for failure in found if failure is not None]
    assert not failures, "\n\n".join(failures)


@pytest.mark.models
def test_stored_ids_answer_documented_bodies(fuzzed: Fuzzed) -> None:
    """The same on the ids of stored rows, so that the success bodies are checked too."""
    failures = []
    reads: dict[str, list[int]] = {}
    for operation in operations(fuzzed.app):
        names = re.findall(r"{(\w+)}", operation.path)
        if not names:
            continue
        ids = {name: fuzzed.ids[name] for name in names}
        statuses: list[int] = []
        failure = fuzz_operation(operation, GenerationMode.POSITIVE, ids, statuses)
        if failure is not None:
            failures.append(failure)
        if operation.method.upper() == "GET":
            reads[operation.label] = statuses
    assert not failures, "\n\n".join(failures)
    # The stored ids were used: every read of one found it at least once.
    assert len(reads) >= 4
    assert all(200 in statuses for statuses in reads.values()), reads


def test_the_checks_catch_a_lying_route() -> None:
    """The harness reports an undocumented status and a server error: it is not vacuous."""
    liar = FastAPI()

    @liar.get("/teapot")
    def teapot(n: Annotated[int, Query(ge=0, le=3)]) -> dict[str, int]:
        if n == 1:
            return JSONResponse({"n": n}, status_code=418)  # type: ignore[return-value]
        return {"n": n}

    @liar.get("/inverse")
    def inverse(n: Annotated[int, Query(ge=0, le=3)]) -> dict[str, float]:
        if n == 0:  # the app's crash handler answers an exception this way
            return JSONResponse({"detail": "crash"}, status_code=500)  # type: ignore[return-value]
        return {"inverse": 1 / n}

    schema = schemathesis.openapi.from_asgi("/openapi.json", liar)
    found = {
        operation.label: fuzz_operation(operation, GenerationMode.POSITIVE) or ""
        for operation in (result.ok() for result in schema.get_all_operations())
    }
    assert "Undocumented status code" in found["GET /teapot"]
    assert "Server error" in found["GET /inverse"]
