"""Stories: the sets of articles about one event, with claims, verdicts and evidence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.api.deps import CoreDep, MinCheckworthiness
from service.api.problems import problem_responses
from service.schemas import StoriesPublic, StoryPublic

router = APIRouter(prefix="/v1/stories", tags=["stories"])


@router.get("", responses=problem_responses(422))
def list_stories(
    core: CoreDep,
    offset: Annotated[int, Query(ge=0, description="Stories to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="Stories per page.")] = 20,
) -> StoriesPublic:
    """A page of stories with their counts, most recently updated first."""
    return core.stories(offset=offset, limit=limit)


@router.get("/{story_id}", responses=problem_responses(404, 422))
def get_story(
    story_id: str, core: CoreDep, min_checkworthiness: MinCheckworthiness = None
) -> StoryPublic:
    """A story: its articles, every claim with verdict and evidence, and claims grouped by fact."""
    return core.story(story_id, min_checkworthiness=min_checkworthiness)
