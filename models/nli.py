"""crosscheck's own NLI cross-encoder: (evidence, claim) pairs in, label probabilities out.

The weights are trained by ``models/training/judge.py`` and ship in ``models/weights/judge`` as an
ONNX file (fp16 weights, fp32 compute) with its tokenizer. OpenVINO runs it when installed (bf16 on
CPUs that have it: the fastest route measured on the two-core target, about 2x ONNX Runtime fp32);
otherwise ONNX Runtime does. Neither needs torch at run time, and nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from models.errors import ModelMissingError
from models.quantize import (
    bert_feeds,
    calibration_pairs,
    calibration_sentences,
    file_key,
    int8_model,
)
from models.quantize import precision as choose_precision

LABELS: tuple[str, str, str] = ("entailment", "neutral", "contradiction")

_ONNX_FILE = "model.onnx"
_TOKENIZER_FILE = "tokenizer.json"
_CONFIG_FILE = "nli_config.json"
_THRESHOLDS_FILE = "thresholds.json"
_REQUIRED = (_ONNX_FILE, _TOKENIZER_FILE, _CONFIG_FILE, _THRESHOLDS_FILE)
BACKENDS = ("openvino", "onnxruntime")

Feeds = dict[str, npt.NDArray[np.int64]]
Runner = Callable[[Feeds], npt.NDArray[np.float32]]


def _openvino_runner(model_file: Path, calibration: Sequence[Feeds] | None = None) -> Runner:
    """OpenVINO on the ONNX file; int8 when calibration feeds are given (`models.quantize`)."""
    import openvino as ov

    model: Any = str(model_file)
    if calibration is not None:
        model = int8_model(ov.Core().read_model(model), f"nli:{file_key(model_file)}", calibration)
    compiled = ov.Core().compile_model(
        model, "CPU", {"PERFORMANCE_HINT": "LATENCY", "CPU_RUNTIME_CACHE_CAPACITY": "0"}
    )
    request = compiled.create_infer_request()

    def run(feeds: dict[str, npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        result = request.infer(feeds)
        return np.asarray(result[compiled.output(0)], dtype=np.float32)

    return run


def _onnxruntime_runner(model_file: Path) -> Runner:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = max(1, min(os.cpu_count() or 1, 8))
    options.log_severity_level = 3
    session = ort.InferenceSession(
        str(model_file), sess_options=options, providers=["CPUExecutionProvider"]
    )

    def run(feeds: dict[str, npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        return np.asarray(session.run(["logits"], feeds)[0], dtype=np.float32)

    return run


def default_path() -> Path:
    """The shipped weights directory, ``models/weights/judge`` inside the installed package."""
    return Path(__file__).resolve().parent / "weights" / "judge"


class NLIModel:
    """Three-way NLI cross-encoder over (premise = evidence, hypothesis = claim) pairs."""

    def __init__(
        self,
        runner: Runner,
        tokenizer: Any,
        thresholds: dict[str, float],
        max_length: int,
        path: Path,
        backend: str,
        precision: str = "fp32",
    ) -> None:
        self._run = runner
        self._tokenizer = tokenizer
        # One inference at a time: an OpenVINO infer request is not thread-safe, and two
        # concurrent runs on two cores would only slow each other down.
        self._lock = threading.Lock()
        self.thresholds = thresholds
        self.max_length = max_length
        self.path = path
        self.backend = backend
        self.precision = precision

    @classmethod
    def load(
        cls, path: Path | None = None, backend: str | None = None, precision: str | None = None
    ) -> NLIModel:
        """Load the ONNX model, tokenizer and thresholds from ``path`` (default: shipped weights).

        Args:
            path: Weights directory; default ``default_path()``.
            backend: "openvino" or "onnxruntime"; default: the environment variable
                ``CROSSCHECK_NLI_BACKEND``, else OpenVINO when installed, else ONNX Runtime.
            precision: "int8" or "fp32" (OpenVINO only); default $CROSSCHECK_NLI_PRECISION,
                else fp32 (`models.quantize`).

        Raises:
            ModelMissingError: The directory or one of its files is missing, or ONNX Runtime /
                tokenizers is not installed; the message names what is missing.
        """
        path = Path(path) if path is not None else default_path()
        if not path.is_dir():
            raise ModelMissingError(
                f"NLI weights directory not found: {path} (expected {', '.join(_REQUIRED)}; "
                "reinstall crosscheck or run `make train-judge`)"
            )
        missing = [name for name in _REQUIRED if not (path / name).is_file()]
        if missing:
            raise ModelMissingError(
                f"NLI weights in {path} are incomplete: missing {', '.join(missing)} "
                "(reinstall crosscheck or run `make train-judge`)"
            )
        backend = backend or os.environ.get("CROSSCHECK_NLI_BACKEND") or None
        if backend is not None and backend not in BACKENDS:
            raise ValueError(f"unknown NLI backend {backend!r}; choose one of {BACKENDS}")
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - a dependency of transformers
            raise ModelMissingError(
                "the NLI model needs tokenizers: pip install tokenizers"
            ) from exc
        config = json.loads((path / _CONFIG_FILE).read_text(encoding="utf-8"))
        thresholds = {
            str(k): float(v)
            for k, v in json.loads((path / _THRESHOLDS_FILE).read_text(encoding="utf-8")).items()
        }
        max_length = int(config.get("max_length", 128))
        tokenizer = Tokenizer.from_file(str(path / _TOKENIZER_FILE))
        tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
        tokenizer.no_padding()
        runner: Runner | None = None
        chosen, chosen_precision = "onnxruntime", "fp32"
        if backend in (None, "openvino"):
            try:
                chosen_precision = choose_precision(precision, "CROSSCHECK_NLI_PRECISION", "fp32")
                calibration = None
                if chosen_precision == "int8":
                    pairs = calibration_pairs(calibration_sentences())
                    calibration = [bert_feeds(tokenizer.encode_batch([pair])) for pair in pairs]
                runner, chosen = _openvino_runner(path / _ONNX_FILE, calibration), "openvino"
            except ImportError as exc:
                if backend == "openvino":
                    raise ModelMissingError(
                        "the openvino NLI backend needs: pip install openvino==2026.4.1"
                    ) from exc
        if runner is None:
            chosen_precision = "fp32"
            try:
                runner = _onnxruntime_runner(path / _ONNX_FILE)
            except ImportError as exc:
                raise ModelMissingError(
                    "the NLI model needs openvino or onnxruntime: pip install onnxruntime==1.31.1"
                ) from exc

        return cls(runner, tokenizer, thresholds, max_length, path, chosen, chosen_precision)

    def predict(
        self, pairs: Sequence[tuple[str, str]], batch_size: int = 64
    ) -> npt.NDArray[np.float32]:
        """Label probabilities for (premise, hypothesis) pairs.

        Args:
            pairs: (premise = evidence text, hypothesis = claim) tuples.
            batch_size: Pairs per forward pass.

        Returns:
            Array (n, 3) of probabilities in ``LABELS`` order; each row sums to 1.
        """
        out = np.zeros((len(pairs), 3), dtype=np.float32)
        if not pairs:
            return out
        encodings = self._tokenizer.encode_batch([(p, h) for p, h in pairs])
        # Sorting by length keeps padding (wasted compute) small inside each batch.
        order = sorted(range(len(pairs)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            feeds = bert_feeds([encodings[i] for i in idx])
            with self._lock:
                logits = self._run(feeds)
            logits = logits - logits.max(axis=1, keepdims=True)
            exp = np.exp(logits)
            out[idx] = exp / exp.sum(axis=1, keepdims=True)
        return out

    def decide(self, probs: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
        """Label indices (into ``LABELS``) under the development-chosen thresholds.

        Contradiction when p_c >= thresholds["contradiction"] and p_c >= p_e; else entailment when
        p_e >= thresholds["entailment"]; else neutral (the claim is neither supported nor
        contradicted by this evidence).
        """
        pe, pc = probs[:, 0], probs[:, 2]
        labels = np.full(len(probs), 1, dtype=np.int64)
        labels[pe >= self.thresholds["entailment"]] = 0
        labels[(pc >= self.thresholds["contradiction"]) & (pc >= pe)] = 2
        return labels
