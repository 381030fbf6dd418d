"""Stories: the sets of articles about one event, with claims, verdicts and evidence; edits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response, status

from service.api import examples
from service.api.deps import (
    CoreDep,
    Ident,
    MinCheckworthiness,
    Offset,
    StoryClaimFilterDep,
    StoryFilterDep,
    StoryOrderQuery,
)
from service.api.exports import EXPORT_RESPONSES, ExportLimit, FormatQuery, claims_answer
from service.api.problems import problem_responses, safe_json
from service.schemas import (
    ClaimsPublic,
    StoriesPublic,
    StoryEditsPublic,
    StoryMergeIn,
    StoryOrder,
    StoryPublic,
    StorySplitIn,
    StoryUpdateIn,
)

router = APIRouter(prefix="/v1/stories", tags=["stories"])


@router.get("", responses=problem_responses(422))
def list_stories(
    core: CoreDep,
    filters: StoryFilterDep,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="Stories per page.")] = 20,
    order: StoryOrderQuery = StoryOrder.NEWEST,
) -> StoriesPublic:
    """Stories by words, date or contested claims, with counts; newest or most contested first."""
    return core.stories(offset=offset, limit=limit, filters=filters, order=order)


def _story_json(story: StoryPublic) -> bytes:
    return safe_json(story.model_dump(mode="json")).encode("utf-8")


@router.get("/{story_id}", response_model=StoryPublic, responses=problem_responses(404, 422))
def get_story(
    story_id: Ident, core: CoreDep, min_checkworthiness: MinCheckworthiness = None
) -> Response:
    """A story by id or client key: articles, claims with verdict and evidence, fact groups."""
    # Rendered once while the story is unchanged: the JSON of a large story costs more than
    # reading it from the core's cache.
    body = core.story_body(story_id, _story_json, min_checkworthiness=min_checkworthiness)
    return Response(body, media_type="application/json")


@router.get(
    "/{story_id}/claims",
    response_model=ClaimsPublic,
    responses={**EXPORT_RESPONSES, **problem_responses(404, 422)},
)
def list_story_claims(
    story_id: Ident,
    request: Request,
    core: CoreDep,
    filters: StoryClaimFilterDep,
    offset: Offset = 0,
    limit: ExportLimit = None,
    format: FormatQuery = None,
) -> ClaimsPublic | Response:
    """A story's claims (id or key) a page at a time, filtered; or all of them as CSV or JSONL."""
    story_filters = filters.model_copy(update={"story": story_id})
    return claims_answer(core, request, story_filters, offset, limit, format, "story-claims")


@router.patch("/{story_id}", responses=problem_responses(400, 404, 409, 413, 422))
def update_story(
    story_id: Ident,
    payload: Annotated[StoryUpdateIn, Body(openapi_examples=examples.UPDATE_STORY)],
    core: CoreDep,
) -> StoryPublic:
    """Set the story's client key or title; a key held by another story answers 409."""
    return core.update_story(story_id, payload, by=payload.by)


@router.post("/{story_id}/merge", responses=problem_responses(400, 404, 413, 422))
def merge_story(
    story_id: Ident,
    payload: Annotated[StoryMergeIn, Body(openapi_examples=examples.MERGE)],
    core: CoreDep,
) -> StoryPublic:
    """Merge another story into this one; the merged-away id then answers 404 naming this one."""
    return core.merge_stories(story_id, payload.story, by=payload.by)


@router.post(
    "/{story_id}/split",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 404, 413, 422),
)
def split_story(
    story_id: Ident,
    payload: Annotated[StorySplitIn, Body(openapi_examples=examples.SPLIT)],
    core: CoreDep,
    response: Response,
) -> StoryPublic:
    """Move some of the story's articles (not all) into a new story, and answer that story."""
    new = core.split_story(story_id, payload.articles, title=payload.title, by=payload.by)
    response.headers["Location"] = f"{router.prefix}/{new.id}"
    return new


@router.get("/{story_id}/edits", responses=problem_responses(404))
def list_story_edits(story_id: Ident, core: CoreDep) -> StoryEditsPublic:
    """The edits that involved the story, newest first, each revertible by its id."""
    return core.story_edits(story_id)
