"""What one version of crosscheck says on the benchmark's incidents (no scoring here).

    python bench/verdicts/predict.py --code . --data ../shared/data --split test --out preds.json

`--code` is the root of the crosscheck tree to run: the working tree, or an older release
extracted by ``bench.py``. Only the interfaces that every release has are used
(``Models.load``, ``analyse``, ``compare_report``, ``Judge.judge``), so one script measures
both. Two kinds of output:

* ``pairs`` — the judge's relation for every labelled (claim sentence, evidence) pair of the
  split; the evidence is the labelled sentence, read with the sentence before it when it opens
  with a pronoun (as the matcher reads it);
* ``incidents`` — the stateless compare report of each incident: its labelled articles plus up
  to two more articles of the same outlets (so that corroboration by one's own outlet can
  show), with every claim, its verdict and the spans of its evidence.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def parse_ref(ref: str) -> tuple[str, int, int]:
    """(article id, start, end) of a sentence reference."""
    article, span = ref.rsplit(":", 1)
    start, end = span.split("-")
    return article, int(start), int(end)


_ANAPHORS = {"he", "she", "they", "it", "this", "that", "these", "those", "his", "her"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--code", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--split", default="test")
    parser.add_argument("--labels", type=Path, default=HERE / "labels")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sys.path[:0] = [str(args.code.resolve()), str(HERE)]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from corpus import benchmark_incidents, load_articles  # type: ignore[import-not-found]

    from service.config import Settings
    from service.pipeline import Models, analyse
    from service.report import compare_report
    from service.schemas import ArticleIn

    settings = Settings(database_url="sqlite://")
    models = Models.load(settings)
    articles = load_articles(args.data)
    labels = _labels(args.labels, args.split)
    refs = json.loads((HERE / "refs.json").read_text(encoding="utf-8"))

    started = time.perf_counter()
    pairs_out: dict[str, dict[str, Any]] = {}
    keys, texts = [], []
    for row in labels:
        claim_article, cs, ce = parse_ref(row["claim"])
        ev_article, es, ee = parse_ref(row["evidence"])
        claim = articles[claim_article].text[cs:ce]
        es = _window_start(refs[row["incident"]]["sentences"], ev_article, es, articles)
        keys.append(f"{row['claim']}|{row['evidence']}")
        texts.append((claim, articles[ev_article].text[es:ee]))
    for key, judgement in zip(keys, models.judge.judge(texts), strict=True):
        pairs_out[key] = {
            "relation": judgement.relation.value,
            "reason": judgement.reason.value,
            "score": judgement.probability,
            "explanation": judgement.explanation,
            # The first release contested on every contradiction.
            "decisive": getattr(judgement, "decisive", True),
        }
    pair_seconds = time.perf_counter() - started

    incidents_out: dict[str, Any] = {}
    wanted = {row["incident"] for row in labels}
    all_by_incident: dict[str, list[Any]] = {}
    for article in articles.values():
        all_by_incident.setdefault(article.incident, []).append(article)
    started = time.perf_counter()
    for incident, chosen, split in benchmark_incidents(args.data):
        if incident not in wanted or split != args.split:
            continue
        labelled = {a.id for a in chosen}
        outlets = {a.outlet for a in chosen}
        extra = sorted(
            (
                a
                for a in all_by_incident[incident]
                if a.id not in labelled and a.outlet in outlets and len(a.text) >= 600
            ),
            key=lambda a: a.id,
        )[:2]
        run = [a for a in chosen if a.id in _labelled_articles(refs[incident])] + extra
        analysed, kept = [], []
        for a in run:
            item = ArticleIn(
                text=a.text,
                source=a.outlet,
                format="text",
                published_at=(
                    datetime.fromisoformat(a.published).replace(tzinfo=UTC) if a.published else None
                ),
            )
            try:
                analysed.append(analyse(models, item, settings.max_text_chars))
                kept.append(a)
            except Exception as exc:  # an article the release refuses is left out, as in use
                print(f"{incident}: {a.id} refused: {exc}", file=sys.stderr)
        report = compare_report(analysed, models.judge, settings)
        claims = []
        for a, article_report in zip(kept, report.articles, strict=True):
            for claim in article_report.claims:
                claims.append(
                    {
                        "article": a.id,
                        "outlet": a.outlet,
                        "start": claim.start,
                        "end": claim.end,
                        "text": claim.text,
                        "verdict": claim.verdict.value,
                        "evidence": [
                            {
                                "article": kept[e.article].id,
                                "outlet": kept[e.article].outlet,
                                "start": e.start,
                                "end": e.end,
                                "relation": e.relation.value,
                                "reason": e.reason.value,
                                "score": e.score,
                                "explanation": e.explanation,
                            }
                            for e in claim.evidence
                        ],
                    }
                )
        incidents_out[incident] = {"articles": [a.id for a in kept], "claims": claims}
        print(f"{incident}: {len(kept)} articles, {len(claims)} claims", file=sys.stderr)
    story_seconds = time.perf_counter() - started
    args.out.write_text(
        json.dumps(
            {
                "pairs": pairs_out,
                "incidents": incidents_out,
                "seeds": _seeds(args.code.resolve(), models, settings),
                "nli": _generic_nli(args.data, models),
                "seconds": {"pairs": pair_seconds, "stories": story_seconds},
            }
        ),
        encoding="utf-8",
    )


def _seeds(code: Path, models: Any, settings: Any) -> dict[str, Any]:
    """The seed pair: contested claims, and whether the drone attack and Qaani/Ghani's command
    of the Quds Force come out corroborated on both sides."""
    from service.pipeline import analyse
    from service.report import compare_report
    from service.schemas import ArticleIn

    items = [
        ArticleIn(text=(code / "examples" / f"{name}.txt").read_text(encoding="utf-8"), source=src)
        for name, src in (("iranwire", "IranWire"), ("guardian", "The Guardian"))
    ]
    report = compare_report(
        [analyse(models, item, settings.max_text_chars) for item in items], models.judge, settings
    )

    def both(test: Any) -> bool:
        return all(
            any(test(c.text) and c.verdict.value == "corroborated" for c in article.claims)
            for article in report.articles
        )

    return {
        "claims": report.story.claims,
        "contested": report.story.contested,
        "corroborated": report.story.corroborated,
        # The Guardian tells the attack as a "strike on premier's home" (its standfirst).
        "drone": both(
            lambda t: (
                any(w in t for w in ("drone", "strike", "attack"))
                and ("home" in t or "residence" in t)
            )
        ),
        "quds": both(lambda t: "Quds" in t),
    }


def _generic_nli(data: Path, models: Any, size: int = 500) -> dict[str, float]:
    """Argmax accuracy of the version's NLI model on samples of generic NLI sets (the rows of
    ``make bench-quality``), so that news training shows what it costs elsewhere."""
    import random

    import numpy as np

    from models.training import nli_data

    sets = {
        "SNLI dev held-out": nli_data.snli_dev(data, held_out=True),
        "MNLI mismatched": nli_data.mnli_mismatched(data),
        "counterfactual test": nli_data.counterfactual(data, "test"),
        "EQUATE stress held-out": nli_data.equate(data, held_out=True),
    }
    out = {}
    nli = models.judge.nli
    for name, pairs in sets.items():
        sample = random.Random(7).sample(pairs, min(size, len(pairs)))
        probs = nli.predict([(p.premise, p.hypothesis) for p in sample])
        gold = np.array([p.label for p in sample])
        out[name] = float(np.mean(probs.argmax(1) == gold))
    return out


def _labels(folder: Path, split: str) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["split"] == split:
                rows.append(row)
    return rows


def _labelled_articles(incident_refs: dict[str, Any]) -> set[str]:
    return {parse_ref(ref)[0] for ref in incident_refs["sentences"].values()}


def _window_start(
    sentences: dict[str, str], article: str, start: int, articles: dict[str, Any]
) -> int:
    """Start of the evidence window: the sentence before too when this one opens with a
    pronoun."""
    spans = sorted((s, e) for a, s, e in (parse_ref(r) for r in sentences.values()) if a == article)
    index = next((i for i, (s, _e) in enumerate(spans) if s == start), None)
    text = articles[article].text[start:]
    first = text.split(maxsplit=1)[0].lower().strip("\"'“‘") if text.strip() else ""
    if index and first in _ANAPHORS:
        return spans[index - 1][0]
    return start


if __name__ == "__main__":
    main()
