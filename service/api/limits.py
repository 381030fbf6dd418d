"""Request limits: the body-size guard (pure ASGI); the batch-size check is the core's."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.problems import problem_response


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with 413 problem+json, before the app sees them.

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

        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break  # a disconnect: let the app find out
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse_size(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse_size(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._refuse(
            scope,
            receive,
            send,
            413,
            f"The request body is larger than {self.max_bytes} bytes "
            "(setting CROSSCHECK_MAX_BODY_BYTES).",
        )

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, detail: str
    ) -> None:
        slug, title = ("payload-too-large", "Payload too large") if status == 413 else (None, None)
        response = problem_response(
            status,
            detail,
            instance=scope.get("path", ""),
            slug=slug,
            title=title,
            headers={"Connection": "close"},
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
