"""Domain errors of the service; `service.app` turns each into a problem+json answer."""

from __future__ import annotations

from models.errors import CrosscheckError, InputError

__all__ = ["CrosscheckError", "InputError", "NotFoundError", "PayloadTooLargeError"]


class NotFoundError(CrosscheckError):
    """No stored object has the requested id (404)."""

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"no {kind} with id {ident!r}")
        self.kind = kind
        self.ident = ident


class PayloadTooLargeError(CrosscheckError):
    """The request is larger than a configured limit (413)."""
