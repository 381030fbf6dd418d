"""Synthetic sentence pairs made from real news sentences (ECB+, CC BY 3.0).

The public NLI sets are captions, fiction and transcripts; crosscheck judges news. These rules
turn one news sentence into pairs whose label follows from the edit itself:

* contradiction: a number, year, weekday or month changed; a negation added or removed; an
  antonym swapped; the named actor replaced by a name from another story;
* entailment: the attribution stripped ("X, police said." -> "X."), a trailing clause or an
  appositive dropped, digits written as words, the sentence inside a wider evidence window;
* neutral: the reverse of a shortening (the hypothesis adds a fact), or another sentence of the
  same topic that shares few words with the premise.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

from models.training.nli_data import CONTRADICTION, ENTAILMENT, NEUTRAL, Pair, bucket

_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_NUMBER_WORDS = [
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]
_DIGIT_WORDS = {str(i + 2): w for i, w in enumerate(_NUMBER_WORDS)}
_ANTONYMS = {
    "increased": "decreased",
    "rose": "fell",
    "won": "lost",
    "higher": "lower",
    "before": "after",
    "first": "last",
    "opened": "closed",
    "confirmed": "denied",
    "arrested": "released",
    "guilty": "innocent",
    "accepted": "rejected",
    "approved": "rejected",
    "alive": "dead",
    "survived": "died",
    "largest": "smallest",
    "north": "south",
    "east": "west",
    "entered": "left",
    "hired": "fired",
    "joined": "left",
    "signed": "released",
    "allowed": "banned",
    "success": "failure",
    "victory": "defeat",
    "male": "female",
    "early": "late",
    "biggest": "smallest",
    "gained": "lost",
    "raised": "lowered",
    "lowest": "highest",
    "minor": "major",
    "public": "private",
    "outside": "inside",
}
_ANTONYMS |= {v: k for k, v in list(_ANTONYMS.items()) if v not in _ANTONYMS}
_AUX = r"(is|are|was|were|has|have|had|will|can|could|would|should|did|does|do|must)"
_HEDGE_BEFORE_NUMBER = re.compile(
    r"(more than|less than|at least|about|around|over|nearly|almost|up to|some|under)\s*$", re.I
)
_ATTRIBUTION_TAIL = re.compile(
    r"^(?P<core>.{25,}?),?\s+(?:(?:the\s+)?[A-Za-z.'\- ]{2,40}?\s+)?"
    r"(?:said|says|told (?:reporters|the [A-Z][\w ]+|[A-Z]\w+)|reported|announced)"
    r"(?: on \w+| in a statement| yesterday| today)?\s*\.$"
)
_ATTRIBUTION_HEAD = re.compile(
    r"^(?:According to [^,]{2,60},\s*|(?:The\s+)?[A-Z][\w.'\- ]{1,40}? (?:said|says|told \w+) "
    r"(?:that )?)(?P<core>[A-Za-z].{25,})$"
)
_ACCORDING_TAIL = re.compile(r"^(?P<core>.{25,}?),\s+according to [^,]{2,60}\.$")
_CLAUSE_SPLIT = re.compile(r",\s+(?:which|who|and|but|while|after|as|where|when|although)\s+")
_APPOSITIVE = re.compile(r"(?P<name>[A-Z]\w+(?: [A-Z]\w+)*), (?:\d{1,2}|a [\w\- ]{3,40}?),")
_NAME = re.compile(r"\b[A-Z][a-z]{2,}(?: [A-Z][a-z]{2,})+\b")
_NUMBER = re.compile(r"(?<![\w.,$])(\d{1,3}(?:,\d{3})+|\d+)(?!\w|[.,]\d)")

Edit = Callable[[str, random.Random], str | None]


def _fix(text: str) -> str:
    text = text.strip()
    text = text[0].upper() + text[1:] if text else text
    return text if text.endswith((".", "!", "?")) else text + "."


def change_number(s: str, rng: random.Random) -> str | None:
    """Change one count (not a hedged one: "more than 5" vs "7" is no contradiction)."""
    matches = [m for m in _NUMBER.finditer(s) if not _HEDGE_BEFORE_NUMBER.search(s[: m.start()])]
    if not matches:
        return None
    m = rng.choice(matches)
    raw = m.group(1).replace(",", "")
    value = int(raw)
    if 1900 <= value <= 2030 and "," not in m.group(1):
        new = value + rng.choice([-3, -2, -1, 1, 2, 3])
    else:
        new = rng.choice([value + rng.randint(1, 9), value * rng.choice([2, 3, 10]), value // 2])
        if new == value or new < 0:
            new = value + 1
    text = f"{new:,}" if "," in m.group(1) else str(new)
    return s[: m.start(1)] + text + s[m.end(1) :]


def change_number_word(s: str, rng: random.Random) -> str | None:
    """Change a spelled-out count ("two drones" -> "five drones")."""
    found = [m for m in re.finditer(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", s, re.I)]
    found = [m for m in found if not _HEDGE_BEFORE_NUMBER.search(s[: m.start()])]
    if not found:
        return None
    m = rng.choice(found)
    choices = [w for w in _NUMBER_WORDS if w != m.group(1).lower()]
    new = rng.choice(choices)
    new = new.capitalize() if m.group(1)[0].isupper() else new
    return s[: m.start()] + new + s[m.end() :]


def _swap_word(s: str, rng: random.Random, options: list[str]) -> str | None:
    found = [m for m in re.finditer(r"\b(" + "|".join(options) + r")\b", s)]
    if not found:
        return None
    m = rng.choice(found)
    return s[: m.start()] + rng.choice([o for o in options if o != m.group(1)]) + s[m.end() :]


def change_weekday(s: str, rng: random.Random) -> str | None:
    """Change the weekday."""
    return _swap_word(s, rng, _WEEKDAYS)


def change_month(s: str, rng: random.Random) -> str | None:
    """Change the month (May is left out: it is also a verb)."""
    return _swap_word(s, rng, _MONTHS)


def flip_negation(s: str, rng: random.Random) -> str | None:
    """Remove an existing negation, or negate the first auxiliary verb."""
    m = re.search(r"\b(not|n't|never)\b ?", s)
    if m:
        if m.group(1) == "n't":
            return s[: m.start()] + s[m.end() :] if s[m.start() - 2 : m.start()] != "ca" else None
        replacement = "ever " if m.group(1) == "never" else ""
        return s[: m.start()] + replacement + s[m.end() :]
    m = re.search(r"\b" + _AUX + r"\b (?!(?:not|no|never|nothing|none|nobody)\b)", s)
    if not m or m.start() < 3:
        return None
    return s[: m.end(1)] + " not" + s[m.end(1) :]


def flip_antonym(s: str, rng: random.Random) -> str | None:
    """Swap one word for its antonym."""
    found = [m for m in re.finditer(r"\b(" + "|".join(_ANTONYMS) + r")\b", s)]
    if not found:
        return None
    m = rng.choice(found)
    return s[: m.start()] + _ANTONYMS[m.group(1)] + s[m.end() :]


def strip_attribution(s: str, rng: random.Random) -> str | None:
    """'X, police said.' -> 'X.'; 'Officials said X' -> 'X'; 'X, according to Y.' -> 'X.'."""
    for pattern in (_ACCORDING_TAIL, _ATTRIBUTION_TAIL, _ATTRIBUTION_HEAD):
        m = pattern.match(s)
        if m and len(m.group("core").split()) >= 5:
            return _fix(m.group("core").rstrip(",. "))
    return None


def shorten(s: str, rng: random.Random) -> str | None:
    """Drop a trailing clause or an appositive (the rest is still asserted)."""
    m = _APPOSITIVE.search(s)
    if m and rng.random() < 0.5:
        return s[: m.start()] + m.group("name") + s[m.end() :]
    parts = _CLAUSE_SPLIT.split(s, maxsplit=1)
    if len(parts) == 2 and len(parts[0].split()) >= 5 and not re.search(r"\b(if|unless)\b", s):
        return _fix(parts[0])
    return None


def digits_to_words(s: str, rng: random.Random) -> str | None:
    """Write a small count in words ("2 drones" -> "two drones")."""
    m = re.search(r"(?<![\w.,$])([2-9]|1[0-2])(?= [a-z])", s)
    if not m:
        return None
    return s[: m.start()] + _DIGIT_WORDS[m.group(1)] + s[m.end() :]


def _names(s: str) -> list[str]:
    """Capitalised multi-word names, not at the start of the sentence ("But Professor X")."""
    return [m.group(0) for m in _NAME.finditer(s) if m.start() > 0]


def _good(s: str) -> bool:
    words = s.split()
    return (
        8 <= len(words) <= 45
        and s[0].isupper()
        and s.endswith(".")
        and '"' not in s
        and "“" not in s
        and not re.search(r"\d+ ?: ?\d+", s)
    )


def _overlap(a: str, b: str) -> float:
    wa = {w for w in re.findall(r"[a-z]{4,}", a.lower())}
    wb = {w for w in re.findall(r"[a-z]{4,}", b.lower())}
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


def _window(sentences: list[str], i: int, rng: random.Random) -> str:
    """The evidence as the judge sees it: one sentence, or up to three around it."""
    if rng.random() < 0.6:
        return sentences[i]
    lo = max(0, i - rng.randint(0, 1))
    hi = min(len(sentences), i + 1 + rng.randint(0, 1))
    return " ".join(sentences[lo:hi])


def news_pairs(data: Path, seed: int, dev: bool = False) -> list[Pair]:
    """Synthetic pairs from ECB+ news sentences.

    Args:
        data: Root of the shared data folder.
        seed: Seed of every random choice.
        dev: Return the pairs of the held-out documents (10 %) instead of the training ones.

    Returns:
        Pairs labelled entailment / neutral / contradiction, source ``synthetic_news``.
    """
    rng = random.Random(seed)
    docs: list[dict[str, object]] = []
    with gzip.open(data / "stories/ecbplus_topics_1-25.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if (bucket(str(record["doc_id"]), "ecb") < 10) == dev:
                docs.append(record)
    names = sorted({n for d in docs for s in d["sentences"] for n in _names(str(s))})  # type: ignore[attr-defined]
    by_topic: dict[object, list[str]] = {}
    for d in docs:
        by_topic.setdefault(d["topic"], []).extend(str(s) for s in d["sentences"])  # type: ignore[attr-defined]

    contradicting: list[tuple[Edit, float]] = [
        (change_number, 0.9),
        (change_number_word, 0.6),
        (change_weekday, 0.9),
        (change_month, 0.6),
        (flip_negation, 0.55),
        (flip_antonym, 0.45),
    ]
    out: list[Pair] = []
    seen: set[tuple[str, str]] = set()

    def add(premise: str, hypothesis: str, label: int) -> None:
        if premise != hypothesis and (premise, hypothesis) not in seen:
            seen.add((premise, hypothesis))
            out.append(Pair(premise, hypothesis, label, "synthetic_news"))

    for d in docs:
        sentences = [str(s).strip() for s in d["sentences"]]  # type: ignore[attr-defined]
        for i, s in enumerate(sentences):
            if not _good(s):
                continue
            evidence = _window(sentences, i, rng)
            for edit, p in contradicting:
                if rng.random() < p:
                    changed = edit(s, rng)
                    if changed and changed != s:
                        add(evidence, changed, CONTRADICTION)
            actors = _names(s)
            if actors and rng.random() < 0.3:
                actor = rng.choice(actors)
                other = rng.choice(names)
                if other.split()[-1] not in s and actor.split()[-1] != other.split()[-1]:
                    add(evidence, s.replace(actor, other), CONTRADICTION)
            stripped = strip_attribution(s, rng)
            if stripped:
                add(evidence, stripped, ENTAILMENT)
            short = shorten(s, rng)
            if short and short != s:
                add(evidence, short, ENTAILMENT)
                if rng.random() < 0.5:
                    add(short, s, NEUTRAL)
            worded = digits_to_words(s, rng)
            if worded:
                add(evidence, worded, ENTAILMENT)
            if evidence != s and rng.random() < 0.35:
                add(evidence, s, ENTAILMENT)
            if rng.random() < 0.45:
                pool = by_topic[d["topic"]]
                for _ in range(6):
                    other_s = rng.choice(pool)
                    if _good(other_s) and _overlap(s, other_s) < 0.15:
                        add(evidence, other_s, NEUTRAL)
                        break
    rng.shuffle(out)
    return out
