"""Fine-tune the shipped judge on news: labelled cross-outlet pairs plus contrast pairs.

    python -m models.training.news_judge --data ../shared/data --labels bench/verdicts \
        --out models/weights/judge

Starts from the shipped weights (``from_onnx``) and trains one pass over

* the train split of the verdict benchmark (`bench/verdicts/labels`, read by reference from
  the data): supports → entailment, contradicts → contradiction, partial / silent → neutral;
* contrast pairs made from real news sentences of the gun-violence incidents outside the
  benchmark's dev and test splits, and of ECB+ (``synthetic.news_pairs``): a count, age, clock
  time, weekday or name swapped → contradiction; a phrase dropped → the shorter claim is
  entailed by the longer evidence, the longer claim against the shorter evidence is neutral
  (never a contradiction); another sentence of the same incident → neutral;
* a replay sample of general NLI pairs, so that the model keeps what it knew.

Then it exports like ``models.training.judge`` (ONNX, thresholds on the development pairs,
metrics.json).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
from transformers import AutoTokenizer, get_linear_schedule_with_warmup  # noqa: E402

from models.training.from_onnx import load_shipped  # noqa: E402
from models.training.judge import (  # noqa: E402
    _base_model_path,
    _batches,
    _collate,
    _encode,
    _save_checkpoint,
    finish,
    train_step,
)
from models.training.nli_data import (  # noqa: E402
    CONTRADICTION,
    ENTAILMENT,
    NEUTRAL,
    Pair,
    counterfactual,
    snli_dev,
)
from models.training.synthetic import (  # noqa: E402
    _good,
    _names,
    _overlap,
    change_number,
    change_number_word,
    change_weekday,
    news_pairs,
    shorten,
)

log = logging.getLogger("crosscheck.train.news_judge")

_LABEL = {"supports": ENTAILMENT, "contradicts": CONTRADICTION, "partial": NEUTRAL}
_AGE = re.compile(r"\b(\d{1,2})(-year-old\b|, )")
_CLOCK = re.compile(r"\b(\d{1,2})(:\d\d)?\s?(a\.m\.|p\.m\.)", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[a-z0-9\"”)][.!?])\s+(?=[A-Z\"“])")


def change_age(s: str, rng: random.Random) -> str | None:
    """ "a 34-year-old man" → "a 35-year-old man"; "Jane Doe, 16, was" → "Jane Doe, 15, was"."""
    found = [m for m in _AGE.finditer(s) if 1 <= int(m.group(1)) <= 99]
    if not found:
        return None
    m = rng.choice(found)
    new = int(m.group(1)) + rng.choice([-2, -1, 1, 1, 2, 10])
    return s[: m.start(1)] + str(max(1, new)) + s[m.end(1) :]


def change_clock(s: str, rng: random.Random) -> str | None:
    """ "10:30 p.m." → "11:30 p.m." (an hour or more apart: never within "about")."""
    m = _CLOCK.search(s)
    if not m:
        return None
    hour = int(m.group(1))
    new = (hour - 1 + rng.choice([2, 3, 5, -2, -3])) % 12 + 1
    return s[: m.start(1)] + str(new) + s[m.end(1) :]


def _article_sentences(text: str) -> list[str]:
    """Body sentences of a raw article: lines that read like prose, split at sentence ends."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if len(line.split()) < 8 or not line.endswith((".", '"', "”")):
            continue
        out.extend(s.strip() for s in _SENTENCE.split(line) if s.strip())
    return out


def gun_contrast_pairs(data: Path, banned: set[str], seed: int, limit: int) -> list[Pair]:
    """Contrast pairs from gun-violence articles of incidents outside `banned`."""
    rng = random.Random(seed)
    by_incident: dict[str, list[str]] = defaultdict(list)
    with gzip.open(data / "stories/gun_violence_news_dev.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            key = "gv:" + row["incident_id"]
            if key not in banned:
                by_incident[key].extend(_article_sentences(row["content"]))
    names = sorted({n for s in by_incident.values() for x in s[:20] for n in _names(x)})
    out: list[Pair] = []
    keys = sorted(by_incident)
    rng.shuffle(keys)
    edits = (change_number, change_number_word, change_weekday, change_age, change_clock)
    for key in keys:
        sentences = [s for s in by_incident[key] if _good(s)]
        for s in sentences[:6]:
            for edit in edits:
                changed = edit(s, rng)
                if changed and changed != s:
                    out.append(Pair(s, changed, CONTRADICTION, "contrast_news"))
            actors = _names(s)
            if actors and names and rng.random() < 0.4:
                other = rng.choice(names)
                actor = rng.choice(actors)
                if other.split()[-1] not in s and actor.split()[-1] != other.split()[-1]:
                    out.append(Pair(s, s.replace(actor, other), CONTRADICTION, "contrast_news"))
            short = shorten(s, rng)
            if short and short != s:
                out.append(Pair(s, short, ENTAILMENT, "contrast_news"))
                out.append(Pair(short, s, NEUTRAL, "contrast_news"))
            if rng.random() < 0.3:
                out.append(Pair(s, s, ENTAILMENT, "contrast_news"))
            others = [o for o in sentences if o != s and _overlap(s, o) < 0.3]
            if others:
                out.append(Pair(s, rng.choice(others), NEUTRAL, "contrast_news"))
        if len(out) >= limit:
            break
    return out[:limit]


def benchmark_pairs(data: Path, bench: Path, split: str) -> tuple[list[Pair], set[str]]:
    """The labelled pairs of one split of the verdict benchmark (evidence, claim, label), and
    the incidents of the other splits (kept out of every training pair)."""
    texts: dict[str, str] = {}
    with gzip.open(data / "stories/gun_violence_news_dev.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            texts["gv:" + row["doc_id"]] = row["content"].replace("\r\n", "\n").replace("\r", "\n")
    with gzip.open(data / "stories/ecbplus_topics_1-25.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            texts["ecb:" + row["doc_id"]] = row["text"]

    def text_of(ref: str) -> str:
        article, span = ref.rsplit(":", 1)
        start, end = (int(x) for x in span.split("-"))
        return texts[article][start:end]

    refs = json.loads((bench / "refs.json").read_text(encoding="utf-8"))
    banned = {k for k, v in refs.items() if v["split"] != split}
    pairs: list[Pair] = []
    for path in sorted((bench / "labels").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["split"] != split:
                continue
            label = _LABEL.get(row["label"], NEUTRAL)
            pairs.append(Pair(text_of(row["evidence"]), text_of(row["claim"]), label, "bench"))
    return pairs, banned


def train(args: argparse.Namespace) -> Path:
    """Fine-tune from the shipped weights; returns the final checkpoint directory."""
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    data, bench = Path(args.data), Path(args.labels)
    labelled, banned = benchmark_pairs(data, bench, "train")
    contrast = gun_contrast_pairs(data, banned, args.seed, args.contrast)
    ecb = [p for p in news_pairs(data, args.seed) if p.label != 3]
    rng.shuffle(ecb)
    replay = counterfactual(data, "train") + snli_dev(data, held_out=False)
    replay = [p for p in replay if p.label in (ENTAILMENT, NEUTRAL, CONTRADICTION)]
    rng.shuffle(replay)
    # The labelled news pairs are few and the closest to use: seen twice.
    pairs = labelled * 2 + contrast + ecb[: args.contrast // 3] + replay[: args.replay]
    rng.shuffle(pairs)
    counts = Counter(p.source for p in pairs)
    log.info("pairs %d %s labels %s", len(pairs), dict(counts), Counter(p.label for p in pairs))

    tokenizer = AutoTokenizer.from_pretrained(str(_base_model_path()))
    model = load_shipped(Path(args.start), _base_model_path())
    encoded, types = _encode(tokenizer, pairs, args.max_length)
    schedule = _batches([len(e) for e in encoded], args.batch_size, rng)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    scheduler = get_linear_schedule_with_warmup(  # type: ignore[no-untyped-call]
        optimizer, int(len(schedule) * 0.1), len(schedule)
    )
    ckpt = Path(args.checkpoint_dir)
    ckpt.mkdir(parents=True, exist_ok=True)
    stats = {"pairs": len(pairs), "pairs_per_source": dict(counts), "steps": len(schedule)}
    pad = int(tokenizer.pad_token_id or 0)
    model.train()
    started = time.monotonic()
    for step, batch_idx in enumerate(schedule, 1):
        batch = _collate(encoded, types, batch_idx, pad)
        y = torch.tensor([pairs[i].label for i in batch_idx])
        loss = train_step(model, batch, y, optimizer, scheduler)
        if step % 25 == 0:
            log.info("step %d/%d loss %.4f", step, len(schedule), loss)
    stats["train_minutes"] = round((time.monotonic() - started) / 60, 1)
    _save_checkpoint(ckpt, model, tokenizer, optimizer, scheduler, len(schedule))
    (ckpt / "train_stats.json").write_text(json.dumps(stats, indent=2))
    return ckpt / "last"


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--labels", default="bench/verdicts", help="the verdict benchmark")
    parser.add_argument("--start", default="models/weights/judge", help="shipped weights")
    parser.add_argument("--out", default="models/weights/judge")
    parser.add_argument("--checkpoint-dir", default="../runs/news_judge")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--contrast", type=int, default=6000)
    parser.add_argument("--replay", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    finish(train(args), args)


if __name__ == "__main__":
    main()
