"""Edits: every change of stories by hand is recorded and can be reverted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from service.api import examples
from service.api.deps import CoreDep, Ident
from service.api.problems import problem_responses
from service.schemas import RevertIn, StoryEditPublic

router = APIRouter(prefix="/v1/edits", tags=["edits"])


@router.post("/{edit_id}/revert", responses=problem_responses(400, 404, 409, 413, 422))
def revert_edit(
    edit_id: Ident,
    core: CoreDep,
    payload: Annotated[RevertIn | None, Body(openapi_examples=examples.REVERT)] = None,
) -> StoryEditPublic:
    """Revert an edit: articles, links and verdicts as they were; 409 if a later edit needs it."""
    return core.revert_edit(edit_id, by=payload.by if payload else None)
