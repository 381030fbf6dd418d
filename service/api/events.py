"""Live events: a server-sent event stream of what committed writes change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from service.api.deps import CoreDep, SettingsDep
from service.api.problems import problem_responses, safe_json
from service.errors import InputError
from service.events import Event, Stream
from service.schemas import EventType

router = APIRouter(prefix="/v1/events", tags=["events"])

RETRY_MS = 3000
"""How long a browser waits before it reconnects (the SSE `retry` field)."""


def story_filter(
    core: CoreDep,
    story: Annotated[
        str | None,
        Query(
            max_length=300,
            pattern=r"^[^\x00-\x1f\x7f]+$",
            description="Only the events of this story (an unknown or merged-away one: 404).",
        ),
    ] = None,
) -> str | None:
    """The story to follow, checked before the stream opens."""
    if story is not None:
        core.require_story(story)
    return story


def type_filter(
    types: Annotated[
        list[str] | None,
        Query(
            description="Only these event types: repeated (`types=a&types=b`) or separated "
            "by commas. Types: " + ", ".join(t.value for t in EventType) + ".",
        ),
    ] = None,
) -> frozenset[EventType] | None:
    """The event types asked for; None: every type.

    Raises:
        InputError: a name that is no event type (422, listing the valid ones).
    """
    if not types:
        return None
    names = [n.strip() for value in types for n in value.split(",") if n.strip()]
    valid = {t.value: t for t in EventType}
    unknown = sorted({n for n in names if n not in valid})
    if unknown or not names:
        raise InputError(
            f"types: unknown event types {unknown}; valid: {', '.join(valid)}"
            if unknown
            else "types: name at least one event type"
        )
    return frozenset(valid[n] for n in names)


def _sse(event: Event) -> ServerSentEvent:
    payload = safe_json(event.public().model_dump(mode="json"))
    return ServerSentEvent(raw_data=payload, event=event.type.value, id=str(event.id))


@router.get(
    "",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "Events as they are committed, with heartbeat comments; each "
            "`data:` is one `EventPublic` object (`id`, `type`, `story_id`, `at`, `data`), "
            "the body webhooks receive as well."
        },
        **problem_responses(404, 422),
    },
)
async def stream_events(
    core: CoreDep,
    settings: SettingsDep,
    story: Annotated[str | None, Depends(story_filter)],
    types: Annotated[frozenset[EventType] | None, Depends(type_filter)],
    last_event_id: Annotated[
        int | None,
        Header(
            alias="Last-Event-ID",
            ge=0,
            description="Resume after this event (browsers send it when they reconnect).",
        ),
    ] = None,
) -> AsyncIterable[ServerSentEvent]:
    """Server-sent events of committed writes, filtered by story and type; resumable."""
    bus = core.events
    live = Stream(asyncio.get_running_loop(), settings.events_buffer)
    bus.subscribe(live)

    def wanted(event: Event) -> bool:
        return (story is None or event.story_id == story) and (types is None or event.type in types)

    try:
        # The first bytes say the stream is subscribed: nothing committed after them is missed.
        yield ServerSentEvent(comment="crosscheck events", retry=RETRY_MS)
        # Events replayed from the log may come on the live queue too: each is sent once.
        # Nothing else is filtered by number: an event committed by another process can
        # arrive after one numbered later.
        replayed: set[int] = set()
        if last_event_id is not None:
            kept, complete = await run_in_threadpool(core.events_since, last_event_id)
            if not complete:
                # Some events after it are no longer kept: the client must read afresh.
                yield ServerSentEvent(
                    event="resync",
                    raw_data=safe_json(
                        {"last_event_id": last_event_id, "reason": "events were missed"}
                    ),
                )
            for event in kept:
                replayed.add(event.id)
                if wanted(event):
                    yield _sse(event)
        while True:
            try:
                next_event = await asyncio.wait_for(
                    live.queue.get(), settings.events_heartbeat_seconds
                )
            except TimeoutError:
                yield ServerSentEvent(comment="heartbeat")
                continue
            if next_event is None:
                return  # the server stops, or this client fell too far behind
            if next_event.id not in replayed and wanted(next_event):
                yield _sse(next_event)
    finally:
        bus.unsubscribe(live)
