"""The planted errors: one function per kind that alters a faithful bullet.

Each edit takes the bullet parsed by spaCy (tagger, parser, NER), a `Context` with what
the edit needs to know about the story and the other stories, and a seeded
`random.Random`; it returns an `Edit` (the altered bullet and what changed) or None when
the bullet offers nothing to alter. Pure functions of their inputs, so a seed gives the
same cases on every machine with the same spaCy model.

The edits are written to make the bullet false against its story, not merely different:
a swapped number is one the story does not contain (within 10%, years exactly), a bound
moves the way that falsifies it ("over 30" -> "over 60"), a swapped
entity from another story shares no word with this story, a unit change turns a unit into
one the story does not use with that number.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Callable, NamedTuple

# Bump when an edit below changes which cases are generated or how they read.
EDITS_VERSION = "1"

ENTITY_LABELS = ("PERSON", "ORG", "GPE")
NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
_NUMBER_RE = re.compile(
    r"(?<![\w.,/-])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w/]|[.,]\d)"
    r"|\b(?:" + "|".join(w for w in NUMBER_WORDS if NUMBER_WORDS[w] >= 2) + r")\b",
    re.IGNORECASE)


class Edit(NamedTuple):
    altered: str
    edit: str          # what changed, e.g. "12 -> 18" or "nsubj/dobj: Chelsea <-> Arsenal"


@dataclass(frozen=True)
class Context:
    """What the edits know besides the bullet."""

    story: str
    story_values: frozenset[float]                 # every number written in the story
    story_words: frozenset[str]                    # lowercased words of the story
    story_entities: dict[str, tuple[str, ...]]     # label -> entity texts of this story
    other_entities: dict[str, tuple[str, ...]]     # label -> entity texts of other
                                                   # stories, each under its usual label


def numbers_in(text: str) -> list[float]:
    """Values of the digit numbers and number words ("two".."twelve") in a text."""
    return [_value(m.group()) for m in _NUMBER_RE.finditer(text)]


def _value(written: str) -> float:
    word = NUMBER_WORDS.get(written.lower())
    return float(word) if word is not None else float(written.replace(",", ""))


# ---------------------------------------------------------------- number swaps
def number_swap(doc, ctx: Context, rng: random.Random) -> Edit | None:
    """A number replaced by a plausible one the story does not have: a year moved by 1-3,
    a small count by another small count, anything else scaled by 0.5-3 and rounded to
    the precision it was written with."""
    text = doc.text
    found = list(_NUMBER_RE.finditer(text))
    rng.shuffle(found)
    for m in found:
        new = _other_number(m.group(), ctx.story_values, rng, _qualifier(text[:m.start()]))
        if new is not None:
            return Edit(text[:m.start()] + new + text[m.end():], f"{m.group()} -> {new}")
    return None


# Words before a number that make it a bound or an estimate ("over 30", "about 30").
_QUALIFIERS = {">": ("over", "more than", "above", "at least", "in excess of", "upwards of",
                     "minimum of", "no fewer than", "no less than", "greater than",
                     "higher than", "exceeding"),
               "<": ("under", "less than", "fewer than", "below", "up to", "at most",
                     "no more than", "maximum of", "lower than"),
               "~": ("about", "around", "nearly", "almost", "roughly", "approximately",
                     "some", "close to", "an estimated")}


def _qualifier(before: str) -> str | None:
    """">", "<" or "~" when the text before a number ends with such a word."""
    tail = re.sub(r"[$£€]$", "", before.lower()).rstrip()
    return next((q for q, phrases in _QUALIFIERS.items()
                 if any(re.search(r"\b" + p + "$", tail) for p in phrases)), None)


def _other_number(written: str, story: frozenset[float], rng: random.Random,
                  qualifier: str | None = None) -> str | None:
    """A bound moves the way that makes it false ("over 30" -> "over 60", never "over 15",
    which a story's 30 still satisfies); an estimate moves by 25% or more."""
    value = _value(written)
    if written.lower() in NUMBER_WORDS:
        words = [w for w, v in NUMBER_WORDS.items() if v >= 2 and v != value
                 and not _near(v, story, exact=True) and _breaks(qualifier, value, v)]
        return _same_case(rng.choice(words), written) if words else None
    decimals = len(written.split(".")[1]) if "." in written else 0
    year = decimals == 0 and len(written) == 4 and 1900 <= value <= 2030
    if year:
        options = [value + d for d in (-3, -2, -1, 1, 2, 3)]
    elif decimals == 0 and value < 13:
        options = [float(v) for v in range(2, 13) if v != value]
    else:
        options = [_round_like(value * f, decimals) for f in (0.5, 0.6, 0.75, 1.5, 2, 3)]
    options = [v for v in options if v > 0 and v != value and not _near(v, story, exact=year)
               and _breaks(qualifier, value, v)]
    if not options:
        return None
    new = rng.choice(options)
    return f"{new:,.{decimals}f}" if "," in written else f"{new:.{decimals}f}"


def _round_like(value: float, decimals: int) -> float:
    """Rounded to the written decimals, and integers of 100+ to two significant digits."""
    if decimals or value < 100:
        return round(value, decimals)
    digits = len(str(int(value))) - 2
    return float(round(value, -digits))


def _breaks(qualifier: str | None, old: float, new: float) -> bool:
    """Does writing `new` under `qualifier` contradict a story that says `old`?"""
    if qualifier == ">":
        return new > old
    if qualifier == "<":
        return new < old
    if qualifier == "~":
        return abs(new - old) >= 0.25 * old
    return True


def _near(value: float, story: frozenset[float], exact: bool) -> bool:
    """Is `value` in the story (within 10%: the number check's tolerance for estimates)?"""
    if exact:
        return value in story
    return any(abs(value - s) <= 0.1 * max(abs(value), abs(s)) for s in story)


def _same_case(word: str, like: str) -> str:
    return word.capitalize() if like[:1].isupper() else word


# ---------------------------------------------------------------- entity swaps
def entity_swap(doc, ctx: Context, rng: random.Random) -> Edit | None:
    """A PERSON/ORG/GPE replaced by one of the same type from another story that shares
    no word with this story (a surname alone for a one-word person)."""
    return _swap_entity(doc, ctx, rng, lambda ent: _foreign(ent, ctx))


def entity_swap_in_story(doc, ctx: Context, rng: random.Random) -> Edit | None:
    """A PERSON/ORG/GPE replaced by another entity of the same type from the same story:
    a name the story does contain, in a role it does not have there."""
    return _swap_entity(doc, ctx, rng, lambda ent: _in_story(ent, ctx))


def _swap_entity(doc, ctx: Context, rng: random.Random, donors: Callable) -> Edit | None:
    """Only entities the story's NER also finds with that label (whole or in part), so
    the original names something the story has and the label is trustworthy."""
    ents = [e for e in doc.ents if e.label_ in ENTITY_LABELS and _name_like(e.text)
            and any(words(e.text) <= words(n) for n in ctx.story_entities.get(e.label_, ()))]
    rng.shuffle(ents)
    for ent in ents:
        pool = sorted({d for d in donors(ent) if d.lower() not in doc.text.lower()})
        if pool:
            new = rng.choice(pool)
            text = doc.text
            return Edit(text[:ent.start_char] + new + text[ent.end_char:],
                        f"{ent.label_}: {ent.text} -> {new}")
    return None


def _name_like(text: str) -> bool:
    """A clean name: capitalised words only, no digits or odd characters, at most 4 words."""
    words = text.split()
    return (0 < len(words) <= 4 and all(w[:1].isupper() and re.fullmatch(r"[\w.&-]+('\w+)?", w)
                                        for w in words)
            and not any(c.isdigit() for c in text) and not text.endswith("'s"))


def words(text: str) -> set[str]:
    """Lowercased words of a text."""
    return {w.lower() for w in re.findall(r"\w+", text)}


def _foreign(ent, ctx: Context) -> list[str]:
    out = []
    for name in ctx.other_entities.get(ent.label_, ()):
        if not _name_like(name) or words(name) & ctx.story_words:
            continue
        parts = name.split()
        if ent.label_ == "PERSON":
            if len(ent.text.split()) == 1:
                name = parts[-1]
            elif len(parts) < 2:
                continue
        out.append(name)
    return out


def _in_story(ent, ctx: Context) -> list[str]:
    mine = words(ent.text)
    two_words = ent.label_ == "PERSON" and len(ent.text.split()) > 1
    return [name for name in ctx.story_entities.get(ent.label_, ())
            if _name_like(name) and not words(name) & mine
            and (len(name.split()) > 1 or not two_words)]


# ---------------------------------------------------------------- subject/object swaps
_CLAUSE_DEPS = {"relcl", "acl", "appos", "punct", "cc", "conj", "advcl", "ccomp"}


def subject_object_swap(doc, ctx: Context, rng: random.Random) -> Edit | None:
    """The arguments of a transitive verb swapped: "X defeated Y" -> "Y defeated X"
    (active nsubj/dobj), or "X was beaten by Y" -> "Y was beaten by X" (passive). Both
    must name someone who can act, so the swap reads as a claim, not as nonsense ("A
    goal scored Tom Heaton")."""
    pairs = list(_argument_pairs(doc))
    if not pairs:
        return None
    verb, first, second = rng.choice(pairs)
    text = doc.text
    a, b = _moved(doc, second, into=first), _moved(doc, first, into=second)
    altered = (text[:first.start_char] + a + text[first.end_char:second.start_char] + b
               + text[second.end_char:])
    return Edit(altered, f"{verb.lemma_}: {first.text} <-> {second.text}")


# Verbs whose arguments can trade places without changing what is claimed.
SYMMETRIC_VERBS = frozenset("""play face meet marry battle fight draw tie date join partner
    resemble""".split())


def _argument_pairs(doc):
    """(verb, subject span, object span) for every clean transitive use in the bullet."""
    for verb in doc:
        if verb.pos_ not in ("VERB", "AUX") or verb.lemma_.lower() in SYMMETRIC_VERBS:
            continue
        subj = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
        obj = [c for c in verb.children if c.dep_ == "dobj"]
        obj += [g for c in verb.children if c.dep_ == "agent"
                for g in c.children if c.dep_ == "pobj"]
        if len(subj) != 1 or len(obj) != 1:
            continue
        first, second = _argument(doc, subj[0]), _argument(doc, obj[0])
        if (first is not None and second is not None and first.end <= verb.i < second.start
                and first.text.lower() != second.text.lower()
                and _names_someone(first) and _names_someone(second)):
            yield verb, first, second


def _argument(doc, head):
    """The noun phrase headed by `head`, if it is a short one without a clause,
    preposition, pronoun or number in it."""
    span = doc[head.left_edge.i: head.right_edge.i + 1]
    text = doc.text
    if (head.pos_ not in ("PROPN", "NOUN") or len(span) > 5
            or text[span.start_char - 1: span.start_char].strip()          # part of a word
            or text[span.end_char: span.end_char + 1].isalnum()
            or (span.end < len(doc) and doc[span.end].pos_ == "PROPN")      # a cut name
            or any(t.dep_ in _CLAUSE_DEPS or t.pos_ in ("PRON", "ADP", "NUM") for t in span)):
        return None
    return span


# Common nouns that can do what a name does ("Police arrested the man").
AGENT_NOUNS = frozenset("""man woman men women boy girl child children police officer officers
    player players team club side striker defender midfielder goalkeeper keeper manager boss
    coach captain mother father wife husband son daughter brother sister family couple
    student teacher doctor nurse judge jury court government minister official officials
    people fans supporters president leader chief owner company firm council authorities
    victim suspect driver pilot soldier soldiers troops rebels army lawyer prosecutors
    friend neighbour neighbor parents rival rivals champion champions""".split())


def _names_someone(span) -> bool:
    """A name, or a common noun for someone who can act ("the police", "his wife")."""
    return (any(t.pos_ == "PROPN" for t in span) or span.root.lemma_.lower() in AGENT_NOUNS
            or span.root.lower_ in AGENT_NOUNS)


def _moved(doc, span, *, into) -> str:
    """`span`'s text as it reads in `into`'s place: capitalised at the bullet start, a
    capital that only marked the start dropped elsewhere."""
    text = span.text
    if into.start == 0:
        return text[:1].upper() + text[1:]
    if span.start == 0 and doc[0].pos_ == "DET":
        return text[:1].lower() + text[1:]
    return text


# ---------------------------------------------------------------- negations
ANTONYMS = dict(pair for a, b in [
    ("won", "lost"), ("wins", "loses"), ("win", "lose"), ("increased", "decreased"),
    ("rose", "fell"), ("guilty", "innocent"), ("approved", "rejected"),
    ("convicted", "acquitted"), ("confirmed", "denied"), ("allowed", "banned"),
    ("survived", "died"), ("alive", "dead"), ("higher", "lower"), ("accepted", "refused"),
    ("success", "failure"), ("successful", "unsuccessful"), ("legal", "illegal"),
    ("victory", "defeat"), ("best", "worst"),
] for pair in ((a, b), (b, a)))
_CONTRACTED = {"wo": "will", "ca": "can", "sha": "shall"}
_DO = {"VBD": "did", "VBZ": "does", "VBP": "do"}


def negation(doc, ctx: Context, rng: random.Random) -> Edit | None:
    """A negation removed ("did not win" -> "did win", "never" dropped), else either an
    antonym swapped in ("won" -> "lost") or "not" added to the main verb."""
    for tok in doc:
        if (tok.dep_ == "neg" and tok.head.pos_ in ("VERB", "AUX")
                and doc[max(tok.i - 1, 0)].lower_ != "or"):    # not "whether or not"
            return _without(doc, tok)
    options = [e for e in (_antonym(doc), _with_not(doc)) if e is not None]
    return rng.choice(options) if options else None


def _without(doc, neg) -> Edit:
    text = doc.text
    start, end = neg.idx, neg.idx + len(neg.text)
    before = text[:start]
    if neg.text.lower() == "n't" and neg.i > 0:
        prev = doc[neg.i - 1]
        if prev.text.lower() in _CONTRACTED:
            before = text[:prev.idx] + _same_case(_CONTRACTED[prev.text.lower()], prev.text)
    else:
        before = before.rstrip()
    return Edit(before + text[end:], f"removed {neg.text!r}")


def _antonym(doc) -> Edit | None:
    for tok in doc:
        new = ANTONYMS.get(tok.text.lower())
        if new and tok.pos_ in ("VERB", "ADJ", "NOUN", "ADP", "ADV"):
            text = doc.text
            return Edit(text[:tok.idx] + _same_case(new, tok.text)
                        + text[tok.idx + len(tok.text):], f"{tok.text} -> {new}")
    return None


def _with_not(doc) -> Edit | None:
    """ "not" after the main verb's first auxiliary or copula, "did/does/do not" + lemma
    for a simple past or present, "not" before a bare participle ("Man not arrested")."""
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None or root.pos_ not in ("VERB", "AUX"):
        return None
    text = doc.text
    aux = [c for c in root.children if c.dep_ in ("aux", "auxpass") and c.i < root.i]
    if aux or root.lemma_ == "be":
        at = aux[0] if aux else root
        end = at.idx + len(at.text)
        return Edit(text[:end] + " not" + text[end:], f"not after {at.text!r}")
    if root.tag_ in _DO:
        new = _same_case(f"{_DO[root.tag_]} not {root.lemma_}", root.text)
        return Edit(text[:root.idx] + new + text[root.idx + len(root.text):],
                    f"{root.text} -> {new}")
    if root.tag_ in ("VBN", "VBG"):
        return Edit(text[:root.idx] + "not " + text[root.idx:], f"not before {root.text!r}")
    return None


# ---------------------------------------------------------------- unit changes
_NUM = r"(?:\d[\d,.]*|" + "|".join(NUMBER_WORDS) + r")"
# (pattern with the unit in group "u", replacement); the number comes right before it.
UNIT_CHANGES: tuple[tuple[str, str], ...] = (
    (r"(?<=\d )(?P<u>million)\b", "billion"),
    (r"(?<=\d )(?P<u>billion)\b", "million"),
    (r"(?<=\d)(?P<u>m|bn)\b", "{swap_scale}"),
    (_NUM + r"[ -](?P<u>km|kilometres|kilometers)\b", "miles"),
    (_NUM + r"[ -](?P<u>miles?)\b", "kilometres"),
    (_NUM + r"[ -](?P<u>metres|meters|ft|feet)\b", "{swap_length}"),
    (r"(?<=\d)(?P<u> ?%| per ?cent)", " percentage points"),
    (r"(?P<u>\$)(?=\s?\d)", "£"),
    (r"(?P<u>£)(?=\s?\d)", "$"),
    (r"(?P<u>€)(?=\s?\d)", "$"),
    (_NUM + r" (?P<u>dollars)\b", "pounds"),
    (_NUM + r" (?P<u>days)\b", "weeks"),
    (_NUM + r" (?P<u>weeks)\b", "months"),
    (_NUM + r" (?P<u>months)\b", "years"),
    (_NUM + r" (?P<u>years)\b(?!-| old)", "months"),
    (_NUM + r" (?P<u>hours)\b", "minutes"),
    (_NUM + r" (?P<u>minutes)\b", "hours"),
    (_NUM + r" (?P<u>kg|kilograms|kilos)\b", "lbs"),
)
_SWAP = {"swap_scale": {"m": "bn", "bn": "m"},
         "swap_length": {"metres": "feet", "meters": "feet", "ft": "metres", "feet": "metres"}}


def unit_change(doc, ctx: Context, rng: random.Random) -> Edit | None:
    """A unit turned into another of its dimension: million <-> billion, km <-> miles,
    metres <-> feet, percent -> percentage points, $ <-> £ (and euros -> $), days ->
    weeks -> months -> years, hours <-> minutes, kg -> lbs."""
    text = doc.text
    found = [(m, new) for pattern, new in UNIT_CHANGES
             for m in re.finditer(pattern, text, re.IGNORECASE)]
    rng.shuffle(found)
    for m, new in found:
        unit = m.group("u")
        if new.startswith("{"):
            new = _SWAP[new.strip("{}")][unit.lower()]
        start, end = m.span("u")
        altered = text[:start] + new + text[end:]
        if not _story_says(_with_number(altered, start, start + len(new)), ctx.story):
            return Edit(altered, f"{unit.strip()} -> {new.strip()}")
    return None


def _with_number(text: str, start: int, end: int) -> str:
    """text[start:end] (a unit) with its number: the one after it ("£3,500"), else the
    word before it ("three months")."""
    after = re.match(r" ?[\d,.]+", text[end:])
    if after:
        return text[start:end] + after.group()
    before = re.search(r"\S+[ -]?$", text[:start])
    return (before.group() if before else "") + text[start:end]


def _story_says(phrase: str, story: str) -> bool:
    """Does the story contain the phrase, ignoring spaces and hyphens? (Then the
    "changed" unit is one the story uses with that number: no error.)"""
    def squeeze(s: str) -> str:
        return re.sub(r"[\s-]", "", s.lower())
    return squeeze(phrase) in squeeze(story)


EDITS: dict[str, Callable] = {
    "number_swap": number_swap,
    "entity_swap": entity_swap,
    "entity_swap_in_story": entity_swap_in_story,
    "subject_object_swap": subject_object_swap,
    "negation": negation,
    "unit_change": unit_change,
}
