"""Request limits: the body guard (size and encoding), rate per key or client, and time
(pure ASGI).

The batch-size and work checks (sentences, longest sentence) are the core's.
"""

from __future__ import annotations

import asyncio
import email.message
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.problems import domain_problem, problem_response
from service.deadline import deadline
from service.errors import RateLimitedError, RequestTimeoutError

DRAIN_FACTOR = 8
"""A body over the limit is read (and dropped) up to this many times the limit before the 413:
a client that sends its whole body before reading (urllib, chunked uploads) then gets the
answer, not a reset. Beyond that the connection is closed on it."""
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

log = logging.getLogger(__name__)


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` (413) or not UTF-8 (400, 415), before the app
    sees them, as problem+json.

    Content-Length is checked first; the streamed bytes are counted as well, so a chunked
    request without a length cannot slip past. The body is buffered (it is below the limit,
    and FastAPI reads it whole anyway) and replayed to the app.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Guard one HTTP request; pass anything else through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == -1:
            await self._refuse(scope, receive, send, 400, "The Content-Length header is invalid.")
            return
        if declared is not None and declared > self.max_bytes:
            await self._refuse_size(scope, receive, send)
            return
        charset = _charset(scope)
        if charset not in (None, "utf-8", "utf8"):
            await _drain(receive, DRAIN_FACTOR * self.max_bytes)
            await self._refuse(
                scope, receive, send, 415, f"The body must be UTF-8 encoded JSON, not {charset}."
            )
            return

        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break  # a disconnect: let the app find out
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                # Asking for more after the last part would wait for a disconnect forever.
                await self._refuse_size(scope, receive, send, drain=message.get("more_body", False))
                return
            if not message.get("more_body", False):
                break

        body = b"".join(m.get("body", b"") for m in messages)
        # JSON never holds a raw NUL byte, which every UTF-16 or UTF-32 text of ASCII does;
        # json.loads would silently accept those encodings, which the API does not.
        if body.startswith(_UTF16_BOMS) or b"\x00" in body:
            await self._refuse(
                scope,
                receive,
                send,
                400,
                "The request body could not be read: it must be UTF-8 encoded JSON "
                "(it looks like UTF-16 or UTF-32).",
                close=False,
            )
            return

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse_size(
        self, scope: Scope, receive: Receive, send: Send, *, drain: bool = True
    ) -> None:
        if drain:
            await _drain(receive, DRAIN_FACTOR * self.max_bytes)
        await self._refuse(
            scope,
            receive,
            send,
            413,
            f"The request body is larger than {self.max_bytes} bytes "
            "(setting CROSSCHECK_MAX_BODY_BYTES).",
        )

    async def _refuse(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        detail: str,
        *,
        close: bool = True,
    ) -> None:
        # `close`: the body was not read to its end, so the connection cannot serve another.
        slug, title = {
            413: ("payload-too-large", "Payload too large"),
            400: ("invalid-json", "Invalid JSON"),
        }.get(status, (None, None))
        response = problem_response(
            status,
            detail,
            instance=scope.get("path", ""),
            slug=slug,
            title=title,
            headers={"Connection": "close"} if close else None,
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    """The declared body length; None when absent, -1 when not a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return -1
            return length if length >= 0 else -1
    return None


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets per caller: `per_minute` units a minute, refilled continuously.

    Held in memory by one process: each process of a multi-process deployment counts alone,
    and a restart forgets the counts. `SharedRateLimiter` keeps them in Redis instead.
    """

    # Past this many callers, buckets that have refilled (idle callers) are dropped.
    PRUNE_ABOVE = 10_000

    def __init__(
        self, per_minute: int, what: str, setting: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self.what = what
        self.setting = setting
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, caller: str, amount: int = 1) -> None:
        """Spend `amount` units of the caller's allowance.

        Raises:
            RateLimitedError: too few are left; `retry_after` says when enough will be.
        """
        self._check_size(amount)
        now = self.clock()
        rate = self.per_minute / 60.0
        bucket = self._buckets.get(caller)
        tokens = float(self.per_minute)
        if bucket is not None:
            tokens = min(tokens, bucket.tokens + (now - bucket.at) * rate)
        if tokens < amount:
            raise self._refused(tokens, amount)
        self._buckets[caller] = _Bucket(tokens - amount, now)
        if len(self._buckets) > self.PRUNE_ABOVE:
            self._prune(now, rate)

    def _check_size(self, amount: int) -> None:
        if amount > self.per_minute:
            raise RateLimitedError(
                f"{amount} {self.what} in one request are more than the {self.per_minute} "
                f"allowed per minute (setting {self.setting})",
                retry_after=60,
            )

    def _refused(self, tokens: float, amount: int) -> RateLimitedError:
        wait = math.ceil((amount - tokens) / (self.per_minute / 60.0))
        return RateLimitedError(
            f"over the limit of {self.per_minute} {self.what} per minute "
            f"(setting {self.setting}); retry in {wait} s",
            retry_after=max(1, wait),
        )

    def _prune(self, now: float, rate: float) -> None:
        full = [
            caller
            for caller, b in self._buckets.items()
            if b.tokens + (now - b.at) * rate >= self.per_minute
        ]
        for caller in full:
            del self._buckets[caller]


# One bucket, refilled and spent in one step on the Redis server, by the server's clock (the
# replicas' clocks may differ). Numbers go back as strings: Redis turns Lua numbers into
# integers.
_TAKE = """
local per_minute = tonumber(ARGV[1])
local amount = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = per_minute
if state[1] then
  tokens = math.min(per_minute, tonumber(state[1]) + (now - tonumber(state[2])) * per_minute / 60)
end
if tokens < amount then
  return {0, tostring(tokens)}
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - amount), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], 120)
return {1, tostring(tokens - amount)}
"""

SHARED_DOWN_SECONDS = 10
"""After Redis failed to answer, how long each process counts on its own before trying again."""


class SharedRateLimiter(RateLimiter):
    """The same token buckets, kept in Redis (the broker's): every API replica of a
    deployment spends from one allowance per caller.

    A Redis that cannot be reached never refuses or holds up a request: the process counts
    on its own (as `RateLimiter`) for `SHARED_DOWN_SECONDS`, then tries Redis again.
    """

    def __init__(
        self,
        per_minute: int,
        what: str,
        setting: str,
        url: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(per_minute, what, setting, clock)
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self._take = self._redis.register_script(_TAKE)
        self._prefix = f"crosscheck:rate:{what}:"
        self._down_until = 0.0

    def take(self, caller: str, amount: int = 1) -> None:
        """Spend `amount` units of the caller's allowance, shared by every process.

        Raises:
            RateLimitedError: too few are left; `retry_after` says when enough will be.
        """
        self._check_size(amount)
        if self.clock() < self._down_until:
            super().take(caller, amount)
            return
        try:
            taken, tokens = self._take(keys=[self._prefix + caller], args=[self.per_minute, amount])
        except (redis.RedisError, OSError) as exc:
            self._down_until = self.clock() + SHARED_DOWN_SECONDS
            log.warning(
                "rate limits counted by this process alone for %d s: %s",
                SHARED_DOWN_SECONDS,
                type(exc).__name__,
            )
            super().take(caller, amount)
            return
        if not int(taken):
            raise self._refused(float(tokens), amount)


def rate_limiter(per_minute: int, what: str, setting: str, shared: str | None) -> RateLimiter:
    """The limiter of one kind of unit: shared through the Redis at `shared` (the broker's
    URL) when there is one, else counted by this process."""
    if shared:
        return SharedRateLimiter(per_minute, what, setting, shared)
    return RateLimiter(per_minute, what, setting)


class RequestTimeout:
    """Answer 503 problem+json when a request runs past `seconds`, rather than holding the
    connection until the work ends.

    The work itself runs on in its thread (Python cannot stop one), but it sees the deadline
    (`service.deadline`) and stops at the core's next check, before storing anything; its
    late answer is dropped.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request within the time limit; pass anything else through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = answered = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        # The task copies the context as it is now: the deadline travels with the request,
        # into the worker thread of a sync route as well.
        with deadline(self.seconds):
            work = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        done, _ = await asyncio.wait({work}, timeout=self.seconds)
        if work in done or started:
            await work  # finished, or already answering: let it end (and raise if it failed)
            return
        answered = True
        work.add_done_callback(_discard_outcome)
        error = RequestTimeoutError(
            f"the request took longer than {self.seconds:g} s "
            "(setting CROSSCHECK_REQUEST_TIMEOUT_SECONDS); nothing was stored"
        )
        await domain_problem(error, scope.get("path", ""))(scope, receive, send)


def _discard_outcome(task: asyncio.Future[None]) -> None:
    # The late outcome of timed-out work: its answer was dropped, and an error it raised
    # (its own timeout, most often) was logged by the app's handlers already.
    if not task.cancelled():
        task.exception()


async def _drain(receive: Receive, most: int) -> None:
    """Read what is left of the request body, up to `most` bytes, and drop it."""
    read = 0
    while read <= most:
        message = await receive()
        if message["type"] != "http.request":
            return
        read += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _charset(scope: Scope) -> str | None:
    """The charset a Content-Type header declares, lower-cased; None when it declares none."""
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            header = email.message.Message()
            header["content-type"] = value.decode("latin-1")
            declared = header.get_param("charset")
            return declared.lower() if isinstance(declared, str) else None
    return None
