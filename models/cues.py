"""Contradiction cues: differences between two aligned statements that a person can name.

Each detector compares a claim with another outlet's text that is already known to be about
the same fact (the judge gates them on similarity) and returns a `Cue` — the reason, an
explanation ("numbers differ: 'two other drones' vs 'three other drones'") and the span of
the evidence that differs — or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.labels import Reason
from models.mentions import actors, dates, different_participants, quantities, same_actor

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

    Text = Doc | Span

ANTONYMS: dict[str, str] = {}
for _a, _b in (
    ("deny", "confirm"),
    ("deny", "admit"),
    ("deny", "acknowledge"),
    ("reject", "accept"),
    ("reject", "approve"),
    ("win", "lose"),
    ("increase", "decrease"),
    ("rise", "fall"),
    ("raise", "lower"),
    ("open", "close"),
    ("arrive", "leave"),
    ("succeed", "fail"),
    ("survive", "die"),
    ("acquit", "convict"),
    ("support", "oppose"),
    ("allow", "ban"),
    ("allow", "forbid"),
    ("resign", "stay"),
    ("agree", "refuse"),
    ("include", "exclude"),
    ("expand", "shrink"),
    ("gain", "lose"),
    ("start", "end"),
    ("praise", "condemn"),
    ("welcome", "condemn"),
):
    ANTONYMS.setdefault(_a, _b)
    ANTONYMS.setdefault(_b, _a)
_ANTONYM_PAIRS = {(a, b) for a, b in ANTONYMS.items()} | {
    ("deny", "admit"),
    ("admit", "deny"),
    ("deny", "acknowledge"),
    ("acknowledge", "deny"),
    ("approve", "reject"),
    ("forbid", "allow"),
    ("lose", "gain"),
    ("condemn", "welcome"),
}
_NEGATIONS = {"not", "n't", "never", "no"}


@dataclass(frozen=True)
class Cue:
    """A named difference between a claim and its evidence."""

    reason: Reason
    explanation: str
    evidence_start: int
    evidence_end: int


def _offset(text: Text) -> int:
    return 0 if text.__class__.__name__ == "Doc" else int(text.start_char)  # type: ignore[union-attr]


def number_mismatch(claim: Text, evidence: Text) -> Cue | None:
    """Numbers that count the same thing but differ ("two drones" / "three drones")."""
    theirs = quantities(evidence[:])
    for mine in quantities(claim[:]):
        if mine.counts is None or not mine.exact:
            continue
        # The same thing counted in the same event: "49 people were killed" against "50 people
        # were killed", never against "300 people packed the club".
        same_noun = [
            q
            for q in theirs
            if q.counts == mine.counts
            and q.exact
            and q.part == mine.part
            and (q.verb is None or mine.verb is None or q.verb == mine.verb)
        ]
        if same_noun and all(q.value != mine.value for q in same_noun):
            other = same_noun[0]
            base = _offset(evidence)
            return Cue(
                Reason.NUMBER_MISMATCH,
                f"numbers differ: '{mine.text}' vs '{other.text}'",
                other.start - base,
                other.end - base,
            )
    return None


def date_mismatch(claim: Text, evidence: Text) -> Cue | None:
    """Different weekdays, days of the month or years for the same event."""
    base = _offset(evidence)
    theirs = dates(evidence[:])
    for mine in dates(claim[:]):
        for other in theirs:
            if mine.verb and other.verb and mine.verb != other.verb:
                continue  # dates of two different events
            for field, what in (
                ("weekdays", "weekdays"),
                ("month_days", "dates"),
                ("years", "years"),
            ):
                a, b = getattr(mine, field), getattr(other, field)
                if a and b and not (a & b):
                    return Cue(
                        Reason.DATE_MISMATCH,
                        f"{what} differ: '{mine.text}' vs '{other.text}'",
                        other.start - base,
                        other.end - base,
                    )
    return None


def _verbs(text: Text) -> dict[str, Token]:
    return {t.lemma_.lower(): t for t in text if t.pos_ in {"VERB", "AUX"} and t.dep_ != "aux"}


_NEGATIVE_WORDS = frozenset({"nobody", "nothing", "none", "noone", "neither"})


def _negated(verb: Token) -> bool:
    """Whether a verb's statement is negative: "did not find", "found no gun", "no one came"."""
    for child in verb.children:
        if child.dep_ == "neg" or child.lower_ in _NEGATIONS:
            return True
        if child.dep_ in {"nsubj", "nsubjpass", "dobj", "attr"}:
            if child.lower_ in _NEGATIVE_WORDS or any(
                d.dep_ == "det" and d.lower_ == "no" for d in child.children
            ):
                return True
            if child.lower_ == "one" and any(d.lower_ == "no" for d in child.children):
                return True
    return False


def polarity_flip(claim: Text, evidence: Text) -> Cue | None:
    """A negation or an antonym flips the claim ("denied the visit" / "confirmed the visit")."""
    base = _offset(evidence)
    mine, theirs = _verbs(claim), _verbs(evidence)
    for lemma, verb in mine.items():
        other = theirs.get(lemma)
        if (
            other is not None
            and _negated(verb) != _negated(other)
            and lemma not in {"be", "have"}
            and _same_objects(verb, other)
            and not different_participants(verb, other)
        ):
            negated, plain = (verb, other) if _negated(verb) else (other, verb)
            return Cue(
                Reason.NEGATION,
                f"negation differs: '{_phrase(negated)}' vs '{_phrase(plain)}'"
                if negated is verb
                else f"negation differs: '{_phrase(plain)}' vs '{_phrase(negated)}'",
                other.idx - base,
                other.idx + len(other.text) - base,
            )
    for lemma, verb in mine.items():
        for other_lemma, other in theirs.items():
            if (lemma, other_lemma) in _ANTONYM_PAIRS and other_lemma not in mine:
                if _negated(verb) != _negated(other) or not _same_doer(verb, other):
                    continue
                if not _same_objects(verb, other) or different_participants(verb, other):
                    continue
                same = theirs.get(lemma)
                if same is not None and _same_doer(verb, same, strict=True):
                    # "Tehran denied the visit, which Reuters later confirmed" still has Tehran
                    # denying; only the same doer doing both would cancel the flip.
                    continue
                return Cue(
                    Reason.ANTONYM,
                    f"opposite verbs: '{_phrase(verb)}' vs '{_phrase(other)}'",
                    other.idx - base,
                    other.idx + len(other.text) - base,
                )
    return None


def _objects(verb: Token) -> set[str]:
    found = set()
    for child in verb.children:
        if child.dep_ in {"dobj", "attr", "acomp", "nsubjpass", "oprd"}:
            found.add(child.lemma_.lower())
        elif child.dep_ in {"prep", "prt"}:
            found.update(c.lemma_.lower() for c in child.children if c.dep_ == "pobj")
    return found


def _same_objects(a: Token, b: Token) -> bool:
    """Whether two verbs act on the same thing (or neither names one)."""
    mine, theirs = _objects(a), _objects(b)
    return (not mine and not theirs) or bool(mine & theirs)


def _doer(verb: Token) -> str | None:
    for child in verb.children:
        if child.dep_ == "nsubj":
            return child.text if child.lower_ not in {"which", "who", "that"} else None
        if child.dep_ == "agent":
            objects = [c for c in child.children if c.dep_ == "pobj"]
            return " ".join(t.text for t in objects[0].subtree) if objects else None
    return None


def _same_doer(a: Token, b: Token, strict: bool = False) -> bool:
    """Whether two verbs have the same doer; unknown doers agree unless `strict`."""
    doer_a, doer_b = _doer(a), _doer(b)
    if doer_a is None or doer_b is None:
        return not strict
    return same_actor(doer_a, doer_b) or doer_a.lower() == doer_b.lower()


def _phrase(verb: Token) -> str:
    objects = [c for c in verb.children if c.dep_ in {"dobj", "nsubjpass", "attr", "acomp"}]
    words = [verb]
    if objects:
        obj = objects[0]
        words.extend(t for t in obj.subtree if t.i >= obj.left_edge.i and t.i <= obj.i)
    negs = [c for c in verb.children if c.dep_ == "neg"]
    tokens = sorted([*negs, *words], key=lambda t: t.i)
    return " ".join(t.text for t in tokens)


def actor_mismatch(claim: Text, evidence: Text) -> Cue | None:
    """Different people or organisations as the doers of the same action.

    The two texts clash only when the actors they give for one role of one verb have no one in
    common: "Stafford and Greenhouse were indicted" does not clash with "Greenhouse was
    indicted". Name variants of one actor (Qaani / Ghani, al-Kadhimi / Kadhimi) are the same.
    """
    base = _offset(evidence)
    theirs = actors(evidence[:])
    mine_all = actors(claim[:])
    for mine in mine_all:
        role = (mine.verb, mine.role, mine.label)
        others = [o for o in theirs if (o.verb, o.role, o.label) == role]
        ours = [m for m in mine_all if (m.verb, m.role, m.label) == role]
        if not others or any(same_actor(m.text, o.text) for m in ours for o in others):
            continue
        other = others[0]
        return Cue(
            Reason.ACTOR_MISMATCH,
            f"different actor: '{mine.text}' vs '{other.text}' ({mine.verb})",
            other.start - base,
            other.end - base,
        )
    return None


DETECTORS = (number_mismatch, date_mismatch, polarity_flip, actor_mismatch)


def find_cue(claim: Text, evidence: Text) -> Cue | None:
    """The first contradiction cue between a claim and aligned evidence, if any."""
    for detector in DETECTORS:
        cue = detector(claim, evidence)
        if cue is not None:
            return cue
    return None
