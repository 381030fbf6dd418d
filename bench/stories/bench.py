"""Stories that hold one event: clustering quality on ECB+ topics 1–25 and gun-violence news.

    python bench/stories/bench.py --data ../shared/data [--part test] [--corpus ecb gun]

Every document of a part is sent, in publication order and without a story key, through the
product's own story assignment (`service.stories.choose_story`, with the pipeline's own
`story_features`); the stories it forms are compared with the gold events (ECB+ subtopic,
gun-violence incident). Two rows per corpus: the embedding alone within the 72-hour window
(the release's rule) and this tree's rule (event signatures, follow-ups).

Measures: B³ and pairwise precision / recall / F1, stories vs events, stories that mix events,
and for ECB+ stories that mix topics. `contested.py` counts the contested claims that come from
another event, with the whole pipeline. The cleaned title and lead of every document are cached
under ~/.cache/crosscheck/bench-stories (keyed by the cleaner's code); everything else runs
afresh.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import astuple, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.release import release_tree  # noqa: E402
from bench.stories.corpus import CORPORA, Document, documents, ingest_order, part_of  # noqa: E402

# The ingest time of documents that state no publication time (all ECB+ documents sent at once).
INGESTED = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Features:
    """What the pipeline gives story assignment for one document, as the cache keeps it."""

    client_time: datetime | None
    """The time the client sent (gun violence: the corpus's date; ECB+: none)."""
    published: datetime
    vector: list[float]
    fingerprint: dict[str, float]
    entities: frozenset[str]
    event: dict[str, Any]


def _cache_dir() -> Path:
    base = os.environ.get("CROSSCHECK_CACHE_DIR")
    path = (Path(base) if base else Path.home() / ".cache" / "crosscheck") / "bench-stories"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _code_digest() -> str:
    digest = hashlib.sha256()
    for name in (
        "text.py",
        "furniture.py",
        "published.py",
        "nlp.py",
        "events.py",
        "mentions.py",
        "lexical.py",
        "weights/idf.json.gz",
    ):
        digest.update((ROOT / "models" / name).read_bytes())
    digest.update((ROOT / "service" / "pipeline.py").read_bytes())
    return digest.hexdigest()[:12]


def _article(doc: Document) -> Any:
    from service.schemas import ArticleIn

    client_time = datetime.fromisoformat(doc.published) if doc.published else None
    return ArticleIn(text=doc.text, source=doc.source, title=doc.title, published_at=client_time)


def features(models: Any, docs: Sequence[Document], corpus: str) -> dict[str, Features | None]:
    """The pipeline's own placement of every document (None: the service refuses it), cached
    by the code of the stages it runs."""
    from pydantic import ValidationError

    from models.errors import InputError
    from models.text import clean, detect_format
    from service.pipeline import placement, stated_time
    from service.stories import plain

    path = _cache_dir() / f"placements-{corpus}-{_code_digest()}.pkl"
    # Stored as plain tuples, so that the cache reads back whichever module defines Features.
    cached: dict[str, Features | None] = {}
    if path.exists():
        raw = pickle.loads(path.read_bytes())
        cached = {k: Features(*v) if v is not None else None for k, v in raw.items()}
    todo = [d for d in docs if d.id not in cached]
    for i, doc in enumerate(todo):
        try:
            article = _article(doc)
            fmt = detect_format(article.text)
            document = clean(article.text, models.nlp, fmt)
        except (InputError, ValidationError):  # the service refuses it (422)
            cached[doc.id] = None
            continue
        title = plain(article.title) or None if article.title else document.title
        stated = stated_time(article, fmt)
        placed = placement(models, title, document, stated, stated or INGESTED)
        cached[doc.id] = Features(
            client_time=article.published_at.replace(tzinfo=UTC) if article.published_at else None,
            published=placed.published,
            vector=[float(x) for x in placed.vector],
            fingerprint=placed.fingerprint,
            entities=placed.entities,
            event=placed.event.as_json(),
        )
        if (i + 1) % 200 == 0:
            print(f"  analysed {i + 1}/{len(todo)} {corpus} documents", file=sys.stderr)
            _save(path, cached)
    if todo:
        _save(path, cached)
    return cached


def _save(path: Path, cached: dict[str, Features | None]) -> None:
    raw = {k: astuple(v) if v is not None else None for k, v in cached.items()}
    path.write_bytes(pickle.dumps(raw))


def assign(
    docs: Sequence[Document], feats: dict[str, Features | None], rule: Any, release: bool
) -> dict[str, str]:
    """Story of every accepted document, sent one by one in order through choose_story.

    Each is weighed against the articles within the rule's reach and those that state no
    publication time, or against all when it states none itself (as the store fetches them).

    `release`: the first release's view of an article: its lead embedding and names, and the
    client's time (or the time of ingest), with no page dates, signature or fingerprint.
    """
    import numpy as np

    from models.events import EventSignature
    from service.stories import Placement, choose_story

    stories: dict[str, str] = {}
    members: list[Placement] = []
    times: list[datetime] = []
    loose: list[Placement] = []
    for doc in docs:
        f = feats[doc.id]
        if f is None:
            continue
        if release:
            probe = Placement(
                "",
                np.asarray(f.vector, dtype=np.float32),
                {},
                f.entities,
                EventSignature(),
                f.client_time or INGESTED,
            )
        else:
            probe = Placement(
                "",
                np.asarray(f.vector, dtype=np.float32),
                f.fingerprint,
                f.entities,
                EventSignature.from_json(f.event),
                f.published,
            )
        published = probe.published
        if probe.event.undated:
            near = members + loose
        else:
            low = bisect.bisect_left(times, published - rule.reach)
            high = bisect.bisect_right(times, published + rule.reach)
            near = members[low:high] + loose
        story = choose_story(near, probe, rule) or f"s{len(stories)}"
        stories[doc.id] = story
        if probe.event.undated:
            # Its time is only the time of ingest: it is weighed against every article.
            loose.append(replace(probe, story=story))
            continue
        at = bisect.bisect_right(times, published)
        times.insert(at, published)
        members.insert(at, replace(probe, story=story))
    return stories


def scores(gold: dict[str, str], predicted: dict[str, str]) -> dict[str, float]:
    """B³ and pairwise precision / recall / F1, and counts of stories and events."""
    by_story: dict[str, set[str]] = defaultdict(set)
    by_event: dict[str, set[str]] = defaultdict(set)
    for doc, story in predicted.items():
        by_story[story].add(doc)
        by_event[gold[doc]].add(doc)
    precision = recall = 0.0
    for doc, story in predicted.items():
        same = by_story[story] & by_event[gold[doc]]
        precision += len(same) / len(by_story[story])
        recall += len(same) / len(by_event[gold[doc]])
    n = len(predicted)
    b3p, b3r = precision / n, recall / n
    pairs_story = sum(len(s) * (len(s) - 1) // 2 for s in by_story.values())
    pairs_event = sum(len(e) * (len(e) - 1) // 2 for e in by_event.values())
    pairs_both = 0
    for members in by_story.values():
        counts = Counter(gold[d] for d in members)
        pairs_both += sum(c * (c - 1) // 2 for c in counts.values())
    pp = pairs_both / pairs_story if pairs_story else 1.0
    pr = pairs_both / pairs_event if pairs_event else 1.0
    mixed = sum(len({gold[d] for d in members}) > 1 for members in by_story.values())
    return {
        "docs": n,
        "b3_p": b3p,
        "b3_r": b3r,
        "b3_f1": 2 * b3p * b3r / (b3p + b3r) if b3p + b3r else 0.0,
        "pair_p": pp,
        "pair_r": pr,
        "pair_f1": 2 * pp * pr / (pp + pr) if pp + pr else 0.0,
        "stories": len(by_story),
        "events": len(by_event),
        "mixed": mixed,
    }


def _topics(docs: Sequence[Document], predicted: dict[str, str]) -> int:
    groups: dict[str, set[str]] = defaultdict(set)
    for doc in docs:
        if doc.id in predicted:
            groups[predicted[doc.id]].add(doc.group)
    return sum(len(g) > 1 for g in groups.values())


def kept_apart(
    docs: Sequence[Document],
    feats: dict[str, Features | None],
    before: dict[str, str],
    after: dict[str, str],
    count: int,
) -> list[tuple[float, Document, Document]]:
    """Pairs of different events that the release put in one story and this tree keeps
    apart, the most alike (lead cosine) first."""
    import numpy as np

    found = []
    by_story: dict[str, list[Document]] = defaultdict(list)
    for doc in docs:
        if doc.id in before:
            by_story[before[doc.id]].append(doc)
    for members in by_story.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if a.event != b.event and after[a.id] != after[b.id]:
                    fa, fb = feats[a.id], feats[b.id]
                    assert fa is not None and fb is not None
                    cosine = float(np.dot(fa.vector, fb.vector))
                    found.append((cosine, a, b))
    found.sort(key=lambda item: -item[0])
    # One pair per pair of events.
    seen, kept = set(), []
    for cosine, a, b in found:
        key = tuple(sorted((a.event, b.event)))
        if key not in seen:
            seen.add(key)
            kept.append((cosine, a, b))
    return kept[:count]


def run(data: Path, corpora: Sequence[str], part: str, examples: int = 0) -> list[dict[str, Any]]:
    """Both rules on every corpus of one part."""
    from service.config import Settings
    from service.pipeline import Models
    from service.stories import JoinRule

    settings = Settings(database_url="sqlite://")
    models = Models.load(settings)
    tree = JoinRule.from_settings(settings)
    # The first release: its 72-hour window and threshold, no follow-ups.
    release = replace(tree, similarity=0.55, followup=timedelta(0))
    rows = []
    for corpus in corpora:
        docs = ingest_order([d for d in documents(data, corpus) if part_of(d.group) == part])
        feats = features(models, docs, corpus)
        gold = {d.id: d.event for d in docs if feats[d.id] is not None}
        predictions = []
        for name, rule, old in (
            ("release: lead embedding, 72 h", release, True),
            ("this tree: words, signatures, follow-ups", tree, False),
        ):
            started = time.perf_counter()
            predicted = assign(docs, feats, rule, old)
            predictions.append(predicted)
            row = {"corpus": corpus, "rule": name, **scores(gold, predicted)}
            row["refused"] = sum(feats[d.id] is None for d in docs)
            if corpus == "ecb":
                row["topics_mixed"] = _topics(docs, predicted)
            row["seconds"] = time.perf_counter() - started
            rows.append(row)
        for cosine, a, b in kept_apart(docs, feats, *predictions, examples):
            print(f"kept apart ({corpus}, lead cosine {cosine:.2f}):", file=sys.stderr)
            for doc in (a, b):
                first = " ".join(doc.text.split())[:160]
                print(f"  {doc.id} [{doc.event}] {doc.title or ''} | {first}", file=sys.stderr)
    return rows


RELEASE = "ba03ae4"


def _contested(code: Path, data: Path, part: str, out: Path) -> dict[str, Any]:
    if not out.exists():
        command = [sys.executable, str(HERE / "contested.py"), "--code", str(code)]
        command += ["--data", str(data), "--part", part, "--out", str(out)]
        subprocess.run(command, check=True)
    return dict(json.loads(out.read_text(encoding="utf-8")))


def contested_rows(data: Path, part: str) -> list[dict[str, Any]]:
    """The whole pipeline on the ECB+ documents of a part, release and this tree: stories
    (B³) and contested claims, with those whose contradicting evidence is another event's."""
    gold = {d.id: d.event for d in documents(data, "ecb")}
    sha, tree = release_tree(RELEASE, _cache_dir())
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, code, out in (
            (f"release {sha}", tree, _cache_dir() / f"contested-{sha}-{part}.json"),
            ("this tree", ROOT, Path(folder) / "tree.json"),
        ):
            found = _contested(code, data, part, out)
            contested = found["contested"].values()
            crossed = sum(any(gold[e] != gold[c["doc"]] for e in c["evidence"]) for c in contested)
            rows.append(
                {
                    "code": name,
                    **scores(gold, found["stories"]),
                    "contested": len(found["contested"]),
                    "crossed": crossed,
                }
            )
    return rows


def contested_table(rows: Sequence[dict[str, Any]], part: str) -> str:
    """The whole-pipeline rows as a Markdown table."""
    lines = [
        f"| ECB+ {part}, whole pipeline | B³ P / R / F1 | contested claims "
        "| of which with evidence from another event |",
        "|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['code']} | {r['b3_p']:.3f} / {r['b3_r']:.3f} / {r['b3_f1']:.3f} "
            f"| {r['contested']} | {r['crossed']} |"
        )
    return "\n".join(lines)


def table(rows: Sequence[dict[str, Any]], part: str) -> str:
    """The rows as a Markdown table."""
    head = (
        f"| corpus ({part}) | rule | docs | B³ P / R / F1 | pairwise P / R / F1 "
        "| stories / events | stories mixing events |"
    )
    lines = [head, "|---|---|---|---|---|---|---|"]
    for r in rows:
        mixed = str(r["mixed"])
        if "topics_mixed" in r:
            mixed += f" ({r['topics_mixed']} mix topics)"
        lines.append(
            f"| {r['corpus']} | {r['rule']} | {r['docs']} (+{r['refused']} refused) "
            f"| {r['b3_p']:.3f} / {r['b3_r']:.3f} / **{r['b3_f1']:.3f}** "
            f"| {r['pair_p']:.3f} / {r['pair_r']:.3f} / {r['pair_f1']:.3f} "
            f"| {r['stories']} / {r['events']} | {mixed} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--part", choices=("dev", "test"), default="test")
    parser.add_argument("--corpus", nargs="+", choices=CORPORA, default=list(CORPORA))
    parser.add_argument(
        "--no-pipeline",
        action="store_true",
        help="Skip the whole-pipeline count of contested claims (minutes per tree).",
    )
    parser.add_argument(
        "--examples", type=int, default=0, help="Print this many pairs of events now kept apart."
    )
    args = parser.parse_args()
    rows = run(args.data, args.corpus, args.part, args.examples)
    print(table(rows, args.part))
    if not args.no_pipeline:
        print()
        print(contested_table(contested_rows(args.data, args.part), args.part))


if __name__ == "__main__":
    main()
