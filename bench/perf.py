"""Performance on one machine, as ratios measured in one run (`make bench-perf`).

    python bench/perf.py --data ../shared/data [--articles 200] [--sections ingest,matching,...]

Each section prints rows of one table; a ratio compares two things timed in the same run on the
same machine, so that it holds however busy the machine is:

* ``ingest``: articles/s of this tree against the first release (``ba03ae4``, extracted from git
  and run with this virtual environment: its pinned dependencies are this tree's), each in a
  fresh process, on the same articles of the gun-violence dev corpus grouped by incident (one
  story per incident, one article per request); the share of wall time inside model inference,
  per model (spaCy, embedding, check-worthiness head, NLI); and memory per process;
* ``matching``: crosscheck's matching (the nearest sentences of each origin) against judging
  every claim × sentence pair of the story, on 10, 50 and 200 articles taken as one story:
  time, and the share of claims given the same verdict;
* ``search``: nearest-sentence search latency (p50 / p99) over 10k, 100k and 1M stored vectors
  (synthetic unit vectors), and the index's memory;
* ``story``: ``GET /v1/stories/{id}`` p50 / p99 on a story of 1,000 claims, with the story
  cache and without it;
* ``workers``: articles/s one at a time in one process, then as jobs of 1, 2 and 4 Celery
  worker processes on PostgreSQL and Redis (``--postgres``, ``--redis``), and whether they give
  the same stories, links and verdicts.

A section is a function from the options to table rows (``SECTIONS``): a new one is added there.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
RELEASE = "ba03ae4"
_ARCHIVE = re.compile(r"^https?://web\.archive\.org/web/\d+[a-z_]*/(.+)$")

Row = tuple[str, str]


def corpus(data: Path, limit: int) -> list[dict[str, Any]]:
    """The first `limit` articles of the gun-violence dev corpus, whole incidents at a time
    (those told by most outlets first), each keyed to its incident's story."""
    by_incident: dict[str, list[dict[str, Any]]] = defaultdict(list)
    path = data / "stories" / "gun_violence_news_dev.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            by_incident[row["incident_id"]].append(row)
    articles: list[dict[str, Any]] = []
    for rows in sorted(by_incident.values(), key=len, reverse=True):
        for row in rows:
            if len(articles) >= limit:
                return articles
            match = _ARCHIVE.match(row["uri"] or "")
            url = match.group(1) if match else row["uri"]
            articles.append(
                {
                    "text": row["content"] or " ",
                    "title": (row["title"] or None) and row["title"][:300],
                    "url": url if url and url.startswith("http") else None,
                    "story": f"incident-{row['incident_id']}",
                }
            )
    return articles


# --- ingest: one tree in its own process -------------------------------------------------------

STAGES = ("spacy", "embedding", "checkworthiness", "nli")
INT8 = {"CROSSCHECK_EMBED_PRECISION": "int8", "CROSSCHECK_NLI_PRECISION": "int8"}
"""The opt-in int8 copies of both models (`models/quantize.py`)."""
FP32 = {name: "fp32" for name in INT8}


class _Clock:
    """Seconds spent inside each model, counted once however the calls nest."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self._inside: str | None = None

    def wrap(self, owner: Any, name: str, stage: str) -> None:
        original = getattr(owner, name)
        clock = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            if clock._inside is not None:
                return original(*args, **kwargs)
            clock._inside = stage
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                clock.spent[stage] += time.perf_counter() - start
                clock._inside = None

        setattr(owner, name, timed)

    def wrap_generator(self, owner: Any, name: str, stage: str) -> None:
        """A generator's work happens at each step: each step is timed (spaCy's `pipe`)."""
        original = getattr(owner, name)
        clock = self

        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            steps = original(*args, **kwargs)
            while True:
                nested = clock._inside is not None
                if not nested:
                    clock._inside = stage
                start = time.perf_counter()
                try:
                    item = next(steps)
                except StopIteration:
                    return
                finally:
                    if not nested:
                        clock.spent[stage] += time.perf_counter() - start
                        clock._inside = None
                yield item

        setattr(owner, name, timed)


def ingest_worker(code: Path, articles_file: Path, out: Path) -> None:
    """Ingest the articles with the tree at `code` (one per request, in order) and write
    its figures as JSON: wall seconds, seconds inside each model, stored and refused counts."""
    sys.path.insert(0, str(code.resolve()))
    from spacy.language import Language

    from models.checkworthy import CheckWorthiness
    from models.embedder import Embedder
    from models.nli import NLIModel
    from service.config import Settings
    from service.core import Crosscheck
    from service.schemas import ArticleIn

    assert Path(sys.modules["service.core"].__file__ or "").is_relative_to(code.resolve())
    clock = _Clock()
    clock.wrap(Language, "__call__", "spacy")
    clock.wrap_generator(Language, "pipe", "spacy")
    clock.wrap(Embedder, "encode", "embedding")
    clock.wrap(CheckWorthiness, "score", "checkworthiness")
    clock.wrap(NLIModel, "predict", "nli")
    rows = json.loads(articles_file.read_text(encoding="utf-8"))
    articles = [ArticleIn(**row) for row in rows]
    with tempfile.TemporaryDirectory() as tmp:
        core = Crosscheck(Settings(database_url=f"sqlite:///{tmp}/perf.db"))
        # One article through first: lazy set-up (first parse, first inference) is not ingest.
        core.submit([ArticleIn(text=(code / "examples" / "iranwire.txt").read_text("utf-8"))])
        clock.spent.clear()
        stored = refused = 0
        start = time.perf_counter()
        for article in articles:
            try:
                result = core.submit([article])
            except Exception as exc:  # a refused article (InputError) counts, and goes on
                if type(exc).__name__ not in {"InputError", "WorkLimitError"}:
                    raise
                refused += 1
                continue
            stored += sum(r.created for r in result.data)
        wall = time.perf_counter() - start
        core.close()
    figures = {
        "wall": wall,
        "stored": stored,
        "refused": refused,
        "spent": dict(clock.spent),
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    out.write_text(json.dumps(figures), encoding="utf-8")


def _run_tree(
    code: Path, articles_file: Path, tmp: Path, name: str, env: dict[str, str] | None = None
) -> dict[str, Any]:
    out = tmp / f"{name}.json"
    subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--ingest-worker",
            str(code),
            "--articles-file",
            str(articles_file),
            "--out",
            str(out),
        ],
        check=True,
        cwd=str(code),
        env={**os.environ, **(env or {})},
    )
    return dict(json.loads(out.read_text(encoding="utf-8")))


def _shares(figures: dict[str, Any]) -> str:
    wall = figures["wall"]
    spent = figures["spent"]
    parts = [f"{stage} {spent.get(stage, 0.0) / wall:.0%}" for stage in STAGES]
    return f"{sum(spent.values()) / wall:.0%} ({', '.join(parts)})"


def section_ingest(args: argparse.Namespace) -> list[Row]:
    sys.path.insert(0, str(ROOT))
    from bench.release import release_tree

    cache = Path(os.environ.get("CROSSCHECK_CACHE_DIR") or Path.home() / ".cache" / "crosscheck")
    sha, release = release_tree(args.baseline, cache / "bench-perf")
    articles = corpus(args.data, args.articles)
    stories = len({a["story"] for a in articles})
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        articles_file = tmp / "articles.json"
        articles_file.write_text(json.dumps(articles), encoding="utf-8")
        old = _run_tree(release, articles_file, tmp, "release")
        new = _run_tree(ROOT, articles_file, tmp, "tree", FP32)
        int8 = _run_tree(ROOT, articles_file, tmp, "int8", INT8)
        others = [
            (path, _run_tree(path, articles_file, tmp, f"other{i}"))
            for i, path in enumerate(args.trees)
        ]
    rate_old = old["stored"] / old["wall"]
    rate_new = new["stored"] / new["wall"]
    rate_int8 = int8["stored"] / int8["wall"]
    label = f"{len(articles)} articles, {stories} stories, one per request"
    extra: list[Row] = []
    for path, figures in others:
        rate = figures["stored"] / figures["wall"]
        extra += [
            (
                f"ingest articles/s, {path}",
                f"{rate:.2f} ({figures['stored']} stored, {figures['wall']:.0f} s); "
                f"{rate / rate_old:.1f}× the release",
            ),
            (f"share of ingest inside models, {path}", _shares(figures)),
        ]
    return [
        (
            f"ingest articles/s, release {sha} ({label})",
            f"{rate_old:.2f} ({old['stored']} stored, {old['refused']} refused, "
            f"{old['wall']:.0f} s)",
        ),
        (
            "ingest articles/s, this tree",
            f"{rate_new:.2f} ({new['stored']} stored, {new['refused']} refused, "
            f"{new['wall']:.0f} s)",
        ),
        ("ingest speed-up, this tree / release (target ≥ 4×)", f"{rate_new / rate_old:.1f}×"),
        (
            "ingest articles/s, this tree, both models int8 (opt-in)",
            f"{rate_int8:.2f}: {rate_int8 / rate_old:.1f}× the release, "
            f"{rate_int8 / rate_new:.2f}× fp32; inside models {_shares(int8)}",
        ),
        ("share of ingest inside models, release", _shares(old)),
        ("share of ingest inside models, this tree (target ≥ 80 %)", _shares(new)),
        (
            "memory per process (max RSS), release / this tree",
            f"{old['max_rss_mb']:.0f} MB / {new['max_rss_mb']:.0f} MB",
        ),
        *extra,
    ]


# --- matching against every pair ---------------------------------------------------------------


def _timed_report(
    story: list[Any], models: Any, settings: Any, given: list[tuple[str, str]] | None = None
) -> tuple[float, Any, list[float]]:
    """The compare report of `story` from a cold judge: seconds, the report, and how many pairs
    the judge was given, how many it parsed (similar enough to read), how many it asked the
    NLI model about, and the seconds spent in the model. The pairs given are added to `given`."""
    from models.judge import Judge
    from service.report import compare_report

    nli = models.judge.nli
    judge = Judge(models.nlp, models.embedder, nli)
    counts: list[float] = [0, 0, 0, 0.0]
    judge_pairs, parse = judge.judge, judge._parse

    def judged(pairs: Any, *args: Any, **kwargs: Any) -> Any:
        counts[0] += len(pairs)
        if given is not None:
            given.extend(pairs)
        return judge_pairs(pairs, *args, **kwargs)

    def parsed(texts: Any) -> Any:
        counts[1] += len(texts)
        return parse(texts)

    judge.judge, judge._parse = judged, parsed  # type: ignore[method-assign]
    if nli is not None:
        predict = nli.predict

        def asked(pairs: Any, *args: Any, **kwargs: Any) -> Any:
            counts[2] += len(pairs)
            start = time.perf_counter()
            try:
                return predict(pairs, *args, **kwargs)
            finally:
                counts[3] += time.perf_counter() - start

        nli.predict = asked
    models.judge = judge
    try:
        start = time.perf_counter()
        report = compare_report(story, judge, settings)
        seconds = time.perf_counter() - start
    finally:
        if nli is not None:
            del nli.predict  # the class's method again
    # Claims and evidence are parsed in two calls per judged batch: a pair counts once.
    counts[1] /= 2
    return seconds, report, counts


def section_matching(args: argparse.Namespace) -> list[Row]:
    sys.path.insert(0, str(ROOT))
    from service.config import Settings
    from service.pipeline import Models, analyse
    from service.schemas import ArticleIn

    settings = Settings(database_url="sqlite://")
    every = settings.model_copy(update={"candidates_per_origin": 10**6})
    models = Models.load(settings)
    rows: list[Row] = []
    articles = corpus(args.data, max(args.story_sizes))
    analysed = []
    for row in articles:
        try:
            analysed.append(analyse(models, ArticleIn(**row), settings.max_text_chars))
        except Exception as exc:
            if type(exc).__name__ not in {"InputError", "WorkLimitError"}:
                raise
    if models.judge.nli is not None:
        # The model's first calls are slower (kernels made for new shapes): not in either way.
        sentences = [s.text for a in analysed[:2] for s in a.document.sentences]
        models.judge.nli.predict(list(zip(sentences, sentences[1:], strict=False)))
    for size in args.story_sizes:
        story = analysed[:size]
        claims = sum(len(a.claims) for a in story)
        # Each way starts from a cold judge (no parse kept from the other way's run).
        fast, matched, mine_pairs = _timed_report(story, models, settings)
        every_pair: list[tuple[str, str]] = []
        slow, judged, all_pairs = _timed_report(story, models, every, every_pair)
        mine = [c.verdict for a in matched.articles for c in a.claims]
        theirs = [c.verdict for a in judged.articles for c in a.claims]
        same = sum(a == b for a, b in zip(mine, theirs, strict=True))
        rows.append(
            (
                f"matching vs all pairs, {len(story)} articles / {claims} claims in one story",
                f"{fast:.1f} s vs {slow:.1f} s: {slow / fast:.1f}× faster, same verdict on "
                f"{same / max(len(mine), 1):.1%} of claims",
            )
        )
        given, _parsed, asked, _model_seconds = all_pairs
        # A judge without gates would ask the model about every pair it is given: the time of
        # the pairs not asked is added, at the model's rate on a random sample of them in
        # full batches (an estimate; the parses of those pairs are not counted).
        sample = random.Random(0).sample(every_pair, min(512, len(every_pair)))
        start = time.perf_counter()
        if models.judge.nli is not None:
            models.judge.nli.predict([(e, c) for c, e in sample])
        per_pair = (time.perf_counter() - start) / max(len(sample), 1)
        estimate = slow + (given - asked) * per_pair
        rows += [
            (
                "  pairs judged / parsed (similar enough) / asked of the NLI model",
                f"matching {mine_pairs[0]:,.0f} / {mine_pairs[1]:,.0f} / {mine_pairs[2]:,.0f}; "
                f"all pairs {given:,.0f} / {_parsed:,.0f} / {asked:,.0f}",
            ),
            (
                "  all pairs, the NLI model asked about every pair (estimated)",
                f"{estimate:,.0f} s ({per_pair * 1000:.1f} ms per pair): "
                f"{estimate / fast:,.0f}× the matching",
            ),
        ]
    return rows


# --- vector search -----------------------------------------------------------------------------


def section_search(args: argparse.Namespace) -> list[Row]:
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from service.config import Settings
    from service.index import SentenceIndex, set_search_threads

    set_search_threads(Settings().search_threads)  # as the service runs it
    rng = np.random.default_rng(7)
    rows: list[Row] = []
    for size in args.search_sizes:
        vectors = rng.standard_normal((size, 384), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        # One block: the ten nearest of all stored vectors, exact (faiss flat inner product).
        index = SentenceIndex([vectors])
        queries = rng.standard_normal((args.queries, 384), dtype=np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        index.search(queries[:1], 10)
        latencies = []
        for q in queries:
            start = time.perf_counter()
            index.search(q[None, :], 10)
            latencies.append((time.perf_counter() - start) * 1000)
        latencies.sort()
        rows.append(
            (
                f"vector search, nearest 10 of {size:,} stored claim vectors (one query)",
                f"p50 {statistics.median(latencies):.2f} ms, p99 "
                f"{latencies[min(len(latencies) - 1, round(0.99 * len(latencies)))]:.2f} ms, "
                f"index {vectors.nbytes / 2**20:.0f} MB",
            )
        )
        del index, vectors
    return rows


# --- reading a large story ---------------------------------------------------------------------


def section_story(args: argparse.Namespace) -> list[Row]:
    sys.path.insert(0, str(ROOT))
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.config import Settings
    from service.core import Crosscheck
    from service.schemas import ArticleIn

    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/story.db", rate_limit_requests=10**9)
        core = Crosscheck(settings)
        articles = corpus(args.data, 10**6)
        claims = 0
        story_id = ""
        start = time.perf_counter()
        for at in range(0, len(articles), 10):
            batch = [ArticleIn(**{**row, "story": "perf-large"}) for row in articles[at : at + 10]]
            try:
                result = core.submit(batch)
            except Exception as exc:
                if type(exc).__name__ not in {"InputError", "WorkLimitError"}:
                    raise
                continue
            story_id = result.data[0].article.story_id
            claims = core.story(story_id).claims
            if claims >= args.story_claims:
                break
        built = time.perf_counter() - start
        # Read with the story cache (an unchanged story is not assembled again), then with
        # it off: every read assembles the story from the store.
        uncached = Crosscheck(
            settings.model_copy(update={"story_cache_size": 0}), models=core.models
        )
        for label, serving in (("cache on", core), ("cache off", uncached)):
            with TestClient(create_app(settings, core=serving)) as client:
                path = f"/v1/stories/{story_id}"
                assert client.get(path).status_code == 200
                latencies = []
                for _ in range(args.requests):
                    t0 = time.perf_counter()
                    response = client.get(path)
                    latencies.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200
            latencies.sort()
            rows.append(
                (
                    f"GET /v1/stories/{{id}}, {claims} claims, {label} (target p99 ≤ 50 ms)",
                    f"p50 {statistics.median(latencies):.1f} ms, p99 "
                    f"{latencies[min(len(latencies) - 1, round(0.99 * len(latencies)))]:.1f} ms "
                    f"(story built in {built:.0f} s)",
                )
            )
        uncached.close()
        core.close()
    return rows


def section_workers(args: argparse.Namespace) -> list[Row]:
    """Articles/s one at a time in one process, then as jobs of 1, 2 and 4 Celery worker
    processes (``bench/scale.py``), on PostgreSQL and Redis; skipped without them."""
    if not (args.postgres and args.redis):
        return [("workers", "skipped: give --postgres and --redis (make bench-perf POSTGRES=…)")]
    sys.path.insert(0, str(ROOT))
    from bench.crash import news_articles
    from bench.scale import queued, sequential
    from service.config import Settings
    from service.pipeline import Models

    articles = news_articles(args.data, args.worker_articles)
    models = Models.load(Settings())
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        alone = sequential(args.postgres, articles, models)
        base = len(articles) / alone.seconds
        rows.append(("articles/s, one process, one at a time", f"{base:.2f} (1.00×)"))
        for workers in args.workers:
            run = queued(
                args.postgres, args.redis, articles, models, workers, 2, Path(tmp), False, 60.0
            )
            rate = len(articles) / run.seconds
            same = run.outcome == alone.outcome
            rows.append(
                (
                    f"articles/s, {workers} Celery worker{'s' if workers > 1 else ''} (jobs of 2)",
                    f"{rate:.2f} ({rate / base:.2f}×); same stories, links and verdicts: "
                    f"{'yes' if same else 'NO'}",
                )
            )
    return rows


SECTIONS: dict[str, Callable[[argparse.Namespace], list[Row]]] = {
    "ingest": section_ingest,
    "matching": section_matching,
    "search": section_search,
    "story": section_story,
    "workers": section_workers,
}


def _sizes(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--articles", type=int, default=200, help="articles ingested per tree")
    parser.add_argument("--baseline", default=RELEASE, help="the release to compare with")
    parser.add_argument(
        "--trees", type=Path, nargs="*", default=[], help="more trees to time in the ingest rows"
    )
    parser.add_argument("--sections", default=",".join(SECTIONS), help="which, comma-separated")
    parser.add_argument("--story-sizes", type=_sizes, default=[10, 50, 200])
    parser.add_argument("--search-sizes", type=_sizes, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200, help="searches per index size")
    parser.add_argument("--story-claims", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200, help="GETs of the large story")
    parser.add_argument("--postgres", help="PostgreSQL URL for the workers (schema DROPPED)")
    parser.add_argument("--redis", help="Redis URL of the workers' broker (EMPTIED)")
    parser.add_argument("--workers", type=_sizes, default=[1, 2, 4], help="worker counts")
    parser.add_argument("--worker-articles", type=int, default=16)
    parser.add_argument("--ingest-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--articles-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ingest_worker is not None:
        ingest_worker(args.ingest_worker, args.articles_file, args.out)
        return
    args.data = args.data.resolve()
    print("| measure | value |\n|---|---|", flush=True)
    # Each section's rows as soon as it ends: a long run shows what it has measured so far.
    for name in args.sections.split(","):
        for key, value in SECTIONS[name](args):
            print(f"| {key} | {value} |", flush=True)
    print(f"| CPU cores (load average at the end) | {os.cpu_count()} ({os.getloadavg()[0]:.1f}) |")


if __name__ == "__main__":
    main()
