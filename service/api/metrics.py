"""Prometheus metrics: request counts and latencies, and what the store holds (`GET /metrics`)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.deps import CoreDep

router = APIRouter(tags=["health"])

# Upper bounds of the latency buckets, in seconds: reads take milliseconds, ingests seconds.
BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RequestMetrics:
    """Counters of answered requests by route and status, and a latency histogram by route."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.sums: dict[tuple[str, str], float] = defaultdict(float)
        self.counts: dict[tuple[str, str], int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one answered request."""
        with self._lock:
            self.requests[(method, route, status)] += 1
            key = (method, route)
            self.sums[key] += seconds
            self.counts[key] += 1
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.buckets[key][i] += 1

    def render(self) -> list[str]:
        """The counters in the Prometheus text format."""
        lines = [
            "# HELP crosscheck_http_requests_total Answered HTTP requests.",
            "# TYPE crosscheck_http_requests_total counter",
        ]
        with self._lock:
            for (method, route, status), n in sorted(self.requests.items()):
                labels = f'method="{method}",route="{route}",status="{status}"'
                lines.append(f"crosscheck_http_requests_total{{{labels}}} {n}")
            lines += [
                "# HELP crosscheck_http_request_seconds Time to answer an HTTP request.",
                "# TYPE crosscheck_http_request_seconds histogram",
            ]
            for (method, route), counts in sorted(self.buckets.items()):
                labels = f'method="{method}",route="{route}"'
                for bound, n in zip(BUCKETS, counts, strict=True):
                    lines.append(
                        f'crosscheck_http_request_seconds_bucket{{{labels},le="{bound}"}} {n}'
                    )
                total = self.counts[(method, route)]
                lines.append(
                    f'crosscheck_http_request_seconds_bucket{{{labels},le="+Inf"}} {total}'
                )
                seconds = self.sums[(method, route)]
                lines.append(f"crosscheck_http_request_seconds_sum{{{labels}}} {seconds:.6f}")
                lines.append(f"crosscheck_http_request_seconds_count{{{labels}}} {total}")
        return lines


class MetricsMiddleware:
    """Pure ASGI middleware timing every HTTP request by its route template."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route: Any = scope.get("route")
            # The template ("/v1/stories/{story_id}"), never the raw path: ids would explode
            # the number of series.
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(scope["method"], template, status, time.perf_counter() - started)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(core: CoreDep, request: Request) -> Response:
    """Prometheus metrics: requests, latencies, and stories, articles and claims stored."""
    lines: list[str] = request.app.state.metrics.render()
    totals = core.totals()
    lines += [
        "# HELP crosscheck_stored Objects in the store.",
        "# TYPE crosscheck_stored gauge",
    ]
    for kind, n in sorted(totals.items()):
        lines.append(f'crosscheck_stored{{kind="{kind}"}} {n}')
    return Response("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
