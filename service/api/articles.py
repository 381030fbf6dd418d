"""Articles: submit one or a batch; read one back with its claims; move one to another story."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import Discriminator, Tag

from service.api import examples
from service.api.deps import ApiKeyDep, CoreDep, Ident, MinCheckworthiness
from service.api.problems import SafeJSONResponse, problem_responses
from service.schemas import (
    ArticleBatchIn,
    ArticleIn,
    ArticlePublic,
    ArticleUpdateIn,
    JobResponse,
    SubmitResponse,
)

router = APIRouter(prefix="/v1/articles", tags=["articles"])


def _kind(value: Any) -> str:
    # Decide the branch up front, so that a bad batch is not also reported as a bad article.
    return "batch" if isinstance(value, dict) and "articles" in value else "article"


SubmitBody = Annotated[
    Annotated[ArticleIn, Tag("article")] | Annotated[ArticleBatchIn, Tag("batch")],
    Discriminator(_kind),
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SubmitResponse,
    responses={
        200: {"model": SubmitResponse, "description": "Every article was already stored."},
        202: {
            "model": JobResponse,
            "description": "wait=false: the articles are stored as a job, to be ingested by "
            "a worker; `Location` is the job, to poll (GET /v1/jobs/{id}).",
        },
        **problem_responses(400, 403, 413, 422, 503),
    },
)
def submit_articles(
    payload: Annotated[SubmitBody, Body(openapi_examples=examples.SUBMIT)],
    core: CoreDep,
    api_key: ApiKeyDep,
    response: Response,
    wait: Annotated[
        bool,
        Query(
            description="true: answer once the articles are ingested. false: store them as a "
            "job and answer 202 at once (a worker ingests them; input errors that only "
            "analysis finds fail the job)."
        ),
    ] = True,
) -> SubmitResponse | SafeJSONResponse:
    """Submit one article or a batch `{"articles": [...]}`: 201 new, 200 stored, 202 queued."""
    articles = payload.articles if isinstance(payload, ArticleBatchIn) else [payload]
    if not wait:
        job = core.enqueue(articles, key=api_key)
        return SafeJSONResponse(
            JobResponse(job=job).model_dump(mode="json"),
            status_code=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/v1/jobs/{job.id}"},
        )
    result = core.submit(articles, key=api_key)
    if not any(item.created for item in result.data):
        response.status_code = status.HTTP_200_OK
    return result


@router.get("/{article_id}", responses=problem_responses(404, 422))
def get_article(
    article_id: Ident, core: CoreDep, min_checkworthiness: MinCheckworthiness = None
) -> ArticlePublic:
    """One stored article with its cleaned text and claims."""
    return core.article(article_id, min_checkworthiness=min_checkworthiness)


@router.patch("/{article_id}", responses=problem_responses(400, 404, 409, 413, 422))
def update_article(
    article_id: Ident,
    payload: Annotated[ArticleUpdateIn, Body(openapi_examples=examples.MOVE)],
    core: CoreDep,
) -> ArticlePublic:
    """Move the article to another existing story; automatic assignment never moves it back."""
    return core.move_article(article_id, payload.story, by=payload.by)
