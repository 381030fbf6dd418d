"""The FastAPI app factory: routers, error translation, limits, and the core in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from service import dashboard
from service.api import (
    articles,
    claims,
    compare,
    docs,
    edits,
    events,
    health,
    jobs,
    judge,
    metrics,
    sources,
    stories,
    webhooks,
)
from service.api.access import OPEN_ROUTES, AccessControl, keys_required
from service.api.deps import refuse_unknown_query
from service.api.limits import BodySizeLimit, RequestTimeout, rate_limiter
from service.api.problems import (
    SafeJSONResponse,
    install_problem_handlers,
    problem_responses,
    relabel_problem_media_type,
)
from service.config import Settings
from service.core import Crosscheck
from service.delivery import Dispatcher
from service.files import article_files, read_article

log = logging.getLogger(__name__)

DEMO_STORY = "demo"
DESCRIPTION = (
    "Submit news articles; crosscheck extracts their factual claims and tells, claim by claim, "
    "whether independent outlets in the same story corroborate it, contest it, or leave it "
    "single-source, with the evidence. Errors are `application/problem+json` (RFC 9457)."
)


def load_demo(core: Crosscheck, directory: Path) -> tuple[int, int]:
    """Submit the articles of `directory` as the story "demo"; a second run creates nothing.

    Returns:
        Numbers of articles created and already stored.
    """
    paths = article_files(directory)
    if not paths:
        log.warning("demo directory %s holds no .txt or .html article", directory)
        return 0, 0
    result = core.submit([read_article(p, story=DEMO_STORY) for p in paths])
    created = sum(item.created for item in result.data)
    return created, result.count - created


def create_app(
    settings: Settings | None = None, core: Crosscheck | None = None, host: str = "127.0.0.1"
) -> FastAPI:
    """Build the app; the lifespan builds the core unless one is passed in (then left open).

    Args:
        settings: Service settings; read from CROSSCHECK_* variables (or the core's) when missing.
        core: An already built core, shared across apps (tests load the models once this way).
        host: The address the server listens on (`crosscheck serve --host`): with the auth
            setting `auto`, keys are required beyond loopback. An app built without one (the
            test client, an embedding server) counts as listening on loopback.
    """
    if settings is None:
        settings = core.settings if core is not None else Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = core is None
        built = await run_in_threadpool(Crosscheck, settings) if core is None else core
        app.state.core = built
        dispatcher = Dispatcher(built.db, settings, built.events)
        dispatcher.start()
        if built.relay is not None:  # live streams show what workers and replicas store
            await run_in_threadpool(built.relay.start)
        # Jobs that a stopped process left unfinished run again (none with a broker: it
        # hands them to a worker itself).
        resumed = await run_in_threadpool(built.resume_jobs)
        if resumed:
            log.info("%d unfinished jobs queued again", resumed)
        try:
            if settings.demo_dir is not None:
                created, stored = await run_in_threadpool(load_demo, built, settings.demo_dir)
                log.info("demo story: %d articles created, %d already stored", created, stored)
            yield
        finally:
            built.events.close()
            await run_in_threadpool(dispatcher.stop)
            if owned:
                built.close()

    app = FastAPI(
        title="crosscheck",
        version="0.1.0",
        summary="Which claims of a news article other outlets corroborate, contest, "
        "or leave single-source.",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served by `service.api.docs` from the service's own files, never from a CDN.
        docs_url=None,
        redoc_url=None,
        default_response_class=SafeJSONResponse,
        dependencies=[Depends(refuse_unknown_query)],
    )
    app.state.settings = settings
    install_problem_handlers(app)
    # Added innermost first: CORS, metrics, body size, access (keys, rate), time limit, app.
    app.add_middleware(RequestTimeout, seconds=settings.request_timeout_seconds)
    app.state.keys_required = keys_required(settings.auth, host)
    app.add_middleware(
        AccessControl,
        mode=settings.auth,
        required=app.state.keys_required,
        metrics_open=settings.metrics_open,
        # With a broker, every replica spends from one allowance per caller, kept in Redis.
        requests=rate_limiter(
            settings.rate_limit_requests,
            "requests",
            "CROSSCHECK_RATE_LIMIT_REQUESTS",
            settings.broker_url,
        ),
        characters=rate_limiter(
            settings.rate_limit_chars,
            "characters",
            "CROSSCHECK_RATE_LIMIT_CHARS",
            settings.broker_url,
        ),
        login_path=dashboard.LOGIN_PATH,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.state.metrics = metrics.RequestMetrics()
    app.add_middleware(metrics.MetricsMiddleware, metrics=app.state.metrics)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
            expose_headers=["Location", "Retry-After"],
        )
    for module in (
        articles,
        jobs,
        stories,
        edits,
        claims,
        sources,
        compare,
        judge,
        events,
        webhooks,
        health,
        metrics,
        docs,
    ):
        app.include_router(module.router)
    dashboard.install(app)
    _document_problems(app)
    return app


def _document_problems(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            # Every guarded route may answer these; listing them per route would repeat them.
            guarded = problem_responses(401, 403, 429, 503)
            invalid = _problem_answer(problem_responses(422)[422]["description"])
            for path, item in schema.get("paths", {}).items():
                for operation in item.values():
                    answers = operation.setdefault("responses", {})
                    # FastAPI documents its own 422 body on any route with parameters that
                    # lists no 422 itself; the app answers every 422 as a problem.
                    # Every route refuses unknown query parameters (deps.refuse_unknown_query).
                    if _is_default_422(answers.get("422")) or "422" not in answers:
                        answers["422"] = dict(invalid)
                    if path in OPEN_ROUTES:
                        continue
                    for status, answer in guarded.items():
                        answers.setdefault(str(status), _problem_answer(answer["description"]))
            # Nothing answers FastAPI's own validation body any more: leave it out of the docs.
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = relabel_problem_media_type(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _is_default_422(answer: dict[str, Any] | None) -> bool:
    if answer is None:
        return False
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref") == "#/components/schemas/HTTPValidationError")


def _problem_answer(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
