"""Entity matching for the entity check: tokens, aliases, demonyms, acronyms.

Pure Python, no spaCy: `entities.py` runs NER and hands the mentions to this module
(`truecasing.py` prepares lowercased summaries for NER).

A summary entity is *supported* when its normalized token sequence (or one of its
variants: alias, demonym/country, acronym) occurs as a contiguous token sequence of the
story. Contiguity is what separates an accepted partial name ("Kim", "Trump") from a
swapped one ("Kim Jong Il" against "Kim Jong Un"): every summary token has to be found in
one place, not scattered over the story.
"""

from __future__ import annotations

import copy
import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Iterator, NamedTuple, Sequence

from summcheck.consistency.base import Span
from summcheck.text import PLAIN_WORD, PTB_BRACKETS, WORD, has_marks

# Bump when a rule below changes what is supported (or which span is reported as the
# support); it is part of the check's signature.
# 2: the entity check reports the story text's own span for what the rules find in the
#    text alone, before it looks at the story's mentions (see entities.py).
# 3: a person named without a story person's middle names is supported ("middle-name").
# 4: ... or with initials or a shortened first name ("short-name", was "middle-name"); "Man
#    United"/"Man City"; names written with a space the story does not have ("spacing").
# 5: words of decomposed (NFD) text keep their combining accents ("Marti\u0301nez" was
#    "marti" + "nez").
# 6: a first name opening a bullet is not dropped as a common word ("Frank de Boer"); a
#    place or nationality opening a bullet is a name ("China", entities.py); "Nigerian"
#    is not of Niger, "Dominican" not of Dominica.
# 7: PTB brackets of tokenized text ("-lrb-") read as brackets before NER (truecasing).
# 8: spaced initials are one token as dotted ones are ("J. K. Rowling" ~ "J.K. Rowling";
#    so "George W. Bush" is no longer a short form of "George H. W. Bush").
# 9: a sentence opening with quotes or a bracket is a sentence start (". ' He said"), and
#    "I" is no sign of a cased text (truecasing.sentence_initial, is_lowercased).
# 10: in a lowercased story, an acronym of three letters or more matches its lowercase
#     token ("TMZ" ~ "tmz").
# 11: aliases "Spurs" / "Tottenham (Hotspur)" and "Lib Dems" / "Liberal Democrats".
# 12: a name said twice in a row ("temperton temperton") is matched said once
#     (entities._without_stutter).
# 13: "did you mean" prefers the finding's type (`TextIndex.closest`, `compatible_labels`):
#     another type only sharing a word with it or when none of its type is close ("Laura
#     Muir" was offered "Australia"). Eleven dev findings moved, suggestions only.
# 14: capitalised words opening a bullet that NER left out, one of them no English word
#     and none of those in the story in any case, are an unlabelled name ("NAME",
#     entities.EntityCheck._with_opening_name): "Koeman stated that ..." was not flagged.
RULES_VERSION = "14"

# Dotted acronyms first, then plain words (letters/digits).
DOTTED = r"(?<![^\W_])[^\W\d_](?:\.[^\W\d_])+\.?(?![^\W_])"   # U.S., u.s, J.R.R.
_TOKEN_RE = re.compile(DOTTED + "|" + WORD)
_PLAIN_TOKEN_RE = re.compile(DOTTED + "|" + PLAIN_WORD)   # for text without combining marks
_SPACED_INITIALS = re.compile(r"(?<![^\W_])[^\W\d_]\. [^\W\d_]\.")   # "J. K."
_APOSTROPHES = "'’‘`´"

# Dropped from the start of an entity: "the U.S." ~ "U.S.", "President Trump" ~ "Trump".
_LEADING_DROP = frozenset("""the mr mrs ms miss mx dr prof sir dame president senator sen
    gov governor rep rev gen general coach chancellor minister pm""".split())
_ACRONYM_SKIP = frozenset({"of", "the", "and", "for", "&", "de", "du", "la", "le"})
# Labels for which demonym and acronym rules apply (not to person or work names).
DEMONYM_LABELS = frozenset({"NORP", "GPE", "LOC", "ORG", "FAC", "LANGUAGE"})

# Names that mean the same place or body and cannot be derived by the acronym rule.
ALIAS_GROUPS: tuple[tuple[str, ...], ...] = (
    ("us", "usa", "united states", "united states of america", "america"),
    ("uk", "united kingdom", "britain", "great britain"),
    ("un", "united nations"),
    ("eu", "european union"),
    ("ussr", "soviet union"),
    ("uae", "united arab emirates"),
    ("north korea", "dprk"),
    ("nyc", "new york city", "new york"),
    ("la", "los angeles"),
    ("dc", "washington dc", "district of columbia"),
    ("manchester united", "man united", "man utd"),
    ("manchester city", "man city"),
    ("tottenham", "tottenham hotspur", "spurs"),
    ("liberal democrats", "lib dems"),
)

# Demonyms the suffix rules below cannot derive (demonym -> place names).
DEMONYMS: dict[str, tuple[str, ...]] = {
    "american": ("us",), "british": ("uk",), "briton": ("uk",), "brit": ("uk",),
    "english": ("england",), "scottish": ("scotland",), "scot": ("scotland",),
    "scots": ("scotland",), "welsh": ("wales",), "irish": ("ireland",),
    "french": ("france",), "dutch": ("netherlands", "holland"), "german": ("germany",),
    "swiss": ("switzerland",), "greek": ("greece",), "spanish": ("spain",),
    "spaniard": ("spain",), "turkish": ("turkey",), "turk": ("turkey",),
    "polish": ("poland",), "danish": ("denmark",), "dane": ("denmark",),
    "swedish": ("sweden",), "swede": ("sweden",), "norwegian": ("norway",),
    "thai": ("thailand",), "filipino": ("philippines",), "afghan": ("afghanistan",),
    "saudi": ("saudi arabia",), "argentine": ("argentina",), "peruvian": ("peru",),
    "aussie": ("australia",), "kiwi": ("new zealand",), "soviet": ("ussr",),
    "belgian": ("belgium",), "asian": ("asia",), "congolese": ("congo",),
    "european": ("europe", "eu"),
}

# First names that are also ordinary English words: opening a bullet ("Frank de Boer
# was sacked"), such a word is the name's own, not a capitalised common word to drop
# (dropping it let "de Boer" be found in the story's "Ronald de Boer"). Written for
# summcheck.
FIRST_NAME_WORDS = frozenset("""
art bill bob buck carol chase chip clay cliff colin crystal dale dawn dean dick don drew
earl faith frank gene georgia ginger grace guy hank heather herb holly hope iris ivy jack
jade jay jean jerry jewel joy june kit lance lily mark martin max may miles mike neil nick
olive pat patience penny peter pierce ray reed rich rob robin rose rowan ruby rusty sandy
scott skip sterling sue ted terry tom victor violet wade ward will win woody
""".split())

# Demonym guesses that name another place ("nigerian" is of Nigeria, not Niger;
# "dominican" of the Dominican Republic, not Dominica): (demonym, place) never matched.
_WRONG_DEMONYM_GUESSES = frozenset({("nigerian", "niger"), ("dominican", "dominica"),
                                    ("nigerien", "nigeria")})

# Table demonyms that are always written with a capital ("polish" and "kiwi" are also
# ordinary words); truecasing capitalises them.
PROPER_ADJECTIVES = frozenset(DEMONYMS) - {"polish", "kiwi"}

# Regular demonyms as (place ending, demonym ending): korea/korean, canada/canadian,
# ukraine/ukrainian, italy/italian, iran/iranian, chile/chilean, mexico/mexican,
# china/chinese, japan/japanese, lebanon/lebanese, iraq/iraqi.
_DEMONYM_ENDINGS: tuple[tuple[str, str], ...] = (
    ("a", "an"), ("ia", "ian"), ("a", "ian"), ("e", "ian"), ("y", "ian"), ("", "ian"),
    ("e", "ean"), ("o", "an"), ("a", "ese"), ("", "ese"), ("on", "ese"), ("", "i"),
)


# ----------------------------------------------------------------------------- tokens
# A summarizer's unknown-word placeholder ("UNK", "<unk>") matches any one story token:
# "steven UNK" is supported by "Steven Berkoff"; a mention of placeholders only is dropped.
WILDCARD = "*"


class Token(NamedTuple):
    """A NamedTuple, not a dataclass: every word of every story becomes one, and a frozen
    dataclass took three times as long to create."""

    norm: str     # lowercased, accents and acronym dots removed
    start: int
    end: int


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lowercase and strip accents ("Pelé" -> "pele") and dots ("U.S." -> "us").
    Cached: it runs for every word of every story, summary and reference."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c != ".")


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Word tokens with offsets; a possessive "'s" ("Kim's", "kim 's") is dropped.

    Apostrophes and hyphens split words ("Workers' Party" -> workers, party;
    "Kim Jong-un" -> kim, jong, un), the same way on both sides of a comparison.
    """
    tokens = []
    for m in (_TOKEN_RE if has_marks(text) else _PLAIN_TOKEN_RE).finditer(text):
        word = m.group()
        if word.lower() == "s" and m.start() > 0 and text[m.start() - 1] in _APOSTROPHES:
            continue
        if len(word) == 3 and word.lower() in PTB_BRACKETS \
                and text[m.start() - 1: m.start()] == "-" and text[m.end(): m.end() + 1] == "-":
            continue    # "-lrb-": a bracket of tokenized text, no word
        unknown = word == "UNK" or (word == "unk" and text[m.start() - 1: m.start()] == "<")
        tokens.append(Token(WILDCARD if unknown else fold(word), m.start() + offset,
                            m.end() + offset))
    return _join_initials(tokens, text, offset)


def _join_initials(tokens: list[Token], text: str, offset: int) -> list[Token]:
    """"J. K. Rowling" -> jk, rowling, as "J.K. Rowling" is (DOTTED makes "J.K." one
    token): single capital letters, each followed by ". ", joined into one token."""
    def initial(t: Token) -> bool:
        if t.end - t.start != 1:
            return False
        raw = text[t.start - offset:t.end - offset + 1]     # the letter and what follows
        return len(raw) == 2 and raw[0].isupper() and raw[1] == "."

    if _SPACED_INITIALS.search(text) is None:
        return tokens
    out: list[Token] = []
    joining = False      # out[-1] is a run of initials that the next one may extend
    for t in tokens:
        if joining and initial(t) and text[out[-1].end - offset:t.start - offset] == ". ":
            out[-1] = Token(out[-1].norm + t.norm, out[-1].start, t.end)
            continue
        out.append(t)
        joining = initial(t)
    return out


def entity_key(text: str) -> tuple[str, ...]:
    """Normalized tokens of an entity mention, without a leading article or title;
    empty when nothing but placeholders and function words is left."""
    norms = [t.norm for t in tokenize(text)]
    while len(norms) > 1 and norms[0] in _LEADING_DROP:
        norms.pop(0)
    if norms and norms[0] in ("the", "a", "an"):
        norms.pop(0)
    # Numbers are the numbers check's job: dropped at the edges ("Euro 2016" -> "euro"),
    # any number inside ("No 1 Williams" -> "no * williams").
    while norms and norms[-1][:1].isdigit():
        norms.pop()
    while norms and norms[0][:1].isdigit():
        norms.pop(0)
    norms = [WILDCARD if n[:1].isdigit() else n for n in norms]
    informative = [n for n in norms if n != WILDCARD and n not in _ACRONYM_SKIP]
    return tuple(norms) if informative else ()


def looks_like_acronym(text: str) -> bool:
    """ "UN", "U.S.", "NHS": all capitals (dots allowed), two to six letters."""
    letters = text.replace(".", "")
    return 2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper()


def acronym(words: Sequence[str]) -> str:
    """Initials of the words, skipping "of"/"the"/... ("Bank of England" -> "boe")."""
    kept = [w for w in words if w.lower() not in _ACRONYM_SKIP]
    return fold("".join(w[0] for w in kept if w)) if len(kept) >= 2 else ""


# ------------------------------------------------------------------ aliases, demonyms
def _alias_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, tuple[str, ...]] = {}
    for group in ALIAS_GROUPS:
        for name in group:
            index[name] = group
    return index


_ALIASES = _alias_index()


@functools.lru_cache(maxsize=4096)
def demonym_places(word: str) -> frozenset[str]:
    """Place names a demonym may refer to: table entries plus ending-rule guesses.

    Guesses may be wrong ("kore"); that is harmless because a guess only counts when
    the story contains it.
    """
    places = set(DEMONYMS.get(word, ()))
    for place_end, demonym_end in _DEMONYM_ENDINGS:
        stem = word[: len(word) - len(demonym_end)]
        if word.endswith(demonym_end) and len(stem) >= 3:
            places.add(stem + place_end)
    return frozenset(p for p in places if (word, p) not in _WRONG_DEMONYM_GUESSES)


@functools.lru_cache(maxsize=4096)
def place_demonyms(place: str) -> frozenset[str]:
    """Demonyms of a place name, the inverse of `demonym_places` ("russia" -> "russian").

    Ending rules apply to one-word names only; multi-word names use the table.
    """
    found = {d for d, places in DEMONYMS.items() if place in places}
    for place_end, demonym_end in _DEMONYM_ENDINGS if " " not in place else ():
        stem = place[: len(place) - len(place_end)]
        if place.endswith(place_end) and len(stem) >= 3:
            found.add(stem + demonym_end)
    return frozenset(d for d in found if (d, place) not in _WRONG_DEMONYM_GUESSES)


def singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 4 else word


def _number_forms(word: str) -> list[str]:
    """Singular/plural forms of a word: "princess" <-> "princesses", "team" <-> "teams"."""
    if len(word) < 3 or not word.isalpha():
        return []
    if word.endswith("es") and word[:-2].endswith(("s", "x", "ch", "sh")):
        return [word[:-2]]
    if word.endswith("s") and not word.endswith("ss"):
        return [word[:-1]]
    return [word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")]


def short_name_of(short: Sequence[str], full: Sequence[str]) -> bool:
    """Is the person name `short` a shorter form of `full`? Middle names may be left out
    or given as initials ("George Bush", "George W. Bush" for "George Walker Bush"), the
    first name given as its initial or a prefix of 3+ letters ("J. Smith", "Alex" for
    "Alexander"). Tight on purpose: the last name must be the same and the first token
    must be the same first name shortened, so a namesake ("Jordi Bartomeu" for "Josep
    Maria Bartomeu") stays unsupported; a middle name the story person lacks, too."""
    if len(short) < 2 or len(full) < len(short) or short[-1] != full[-1]:
        return False
    first, given = short[0], full[0]
    if not (first == given or (given.startswith(first) and len(first) != 2)):
        return False
    middles = iter(full[1:-1])      # the summary's middle names, in the story's order
    return all(any(m == w or (len(w) == 1 and m.startswith(w)) for m in middles)
               for w in short[1:-1])


def _alias_swaps(key: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """`key` with one aliased part replaced: "south la" -> "south los angeles"."""
    for i in range(len(key)):
        for j in range(i + 1, len(key) + 1):
            for alias in _ALIASES.get(" ".join(key[i:j]), ()):
                yield key[:i] + tuple(alias.split()) + key[j:]


def _aliases(name: str) -> tuple[str, ...]:
    return _ALIASES.get(name, (name,))


def variants(key: tuple[str, ...], label: str) -> Iterator[tuple[tuple[str, ...], str]]:
    """Other ways to name what `key` names, each with the rule that produced it.

    Demonym rules only run for place-like labels: on person names the suffix rules
    would turn "Julian" into "Julia".
    """
    name, head, last = " ".join(key), key[:-1], key[-1]
    seen = {key}
    candidates = [(swapped, "alias") for swapped in _alias_swaps(key)]
    if len(key) > 1 and WILDCARD not in key:    # "South Hampton" ~ "Southampton"
        candidates.append((("".join(key),), "spacing"))
    if label != "PERSON":   # "Williams" is not "William"
        candidates += [(head + (form,), "plural") for form in _number_forms(last)]
    if label in DEMONYM_LABELS:
        candidates += [(head + tuple(alias.split()), "demonym")
                       for place in demonym_places(last) | demonym_places(singular(last))
                       for alias in _aliases(place)]
        candidates += [(base + tuple(demonym.split()), "demonym")
                       for place, base in ((name, ()), (last, head))
                       for alias in _aliases(place)
                       for demonym in place_demonyms(alias)]
    for variant, rule in candidates:
        if variant not in seen:
            seen.add(variant)
            yield variant, rule


# ------------------------------------------------------------------------ text index
class _Needle:
    """A token sequence to find in a " "-joined, " "-padded token string: `finditer` and
    `search` as a compiled pattern would give them, overlapping occurrences included, but
    with str.find (compiling a regex per entity key cost more than the searching)."""

    __slots__ = ("text",)

    def __init__(self, key: Sequence[str]):
        self.text = " " + " ".join(key) + " "

    def starts(self, joined: str) -> Iterator[int]:
        at = joined.find(self.text)
        while at >= 0:
            yield at
            at = joined.find(self.text, at + 1)

    def search(self, joined: str) -> bool:
        return self.text in joined


class _WildcardNeedle:
    """The same for a key with a WILDCARD token (any one token), as a compiled pattern."""

    __slots__ = ("pattern",)

    def __init__(self, key: Sequence[str]):
        words = ("[^ ]+" if w == WILDCARD else re.escape(w) for w in key)
        # lookahead, so overlapping occurrences are all visited
        self.pattern = re.compile(" (?=" + " ".join(words) + " )")

    def starts(self, joined: str) -> Iterator[int]:
        return (found.start() for found in self.pattern.finditer(joined))

    def search(self, joined: str) -> bool:
        return self.pattern.search(joined) is not None


_NEEDLES: dict[tuple[str, ...], _Needle | _WildcardNeedle] = {}
_MAX_NEEDLES = 50_000


def _needle(key: Sequence[str]) -> _Needle | _WildcardNeedle:
    """The needle for `key`, made once per key (a plain dict look-up: this runs for every
    key on every story, reference and summary index); the dict is emptied when it gets big."""
    key = tuple(key)
    needle = _NEEDLES.get(key)
    if needle is None:
        if len(_NEEDLES) >= _MAX_NEEDLES:
            _NEEDLES.clear()
        needle = _NEEDLES[key] = (_WildcardNeedle if WILDCARD in key else _Needle)(key)
    return needle


@dataclass(frozen=True)
class Mention:
    """An entity mention in some text: its span, NER label and normalized key."""

    span: Span
    label: str
    key: tuple[str, ...]

    @property
    def acronym_like(self) -> bool:
        return looks_like_acronym(self.span.text.removeprefix("the ").strip())


@dataclass(frozen=True)
class Match:
    span: Span
    rule: str     # "exact", "alias", "plural", "demonym", "spacing", "short-name", "acronym",
                  # "surname"


class TextIndex:
    """A text (story, reference or summary) prepared for entity look-ups.

    `require_capital`: a text-fallback match must contain a capitalised token in the
    text, so "us" (pronoun) does not support "US" and "party" does not support "Party".
    Use it for cased texts only.
    """

    def __init__(self, text: str, mentions: Sequence[Mention], *, require_capital: bool):
        self.text = text
        self.mentions = [m for m in mentions if m.key]
        self._mention_keys = [" " + " ".join(m.key) + " " for m in self.mentions]
        self.require_capital = require_capital
        self.tokens = tokenize(text)
        self._joined = " " + " ".join(t.norm for t in self.tokens) + " "
        self._token_at = {}
        pos = 1
        for i, tok in enumerate(self.tokens):
            self._token_at[pos] = i
            pos += len(tok.norm) + 1
        self._acronyms = self._build_acronyms()

    def has_word(self, norm: str) -> bool:
        """Does the text have the word (a token's `norm`), in any case, anywhere?"""
        return f" {norm} " in self._joined

    def with_mentions(self, mentions: Sequence[Mention]) -> TextIndex:
        """This index with `mentions` added, sharing the tokenized text."""
        index = copy.copy(self)
        index.mentions = self.mentions + [m for m in mentions if m.key]
        index._mention_keys = [" " + " ".join(m.key) + " " for m in index.mentions]
        index._acronyms = index._build_acronyms()
        return index

    def _build_acronyms(self) -> dict[str, Span]:
        """Acronyms of multi-word place/organisation mentions whose words are all
        capitalised ("United Nations" -> "un", "Bank of England" -> "boe")."""
        found: dict[str, Span] = {}
        for m in self.mentions:
            words = [w for w in re.findall(r"[^\W\d_][\w'’.-]*", m.span.text)
                     if w.lower() not in _ACRONYM_SKIP]
            if m.label in DEMONYM_LABELS and words and all(w[0].isupper() for w in words):
                acr = acronym(words)
                if acr:
                    found.setdefault(acr, m.span)
        return found

    def find(self, key: Sequence[str]) -> Span | None:
        """Where `key` occurs: inside a mention first, else anywhere in the text."""
        needle = _needle(key)
        for m, joined in zip(self.mentions, self._mention_keys):
            if needle.search(joined):
                return m.span
        return self._find_in_text(needle, len(key))

    def _find_in_text(self, needle: _Needle | _WildcardNeedle, n: int) -> Span | None:
        for at in needle.starts(self._joined):
            first = self._token_at[at + 1]
            toks = self.tokens[first: first + n]
            if not self.require_capital or any(
                    any(c.isupper() for c in self.text[t.start:t.end]) for t in toks):
                start, end = toks[0].start, toks[-1].end
                return Span(self.text[start:end], start, end)
        return None

    def _find_acronym_token(self, acr: str) -> Span | None:
        """An all-caps or dotted story token spelling `acr` ("EU", "U.N."); in a lowercased
        story, where no token is all-caps, any token of three letters or more ("tmz" for
        "TMZ"; "us" stays no "US", "un" no "UN")."""
        lowercased_long = not self.require_capital and len(acr) >= 3
        for t in self.tokens:
            raw = self.text[t.start:t.end]
            if t.norm == acr and (raw.isupper() or "." in raw or lowercased_long):
                return Span(raw, t.start, t.end)
        return None

    def match(self, key: tuple[str, ...], label: str, *,
              acronym_like: bool = False) -> Match | None:
        """The first rule that supports `key`: exact, alias/demonym, then acronym.

        `acronym_like` (the summary wrote "UN", "U.S."): a one-token key must then be a
        whole story mention or an all-caps/dotted story token, so "UN" is not found
        inside "Kim Jong Un".
        """
        if not key:
            return None
        span = self._find_acronym(key) if acronym_like else self.find(key)
        if span:
            return Match(span, "exact")
        for variant, rule in variants(key, label):
            span = self.find(variant)
            if span:
                return Match(span, rule)
        span = self._find_short_name(key) if label == "PERSON" else None
        if span:
            return Match(span, "short-name")
        return self._match_acronym(key)

    def _find_short_name(self, key: tuple[str, ...]) -> Span | None:
        """A story PERSON mention that `key` names in a shorter form (`short_name_of`):
        "Josep Bartomeu" or "J. Bartomeu" for "Josep Maria Bartomeu", "Alex Soumbadze" for
        "Alexander Soumbadze". Needs the story's mentions (NER), so the text alone never
        supports it."""
        if len(key) < 2 or WILDCARD in key:
            return None
        for m in self.mentions:
            if m.label == "PERSON" and short_name_of(key, m.key):
                return m.span
        return None

    def match_added_first_name(self, key: tuple[str, ...]) -> Match | None:
        """ "Sarah Storey" when the story only says "Storey": the surname is there and no
        story person has another full name with it ("Peter Szijjarto" blocks "Michel
        Szijjarto"). The first name is unverified, not contradicted."""
        if len(key) < 2 or WILDCARD in key:
            return None
        surname = key[-1]
        for m in self.mentions:
            if m.label == "PERSON" and len(m.key) > 1 and m.key[-1] == surname:
                return None
        span = self._find_in_text(_needle((surname,)), 1)
        return Match(span, "surname") if span else None

    def _find_acronym(self, key: Sequence[str]) -> Span | None:
        if len(key) > 1:
            return self.find(key)
        whole = next((m.span for m in self.mentions if m.key == tuple(key)), None)
        return whole or self._find_acronym_token(key[0])

    def _match_acronym(self, key: tuple[str, ...]) -> Match | None:
        if len(key) == 1 and key[0] in self._acronyms:
            return Match(self._acronyms[key[0]], "acronym")
        acr = acronym(key) if len(key) > 1 else ""
        span = self._find_acronym_token(acr) if len(acr) >= 2 else None
        return Match(span, "acronym") if span else None

    def closest(self, key: tuple[str, ...], labels: Iterable[str], n: int = 3,
                label: str | None = None) -> list[Span]:
        """Up to `n` mentions most similar to `key` (difflib ratio >= 0.5), one per name.
        With the summary mention's `label`, a mention of another type (`compatible_labels`)
        is offered only when it shares a word with `key` (NER labels one name
        inconsistently: "Swansea" the club as a place) or when no mention of a compatible
        type is that close: "Laura Muir" was offered "Australia", "Kingsholm" "Jenkins"."""
        value = " ".join(key)
        words = set(key)
        best: dict[str, tuple[bool, float, Span]] = {}
        allowed = set(labels)
        for m in self.mentions:
            name = " ".join(m.key)
            if m.label not in allowed:
                continue
            kin = label is None or compatible_labels(label, m.label) or bool(words & set(m.key))
            if name in best:
                if kin and not best[name][0]:     # the name again, under a compatible type
                    best[name] = (True, best[name][1], m.span)
                continue
            ratio = difflib.SequenceMatcher(None, value, name).ratio()
            if ratio >= 0.5:
                best[name] = (kin, ratio, m.span)
        found = list(best.values())
        if any(kin for kin, _, _ in found):
            found = [f for f in found if f[0]]
        ranked = sorted(found, key=lambda f: (-f[1], f[2].start))
        return [span for _, _, span in ranked[:n]]


# Entity types one may be written for another, by NER or by a summary: places (a city
# is GPE, its area LOC, its stadium FAC), groups (a party is ORG or NORP, "Democrats"),
# a nationality or a place (NORP "British" ~ GPE "Britain"), and works and things.
_LABEL_FAMILIES = (frozenset({"PERSON"}), frozenset({"GPE", "LOC", "FAC", "NORP"}),
                   frozenset({"ORG", "NORP"}),
                   frozenset({"EVENT", "WORK_OF_ART", "PRODUCT", "LAW"}))


def compatible_labels(a: str, b: str) -> bool:
    """Could an entity labelled `a` mean one labelled `b` (see `_LABEL_FAMILIES`)?"""
    return a == b or any(a in f and b in f for f in _LABEL_FAMILIES)
