"""Claims benchmark (`make bench-claims`): prints one table.

Check-worthiness on held-out ClaimBuster (precision / recall / F1 of the check-worthy class),
mean average precision on held-out CheckThat! 2019 debates against a plain embedding-similarity
baseline, check-worthiness on the hand-labelled news sentences (test half) at the ClaimBuster and
the news threshold, the furniture filter on the hand-labelled samples, scorer throughput, and
the atomic claims of the two seed articles at the news threshold.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from models.checkworthy import CheckWorthiness  # noqa: E402
from models.furniture import body_text, furniture_confusion  # noqa: E402
from models.training import checkworthy as training  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLES = ROOT / "examples"
SEED_ARTICLES = ("iranwire.txt", "guardian.txt")
Row = tuple[str, str, str]  # measure, value, note


def furniture_rows(name: str = "furniture_sample.tsv", tag: str = "") -> list[Row]:
    """Precision / recall of the furniture class on a labelled sample in tests/fixtures."""
    articles: list[list[tuple[str, str]]] = []
    for raw in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
        if raw.startswith("# doc "):
            articles.append([])
        elif raw and not raw.startswith("#"):
            label, line = raw.split("\t", 1)
            articles[-1].append((label, line))
    tp, fp, fn = furniture_confusion(articles)
    n = sum(len(rows) for rows in articles)
    note = f"{n} lines of {len(articles)} articles; {tp + fn} furniture"
    return [
        (f"furniture precision{tag}", f"{tp / max(tp + fp, 1):.3f}", note),
        (f"furniture recall{tag}", f"{tp / max(tp + fn, 1):.3f}", "target >= 0.95 / >= 0.90"),
    ]


def checkworthy_rows(
    data: Path,
    cache: Path | None,
    model: CheckWorthiness,
    featurize: training.Featurizer | None = None,
) -> list[Row]:
    """Held-out ClaimBuster P/R/F1 and CheckThat! MAP (model and centroid baseline)."""
    train, _, test, checkthat = training.heldout_splits(data)
    featurize = featurize if featurize is not None else training.Featurizer(cache)
    rows: list[Row] = []

    test_texts = [e.text for e in test]
    test_scores = model.score_rows(featurize(test_texts), test_texts)
    labels = np.asarray([e.label for e in test], dtype=np.int_)
    p, r, f = training.prf(labels, test_scores >= model.threshold)
    note = f"{len(test)} held-out sentences, threshold {model.threshold:.3f}"
    rows += [
        ("ClaimBuster precision", f"{p:.3f}", note),
        ("ClaimBuster recall", f"{r:.3f}", ""),
        ("ClaimBuster F1", f"{f:.3f}", "target >= 0.80"),
    ]

    ct_texts = [e.text for e in checkthat]
    ct_x = featurize(ct_texts)
    ct_labels = np.asarray([e.label for e in checkthat], dtype=np.int_)
    groups = [e.group for e in checkthat]
    train_x = featurize([e.text for e in train])
    centroid = training.centroid_baseline(
        train_x, np.asarray([e.label for e in train], dtype=np.int_)
    )
    model_map = training.mean_average_precision(groups, ct_labels, model.score_rows(ct_x, ct_texts))
    baseline_map = training.mean_average_precision(groups, ct_labels, ct_x[:, :384] @ centroid)
    debates = f"{len(set(groups))} held-out debates, {len(checkthat)} lines"
    rows += [
        ("CheckThat! 2019 MAP, model", f"{model_map:.3f}", debates),
        ("CheckThat! 2019 MAP, centroid baseline", f"{baseline_map:.3f}", "cosine to centroid"),
    ]
    return rows


def speed_rows(data: Path, model: CheckWorthiness) -> list[Row]:
    """Sentences per second of spaCy parse + embedding + scoring on news text."""
    import gzip
    import json

    import spacy

    from models.embedder import Embedder

    nlp = spacy.load(training.SPACY_MODEL)
    embedder = Embedder()
    texts = [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "seeds").glob("*.txt"))]
    with gzip.open(data / "stories" / "gun_violence_news_dev.jsonl.gz", "rt") as handle:
        for i, line in enumerate(handle):
            if i >= 40:
                break
            texts.append(json.loads(line)["content"])
    bodies = [body_text(t) for t in texts]
    embedder.encode(["warm-up"])
    parse = embed = head = 0.0
    n = 0
    for body in bodies:
        t0 = time.perf_counter()
        sentences = [s for s in nlp(body).sents if s.text.strip()]
        t1 = time.perf_counter()
        vectors = embedder.encode([s.text for s in sentences])
        t2 = time.perf_counter()
        model.score(sentences, vectors)
        t3 = time.perf_counter()
        parse, embed, head, n = parse + t1 - t0, embed + t2 - t1, head + t3 - t2, n + len(sentences)
    total = parse + embed + head
    note = (
        f"{n} news sentences, one article at a time; spaCy {parse / total:.0%}, "
        f"embedding {embed / total:.0%}, head {head / total:.0%}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    return [("scorer sentences / s", f"{n / total:.0f}", note)]


def news_rows(model: CheckWorthiness, featurize: training.Featurizer) -> list[Row]:
    """P/R/F1 on the hand-labelled news sentences (test half) at both thresholds."""
    report = training.news_evaluation(model, featurize)
    dev, test = report["dev"], report["test"]
    rows: list[Row] = []
    for key, name in (("claimbuster_threshold", "ClaimBuster"), ("news_threshold", "news")):
        m = test[key]
        note = (
            f"{test['sentences']} test sentences ({test['positive']} check-worthy), "
            f"threshold {m['threshold']:.3f}"
        )
        if key == "news_threshold":
            note = (
                f"threshold {m['threshold']:.3f} chosen on {dev['sentences']} dev sentences "
                f"(dev F1 {dev['dev_f1']:.3f}; F1 maximum {dev['argmax_dev_f1']:.3f} at "
                f"{dev['argmax_threshold']:.3f}, test F1 there "
                f"{test['argmax_threshold']['f1']:.3f})"
            )
        rows += [
            (f"news precision, {name} threshold", f"{m['precision']:.3f}", note),
            (f"news recall, {name} threshold", f"{m['recall']:.3f}", ""),
            (f"news F1, {name} threshold", f"{m['f1']:.3f}", "hand-labelled, test half"),
        ]
    return rows


def atomic_claims_rows(model: CheckWorthiness | None = None) -> list[Row]:
    """Atomic claims of the two seed articles at the news threshold, one row each."""
    from models.claims import ClaimExtractor
    from models.embedder import Embedder
    from models.nlp import load_spacy
    from models.text import clean

    nlp = load_spacy()
    embedder = Embedder()
    cw = model if model is not None else CheckWorthiness.load()
    extractor = ClaimExtractor(cw, cw.news_threshold)
    rows: list[Row] = []
    for name in SEED_ARTICLES:
        document = clean((EXAMPLES / name).read_text(encoding="utf-8"), nlp)
        vectors = embedder.encode([s.text for s in document.sentences])
        claims = extractor.extract(document.sentences, vectors)
        stem = Path(name).stem
        for i, claim in enumerate(claims, 1):
            note = claim.text
            if claim.attribution is not None:
                a = claim.attribution
                when = f", {a.time}" if a.time else ""
                note += f"  [attributed: {a.source} ({a.verb}{when})]"
            rows.append((f"claim {stem} #{i}", f"s{claim.sentence_index}", note))
        rows.append(
            (
                f"atomic claims, {stem}",
                str(len(claims)),
                f"from {len({c.sentence_index for c in claims})} of {len(document.sentences)} "
                f"body sentences, threshold {cw.news_threshold:.3f}",
            )
        )
    return rows


def print_table(rows: Sequence[Row]) -> None:
    """One plain-text table: measure | value | note."""
    header = ("measure", "value", "note")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(2)]
    print(f"{header[0]:<{widths[0]}}  {header[1]:>{widths[1]}}  {header[2]}")
    print(f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * 4}")
    for measure, value, note in rows:
        print(f"{measure:<{widths[0]}}  {value:>{widths[1]}}  {note}")


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="claims benchmark: prints one table")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--weights", type=Path, default=None, help="check-worthiness weights")
    parser.add_argument(
        "--cache",
        type=Path,
        default=training.DEFAULT_CACHE,
        help="feature cache shared with the training script (outside the repository)",
    )
    args = parser.parse_args(argv)
    model = CheckWorthiness.load(args.weights)
    featurize = training.Featurizer(args.cache)
    rows = checkworthy_rows(args.data, args.cache, model, featurize)
    rows += news_rows(model, featurize)
    rows += furniture_rows()
    rows += furniture_rows("furniture_sample_2.tsv", ", sample 2")
    rows += speed_rows(args.data, model)
    rows += atomic_claims_rows(model)
    print_table(rows)


if __name__ == "__main__":
    main()
