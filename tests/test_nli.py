"""The shipped NLI cross-encoder: real weights, no mocks."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from models.errors import ModelMissingError
from models.nli import LABELS, NLIModel, default_path

pytestmark = pytest.mark.models

ENTAILMENT, NEUTRAL, CONTRADICTION = (LABELS.index(x) for x in LABELS)


@pytest.fixture(scope="module")
def nli() -> NLIModel:
    """The shipped model, loaded once for this module."""
    return NLIModel.load()


def test_labels_order() -> None:
    assert LABELS == ("entailment", "neutral", "contradiction")


def test_probabilities_shape_and_sum(nli: NLIModel) -> None:
    pairs = [
        ("The minister resigned on Tuesday.", "The minister quit."),
        ("Two drones were shot down near the residence.", "Three drones were shot down."),
        ("Rain is expected in the north.", "The company reported record profits."),
    ]
    probs = nli.predict(pairs)
    assert probs.shape == (3, 3)
    assert probs.dtype == np.float32
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert (probs >= 0).all()


def test_empty_input(nli: NLIModel) -> None:
    assert nli.predict([]).shape == (0, 3)


def test_batching_and_order_do_not_change_results(nli: NLIModel) -> None:
    pairs = [
        ("A man is playing a guitar on stage.", "A man is playing an instrument."),
        (
            "The prime minister escaped unhurt after an explosive-laden drone hit his residence "
            "in Baghdad early on Sunday, officials said, in what they called an assassination "
            "attempt.",
            "The prime minister was killed in the attack.",
        ),
    ]
    together = nli.predict(pairs, batch_size=2)
    apart = np.vstack([nli.predict([p]) for p in pairs])
    assert np.array_equal(together.argmax(1), apart.argmax(1))
    assert np.allclose(together, apart, atol=0.05)


def test_obvious_entailment(nli: NLIModel) -> None:
    probs = nli.predict(
        [("A man is playing a guitar on stage in front of a crowd.", "A man is playing a guitar.")]
    )
    assert probs[0].argmax() == ENTAILMENT


def test_negated_count_is_not_entailment(nli: NLIModel) -> None:
    probs = nli.predict([("Two drones were shot down.", "No drones were shot down.")])
    assert probs[0].argmax() != ENTAILMENT
    assert probs[0, CONTRADICTION] > probs[0, ENTAILMENT]


@pytest.mark.xfail(
    strict=True,
    reason="known weakness (MODEL_CARD.md): survived vs killed reads as neutral (p_n 0.62); "
    "the judge's antonym cue has to catch it",
)
def test_survived_versus_killed_is_contradiction(nli: NLIModel) -> None:
    probs = nli.predict(
        [
            (
                "The prime minister survived the attack unhurt, his office said.",
                "The prime minister was killed in the attack.",
            )
        ]
    )
    assert probs[0].argmax() == CONTRADICTION


def test_unrelated_fact_is_neutral_or_not_entailed(nli: NLIModel) -> None:
    probs = nli.predict(
        [("The central bank raised interest rates on Thursday.", "The striker scored twice.")]
    )
    assert probs[0].argmax() != ENTAILMENT


def test_thresholds_loaded(nli: NLIModel) -> None:
    assert set(nli.thresholds) >= {"entailment", "contradiction"}
    assert all(0.0 < v < 1.0 for v in nli.thresholds.values())
    labels = nli.decide(np.array([[0.98, 0.01, 0.01], [0.01, 0.01, 0.98]], dtype=np.float32))
    assert labels.tolist() == [ENTAILMENT, CONTRADICTION]


def test_default_path_is_inside_the_package() -> None:
    assert default_path().parts[-3:] == ("models", "weights", "judge")


def test_missing_directory_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ModelMissingError, match="nowhere"):
        NLIModel.load(missing)


def test_missing_file_names_it(tmp_path: Path) -> None:
    copy = tmp_path / "judge"
    shutil.copytree(default_path(), copy)
    (copy / "model.onnx").unlink()
    with pytest.raises(ModelMissingError, match=r"model\.onnx"):
        NLIModel.load(copy)
