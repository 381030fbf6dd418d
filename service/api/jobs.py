"""Jobs: the queued ingests of POST /v1/articles?wait=false, followed to done or failed."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import CoreDep, Ident
from service.api.problems import problem_responses
from service.schemas import JobResponse

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", responses=problem_responses(404, 422))
def get_job(job_id: Ident, core: CoreDep) -> JobResponse:
    """A job: queued, running, done (with its articles) or failed (with the problem)."""
    return JobResponse(job=core.job(job_id))
