"""Export the trained cross-encoder to an int8 ONNX file plus the files ``models.nli`` loads.

Dynamic int8 quantisation quarters the file (≈ 23 MB, inside the 60 MB budget that fp32 ONNX
would not fit) and runs about twice as fast as torch on two cores; the agreement with the fp32
torch model on the development pairs is measured here and written to ``metrics.json``.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from models.training.nli_data import Pair

log = logging.getLogger("crosscheck.train.export")

ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "nli_config.json"


def _export_fp32(model: PreTrainedModel, path: Path) -> None:
    model.eval()  # type: ignore[no-untyped-call]
    dummy = {
        "input_ids": torch.ones((2, 16), dtype=torch.long),
        "attention_mask": torch.ones((2, 16), dtype=torch.long),
        "token_type_ids": torch.zeros((2, 16), dtype=torch.long),
    }
    names = list(dummy)
    axes = {name: {0: "batch", 1: "sequence"} for name in names}
    axes["logits"] = {0: "batch"}
    # The TorchScript exporter (dynamo=False) needs neither onnxscript nor a traced graph
    # rewrite, and produces the plain MatMul graph that dynamic quantisation expects.
    torch.onnx.export(
        model,
        (dummy["input_ids"], dummy["attention_mask"], dummy["token_type_ids"]),
        str(path),
        input_names=names,
        output_names=["logits"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
        do_constant_folding=True,
    )


def export_onnx_int8(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    out: Path,
    dev: Sequence[Pair],
    max_length: int,
    reference: np.ndarray[Any, np.dtype[np.float32]],
) -> float:
    """Write ``model.onnx`` (int8), ``tokenizer.json`` and ``nli_config.json`` into ``out``.

    Args:
        model: The trained torch model (fp32).
        tokenizer: Its tokenizer (a fast tokenizer: ``tokenizer.json`` is what ships).
        out: Target directory.
        dev: Development pairs to compare the int8 model with the torch model on.
        max_length: Token limit used in training; stored for inference.
        reference: Torch probabilities on ``dev``.

    Returns:
        Share of ``dev`` pairs on which int8 ONNX and torch fp32 agree on the argmax label.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model_fp32.onnx"
        _export_fp32(model, fp32)
        quantize_dynamic(
            str(fp32),
            str(out / ONNX_FILE),
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
    tokenizer.backend_tokenizer.save(str(out / TOKENIZER_FILE))
    config = {
        "labels": ["entailment", "neutral", "contradiction"],
        "max_length": max_length,
        "inputs": ["input_ids", "attention_mask", "token_type_ids"],
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)",
    }
    (out / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")

    from models.nli import NLIModel

    probs = NLIModel.load(out).predict([(p.premise, p.hypothesis) for p in dev])
    agreement = float(np.mean(probs.argmax(1) == reference.argmax(1)))
    log.info("int8 ONNX vs torch fp32 argmax agreement on dev: %.4f", agreement)
    return agreement
