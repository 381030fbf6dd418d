"""Export the trained cross-encoder to ONNX plus the files ``models.nli`` loads.

The ONNX file stores its large weights in fp16 (45 MB: the fp32 file, 91 MB, would break the
60 MB budget) behind Cast-to-fp32 nodes, so it computes in fp32 everywhere: ONNX Runtime folds
the casts at load time, and OpenVINO runs it in bf16 on CPUs that have it (the fastest route
measured here). Dynamic int8 quantisation halves the file again, but int8 under ONNX Runtime
ran at about 0.8x the speed of this file under OpenVINO bf16 in a measurement on this machine.
The agreement of the shipped file with the fp32 torch model on the development pairs is measured
here and written to ``metrics.json``.
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


def _fp16_weights(source: Path, target: Path, min_size: int = 1024) -> None:
    """Store every fp32 initializer of at least ``min_size`` values as fp16 plus a Cast node."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    casts = []
    halves = []
    for init in list(graph.initializer):
        array = numpy_helper.to_array(init)
        if array.dtype != np.float32 or array.size < min_size:
            continue
        half = numpy_helper.from_array(array.astype(np.float16), init.name + "_fp16")
        halves.append(half)
        casts.append(
            helper.make_node(
                "Cast", [half.name], [init.name], to=TensorProto.FLOAT, name=init.name + "_cast"
            )
        )
        graph.initializer.remove(init)
    graph.initializer.extend(halves)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(target))


def export_onnx(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    out: Path,
    dev: Sequence[Pair],
    max_length: int,
    reference: np.ndarray[Any, np.dtype[np.float32]],
) -> float:
    """Write ``model.onnx`` (fp16 weights), ``tokenizer.json`` and ``nli_config.json``.

    Args:
        model: The trained torch model (fp32).
        tokenizer: Its tokenizer (a fast tokenizer: ``tokenizer.json`` is what ships).
        out: Target directory.
        dev: Development pairs to compare the shipped model with the torch model on.
        max_length: Token limit used in training; stored for inference.
        reference: Torch probabilities on ``dev``.

    Returns:
        Share of ``dev`` pairs on which the shipped model (through ``models.nli``, on its
        default backend) and torch fp32 agree on the argmax label.
    """
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model_fp32.onnx"
        _export_fp32(model, fp32)
        _fp16_weights(fp32, out / ONNX_FILE)
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
    log.info("shipped ONNX vs torch fp32 argmax agreement on dev: %.4f", agreement)
    return agreement
