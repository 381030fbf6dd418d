"""Compare: the claim-by-claim report on a set of articles, stateless."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from service.api import examples
from service.api.deps import CoreDep
from service.api.problems import problem_responses
from service.schemas import CompareIn, CompareReport

router = APIRouter(prefix="/v1/compare", tags=["compare"])


@router.post("", responses=problem_responses(400, 413, 422))
def compare(
    payload: Annotated[CompareIn, Body(openapi_examples=examples.COMPARE)],
    core: CoreDep,
) -> CompareReport:
    """Compare articles as one story and report every claim's verdict; nothing is stored."""
    return core.compare(payload.articles)
