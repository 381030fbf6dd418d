"""Health: liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from service.api.deps import CoreDep
from service.api.problems import problem_response, problem_responses
from service.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> Health:
    """Liveness: ok whenever the process answers."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses=problem_responses(503))
def readyz(core: CoreDep, request: Request) -> Health | Response:
    """Readiness: 200 when every component (models, database) is usable, else 503."""
    components = core.ready()
    waiting = ", ".join(
        f"{name}: {state}" for name, state in components.items() if not _usable(state)
    )
    if not waiting:
        return Health(status="ok", detail=components)
    return problem_response(
        503,
        f"Not ready ({waiting}).",
        instance=request.url.path,
        slug="not-ready",
        title="Not ready",
        extra={"components": components},
    )


def _usable(state: str) -> bool:
    # "ok (…)" is a usable fallback (the judge without its NLI weights); "disabled" is a
    # component switched off by a setting (CROSSCHECK_USE_NLI=false): neither is a reason to
    # take the service out of a load balancer.
    return state.split(" ", 1)[0] == "ok" or state == "disabled"
