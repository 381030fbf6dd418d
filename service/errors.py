"""Domain errors of the service; `service.app` turns each into a problem+json answer."""

from __future__ import annotations

from collections.abc import Sized

from models.errors import CrosscheckError, InputError

__all__ = [
    "BatchTooLargeError",
    "CrosscheckError",
    "InputError",
    "NotFoundError",
    "PayloadTooLargeError",
    "check_batch",
]


class NotFoundError(CrosscheckError):
    """No stored object has the requested id (404)."""

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"no {kind} with id {ident!r}")
        self.kind = kind
        self.ident = ident


class PayloadTooLargeError(CrosscheckError):
    """The request is larger than a configured limit (413)."""


class BatchTooLargeError(InputError):
    """A request holds more articles or pairs than settings.max_batch allows (422)."""


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
