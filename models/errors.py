"""Errors raised by the model layer; the service translates them at its boundary."""

from __future__ import annotations


class CrosscheckError(Exception):
    """Base class of every error crosscheck raises on purpose."""


class ModelMissingError(CrosscheckError):
    """A model file or model package is not installed; the message names what to install."""


class InputError(CrosscheckError):
    """The submitted text cannot be processed (empty, nothing but page furniture, too long)."""
