"""Things a sentence mentions that cross-outlet comparison turns on: quantities, dates, actors."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

T = TypeVar("T")


def per_span(read: Callable[..., list[T]]) -> Callable[..., list[T]]:
    """Read a span's mentions once: the result is kept in its Doc's `user_data`.

    The judge compares one parsed claim with many evidence texts and one evidence text with
    many claims; without this, every pair would read the same mentions off the same tokens
    again (most of the judge's Python time). A copy of the list is returned each time, so a
    caller may change it freely.
    """

    @wraps(read)
    def cached(span: Span, *args: Any) -> list[T]:
        memo: dict[tuple[Any, ...], list[T]] = span.doc.user_data.setdefault("crosscheck", {})
        key = (read.__name__, span.start, span.end, *args)
        found = memo.get(key)
        if found is None:
            found = memo[key] = read(span, *args)
        return list(found)

    return cached


def text_of(text: Doc | Span) -> str:
    """The text of a parse or a span of it, kept in its Doc's `user_data`: spaCy joins the
    tokens again at every `.text`, and the judge reads each parse's text for many pairs."""
    span = text[:]
    memo: dict[tuple[Any, ...], str] = span.doc.user_data.setdefault("crosscheck", {})
    # A Doc's text keeps the whitespace after its last token; a span's does not.
    whole = text.__class__.__name__ == "Doc"
    key = ("text",) if whole else ("text", span.start, span.end)
    found = memo.get(key)
    if found is None:
        found = memo[key] = text.text
    return found


_WORD_NUMBERS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
    "both": 2,
}
_SCALES = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTHS)}
_DAY_OF_MONTH = re.compile(r"^(\d{1,2})(st|nd|rd|th)?$")
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")


@dataclass(frozen=True)
class Quantity:
    """A number and the noun it counts ("two other drones" → 2, "drone")."""

    value: float
    text: str
    counts: str | None
    start: int
    end: int
    verb: str | None = None
    """What happened to the counted things ("kill" in "49 people were killed")."""
    exact: bool = True
    """False for a bound or estimate ("at least 49", "nearly 40", "more than 300")."""
    part: bool = False
    """True for a part of a larger count ("the other four victims", "one of the five")."""


@dataclass(frozen=True)
class DateMention:
    """A date expression, with the parts that can be compared across outlets."""

    text: str
    weekdays: frozenset[int]
    month_days: frozenset[tuple[int, int]]
    years: frozenset[int]
    months: frozenset[int]
    start: int
    end: int
    verb: str | None = None
    """The event the date is of ("arrive" in "arrived late on Sunday")."""


@dataclass(frozen=True)
class Actor:
    """A person or organisation in a grammatical role of its verb."""

    text: str
    label: str
    role: str
    verb: str
    start: int
    end: int


def parse_number(text: str) -> float | None:
    """Value of a written number ("3", "1,200", "two", "2.5 million"); None if not one."""
    words = text.lower().replace(",", "").replace("-", " ").split()
    if not words:
        return None
    total = 0.0
    current = 0.0
    seen = False
    for word in words:
        if re.fullmatch(r"\d+(\.\d+)?", word):
            current += float(word)
            seen = True
        elif word in _WORD_NUMBERS:
            current += _WORD_NUMBERS[word]
            seen = True
        elif word in _SCALES and seen:
            current = max(current, 1.0) * _SCALES[word]
            if _SCALES[word] >= 1e3:
                total += current
                current = 0.0
        elif word in {"and", "a"}:
            continue
        else:
            return None
    return total + current if seen else None


# Verbs outlets use for one event; numbers and dates are compared within a class.
_VERB_CLASSES = {
    "die": "kill",
    "slay": "kill",
    "murder": "kill",
    "wound": "injure",
    "hurt": "injure",
    "down": "shoot",
}
# Nouns that count something else: "five counts of endangerment" counts endangerment charges.
_MEASURE_NOUNS = frozenset({"count", "number", "total", "group", "dozen", "handful", "set"})


_ESTIMATE = re.compile(
    r"\b(at least|at most|more than|less than|fewer than|over|under|nearly|almost|about|"
    r"around|approximately|roughly|some|up to|as many as|an estimated|estimated)$"
)
CLOCK_DIGITS = re.compile(
    r"\b\d{1,2}\s?:\s?\d\d\b(?:\s?[ap]\.?\s?m\b\.?)?|\b\d{1,2}\s?[ap]\.?\s?m\b\.?", re.IGNORECASE
)
"""A clock time in digits, spaced or not: "10:42", "3: 33 a. m.", "11 p.m."."""
_STATE_VERBS = frozenset({"be", "have", "remain", "stay"})
_PART_WORDS = frozenset({"other", "another", "additional", "remaining", "more", "further"})


def governing_verb(token: Token) -> str | None:
    """Lemma (by event class) of the nearest verb above a token, or None."""
    for ancestor in token.ancestors:
        if ancestor.pos_ in {"VERB", "AUX"} and ancestor.dep_ not in {"aux", "auxpass"}:
            lemma = ancestor.lemma_.lower()
            return _VERB_CLASSES.get(lemma, lemma)
    return None


def _event_of(date: Token) -> str | None:
    """The event a date belongs to: the noun it qualifies ("the Nov. 3 shooting"), else its verb."""
    if (
        date.head.pos_ in {"NOUN", "PROPN"}
        and date.head.i != date.i
        and date.head.ent_type_ != "DATE"
    ):
        return date.head.lemma_.lower()
    return governing_verb(date)


def _thing(noun: Token) -> str:
    """What a noun counts: its lemma, or the lemma of its of-complement for measure nouns."""
    lemma = noun.lemma_.lower()
    if lemma in _MEASURE_NOUNS:
        for prep in noun.children:
            if prep.dep_ == "prep" and prep.lower_ == "of":
                objects = [c for c in prep.children if c.dep_ == "pobj"]
                if objects:
                    return f"{lemma} of {objects[0].lemma_.lower()}"
    return lemma


def _counted_noun(token: Token) -> Token | None:
    head = token
    # Climb compound numbers ("two hundred", "2.5 million") to the numeral that attaches.
    while head.dep_ in {"compound", "quantmod", "nummod"} and head.head.pos_ == "NUM":
        head = head.head
    if head.dep_ == "nummod" and head.head.pos_ in {"NOUN", "PROPN"}:
        return head.head
    if head.dep_ in {"pobj", "dobj", "nsubj", "appos"} and head.i + 1 < len(head.doc):
        nxt = head.doc[head.i + 1]
        if nxt.dep_ == "prep" and nxt.lower_ == "of":
            objects = [c for c in nxt.children if c.dep_ == "pobj"]
            return objects[0] if objects else None
    return None


@per_span
def quantities(span: Span) -> list[Quantity]:
    """Numbers in a sentence with the noun each counts; dates, times and ordinals left out."""
    found: list[Quantity] = []
    skip = {t.i for ent in span.ents if ent.label_ in {"DATE", "TIME", "ORDINAL"} for t in ent}
    # Clock times the tagger missed, spaced as some wires print them ("3: 33 a. m.").
    for match in CLOCK_DIGITS.finditer(span.text):
        clock = span.char_span(match.start(), match.end(), alignment_mode="expand")
        skip.update(t.i for t in clock or ())
    used: set[int] = set()
    for token in span:
        if token.i in skip or token.i in used or token.pos_ != "NUM":
            continue
        # Take the whole numeral ("2.5 million", "twenty five").
        group = [token]
        nxt = token.i + 1
        while nxt < span.end and span.doc[nxt].pos_ == "NUM" and nxt not in skip:
            group.append(span.doc[nxt])
            nxt += 1
        value = parse_number(" ".join(t.text for t in group))
        if value is None:
            continue
        used.update(t.i for t in group)
        noun = _counted_noun(group[-1])
        first, last = group[0], group[-1]
        if noun is not None and noun.i > last.i and noun.i - last.i <= 4:
            last = noun
        text = span.doc[first.i : last.i + 1].text
        before = " ".join(t.lower_ for t in span.doc[max(span.start, first.i - 3) : first.i])
        between = {t.lower_ for t in span.doc[first.i : last.i + 1]}
        exact = not (
            _ESTIMATE.search(before) or any(t.dep_ == "advmod" for t in group) or "some" in between
        )
        partitive = noun is not None and any(
            t.lower_ == "of" for t in span.doc[first.i : noun.i]
        )  # "two of four people"
        part = bool(_PART_WORDS & (between | set(before.split()[-2:]))) or partitive
        verb = governing_verb(noun if noun is not None else group[-1])
        found.append(
            Quantity(
                value=value,
                text=text,
                counts=_thing(noun) if noun is not None else None,
                start=first.idx,
                end=last.idx + len(last.text),
                # A count under "be" or "have" ("four victims are stable", "there are six
                # victims") tells a state or a tally of some scope, not the count of an event.
                verb=None if verb in _STATE_VERBS else verb,
                exact=exact,
                part=part,
            )
        )
    # Two counts of one thing in one event are parts of a whole ("one DART officer and four
    # Dallas police officers were killed"), never the whole.
    shared = Counter((q.counts, q.verb) for q in found if q.counts is not None)
    return [
        replace(q, part=True) if q.counts is not None and shared[(q.counts, q.verb)] > 1 else q
        for q in found
    ]


def _date_parts(
    text: str,
) -> tuple[frozenset[int], frozenset[tuple[int, int]], frozenset[int], frozenset[int]]:
    words = re.findall(r"[A-Za-z]+|\d+(?:st|nd|rd|th)?", text.lower().replace("'s", ""))
    weekdays = {WEEKDAYS.index(w) for w in words if w in WEEKDAYS}
    years = {int(w) for w in words if _YEAR.match(w)}
    months: set[int] = set()
    month_days: set[tuple[int, int]] = set()
    for i, word in enumerate(words):
        month = MONTHS.index(word) + 1 if word in MONTHS else _MONTH_ABBR.get(word)
        if month is None or (word == "may" and len(word) == 3 and i == 0 and len(words) == 1):
            continue
        months.add(month)
        for j in (i - 1, i + 1):
            if 0 <= j < len(words) and (m := _DAY_OF_MONTH.match(words[j])):
                day = int(m.group(1))
                if 1 <= day <= 31:
                    month_days.add((month, day))
    return frozenset(weekdays), frozenset(month_days), frozenset(years), frozenset(months)


@per_span
def dates(span: Span, labels: frozenset[str] = frozenset({"DATE"})) -> list[DateMention]:
    """DATE entities of a sentence (or those of other labels, e.g. TIME for "Sunday night"),
    with weekdays, month-days, months and years parsed."""
    found = []
    for ent in span.ents:
        if ent.label_ not in labels:
            continue
        weekdays, month_days, years, months = _date_parts(ent.text)
        found.append(
            DateMention(
                ent.text,
                weekdays,
                month_days,
                years,
                months,
                ent.start_char,
                ent.end_char,
                _event_of(ent.root),
            )
        )
    return found


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_ARTICLE_PREFIX = re.compile(r"^(al|el|ul|ad|ash|as|an|ar|at|az)[-‐'’ ]", re.IGNORECASE)
_DIGRAPHS = (("gh", "g"), ("kh", "k"), ("q", "g"), ("dh", "d"), ("th", "t"), ("ph", "f"))


def name_key(word: str) -> str:
    """A transliteration-blind key of one name word: Qaani, Ghani, Ghaani → "gn"."""
    word = _ARTICLE_PREFIX.sub("", _strip_accents(word).lower())
    word = re.sub(r"[^a-z]", "", word)
    for src, dst in _DIGRAPHS:
        word = word.replace(src, dst)
    word = word[:1] + re.sub(r"[aeiouyhw]", "", word[1:])
    word = re.sub(r"(.)\1+", r"\1", word)
    return word


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _keys_match(a: str, b: str) -> bool:
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    # A name cut at a hyphen ("Burns-worth" read as "Burns") is a prefix of the whole name.
    if len(shorter) >= 4 and longer.startswith(shorter):
        return True
    # A one-letter slip in a longer key (Muqtada / Muqtadr) is the same name.
    return len(shorter) >= 4 and _edit_distance(a, b) <= 1


_NAME_STOP = {"the", "of", "and", "mr", "mrs", "ms", "dr", "president", "prime", "minister"}


def name_words(name: str) -> list[str]:
    """The words of a name that identify it (titles and particles dropped)."""
    words = re.split(r"[\s]+", _strip_accents(name).replace("’s", "").replace("'s", ""))
    return [w for w in words if w and w.lower().strip(".,") not in _NAME_STOP]


def same_actor(a: str, b: str) -> bool:
    """Whether two names can denote one actor across outlets (variants, transliterations).

    Names match when any identifying word of one matches a word of the other by its
    transliteration-blind key: "Ismail Qaani" / "Ghani", "al-Kadhimi" / "Kadhimi",
    "Muqtada al-Sadr" / "Muqtadr al-Sadr".
    """
    keys_a = [k for k in (name_key(w) for w in name_words(a)) if len(k) >= 2]
    keys_b = [k for k in (name_key(w) for w in name_words(b)) if len(k) >= 2]
    return any(_keys_match(x, y) for x in keys_a for y in keys_b)


def actors(span: Span) -> list[Actor]:
    """PERSON and ORG entities that are the subject or agent of a verb in the sentence."""
    found = []
    for ent in span.ents:
        if ent.label_ not in {"PERSON", "ORG"}:
            continue
        root = ent.root
        # "Stafford and Greenhouse were indicted": each conjunct holds the first one's role.
        head = root
        while head.dep_ == "conj" and head.head.i != head.i:
            head = head.head
        role = head.dep_
        verb = head.head
        root = head
        if role == "pobj" and root.head.dep_ == "agent":
            role, verb = "agent", root.head.head
        if role not in {"nsubj", "nsubjpass", "agent"} or verb.pos_ not in {"VERB", "AUX"}:
            continue
        # The passive agent and the active subject play one role: who did it.
        found.append(
            Actor(
                ent.text,
                ent.label_,
                "doer" if role in {"nsubj", "agent"} else "undergoer",
                verb.lemma_.lower(),
                ent.start_char,
                ent.end_char,
            )
        )
    return found


def participants(verb: Token) -> set[str]:
    """Named people and organisations taking part in a verb's event (subject, object, agent)."""
    names = set()
    for child in verb.children:
        if child.dep_ in {"nsubj", "nsubjpass", "dobj", "agent", "attr", "oprd", "dative"}:
            for token in child.subtree:
                if token.ent_type_ in {"PERSON", "ORG"} and token.ent_iob_ == "B":
                    names.add(_entity_text(token))
    return names


def _entity_text(token: Token) -> str:
    doc = token.doc
    end = token.i + 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    return doc[token.i : end].text


def different_participants(a: Token, b: Token) -> bool:
    """Whether two verbs name their participants and share none (two different events)."""
    mine, theirs = participants(a), participants(b)
    if not mine or not theirs:
        return False
    return not any(same_actor(x, y) for x in mine for y in theirs)
