"""Reading packets for the labellers: one file per incident, its articles and candidate pairs.

    python bench/verdicts/packets.py --data ../shared/data --out /tmp/crosscheck-packets

Each packet shows the incident's articles split into numbered sentences exactly as the
product's cleaner splits them ([A1], [A2], … [B1], …) and a list of candidate pairs (a sentence
of one outlet against a sentence of another). The candidates are what a matcher could
plausibly compare: for every sentence, the most similar sentence of each other outlet (cosine
≥ 0.5) and the second one when it is close too (≥ 0.7), plus "hard" pairs that state numbers
with a lower similarity.
They say nothing of the answer: the labeller reads the articles and decides.

The packets hold article text, so they are written outside the repository; ``refs.json``
beside them maps every sentence tag and pair id to the stable reference the repository keeps
(article id and character span in the data).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.verdicts.corpus import benchmark_incidents  # noqa: E402

_NUMBERISH = re.compile(
    r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen)\b", re.I
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=Path("/tmp/crosscheck-packets"))
    parser.add_argument(
        "--split",
        help="only the incidents of this split (e.g. fresh); their references are added to the "
        "repository's refs.json, whose existing incidents are never rewritten",
    )
    args = parser.parse_args()

    from models.embedder import Embedder
    from models.errors import InputError
    from models.nlp import load_spacy
    from models.text import clean

    nlp = load_spacy()
    embedder = Embedder()
    args.out.mkdir(parents=True, exist_ok=True)
    refs: dict[str, dict[str, object]] = {}
    total = 0
    for incident, articles, split in benchmark_incidents(args.data):
        if args.split and split != args.split:
            continue
        docs = []
        for article in articles:
            try:
                docs.append((article, clean(article.text, nlp, "text")))
            except InputError:
                continue
        if len({a.outlet for a, _ in docs}) < 2:
            continue
        letters = "ABCDEFGH"
        tags: dict[str, str] = {}
        lines = [f"# Incident {incident} ({split})", ""]
        sentences: list[list[tuple[str, str]]] = []
        for k, (article, doc) in enumerate(docs):
            lines.append(
                f"## Article {letters[k]} — outlet {article.outlet} — published "
                f"{article.published or 'unknown'} — id {article.id}"
            )
            if article.title:
                lines.append(f"Title: {article.title}")
            mine = []
            for n, sentence in enumerate(doc.sentences, 1):
                tag = f"{letters[k]}{n}"
                tags[tag] = f"{article.id}:{sentence.start}-{sentence.end}"
                lines.append(f"[{tag}] {sentence.text}")
                mine.append((tag, sentence.text))
            sentences.append(mine)
            lines.append("")
        vectors = [embedder.encode([t for _, t in s]) for s in sentences]
        pairs: list[tuple[str, str, float]] = []
        for a in range(len(docs)):
            for b in range(len(docs)):
                if a == b or docs[a][0].outlet == docs[b][0].outlet:
                    continue
                sims = vectors[a] @ vectors[b].T
                for i, (tag_a, text_a) in enumerate(sentences[a]):
                    if len(text_a.split()) < 5:
                        continue
                    order = np.argsort(-sims[i])
                    chosen = [j for j in order[:1] if sims[i, j] >= 0.5]
                    chosen += [j for j in order[1:2] if sims[i, j] >= 0.7]
                    if _NUMBERISH.search(text_a):
                        hard = [
                            j
                            for j in order[:8]
                            if j not in chosen
                            and sims[i, j] >= 0.4
                            and _NUMBERISH.search(sentences[b][j][1])
                        ]
                        chosen.extend(hard[:1])
                    for j in chosen:
                        pairs.append((tag_a, sentences[b][j][0], float(sims[i, j])))
        texts = {tag: text for s in sentences for tag, text in s}
        lines.append("## Pairs (CLAIM is the first tag, EVIDENCE the second)")
        pair_refs = {}
        for n, (tag_a, tag_b, _sim) in enumerate(pairs, 1):
            pid = f"p{n:03d}"
            pair_refs[pid] = [tags[tag_a], tags[tag_b]]
            lines.append(f"{pid}  {tag_a} -> {tag_b}")
            lines.append(f"   CLAIM    {texts[tag_a]}")
            lines.append(f"   EVIDENCE {texts[tag_b]}")
        name = incident.replace(":", "_")
        (args.out / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        refs[incident] = {"split": split, "sentences": tags, "pairs": pair_refs}
        total += len(pairs)
        print(f"{incident:14} {split:5} articles {len(docs)} pairs {len(pairs)}")
    (args.out / "refs.json").write_text(json.dumps(refs, indent=1), encoding="utf-8")
    if args.split:
        kept = ROOT / "bench" / "verdicts" / "refs.json"
        known = json.loads(kept.read_text(encoding="utf-8"))
        known.update({k: v for k, v in refs.items() if k not in known})
        kept.write_text(json.dumps(known, indent=1) + "\n", encoding="utf-8")
    print(f"{len(refs)} incidents, {total} candidate pairs")


if __name__ == "__main__":
    main()
