"""Every error answer of the API: one application/problem+json builder (RFC 9457) and its handlers.

Domain errors are types (`service.errors`); this module is the one place that turns them, and the
framework's own errors, into problem documents. Request bodies are never logged nor echoed back.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.errors import CrosscheckError
from service.errors import (
    PROBLEM_TYPE_BASE,
    AuthenticationError,
    MergedStoryError,
    RateLimitedError,
    domain_entry,
)

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
MAX_ERRORS = 20  # a long batch of bad articles must not make an even longer answer


def escape_markup(text: str) -> str:
    """The text with `<`, `>` and `&` as JSON escapes: JSON still, never live markup."""
    # JSON parsers decode these escapes back, but the bytes on the wire never hold markup a
    # browser could sniff and render (the same guard Go's encoding/json applies).
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def safe_json(content: Any) -> str:
    """Compact JSON text without `<`, `>` or `&` (escaped): it carries no live markup."""
    text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return escape_markup(text)


class SafeJSONResponse(JSONResponse):
    """JSON whose bytes never contain `<`, `>` or `&`: no response can carry live markup."""

    def render(self, content: Any) -> bytes:
        """Serialise compactly, with markup characters escaped."""
        return safe_json(content).encode("utf-8")


class ProblemResponse(SafeJSONResponse):
    """A problem document (RFC 9457)."""

    media_type = PROBLEM_MEDIA_TYPE


class FieldError(BaseModel):
    """One invalid part of a request."""

    loc: list[str | int] = Field(description="Where: `body`, `query` or `path`, then the keys.")
    msg: str = Field(description="What is wrong, in words.")
    type: str = Field(description="Machine-readable kind of error (pydantic's error type).")


class Problem(BaseModel):
    """An error answer (RFC 9457 problem details), served as application/problem+json."""

    type: str = Field(description="URI naming the kind of problem.", examples=["about:blank"])
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong with this request, in words.")
    instance: str = Field(description="The path of the request that failed.")
    errors: list[FieldError] | None = Field(
        None, description="For validation errors: each invalid part of the request."
    )


def problem_response(
    status: int,
    detail: str,
    *,
    instance: str,
    slug: str | None = None,
    title: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> ProblemResponse:
    """Build the one shape every error of the API takes.

    Args:
        status: HTTP status code.
        detail: What went wrong with this request, in words.
        instance: The request path.
        slug: Kind of problem; `about:blank` (the status says it all) when missing.
        title: Summary of the kind; the status phrase when missing.
        errors: Invalid parts of the request, for validation errors.
        headers: Extra response headers (`Allow` for 405).
        extra: Extension members (RFC 9457 section 3.2).

    Returns:
        The application/problem+json response.
    """
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug if slug else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = [e.model_dump() for e in errors[:MAX_ERRORS]]
    if extra:
        body.update(extra)
    return ProblemResponse(body, status_code=status, headers=headers)


def domain_problem(exc: CrosscheckError, instance: str) -> ProblemResponse:
    """The answer to a domain error, with the headers its status calls for."""
    status, slug, title = domain_entry(exc)
    # A merged-away story answers 404 and names the story that holds its articles now.
    extra = {"merged_into": exc.merged_into} if isinstance(exc, MergedStoryError) else None
    headers: dict[str, str] = {}
    if isinstance(exc, AuthenticationError):
        headers["WWW-Authenticate"] = 'Bearer realm="crosscheck"'
    elif isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
    return problem_response(
        status,
        str(exc) or title,
        instance=instance,
        slug=slug,
        title=title,
        extra=extra,
        headers=headers or None,
    )


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CrosscheckError)
    status, _slug, _title = domain_entry(exc)
    if status >= 500:
        log.error("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc)
    return domain_problem(exc, request.url.path)


def _loc(loc: Sequence[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in raw):
        err = raw[0]
        reason = (err.get("ctx") or {}).get("error", "not JSON")
        where = err["loc"][-1] if err.get("loc") else "?"
        return problem_response(
            400,
            f"The request body is not valid JSON: {reason} (at character {where}).",
            instance=request.url.path,
            slug="invalid-json",
            title="Invalid JSON",
        )
    # Only where and what: the `input` and `ctx` members would echo the (possibly huge) input.
    errors = [
        FieldError(loc=_loc(err.get("loc", ())), msg=str(err.get("msg", "")), type=err["type"])
        for err in raw
    ]
    first = errors[0] if errors else None
    where = ".".join(str(p) for p in first.loc) if first else "request"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    detail = f"{where}: {first.msg}{more}" if first else "The request is invalid."
    return problem_response(
        422,
        detail,
        instance=request.url.path,
        slug="validation",
        title="Invalid request",
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    slug: str | None = None
    title: str | None = None
    if exc.status_code == 400 and detail == "There was an error parsing the body":
        # FastAPI's answer when json.loads raises anything but a JSONDecodeError: a body that
        # is not UTF-8 (UnicodeDecodeError) or nested deeper than the parser goes.
        if isinstance(exc.__cause__, RecursionError):
            detail = "The request body is nested too deeply to be read: no field of the API "
            detail += "nests more than a few levels."
        else:
            detail = "The request body could not be read: it must be UTF-8 encoded JSON."
        slug, title = "invalid-json", "Invalid JSON"
    elif exc.status_code == 404 and detail == "Not Found":
        detail = f"No route matches {request.url.path}."
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
    return problem_response(
        exc.status_code,
        detail,
        instance=request.url.path,
        slug=slug,
        title=title,
        headers=dict(exc.headers) if exc.headers else None,
    )


def _unexpected_error(request: Request, exc: Exception) -> Response:
    # The id ties the client's answer to the log line without telling the client anything
    # internal; the log holds the traceback (never a request body, nor SQL parameters).
    incident = uuid.uuid4().hex[:12]
    log.exception(
        "unhandled %s on %s %s (incident %s)",
        type(exc).__name__,
        request.method,
        request.url.path,
        incident,
    )
    return problem_response(
        500,
        f"An internal error occurred; it was logged as incident {incident}.",
        instance=request.url.path,
        slug="internal",
        title="Internal error",
    )


class CrashAnswer:
    """Answer an unhandled error with a 500 problem, as an answer like any other.

    Starlette's own last-resort handler re-raises after answering, and the server then drops
    the keep-alive connection without `Connection: close`, so that a client's next pooled
    request is reset. Caught here, the error is logged once and the connection stays usable.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request; on an unhandled error before the answer began, answer 500."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started:
                raise  # half an answer is on the wire: only the server can end it
            await _unexpected_error(Request(scope), exc)(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error the app can raise to one problem+json answer.

    Call it before adding other middleware: the crash answer must sit inside them (metrics
    count the 500).
    """
    app.add_exception_handler(CrosscheckError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(CrashAnswer)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting these error statuses as problem+json."""
    return {
        status: {"model": Problem, "description": _STATUS_DOCS.get(status, "")}
        for status in statuses
    }


_STATUS_DOCS = {
    400: "The body is not JSON, not UTF-8, or nested too deeply.",
    401: "An API key is required and none, an unknown or a revoked one was sent.",
    403: "The API key's scope does not cover this route, or it may not post as this outlet.",
    404: "No such id (a story merged into another also names it in `merged_into`).",
    409: "The request conflicts with the stored state: a story key already taken, an edit "
    "already reverted, or a later edit that depends on this one.",
    413: "The body is larger than the configured limit.",
    422: "The request is invalid: a field, an unknown query parameter, a text that holds no "
    "claim, a batch too large, or more work than the limits allow (sentences, longest "
    "sentence).",
    429: "The key or client spent its requests or characters for the minute; see Retry-After.",
    503: "A component is not ready, the request ran past its time limit, or the job broker "
    "could not be reached.",
}


def relabel_problem_media_type(schema: dict[str, Any]) -> dict[str, Any]:
    """Document error answers under application/problem+json, the type they are served as.

    FastAPI files every `responses=` model under the route's own media type (JSON, or the
    event stream's); this moves the error statuses (4xx, 5xx) to the problem media type.
    """
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for code, answer in operation.get("responses", {}).items():
                content = answer.get("content", {})
                if code[:1] not in "45":
                    continue
                for media_type in [m for m in content if m != PROBLEM_MEDIA_TYPE]:
                    content[PROBLEM_MEDIA_TYPE] = content.pop(media_type)
    return schema
