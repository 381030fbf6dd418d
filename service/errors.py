"""Domain errors of the service; `service.app` turns each into a problem+json answer."""

from __future__ import annotations

from collections.abc import Sized
from typing import Any

from models.errors import CrosscheckError, InputError, ModelMissingError

__all__ = [
    "AuthenticationError",
    "BatchTooLargeError",
    "ConflictError",
    "CrosscheckError",
    "EditError",
    "ForbiddenError",
    "InputError",
    "MergedStoryError",
    "NoReviewError",
    "NotFoundError",
    "PayloadTooLargeError",
    "QueueUnavailableError",
    "RateLimitedError",
    "RequestTimeoutError",
    "WorkLimitError",
    "check_batch",
]


class NotFoundError(CrosscheckError):
    """No stored object has the requested id (404)."""

    def __init__(self, kind: str, ident: str, by: str = "id") -> None:
        super().__init__(f"no {kind} with {by} {ident!r}")
        self.kind = kind
        self.ident = ident


class MergedStoryError(NotFoundError):
    """The story was merged into another (404); `merged_into` names the story that holds its
    articles now. Reverting the merge brings it back."""

    def __init__(self, ident: str, merged_into: str) -> None:
        super().__init__("story", ident)
        self.args = (f"story {ident!r} was merged into story {merged_into!r}",)
        self.merged_into = merged_into


class NoReviewError(NotFoundError):
    """The claim exists but has no ClaimReview (404): only contested claims are reviewed."""

    def __init__(self, ident: str, verdict: str) -> None:
        super().__init__("claim review", ident)
        self.args = (
            f"claim {ident!r} is {verdict}: crosscheck writes a ClaimReview for contested "
            "claims only",
        )


class ConflictError(CrosscheckError):
    """The request conflicts with the stored state (409): a story key already taken, an edit
    already reverted, or a later edit that depends on the one to revert."""


class EditError(InputError):
    """An edit that makes no sense for the stories as they are (422): a story merged with
    itself, a split of every article, an article that is not in the story."""


class PayloadTooLargeError(CrosscheckError):
    """The request is larger than a configured limit (413)."""


class BatchTooLargeError(InputError):
    """A request holds more articles or pairs than settings.max_batch allows (422)."""


class WorkLimitError(InputError):
    """A request would cost more work than a setting allows (422): too many sentences, or a
    sentence too long; the message names the limit and its setting."""


class AuthenticationError(CrosscheckError):
    """No API key, or one that is unknown or revoked, where a key is required (401)."""


class ForbiddenError(CrosscheckError):
    """The API key is valid but may not do this (403): a scope too narrow, or an outlet the
    key is not bound to."""


class RateLimitedError(CrosscheckError):
    """The key (or client address) spent its allowance for the minute (429); `retry_after`
    is the number of seconds until the request would be accepted."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RequestTimeoutError(CrosscheckError):
    """The request ran past settings.request_timeout_seconds (503); nothing was stored."""


class QueueUnavailableError(CrosscheckError):
    """The job broker (settings.broker_url) could not be reached (503): the job was not
    queued, and is recorded as failed."""


def check_batch(items: Sized, limit: int, noun: str) -> None:
    """Refuse a batch over `limit` items.

    Raises:
        BatchTooLargeError: with a message naming the limit and its setting.
    """
    if len(items) > limit:
        raise BatchTooLargeError(
            f"{len(items)} {noun} in one request is over the limit of {limit} "
            f"(setting CROSSCHECK_MAX_BATCH); send them in smaller batches."
        )


PROBLEM_TYPE_BASE = "urn:crosscheck:problem:"
"""Prefix of the `type` of every problem document crosscheck answers (RFC 9457)."""

# Domain error type -> (status, slug, title). Subclasses inherit their base's entry.
_DOMAIN: dict[type[CrosscheckError], tuple[int, str, str]] = {
    AuthenticationError: (401, "unauthorized", "Unauthorized"),
    ForbiddenError: (403, "forbidden", "Forbidden"),
    NotFoundError: (404, "not-found", "Not found"),
    ConflictError: (409, "conflict", "Conflict"),
    PayloadTooLargeError: (413, "payload-too-large", "Payload too large"),
    WorkLimitError: (422, "work-limit", "Too much work"),
    InputError: (422, "invalid-input", "Invalid input"),
    RateLimitedError: (429, "rate-limited", "Too many requests"),
    RequestTimeoutError: (503, "timeout", "Request timed out"),
    QueueUnavailableError: (503, "queue-unavailable", "Queue unavailable"),
    ModelMissingError: (503, "model-missing", "Model missing"),
    CrosscheckError: (500, "internal", "Internal error"),
}


def domain_entry(exc: CrosscheckError) -> tuple[int, str, str]:
    """The (status, slug, title) of a domain error's problem document."""
    for cls in type(exc).__mro__:
        if cls in _DOMAIN:
            return _DOMAIN[cls]
    return _DOMAIN[CrosscheckError]


def problem_body(exc: CrosscheckError) -> dict[str, Any]:
    """The members of the problem document of a domain error that do not depend on the
    request (a failed job keeps them): type, title, status and detail."""
    status, slug, title = domain_entry(exc)
    return {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": str(exc) or title,
    }
