"""Back from the shipped ONNX judge to a torch checkpoint, so that it can be fine-tuned.

Only the ONNX file ships (fp16 weights, see ``export.py``). Its initialisers keep the torch
parameter names, except the matrices of the linear layers, which the exporter stores transposed
under anonymous names (``onnx::MatMul_892``): the MatMul node that reads one names its module
(``/bert/encoder/layer.0/attention/self/query/MatMul``), which gives the parameter back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def state_dict_from_onnx(model_file: Path) -> dict[str, np.ndarray[Any, Any]]:
    """The torch ``state_dict`` (as float32 arrays) of a BERT classifier exported to ONNX."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(model_file))
    arrays = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    # fp16 initialiser -> the fp32 name its Cast node produces.
    produced = {}
    for node in model.graph.node:
        if node.op_type == "Cast" and node.input[0] in arrays:
            produced[node.output[0]] = arrays[node.input[0]].astype(np.float32)
    for name, array in arrays.items():
        if array.dtype == np.float32:
            produced.setdefault(name, array)
    state: dict[str, np.ndarray[Any, Any]] = {}
    for name, array in produced.items():
        if not name.startswith("onnx::"):
            state[name] = array
    for node in model.graph.node:
        if node.op_type != "MatMul":
            continue
        weight = next((i for i in node.input if i.startswith("onnx::") and i in produced), None)
        if weight is None:
            continue
        module = node.name.strip("/").rsplit("/", 1)[0].replace("/", ".")
        state[f"{module}.weight"] = produced[weight].T.copy()
    return state


def load_shipped(weights_dir: Path, base_model: Path) -> Any:
    """A torch ``AutoModelForSequenceClassification`` holding the shipped judge's weights.

    Raises:
        ValueError: a parameter of the torch model has no counterpart in the ONNX file.
    """
    import torch
    from transformers import AutoModelForSequenceClassification

    labels = ("entailment", "neutral", "contradiction")
    model = AutoModelForSequenceClassification.from_pretrained(
        str(base_model),
        num_labels=3,
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    state = state_dict_from_onnx(weights_dir / "model.onnx")
    wanted = model.state_dict()
    missing = [k for k in wanted if k not in state and not k.endswith("position_ids")]
    if missing:
        raise ValueError(f"no ONNX weights for {missing[:5]} ({len(missing)} in all)")
    model.load_state_dict(
        {k: torch.from_numpy(np.array(state[k])) for k in wanted if k in state}, strict=False
    )
    return model
