"""Judge: the relation of a piece of text to a claim."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from service.api import examples
from service.api.deps import CoreDep
from service.api.problems import problem_responses
from service.schemas import JudgeIn, JudgementsPublic

router = APIRouter(prefix="/v1/judge", tags=["judge"])


@router.post("", responses=problem_responses(400, 413, 422))
def judge(
    payload: Annotated[JudgeIn, Body(openapi_examples=examples.JUDGE)],
    core: CoreDep,
) -> JudgementsPublic:
    """Judge claim / evidence pairs: supports, contradicts or silent, with a reason."""
    return core.judge(payload.pairs)
