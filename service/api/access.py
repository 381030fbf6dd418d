"""Who may call what: API keys and their scopes, and the rate limits, before any route runs.

One table (`needed_scope`) says what each route needs; one pure ASGI middleware reads the
`Authorization: Bearer KEY` header, asks the core whose key it is, checks the scope, spends
the caller's allowance and hands the key to the routes (`request.state.api_key`).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.docs import ASSET_ROUTE, DOCS_URL, OAUTH2_REDIRECT_URL, REDOC_URL
from service.api.limits import RateLimiter
from service.api.problems import domain_problem
from service.config import AuthMode
from service.errors import AuthenticationError, CrosscheckError, ForbiddenError
from service.keys import Principal
from service.schemas import Scope as KeyScope

# Probes, the API's own documentation, the dashboard's script and style files and its key
# form answer everyone, without counting.
OPEN_ROUTES = frozenset(
    {
        "/healthz",
        "/readyz",
        "/openapi.json",
        DOCS_URL,
        OAUTH2_REDIRECT_URL,
        REDOC_URL,
        ASSET_ROUTE,
        "/static",
        "/key",
    }
)
# What an ingest key may post; every other write (story edits, reverts) needs admin.
INGEST_ROUTES = frozenset(
    {
        ("POST", "/v1/articles"),
        ("POST", "/v1/compare"),
        ("POST", "/v1/judge"),
        ("POST", "/compare"),
    }
)
KEY_COOKIE = "crosscheck_key"
"""The cookie that carries a key for the dashboard's pages; the API (/v1) reads it on
COOKIE_API_ROUTES only, so no other site can make a browser act with it there (and it is
SameSite=Strict)."""
COOKIE_API_ROUTES = frozenset({("GET", "/v1/events")})
"""API routes that a page calls with the cookie: the story page's live events (a browser's
EventSource cannot send an Authorization header). Reads only."""
# Webhooks hold secrets and send data out: reading them needs admin as well.
ADMIN_PREFIXES = ("/v1/webhooks",)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def needed_scope(method: str, route: str, metrics_open: bool) -> KeyScope | None:
    """The scope a request needs, by method and route template; None: open to everyone."""
    if route in OPEN_ROUTES or (route == "/metrics" and metrics_open):
        return None
    if route == "/metrics" or route.startswith(ADMIN_PREFIXES):
        return KeyScope.ADMIN
    if method in ("GET", "HEAD"):
        return KeyScope.READ
    if (method, route) in INGEST_ROUTES:
        return KeyScope.INGEST
    return KeyScope.ADMIN


def is_loopback(host: str) -> bool:
    """Whether a listening address reaches this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve beyond this machine


def keys_required(mode: AuthMode, host: str) -> bool:
    """Whether every request must carry a key, for a server listening on `host`."""
    if mode is AuthMode.AUTO:
        return not is_loopback(host)
    return mode is AuthMode.REQUIRED


def _route_template(scope: Scope) -> str:
    """The template of the route a request goes to ("/v1/stories/{story_id}"); the path itself
    when none matches (a 404 then)."""
    app: Any = scope.get("app")
    found = _match(getattr(getattr(app, "router", None), "routes", []), scope)
    return found if found is not None else str(scope.get("path", ""))


def _match(routes: Any, scope: Scope) -> str | None:
    partial: str | None = None
    for route in routes:
        # FastAPI wraps an included router; its routes carry their full paths.
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found = _match(inner.routes, scope)
            if found is not None:
                return found
            continue
        match, _child = route.matches(scope)
        template = getattr(route, "path", None)
        if not isinstance(template, str) or match is Match.NONE:
            continue
        if match is Match.FULL:
            return template
        partial = partial or template  # the path matches, the method does not (405)
    return partial


def is_page(route: str) -> bool:
    """Whether a route template is one of the dashboard's pages (not the API, not /metrics)."""
    return not route.startswith("/v1") and route != "/metrics"


def reads_cookie(method: str, route: str) -> bool:
    """Whether a request may bring its key in the dashboard's cookie."""
    return is_page(route) or (method, route) in COOKIE_API_ROUTES


def _cookie(scope: Scope, name: str) -> str | None:
    """The value of a cookie of the request; None when it has none."""
    for header, value in scope.get("headers", []):
        if header == b"cookie":
            for part in bytes(value).decode("latin-1").split(";"):
                key, _, found = part.strip().partition("=")
                if key == name and found:
                    return found
    return None


def _bearer(scope: Scope) -> str | None:
    """The key of the Authorization header; None when there is none.

    Raises:
        AuthenticationError: the header is there but is not `Bearer KEY`.
    """
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            header: str = bytes(value).decode("latin-1").strip()
            kind, _, secret = header.partition(" ")
            if kind.lower() != "bearer" or not secret.strip():
                raise AuthenticationError("the Authorization header must be 'Bearer KEY'")
            return secret.strip()
    return None


class AccessControl:
    """Authenticate, authorise and rate-limit each HTTP request (401, 403, 429 problem+json).

    Args:
        app: The application inside.
        mode: The auth setting.
        required: Whether a key is required (`keys_required` of the mode and the host).
        metrics_open: Whether /metrics answers without a key.
        requests: Allowance of requests per caller.
        characters: Allowance of body characters per caller.
        login_path: Where a dashboard page sends a browser that brings no valid key.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        mode: AuthMode,
        required: bool,
        metrics_open: bool,
        requests: RateLimiter,
        characters: RateLimiter,
        login_path: str | None = None,
    ) -> None:
        self.app = app
        self.mode = mode
        self.required = required
        self.metrics_open = metrics_open
        self.requests = requests
        self.characters = characters
        self.login_path = login_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Let a request through, or answer it with a problem; pass anything else through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = _route_template(scope)
        needed = needed_scope(scope["method"], route, self.metrics_open)
        if needed is None:
            await self.app(scope, receive, send)
            return
        try:
            key = await self._key(scope, needed, reads_cookie(scope["method"], route))
            client = scope.get("client")
            caller = f"key:{key.id}" if key else f"client:{client[0] if client else 'unknown'}"
            self.requests.take(caller)
            if scope["method"] in _BODY_METHODS:
                receive = await self._charge_body(caller, receive)
        except AuthenticationError as exc:
            if self.login_path is not None and is_page(route) and scope["method"] == "GET":
                # A browser without a key is sent to the form that takes one.
                target = quote(scope.get("path", "/"), safe="/")
                answer = RedirectResponse(f"{self.login_path}?next={target}", status_code=303)
                await answer(scope, receive, send)
                return
            await domain_problem(exc, scope.get("path", ""))(scope, receive, send)
            return
        except CrosscheckError as exc:
            await domain_problem(exc, scope.get("path", ""))(scope, receive, send)
            return
        scope.setdefault("state", {})["api_key"] = key
        await self.app(scope, receive, send)

    async def _key(self, scope: Scope, needed: KeyScope, cookie: bool) -> Principal | None:
        """The request's key, checked; None where keys are optional and none was sent.

        Where `cookie` allows (`reads_cookie`), the key may come in the dashboard's cookie
        when no header names one.
        """
        if self.mode is AuthMode.OFF:
            return None
        secret = _bearer(scope)
        if secret is None and cookie:
            secret = _cookie(scope, KEY_COOKIE)
        if secret is None:
            if self.required:
                raise AuthenticationError(
                    "an API key is required: send 'Authorization: Bearer KEY' "
                    "(create one with `crosscheck keys create`)"
                )
            return None
        core = scope["app"].state.core
        key: Principal = await run_in_threadpool(core.authenticate, secret)
        if not key.scope.allows(needed):
            raise ForbiddenError(
                f"the key {key.name!r} has the scope {key.scope.value!r}; "
                f"{scope['method']} {scope.get('path', '')} needs {needed.value!r}"
            )
        return key

    async def _charge_body(self, caller: str, receive: Receive) -> Receive:
        """Read the body (the size guard outside has bounded it), spend its characters from
        the caller's allowance, and replay it to the app."""
        messages: list[Message] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        self.characters.take(caller, len(body.decode("utf-8", errors="replace")))

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            return await receive()

        return replay
