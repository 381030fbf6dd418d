"""Claim extraction: body sentences in, atomic check-worthy claims with their facts out.

A long news sentence often states several facts ("Ismail Qaani, commander of the Quds Force,
arrived in Baghdad late on Sunday"): each becomes a claim of its own, so that another outlet
that confirms one of them corroborates that fact and not half a sentence. Reported speech is
split from its source: the claim is what was said, and the attribution records who said it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from models.mentions import Quantity, dates, quantities
from models.values import person_keys

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

    from models.checkworthy import CheckWorthiness
    from models.embedder import Vectors
    from models.text import Sentence

REPORTING_VERBS = frozenset(
    {
        "say",
        "tell",
        "announce",
        "report",
        "state",
        "claim",
        "add",
        "warn",
        "insist",
        "allege",
        "explain",
        "note",
        "write",
        "declare",
        "assert",
        "acknowledge",
        "admit",
        "reveal",
        "disclose",
    }
)
HEDGES = (
    "reportedly",
    "allegedly",
    "apparently",
    "purportedly",
    "supposedly",
    "possibly",
    "probably",
    "likely",
    "unconfirmed",
    "appears to",
    "appeared to",
    "seems to",
    "seemed to",
    "is believed",
    "are believed",
    "was believed",
    "were believed",
    "is thought",
    "are thought",
    "may have",
    "might have",
    "could have",
    "according to",
)
_HEDGE_RE = re.compile(r"\b(" + "|".join(re.escape(h) for h in HEDGES) + r")\b", re.IGNORECASE)
_RELATIVE = frozenset({"which", "who", "whom", "that", "whose"})
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Attribution:
    """Who an outlet credits a claim to."""

    source: str
    verb: str
    time: str | None = None
    plural: bool = field(default=False, compare=False)


@dataclass
class Claim:
    """An atomic factual claim of one sentence."""

    text: str
    sentence_index: int
    sentence: str
    start: int
    end: int
    checkworthiness: float
    entities: list[tuple[str, str]] = field(default_factory=list)
    numbers: list[Quantity] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    attribution: Attribution | None = None
    hedges: list[str] = field(default_factory=list)
    reads: str | None = None
    """The claim as compared with other outlets, where its opening pronoun stands for the one
    person the sentence before names as its subject ("She graduated in 2010" → "Jane Doe
    graduated in 2010"); None where the claim reads as written. The claim is shown as written.
    """


def _render(tokens: Iterable[Token], sentence_case: bool = True) -> str:
    ordered = sorted(tokens, key=lambda t: t.i)
    partners = _partners(ordered[0].sent) if ordered else {}
    if ordered:
        # A quote or bracket closed right after the last word kept closes the claim too
        # ('… and Paul Bailey."'); one whose partner was cut away goes: 'Miller, 52" will
        # lead …'.
        sentence = ordered[0].sent
        last = ordered[-1].i
        closing = [
            partners[t.i]
            for t in ordered
            if partners.get(t.i, -1) > last
            and all(sentence.doc[j].is_punct for j in range(last + 1, partners[t.i] + 1))
        ]
        if closing:
            ordered += [sentence.doc[j] for j in range(last + 1, max(closing) + 1)]
        kept = {t.i for t in ordered}
        ordered = [t for t in ordered if partners.get(t.i, t.i) in kept]
    # Drop punctuation left dangling at either end by removed sub-clauses.
    # A leading "that" only introduces a reported clause; "if", "while" or "because" carry
    # meaning and stay.
    while ordered and (
        ordered[0].is_punct
        or ordered[0].dep_ == "cc"
        or (ordered[0].dep_ == "mark" and ordered[0].lower_ == "that")
    ):
        ordered = ordered[1:]
    while ordered and (ordered[-1].is_punct or ordered[-1].dep_ == "cc"):
        if partners.get(ordered[-1].i, -1) >= ordered[0].i:
            # "(UCS)", "the "Sexiest Man Alive."": a mark whose partner is kept closes it.
            break
        ordered = ordered[:-1]
    if not ordered:
        return ""
    parts: list[str] = []
    for prev, tok in zip([None, *ordered[:-1]], ordered, strict=True):
        if prev is not None:
            gap = tok.i != prev.i + 1 or prev.whitespace_
            spaced = not tok.is_punct or tok.is_left_punct or tok.text in {"–", "—"}
            parts.append(" " if gap and spaced else "")
            if tok.is_punct and not tok.is_left_punct and tok.i != prev.i + 1:
                parts[-1] = ""
        parts.append(tok.text)
    text = _SPACE.sub(" ", "".join(parts)).strip(" ,;:–—-")
    text = re.sub(r"\s+([,.;:])", r"\1", text)
    text = re.sub(r",(\s*,)+", ",", text)
    text = re.sub(r",\s*([\"”’)])$", r"\1", text)  # 'aka “Cheeto,”' ends on its quote
    if not sentence_case:
        return text
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return _ended(text)


def _ended(text: str) -> str:
    """The text with a full stop, unless it ends a sentence already (also inside a closing
    quote or bracket: 'a loner."')."""
    if not text or _ENDED.search(text):
        return text
    return text + "."


_PAIRS = {")": "(", "]": "[", "”": "“", "’": "‘"}
_ENDED = re.compile(r"[.!?]\s*[\"”’)\]]*$")


def _partners(sentence: Span) -> dict[int, int]:
    """The partner of each quote and bracket of a sentence (by token index), both ways:
    straight quotes pair in order, typographic quotes and brackets by nesting. A closing mark
    with nothing open before it (an apostrophe) has none."""
    partners: dict[int, int] = {}
    open_: dict[str, list[int]] = {}
    straight: list[int] = []
    for token in sentence:
        if token.text == '"':
            straight.append(token.i)
        elif token.text in _PAIRS.values():
            open_.setdefault(token.text, []).append(token.i)
        elif token.text in _PAIRS and open_.get(_PAIRS[token.text]):
            start = open_[_PAIRS[token.text]].pop()
            partners[start], partners[token.i] = token.i, start
    for first, second in zip(straight[::2], straight[1::2], strict=False):
        partners[first], partners[second] = second, first
    return partners


def _subtree(token: Token, drop: set[int]) -> set[Token]:
    kept: set[Token] = set()
    stack = [token]
    while stack:
        cur = stack.pop()
        if cur.i in drop:
            continue
        kept.add(cur)
        stack.extend(cur.children)
    return kept


def _noun_phrase(token: Token, conjuncts: bool = False) -> str:
    """The noun phrase headed by token, without its clauses and appositions, and without the
    nouns joined to it unless `conjuncts` ("a boy and a man" as the subject of a verb)."""
    dropped = {"relcl", "appos", "acl", "punct"} | (set() if conjuncts else {"cc", "conj"})
    drop = {c.i for c in token.children if c.dep_ in dropped}
    return _render(_subtree(token, drop), sentence_case=False)


def _subject(verb: Token) -> Token | None:
    for child in verb.children:
        # A clause can be the subject too: "having a gun was not the answer".
        if child.dep_ in {"nsubj", "nsubjpass", "expl", "csubj", "csubjpass"}:
            return child
    return None


def _is_clause(verb: Token) -> bool:
    return verb.pos_ in {"VERB", "AUX"} and any(
        c.dep_ in {"nsubj", "nsubjpass", "dobj", "attr", "prep", "acomp", "agent", "ccomp", "xcomp"}
        for c in verb.children
    )


class _Splitter:
    """Cuts one parsed sentence into atomic statements."""

    def __init__(
        self, sentence: Span, speaker: str | None = None, speaker_plural: bool = False
    ) -> None:
        self.sentence = sentence
        # In a direct quote "they" is someone else; only indirect speech refers to its speaker.
        quoted = any(t.text in {'"', "“", "”"} or t.tag_ in {"``", "''"} for t in sentence)
        self.speaker = None if quoted else speaker
        self.speaker_plural = speaker_plural
        self.pieces: list[str] = []
        self.misparsed = False
        """Whether a clause could not be cut as a statement, so that the sentence stands for
        its claims: a clause with no subject to state it with ("…, said Jackman, 40, star of
        the film, will host the show", parsed with "Jackman" as the object of "said"), a verb
        whose subject the parser took for an object, or a clause that ends on a word whose
        object was cut away ("… killed on Saturday night after, police say, pointing …")."""

    def split(self, root: Token, subject_text: str | None = None) -> list[str]:
        self._clause(root, subject_text)
        self._reported(root)
        seen: set[str] = set()
        unique = []
        for piece in self.pieces:
            key = piece.lower()
            if key not in seen and len(piece.split()) >= 4:
                seen.add(key)
                unique.append(piece)
        return unique

    def _clause(self, verb: Token, subject_text: str | None) -> None:
        drop: set[int] = set()
        prefix = ""
        subj = _subject(verb)
        if (
            subj is not None
            and self.speaker
            and _pronoun_is_speaker(subj, self.speaker_plural)
            and _after_reporting(subj, self.sentence)
        ):
            # "Sources said they shot down …": the pronoun is the speaker.
            drop.add(subj.i)
            subject_text, subj = self.speaker, None
        for child in verb.children:
            if child.dep_ == "conj" and child.pos_ in {"VERB", "AUX"} and not _is_clause(child):
                # "… from a handgun, and … casings were also used": a bare verb joined to this
                # one, right after a noun, is that noun's, which the parser gave to another.
                if _subject(child) is None:
                    self._misparsed(_noun_before(child))
                continue
            if child.dep_ == "conj" and child.pos_ in {"VERB", "AUX"} and _is_clause(child):
                inherited = _noun_phrase(subj, conjuncts=True) if subj is not None else subject_text
                if (
                    _shares_object(verb, child)
                    or _subordinate(child)
                    or (_subject(child) is None and not inherited)
                    or (_subject(child) is None and subj is not None and _disagree(subj, child))
                    or (_subject(child) is None and self._misparsed(_noun_before(child)))
                ):
                    # "shot and killed five relatives" is one statement; a clause with no
                    # subject to give it ("… and injured 14 others"), or whose verb cannot
                    # take this one ("The driver matched … and casings were in sight"), or
                    # whose subject the parser took for an object ("shot two men and police
                    # arrested him"), stays.
                    continue
                drop.add(child.i)
                self._clause(child, None if _subject(child) is not None else inherited)
        # The conjunction goes with the clause it joined ("He was released in June and has
        # been a fugitive since July, according to …"): it comes before that clause, so this
        # is known only once every clause is placed.
        joined = [c for c in verb.children if c.dep_ == "conj"]
        for before, conj in zip([verb, *joined], joined, strict=False):
            if conj.i in drop:
                drop |= {c.i for c in verb.children if c.dep_ == "cc" and before.i < c.i < conj.i}
        for token in self.sentence:
            if token.dep_ == "appos" and _describable(token.head, token):
                if _is_ancestor(verb, token) and not _inside(token, drop):
                    drop.add(token.i)
                    self._apposition(token.head, token)
            elif token.dep_ == "relcl" and _is_ancestor(verb, token) and not _inside(token, drop):
                # A restrictive clause ("a move that could anger some") says which thing is
                # meant: it stays in the statement, and tells a fact of its own only about a
                # specific thing ("an elderly woman who was grazed"), not "anybody" or
                # "projects that could affect wildlife".
                if _set_off(token):
                    drop.add(token.i)
                elif not _specific(token.head):
                    continue
                self._relative(token.head, token)
        finite = {"VBZ", "VBP", "VBD", "MD"}
        if subj is None and not subject_text and verb.dep_ != "ROOT":
            tensed = [verb, *(c for c in verb.children if c.dep_ in {"aux", "auxpass"})]
            if any(t.tag_ in finite for t in tensed):
                self.misparsed = True
                return
        if subj is None and subject_text:
            prefix = subject_text + " "
            has_finite = any(
                c.dep_ in {"aux", "auxpass"} and c.tag_ in finite for c in verb.children
            )
            if not has_finite and verb.tag_ in {"VBN", "VBG"} | {"VB"}:
                # "groups have disputed … and been camped", "she was arrested and charged":
                # the shared auxiliary comes along.
                # A passive's auxiliary does not go to a base form ("were added … but figure
                # to be reserves") or a verb with its object right after it ("were called …
                # and evacuated students"); "was shot … and taken in serious condition" keeps
                # it.
                active = verb.tag_ == "VB" or any(
                    c.dep_ == "dobj" and c.left_edge.i == verb.i + 1 for c in verb.children
                )
                shared = {"aux"} if active else {"aux", "auxpass"}
                auxes = [
                    c.text for c in verb.head.children if c.dep_ in shared and c.tag_ in finite
                ]
                prefix += " ".join(auxes) + (" " if auxes else "")
        drop |= _flanking_punct(self.sentence, drop)
        tokens = _subtree(verb, drop)
        words = [t for t in tokens if not t.is_punct]
        last = max(words, key=lambda t: t.i) if words else None
        if last is not None and last.pos_ in {"ADP", "SCONJ"} and last.dep_ != "prt":
            # A preposition or "because" at the end has lost what it governs ("gave up" is a
            # particle, "left shortly after" an adverb: both fine).
            governed = [c for c in last.children if c.dep_ in {"pobj", "pcomp"} and c in tokens]
            self._misparsed(not governed)
        text = _render(tokens)
        if text:
            if prefix:
                text = prefix + text[0].lower() + text[1:] if not text[:2].isupper() else text
                text = text[0].upper() + text[1:]
            self.pieces.insert(0, text) if not self.pieces else self.pieces.append(text)

    def _misparsed(self, found: bool) -> bool:
        """Note a clause that cannot be cut as a statement (see `misparsed`); says `found`."""
        self.misparsed = self.misparsed or found
        return found

    def _reported(self, root: Token) -> None:
        """Facts reported inside a clause: "… after al-Kadhimi announced that he had survived"."""
        for token in root.subtree:
            if token.i == root.i or token.lemma_.lower() not in REPORTING_VERBS | {"confirm"}:
                continue
            content = [c for c in token.children if c.dep_ == "ccomp"]
            speaker = _subject(token)
            if not content or speaker is None or _negated(token):
                continue
            if any(c.dep_ == "mark" and c.lower_ in {"whether", "if"} for c in content[0].children):
                # "has not announced whether he will stand" reports no fact.
                continue
            clause = content[0]
            tokens = _subtree(clause, set())
            inner = _subject(clause)
            text = _render(tokens)
            plural = speaker.tag_ in {"NNS", "NNPS"} or speaker.lower_ in {"they", "we"}
            if inner is not None and inner.i > token.i and _pronoun_is_speaker(inner, plural):
                # The pronoun is the speaker in reported speech about oneself ("friends said
                # he was a junior" is about someone else: the pronoun stays).
                rest = _render(_subtree(clause, {inner.i}))
                text = f"{_noun_phrase(speaker)} {rest[0].lower() + rest[1:]}" if rest else text
            if text:
                self.pieces.append(text[0].upper() + text[1:])

    def _apposition(self, head: Token, appos: Token) -> None:
        skip: set[int] = set()
        if head.ent_type_ != "PERSON" and appos.ent_type_ == "PERSON":
            # "… leader of the Quds Force, Ismail Ghani": the person is the one described.
            skip = {appos.i}
            head, appos = appos, _role_noun(head)
        name = _noun_phrase(head)
        skip |= {t.i for t in appos.subtree if t.dep_ == "relcl"}
        description = _render(_subtree(appos, skip | _flanking_punct(self.sentence, skip)))
        description = description.rstrip(".")
        if name and description and len(description.split()) >= 2:
            verb = "are" if head.tag_ in {"NNS", "NNPS"} else "is"
            first = next(iter(appos.subtree))
            if first.pos_ != "PROPN":
                description = description[0].lower() + description[1:]
            self.pieces.append(_capitalise(_ended(f"{name} {verb} {description}")))

    def _relative(self, head: Token, clause: Token) -> None:
        persons = [c for c in head.children if c.dep_ == "appos" and c.ent_type_ == "PERSON"]
        if head.ent_type_ != "PERSON" and persons and any(t.lower_ == "who" for t in clause.lefts):
            head = persons[0]
        name = _noun_phrase(head)
        pronouns = [
            t for t in clause.subtree if t.lower_ in _RELATIVE and t.dep_ in {"nsubj", "nsubjpass"}
        ]
        if not name or not pronouns or _not_asserted(head, pronouns[0]):
            return
        if pronouns[0].head == clause and _disagree(head, clause):
            return  # the clause is about another noun than the one the parser gave it
        drop = {pronouns[0].i}
        body = _render(_subtree(clause, drop)).rstrip(".")
        if body:
            self.pieces.append(_capitalise(_ended(f"{name} {body[0].lower() + body[1:]}")))


_ROLE_NOUNS = frozenset(
    {
        "leader",
        "commander",
        "head",
        "chief",
        "replacement",
        "successor",
        "president",
        "minister",
        "member",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "founder",
        "director",
        "secretary",
        "general",
        "governor",
        "mayor",
        "chairman",
        "officer",
        "official",
    }
)
_NAMED = frozenset({"PERSON", "ORG", "GPE", "NORP", "FAC", "LOC"})


def _describable(head: Token, appos: Token) -> bool:
    """Whether an apposition describes a named thing (and is not a date or a number)."""
    if appos.ent_type_ in {"DATE", "TIME", "CARDINAL"} or head.ent_type_ in {"DATE", "TIME"}:
        return False
    if appos.ent_type_ and appos.ent_type_ == head.ent_type_:
        return False  # a list of names ("Jerry Shelton, 35, Brittany Powell, 27"), not a role
    if head.ent_type_ not in _NAMED and appos.ent_type_ != "PERSON":
        return False
    if appos.ent_type_ in {"GPE", "LOC"} or _across_brackets(head, appos):
        # "University of California, Santa Barbara" names a place; "(CBS SF)", "(seven
        # years, $140 million)" are asides, not descriptions.
        return False
    if any(c.dep_ == "cc" or c.text == ";" for c in (*head.children, *appos.subtree)):
        # "the civilian and Deputy James Atterberry", "the Office, the Administrator and
        # Sepic": a coordination the parser read as an apposition is a list of names.
        return False
    return len(list(appos.subtree)) <= 25


def _role_noun(token: Token) -> Token:
    """Climb "leader of the Quds Force" from "Force" to the role noun "leader"."""
    cur = token
    while cur.dep_ == "pobj" and cur.head.lower_ in {"of", "as"}:
        parent = cur.head.head
        if parent.lemma_.lower() not in _ROLE_NOUNS:
            break
        cur = parent
    return cur


def _flanking_punct(sentence: Span, dropped: set[int]) -> set[int]:
    """Commas and brackets that only fenced off a removed sub-clause."""
    extra: set[int] = set()
    doc = sentence.doc
    removed = {t.i for i in dropped for t in doc[i].subtree}
    for i in removed:
        for j in (min(t.i for t in doc[i].subtree) - 1, max(t.i for t in doc[i].subtree) + 1):
            if sentence.start <= j < sentence.end and j not in removed:
                if doc[j].is_punct and doc[j].text in {",", "(", ")", "–", "—", "-", "’", "‘"}:
                    extra.add(j)
    return extra


def _subordinate(verb: Token) -> bool:
    """Whether a clause opens with a subordinator other than "that" ("whether he …", "or if
    deputies …", "before he …"): it is not asserted on its own."""
    return any(c.dep_ == "mark" and c.lower_ != "that" for c in verb.children)


def _set_off(clause: Token) -> bool:
    """Whether a relative clause is set off by a comma, dash or bracket ("the visit, which
    Reuters later confirmed"): it adds a fact, and the statement holds without it. Without a
    restrictive one ("In a move that could anger some, …") the rest is not a statement."""
    first = min(t.i for t in clause.subtree)
    return first > 0 and clause.doc[first - 1].text in {",", "(", "–", "—", "-"}


def _across_brackets(head: Token, appos: Token) -> bool:
    """Whether a bracket stands between a noun and its apposition: one of them is an aside
    ("(seven years, $140 million)") or a dateline ("(Harris County, TX) Harris County
    Sheriff's Office …"), not a description of the other."""
    low, high = sorted((head.i, appos.i))
    return any(t.text in {"(", ")", "[", "]"} for t in head.doc[low + 1 : high])


_OBJECTS = frozenset({"dobj", "attr", "ccomp", "xcomp", "acomp", "oprd", "dative"})


def _shares_object(verb: Token, conj: Token) -> bool:
    """Whether two joined verbs share the second one's object ("shot and killed five
    relatives", "shot at and missed a woman"): the first has none of its own."""
    if not any(c.dep_ == "dobj" for c in conj.children):
        return False
    if any(c.dep_ in _OBJECTS | {"auxpass", "nsubjpass"} for c in verb.children):
        return False
    return not any(
        c.dep_ == "prep" and any(g.dep_ == "pobj" for g in c.children) for c in verb.children
    )


_PLURAL_VERBS = frozenset({"are", "were"})
_SINGULAR_VERBS = frozenset({"is", "was", "has"})


def _noun_before(verb: Token) -> bool:
    """Whether a verb without a subject comes right after a noun: "… shot two men and police
    arrested him" is parsed with "police" as a second object, and "arrested" as a second verb
    of the suspect. A verb that really shares its subject follows "and", "then" or a comma."""
    first = verb.left_edge  # "… casings were also used": the auxiliary opens the verb
    if first.i == verb.sent.start:
        return False
    before = verb.doc[first.i - 1]
    return before.pos_ in {"NOUN", "PROPN", "PRON"} and before.dep_ != "nsubj"


def _disagree(subject: Token, verb: Token) -> bool:
    """Whether a verb cannot take a subject in number ("the driver … were"): the parser
    joined the verb to the wrong clause."""
    finite = [verb, *(c for c in verb.children if c.dep_ in {"aux", "auxpass"})]
    words = {t.lower_ for t in finite}
    if subject.tag_ in {"NN", "NNP"}:
        # "tools, like the new TipLine, that help …": a plural present tense is not the
        # singular noun's.
        return bool(words & _PLURAL_VERBS) or any(t.tag_ == "VBP" for t in finite)
    if subject.tag_ in {"NNS", "NNPS"}:
        return bool(words & _SINGULAR_VERBS) or verb.tag_ == "VBZ"
    return False


_PERSONAL = frozenset({"who", "whom"})
_NONE_OF = frozenset({"no", "any", "every"})


def _not_asserted(head: Token, pronoun: Token) -> bool:
    """Whether a relative clause tells no fact of its own: its noun is quantified away ("any
    information that can help police", "no one who saw it"), stands under a negation ("I've
    never had a situation that happened like this"), or is a thing that "who" cannot refer
    to (the parser put the clause on the wrong noun)."""
    if any(c.dep_ == "det" and c.lower_ in _NONE_OF for c in head.children):
        return True
    if pronoun.lower_ in _PERSONAL and head.ent_type_ in {"ORG", "FAC", "GPE", "LOC", "PRODUCT"}:
        return True
    governor = next((a for a in head.ancestors if a.pos_ in {"VERB", "AUX"}), None)
    return governor is not None and any(
        c.dep_ == "neg" or c.lower_ == "never" for c in governor.children
    )


def _specific(noun: Token) -> bool:
    """A name, or a noun with a determiner, possessive or number: not a pronoun or a bare,
    generic noun."""
    if noun.pos_ == "PROPN":
        return True
    return noun.pos_ == "NOUN" and any(c.dep_ in {"det", "poss", "nummod"} for c in noun.children)


_DANGLING = re.compile(
    r"(?:\b(?:the|a|an|of|and|or|but|to|in|at|by|for|with|from|on|as|is|are|was|were)"
    r"|['’]s)\W*$",
    re.IGNORECASE,
)
_OPENS_RELATIVE = re.compile(r"(?:who|whom|whose|which|that)\b", re.IGNORECASE)
_NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "FAC", "LOC", "NORP", "EVENT", "WORK_OF_ART"})


def _whole(piece: str, sentence: Span) -> bool:
    """Whether a statement cut from a sentence reads as one: it ends on a word that needs
    nothing after it, and it holds each name of the sentence whole or not at all ("leader of
    the Rainbow." cut from "the Rainbow PUSH Coalition" is not a statement of the sentence)."""
    if _DANGLING.search(piece.rstrip(" .!?")) or _OPENS_RELATIVE.match(piece):
        return False
    lowered = piece.lower()
    words = set(re.findall(r"\w+", lowered))
    for ent in sentence.ents:
        if ent.label_ not in _NAME_LABELS or len(ent) < 2:
            continue
        name = re.sub(r"^the\s+", "", ent.text.lower())
        if name in lowered:
            continue
        parts = {t.lower_ for t in ent if t.is_alpha and t.text[:1].isupper() and not t.is_stop}
        if parts & words:
            return False
    return True


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _negated(verb: Token) -> bool:
    return any(c.dep_ == "neg" for c in verb.children)


def _after_reporting(pronoun: Token, sentence: Span) -> bool:
    """Whether a pronoun follows the verb that reports it ("Officials said they …"): one that
    comes first ("She died in her sleep, spokesman Harlan Boll said"; "According to his
    mother, he …") points back to someone the text named before, not to the speaker."""
    root = sentence.root
    return root.lemma_.lower() in REPORTING_VERBS and pronoun.i > root.i


def _pronoun_is_speaker(pronoun: Token, speaker_plural: bool) -> bool:
    """Whether a subject pronoun of reported speech can be its speaker (number agrees)."""
    if speaker_plural:
        return pronoun.lower_ == "they"
    return pronoun.lower_ in {"he", "she"}


def _is_ancestor(ancestor: Token, token: Token) -> bool:
    return any(a.i == ancestor.i for a in token.ancestors)


def _inside(token: Token, dropped: set[int]) -> bool:
    return any(a.i in dropped for a in token.ancestors)


def attribution_of(sentence: Span) -> tuple[Token, Attribution | None]:
    """The clause holding the claim and whom the sentence credits it to.

    "Officials told the media on Monday that both the drones and explosives were
    Iranian-made" gives the clause "both the drones and explosives were Iranian-made",
    attributed to "Officials" (verb "told", time "Monday").
    """
    root = sentence.root
    if root.lemma_.lower() in REPORTING_VERBS:
        content = [c for c in root.children if c.dep_ in {"ccomp", "parataxis"}]
        speaker = [c for c in root.children if c.dep_ in {"nsubj", "nsubjpass"}]
        # "Police did not say whether he had a gun" reports no fact: the sentence stands whole.
        if content and speaker and not _negated(root) and not _subordinate(content[0]):
            time = None
            for child in root.children:
                if child.dep_ in {"prep", "npadvmod"} or child.ent_type_ == "DATE":
                    dated = [t for t in child.subtree if t.ent_type_ == "DATE"]
                    if dated:
                        time = " ".join(t.text for t in dated)
            plural = speaker[0].tag_ in {"NNS", "NNPS"} or speaker[0].lower_ in {"they", "we"}
            return content[0], Attribution(
                _noun_phrase(speaker[0]), root.text.lower(), time, plural
            )
    for token in sentence:
        # "according to X, ..." credits X.
        if token.lower_ == "according" and token.i + 1 < sentence.end:
            nxt = sentence.doc[token.i + 1]
            objects = [c for c in nxt.children if c.dep_ == "pobj"]
            if nxt.lower_ == "to" and objects:
                return root, Attribution(_noun_phrase(objects[0]), "according to")
    return root, None


def heuristic_checkworthiness(sentence: Span) -> float:
    """A rule-of-thumb score for when no trained check-worthiness model is installed."""
    score = 0.3
    if any(e.label_ in {"PERSON", "ORG", "GPE", "NORP", "FAC", "LOC"} for e in sentence.ents):
        score += 0.25
    if any(t.pos_ == "NUM" for t in sentence) or any(e.label_ == "DATE" for e in sentence.ents):
        score += 0.2
    if any(t.tag_ in {"VBD", "VBN"} for t in sentence):
        score += 0.15
    if sentence.text.rstrip().endswith("?"):
        score -= 0.5
    if any(t.lower_ in {"i", "you", "we"} for t in sentence):
        score -= 0.2
    return float(min(1.0, max(0.0, score)))


class ClaimExtractor:
    """Picks check-worthy sentences and cuts them into atomic claims."""

    def __init__(self, checkworthiness: CheckWorthiness | None, threshold: float | None) -> None:
        self.model = checkworthiness
        # News is the product's input: the threshold chosen on hand-labelled news sentences,
        # not the one chosen on debate transcripts, unless the settings say otherwise.
        default = checkworthiness.news_threshold if checkworthiness is not None else 0.5
        self.threshold = threshold if threshold is not None else default

    def score(self, sentences: Sequence[Sentence], embeddings: Vectors) -> list[float]:
        """Check-worthiness of each sentence."""
        spans = [s.span for s in sentences]
        if any(span is None for span in spans):
            raise ValueError("sentences must carry their spaCy span")
        parsed: list[Span] = [span for span in spans if span is not None]
        if self.model is not None and parsed:
            return [float(x) for x in self.model.score(parsed, embeddings)]
        return [heuristic_checkworthiness(span) for span in parsed]

    def extract(self, sentences: Sequence[Sentence], embeddings: Vectors) -> list[Claim]:
        """Atomic claims of the check-worthy sentences.

        Args:
            sentences: Body sentences with their spaCy spans.
            embeddings: Sentence embeddings, one row per sentence.

        Returns:
            Claims in reading order; each keeps the span of its sentence.
        """
        scores = self.score(sentences, embeddings) if len(sentences) else []
        claims: list[Claim] = []
        # A page repeats itself (captions, sidebars, a pull quote): one claim per statement.
        seen: set[str] = set()
        for index, (sentence, score) in enumerate(zip(sentences, scores, strict=True)):
            span = sentence.span
            if span is None or score < self.threshold or not _declarative(span):
                continue
            if _rhetoric(span):
                continue
            clause, attribution = attribution_of(span)
            speaker = attribution.source if attribution else None
            plural = attribution is not None and attribution.plural
            splitter = _Splitter(span, speaker, plural)
            cut = splitter.split(clause)
            # A piece that is not a whole statement of the sentence gives way to the sentence.
            pieces = [p for p in cut if _whole(p, span)]
            if splitter.misparsed:
                pieces = [sentence.text]  # a misread parse: no cut of it can be trusted
            elif len(pieces) < len(cut) or not pieces:
                pieces.append(sentence.text)
            hedges = sorted({m.group(1).lower() for m in _HEDGE_RE.finditer(sentence.text)})
            for piece in pieces:
                key = " ".join(re.findall(r"\w+", piece.lower()))
                if key in seen:
                    continue
                seen.add(key)
                claims.append(
                    Claim(
                        text=piece,
                        sentence_index=index,
                        sentence=sentence.text,
                        start=sentence.start,
                        end=sentence.end,
                        checkworthiness=score,
                        entities=[
                            (e.text, e.label_) for e in span.ents if e.text.lower() in piece.lower()
                        ],
                        numbers=[q for q in quantities(span) if q.text.lower() in piece.lower()],
                        dates=[d.text for d in dates(span) if d.text.lower() in piece.lower()],
                        attribution=attribution,
                        hedges=hedges,
                        reads=read_as_named(sentences, index, piece),
                    )
                )
        return claims


_OPENING_PRONOUNS = {"he": False, "she": False, "his": True, "her": True}
"""Singular personal pronouns that can open a sentence about a person, and whether each is a
possessive there ("Her mother said …")."""
_OTHER_GENDER = {
    "he": frozenset({"she", "her", "hers", "herself"}),
    "his": frozenset({"she", "her", "hers", "herself"}),
    "she": frozenset({"he", "him", "his", "himself"}),
    "her": frozenset({"he", "him", "his", "himself"}),
}


def read_as_named(sentences: Sequence[Sentence], index: int, piece: str) -> str | None:
    """`piece` with its opening pronoun replaced by the person it stands for, or None.

    Only the plainest case is read, where a wrong reading is least likely: the sentence opens
    with "he", "she", "his" or "her", and the sentence before names exactly one person, as
    the subject of its clause ("Jane Doe, 19, was shot on Main Street. She died at the
    scene."). A pronoun in the middle of a sentence, a sentence before that names two people
    or none, one whose person is not its subject ("Police found Doe. He …" may be about
    someone unnamed) or only the speaker ("Doe said …"), and one that speaks of someone of
    the other gender ("Doe called police after her husband hit her. He …") leave the claim
    as written. The name is the fullest form the article gave that person before ("Doe" →
    "Jane Doe").
    """
    first, _, rest = piece.partition(" ")
    possessive = _OPENING_PRONOUNS.get(first.lower())
    span = sentences[index].span
    if possessive is None or not rest or index == 0 or span is None:
        return None
    if not len(span) or span[0].lower_ != first.lower():
        return None
    before = sentences[index - 1].span
    if before is None:
        return None
    if any(t.lower_ in _OTHER_GENDER[first.lower()] for t in before):
        return None  # someone of the other gender is about: "… after her husband hit her. He …"
    people = [e for e in before.ents if e.label_ == "PERSON"]
    # The subject of what happened, not a speaker: after "Doe said the boy was shot.", "He …"
    # is as likely to be the boy.
    if not people or not any(
        e.root.dep_ in {"nsubj", "nsubjpass"} and e.root.head.lemma_.lower() not in REPORTING_VERBS
        for e in people
    ):
        return None
    keys = [person_keys(e.text) for e in people]
    if not all(keys) or any(not (a & b) for a in keys for b in keys):
        return None  # a mention without a usable name, or two different people
    named = frozenset().union(*keys)
    forms = [
        e.text
        for s in sentences[:index]
        if s.span is not None
        for e in s.span.ents
        if e.label_ == "PERSON" and person_keys(e.text) & named
    ]
    name = max(forms, key=lambda f: len(f.split()))
    if person_keys(name) & person_keys(rest):
        return None
    return f"{name}'s {rest}" if possessive else f"{name} {rest}"


_QUOTED = re.compile(r"[\"“”](.+?)[\"“”]", re.DOTALL)
_FACT_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "FAC", "DATE", "TIME", "CARDINAL", "MONEY", "QUANTITY"}
)


def _rhetoric(span: Span) -> bool:
    """A quotation that is mostly words with no checkable value: "They don't listen to him as
    much as they listened to Qassem," the official said. Quotes with names, places, dates or
    numbers stay claims."""
    text = span.text
    quoted = [m for m in _QUOTED.finditer(text)]
    inside = sum(m.end() - m.start() for m in quoted)
    if not quoted or inside < 0.6 * len(text.strip()):
        return False
    base = span.start_char
    for ent in span.ents:
        if ent.label_ in _FACT_LABELS and any(
            m.start() <= ent.start_char - base < m.end() for m in quoted
        ):
            return False
    return True


def _declarative(span: Span) -> bool:
    """Whether a sentence states something: not a question, not a fragment without a verb, and
    not an instruction to the reader ("If you see him, call 911"; "Follow us on Twitter")."""
    text = span.text.strip()
    if text.endswith("?") or len([t for t in span if not t.is_punct]) < 5:
        return False
    return any(t.pos_ in {"VERB", "AUX"} for t in span) and not _imperative(span)


_LEADING = frozenset({"advcl", "prep", "intj", "npadvmod", "advmod", "mark", "ccomp", "parataxis"})


def _imperative(sentence: Span) -> bool:
    """A main verb in its base form with no subject and no auxiliary but "do" ("Do not
    approach him"), with nothing before it but a clause or phrase of its own ("If you see him,
    call 911"): an instruction. A "verb" with an adjective or article of its own, or a noun
    before it, is a word the tagger misread ("Loud talk … led to a fight")."""
    root = sentence.root
    if root.tag_ != "VB" or root.pos_ != "VERB":
        return False
    for child in root.children:
        if child.dep_ in {"nsubj", "nsubjpass", "expl", "auxpass", "amod", "det", "poss"}:
            return False
        if child.dep_ == "aux" and child.lemma_.lower() != "do":
            return False
    fenced = {t.i for c in root.children if c.dep_ in _LEADING and c.i < root.i for t in c.subtree}
    return not any(
        t.pos_ in {"NOUN", "PROPN", "PRON"} and t.i not in fenced
        for t in sentence.doc[sentence.start : root.i]
    )


def stack(vectors: Sequence[Vectors]) -> Vectors:
    """Stack embedding blocks (possibly empty) into one array."""
    blocks = [v for v in vectors if len(v)]
    return np.vstack(blocks) if blocks else np.zeros((0, 384), dtype=np.float32)
