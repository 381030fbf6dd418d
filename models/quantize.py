"""int8 copies of the two transformer models (the sentence embedder and the NLI judge).

On a CPU with int8 dot products (VNNI) and without bf16, OpenVINO runs an int8 model about
twice as fast as the fp32 one. The int8 copy is made here, not shipped: NNCF's post-training
quantization (transformer preset: softmax and layer norms stay in float) reads the model's
activations on `weights/calibration.txt` (made-up news sentences written for the purpose, no
article of any outlet) and is kept in the cache directory, keyed by the source model, the
calibration text and the NNCF version, so it is made once per machine (about 15 s per model).

`CROSSCHECK_EMBED_PRECISION` and `CROSSCHECK_NLI_PRECISION` choose `int8` or `fp32` for each
model; both run fp32 unless asked, because int8 moves pairs that sit on a threshold of the judge.
On the verdict benchmark's 1,228 labelled dev pairs, the int8 embedder changed 1 relation (a
pair at the model gate's similarity became a wrong support) and the int8 judge 8 (six supports
lost, two gained), and the int8 judge lost one of the two seed corroborations; the embedder's
vectors keep a cosine of 0.99 or more to fp32 on news sentences. Ingest runs about 1.5 times
as fast with both in int8 (`make bench-perf`). Where NNCF is not installed, both run in fp32.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from models.errors import ModelMissingError

PRECISIONS = ("int8", "fp32")
CALIBRATION_FILE = Path(__file__).resolve().parent / "weights" / "calibration.txt"

Feeds = dict[str, Any]


def cache_dir() -> Path:
    """Where converted models are kept: $CROSSCHECK_CACHE_DIR, else ~/.cache/crosscheck."""
    configured = os.environ.get("CROSSCHECK_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "crosscheck"


def precision(requested: str | None, variable: str, default: str) -> str:
    """The precision to run a model in: `requested`, else the environment `variable`, else
    `default`; fp32 where NNCF is not installed, unless int8 was asked for by name.

    Raises:
        ValueError: an unknown precision.
        ModelMissingError: int8 asked for by name without NNCF installed.
    """
    chosen = requested or os.environ.get(variable) or None
    if chosen is not None and chosen not in PRECISIONS:
        raise ValueError(f"unknown model precision {chosen!r}; choose one of {PRECISIONS}")
    if (chosen or default) == "fp32":
        return "fp32"
    try:
        import nncf  # noqa: F401
    except ImportError:
        if chosen == "int8":
            raise ModelMissingError(
                f"int8 models need NNCF: pip install nncf==3.4.0 (or set {variable}=fp32)"
            ) from None
        return "fp32"
    return "int8"


def bert_feeds(encodings: Sequence[Any]) -> Feeds:
    """The inputs of a BERT model (both of ours) for a batch of tokenized texts or text pairs,
    padded to the longest: what either model runs on, and what calibration reads."""
    import numpy as np

    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    types = np.zeros((len(encodings), width), dtype=np.int64)
    for row, encoding in enumerate(encodings):
        n = len(encoding.ids)
        ids[row, :n] = encoding.ids
        mask[row, :n] = 1
        types[row, :n] = encoding.type_ids
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def calibration_sentences() -> list[str]:
    """The calibration sentences, one per line of `weights/calibration.txt`."""
    lines = CALIBRATION_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


def calibration_pairs(sentences: Sequence[str]) -> list[tuple[str, str]]:
    """(premise, hypothesis) pairs for the NLI model, in the three shapes it meets: a sentence
    against the next one (another fact), against its own first half (the same fact, said
    with less), and against itself."""
    pairs: list[tuple[str, str]] = []
    for i, sentence in enumerate(sentences):
        words = sentence.split()
        shape = i % 3
        if shape == 0:
            pairs.append((sentence, sentences[(i + 1) % len(sentences)]))
        elif shape == 1:
            pairs.append((sentence, " ".join(words[: max(3, len(words) // 2)])))
        else:
            pairs.append((sentence, sentence))
    return pairs


def int8_model(source: Any, key: str, samples: Sequence[Feeds]) -> Any:
    """The int8 copy of an OpenVINO model, made from `samples` (its input feeds, one
    calibration item each) on first use and then read from the cache.

    Args:
        source: The fp32 `openvino.Model`.
        key: Names the source model uniquely (a digest of its weights' path and stamp).
        samples: Feeds of the calibration items.
    """
    import nncf
    import openvino as ov

    digest = hashlib.sha256(
        f"{key}:{hashlib.sha256(CALIBRATION_FILE.read_bytes()).hexdigest()}:{nncf.__version__}".encode()
    ).hexdigest()[:16]
    cached = cache_dir() / f"int8-{digest}.xml"
    core = ov.Core()
    if cached.is_file() and cached.with_suffix(".bin").is_file():
        return core.read_model(str(cached))
    nncf.set_log_level(40)  # its progress bars are noise in a service's log
    quantized = nncf.quantize(
        source,
        nncf.Dataset(list(samples)),
        model_type=nncf.ModelType.TRANSFORMER,
        subset_size=len(samples),
    )
    keep(quantized, cached)
    return quantized


def keep(model: Any, cached: Path) -> None:
    """Write an OpenVINO model to `cached` (its weights beside it), or nothing if the cache
    cannot be written (a read-only home only costs the conversion at every start)."""
    import openvino as ov

    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed into place (weights first), so that a second process
        # starting at the same moment reads a whole model or none.
        with tempfile.TemporaryDirectory(dir=cached.parent) as tmp:
            staged = Path(tmp) / cached.name
            ov.save_model(model, str(staged), compress_to_fp16=False)
            os.replace(staged.with_suffix(".bin"), cached.with_suffix(".bin"))
            os.replace(staged, cached)
    except OSError:
        pass


def file_key(path: Path) -> str:
    """A key for a model file: its path, size and modification time."""
    stat = path.stat()
    return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"
