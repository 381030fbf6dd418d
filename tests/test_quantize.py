"""int8 copies of the embedder and the judge: made here from the real weights, cached, close to
fp32, and chosen by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.embedder import Embedder
from models.errors import ModelMissingError
from models.nli import NLIModel
from models.quantize import calibration_pairs, calibration_sentences, precision

pytestmark = pytest.mark.models

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _sentences() -> list[str]:
    """Real news sentences that are not calibration text: the two example articles' lines."""
    lines: list[str] = []
    for name in ("iranwire", "guardian"):
        text = (EXAMPLES / f"{name}.txt").read_text(encoding="utf-8")
        lines += [line.strip() for line in text.splitlines() if len(line.split()) >= 6]
    return lines


def test_precision_follows_the_argument_then_the_variable_then_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CROSSCHECK_TEST_PRECISION", raising=False)
    assert precision(None, "CROSSCHECK_TEST_PRECISION", "int8") == "int8"
    assert precision(None, "CROSSCHECK_TEST_PRECISION", "fp32") == "fp32"
    monkeypatch.setenv("CROSSCHECK_TEST_PRECISION", "fp32")
    assert precision(None, "CROSSCHECK_TEST_PRECISION", "int8") == "fp32"
    assert precision("int8", "CROSSCHECK_TEST_PRECISION", "fp32") == "int8"


def test_unknown_precision_is_refused_with_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSCHECK_TEST_PRECISION", "int4")
    with pytest.raises(ValueError, match="int8"):
        precision(None, "CROSSCHECK_TEST_PRECISION", "fp32")


def test_int8_by_name_without_nncf_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "nncf", None)  # import nncf now raises ImportError
    with pytest.raises(ModelMissingError, match="nncf"):
        precision("int8", "CROSSCHECK_TEST_PRECISION", "fp32")
    # Not asked for by name: the default falls back to fp32.
    monkeypatch.delenv("CROSSCHECK_TEST_PRECISION", raising=False)
    assert precision(None, "CROSSCHECK_TEST_PRECISION", "int8") == "fp32"


def test_calibration_is_news_shaped_and_pairs_take_three_shapes() -> None:
    sentences = calibration_sentences()
    assert len(sentences) >= 200 and len(set(sentences)) == len(sentences)
    pairs = calibration_pairs(sentences)
    assert len(pairs) == len(sentences)
    assert pairs[0] == (sentences[0], sentences[1])  # another sentence
    assert sentences[1].startswith(pairs[1][1]) and len(pairs[1][1]) < len(sentences[1])
    assert pairs[2] == (sentences[2], sentences[2])  # the sentence itself


def test_int8_embedder_is_made_once_and_stays_close_to_fp32(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSCHECK_CACHE_DIR", str(tmp_path))
    sentences = _sentences()
    full = Embedder(backend="openvino", precision="fp32")
    made = Embedder(backend="openvino", precision="int8")
    assert (full.precision, made.precision) == ("fp32", "int8")
    (xml,) = list(tmp_path.glob("int8-*.xml"))
    assert xml.with_suffix(".bin").is_file()
    # Much smaller than the fp32 conversion beside it: the weights really are 8-bit.
    (fp32_xml,) = list(tmp_path.glob("minilm-*.xml"))
    assert xml.with_suffix(".bin").stat().st_size < fp32_xml.with_suffix(".bin").stat().st_size / 2
    a, b = full.encode(sentences), made.encode(sentences)
    cosines = (a * b).sum(axis=1)
    assert cosines.min() >= 0.99, cosines.min()
    # Read back from the cache: the same vectors, and nothing new written.
    again = Embedder(backend="openvino", precision="int8").encode(sentences)
    assert np.allclose(b, again, atol=1e-5)
    assert len(list(tmp_path.glob("int8-*.xml"))) == 1


def test_int8_judge_agrees_with_fp32() -> None:
    sentences = _sentences()
    pairs = [(s, " ".join(s.split()[: len(s.split()) // 2])) for s in sentences]
    pairs += list(zip(sentences, sentences[1:], strict=False))
    full = NLIModel.load(backend="openvino", precision="fp32").predict(pairs)
    model = NLIModel.load(backend="openvino", precision="int8")
    assert model.precision == "int8"
    made = model.predict(pairs)
    assert np.abs(full - made).mean() < 0.02
    assert (full.argmax(axis=1) == made.argmax(axis=1)).mean() >= 0.95


def test_precision_variables_reach_the_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSCHECK_EMBED_PRECISION", "fp32")
    monkeypatch.setenv("CROSSCHECK_NLI_PRECISION", "fp32")
    assert Embedder(backend="openvino").precision == "fp32"
    assert NLIModel.load(backend="openvino").precision == "fp32"
    monkeypatch.delenv("CROSSCHECK_EMBED_PRECISION")
    monkeypatch.delenv("CROSSCHECK_NLI_PRECISION")
    # The shipped defaults: fp32 both (int8 moves verdicts; see models/quantize.py).
    assert Embedder(backend="openvino").precision == "fp32"
    assert NLIModel.load(backend="openvino").precision == "fp32"
    # The torch embedder has no int8 copy: it says fp32 whatever is asked.
    assert Embedder(backend="torch", precision="int8").precision == "fp32"
