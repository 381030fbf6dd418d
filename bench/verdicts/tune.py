"""Choose the judge's support thresholds and see each comparison's precision, on dev pairs.

    python bench/verdicts/tune.py --data ../shared/data [--split dev] [--weights DIR]

Reads the labelled pairs of one split (never test), computes once what the judge reads off
each pair (similarity, key-word coverage, names in common, typed values, the comparison that
fires, the model's probabilities), then searches the thresholds of a support for the best
F1 of `supports` at a precision of at least 0.92, and prints, per comparison, how often it
fires and how often the label agrees.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT), str(HERE)]
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--split", default="dev", choices=["train", "dev"])
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--precision", type=float, default=0.92)
    args = parser.parse_args()

    import json

    from corpus import load_articles  # type: ignore[import-not-found]
    from predict import _labels, _window_start, parse_ref  # type: ignore[import-not-found]

    from models.embedder import Embedder
    from models.judge import Judge
    from models.nli import NLIModel
    from models.nlp import load_spacy

    articles = load_articles(args.data)
    refs = json.loads((HERE / "refs.json").read_text(encoding="utf-8"))
    rows = _labels(HERE / "labels", args.split)
    pairs = []
    for row in rows:
        ca, cs, ce = parse_ref(row["claim"])
        ea, es, ee = parse_ref(row["evidence"])
        es = _window_start(refs[row["incident"]]["sentences"], ea, es, articles)
        pairs.append((articles[ca].text[cs:ce], articles[ea].text[es:ee]))
    nli = NLIModel.load(args.weights)
    embedder = Embedder()
    # With its anchor and values gates at zero the judge reads the numbers and values of every
    # pair (it skips them below those gates), so the grid below can try any gate.
    judge = Judge(load_spacy(), embedder, nli, overrides={"nli_anchor": 0.0, "values_support": 0.0})
    a = embedder.encode([c for c, _ in pairs])
    b = embedder.encode([e for _, e in pairs])
    sims = np.einsum("ij,ij->i", a, b)
    docs_c = judge._parse([c for c, _ in pairs])
    docs_e = judge._parse([e for _, e in pairs])
    inspected = [judge._inspect(docs_c[i], docs_e[i], float(sims[i])) for i in range(len(pairs))]
    probs = nli.predict([(e, c) for c, e in pairs])
    gold = [r["label"] for r in rows]

    fired: Counter[tuple[str, bool]] = Counter()
    for pair, label in zip(inspected, gold, strict=True):
        if pair.cue is not None:
            fired[(pair.cue.reason.value, label == "contradicts")] += 1
    print(f"{len(pairs)} pairs of {args.split}; labels {dict(Counter(gold))}")
    print("comparison fired: reason -> right / wrong")
    for reason in sorted({r for r, _ in fired}):
        print(f"  {reason:20} {fired[(reason, True)]} / {fired[(reason, False)]}")
    contra = probs[:, 2]
    for gate in (0.6, 0.8, 0.9):
        for sim_gate in (0.7, 0.85):
            hit = [
                i
                for i in range(len(pairs))
                if contra[i] >= gate and sims[i] >= sim_gate and inspected[i].cue is None
            ]
            right = sum(gold[i] == "contradicts" for i in hit)
            print(f"  model contradiction >= {gate}, similarity >= {sim_gate}: {right}/{len(hit)}")

    positive = np.array([g == "supports" for g in gold])
    entail = probs[:, 0]
    covered = np.array([p.covered for p in inspected])
    names = np.array([p.shares_name for p in inspected])
    numbers = np.array([p.numbers_stated for p in inspected])
    values = np.array([p.values for p in inspected])
    clean = np.array([p.cue is None for p in inspected])
    best = None
    for e_t, anchor, close, v_sim in itertools.product(
        (0.2, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7),
        (0.0, 0.2, 0.3, 0.4, 0.5),
        (0.5, 0.6, 0.7, 0.8),
        (0.7, 0.75, 0.8, 0.85, 1.01),
    ):
        anchored = (names | (sims >= close)) & (covered >= anchor)
        by_model = clean & (entail >= e_t) & anchored & numbers
        by_values = clean & values & (sims >= v_sim) & (entail >= 0.1)
        predicted = by_model | by_values
        tp = int((predicted & positive).sum())
        fp = int((predicted & ~positive).sum())
        fn = int((~predicted & positive).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        if p >= args.precision and (best is None or f > best[0]):
            best = (f, p, r, e_t, anchor, close, v_sim)
    if best is None:
        print(f"no thresholds reach precision {args.precision}")
        return
    f, p, r, e_t, anchor, close, v_sim = best
    print(
        f"best supports F1 {f:.3f} (P {p:.3f} R {r:.3f}) at entailment {e_t}, "
        f"nli_anchor {anchor}, nli_close {close}, values_support {v_sim}"
    )


if __name__ == "__main__":
    main()
