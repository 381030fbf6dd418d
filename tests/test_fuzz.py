"""schemathesis against the live OpenAPI schema, on SQLite and PostgreSQL: every generated
request gets an answer that the schema documents (status, content type, body), never a 500.

Bounded so that it runs in `make test`: a fixed seed (derandomized), a few dozen examples per
operation, positive and negative inputs. Runs in-process against the ASGI app over the real
core (the session's models), with the default settings: auth `auto` on loopback, so the
guarded routes answer without a key.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
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
from service.store.db import downgrade, make_engine

POSTGRES = os.environ.get("CROSSCHECK_TEST_POSTGRES_URL")

EXAMPLES = 25

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(
                    not POSTGRES, reason="CROSSCHECK_TEST_POSTGRES_URL is not set (.ci/run sets it)"
                ),
            ],
        ),
    ],
)
def fuzz_app(
    request: pytest.FixtureRequest, core: Crosscheck, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    """The app over a core on an empty database of either kind, its lifespan entered."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    else:
        assert POSTGRES is not None
        url = POSTGRES
        engine = make_engine(url)
        downgrade(engine)  # start from an empty schema: earlier runs leave their rows
        engine.dispose()
    # Default settings but the rate limit: a few hundred requests a minute from one client is
    # the point here, and a wall of 429s would hide every other answer.
    fuzz_settings = Settings(database_url=url, demo_dir=None, rate_limit_requests=1_000_000)
    built = Crosscheck(fuzz_settings, models=core.models)
    app = create_app(fuzz_settings, core=built)
    # schemathesis sends each request through its own client; entering the lifespan once here
    # hangs the core on app.state for all of them.
    with TestClient(app):
        yield app
    built.close()


def fuzz_operation(operation: APIOperation, mode: GenerationMode) -> str | None:
    """Send up to EXAMPLES generated requests to one operation; the first failure, if any."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,  # the same requests on every run: a failure here is reproducible
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: it has no bound on time
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case) -> None:
        case.call_and_validate(checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        # Nothing to negate: an operation without parameters or body has no invalid input.
        assert mode is GenerationMode.NEGATIVE, operation.label
        return None
    except (
        Exception,
        FailureGroup,
    ) as error:  # every failure of this operation, to report them all at once
        return f"{operation.label} ({mode.value}): {error}"
    return None


@pytest.mark.models
@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda mode: mode.value)
def test_every_answer_is_documented(fuzz_app: FastAPI, mode: GenerationMode) -> None:
    """No generated request, valid or not, gets a 500 or an answer its schema leaves out."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10  # the schema was read, not an empty one
    failures = [failure for op in operations if (failure := fuzz_operation(op, mode)) is not None]
    assert not failures, "\n\n".join(failures)


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
