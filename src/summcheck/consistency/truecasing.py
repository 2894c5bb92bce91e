"""Preparing summaries for NER: undo space tokenization, restore lowercased capitals.

NER trained on cased news finds few or wrong entities in "kim jong un met trump ." The
story is cased, so its own spelling of each word ("Kim", "Trump", "U.S.") is the best
guide to the summary's; every function keeps character offsets so that entity spans found
in the prepared text map back exactly onto the original bullet.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from functools import cached_property
from typing import Callable

from summcheck.consistency.entity_match import DOTTED, PROPER_ADJECTIVES, singular
from summcheck.text import PLAIN_WORD, PTB_BRACKETS, WORD, has_marks

# Spaces a tokenizer put before punctuation and clitics ("kim 's", "u.s .", "( a )").
_DETOK_SPACE = re.compile(
    r"\s+(?=(?:'s|'re|'ve|'ll|'m|'d|n't)\b|[.,;:!?%)\]])|(?<=[(\[$])\s+")
# A backslash before a quote, and the first half of a `` or '' (PTB double quotes).
_DETOK_DROP = re.compile(r"\\(?=['\"])|`(?=`)|'(?=')")
# PTB brackets ("falcao -lrb- colombian -rrb-"), with the space inside them.
_PTB_BRACKET = re.compile(rf"-({'|'.join(PTB_BRACKETS)})-", re.I)


def detokenize(text: str) -> tuple[str, list[int]]:
    """Undo space tokenization; returns the new text and, per new char, its old offset.

    Only deletes characters and maps a backtick to an apostrophe or (doubled) to a
    double quote, and a PTB bracket's last hyphen to the bracket ("-lrb-" -> "("), so
    new_text[i] came from text[offsets[i]] and spans map back exactly; and composes
    accents written as combining marks ("Mu\u0308ller" -> "Müller", NFC), which spaCy's
    NER does not read as part of a name, so a composed letter maps to its base letter
    and a span ending there ends after its marks (`end_after_marks`).
    """
    drop, brackets = set(), {}
    for regex in (_DETOK_SPACE, _DETOK_DROP):
        for m in regex.finditer(text):
            drop.update(range(m.start(), m.end()))
    for m in _PTB_BRACKET.finditer(text):
        bracket = PTB_BRACKETS[m.group(1).lower()]
        brackets[m.end() - 1] = bracket
        drop.update(range(m.start(), m.end() - 1))
        if bracket in "([{":
            drop.update(range(m.end(), m.end() + len(text[m.end():]) - len(text[m.end():].lstrip())))
        else:
            drop.update(range(len(text[:m.start()].rstrip()), m.start()))
    keep = [i for i in range(len(text)) if i not in drop]
    chars = []
    for i in keep:
        doubled = i > 0 and i - 1 in drop and text[i - 1] == text[i]
        chars.append(brackets.get(i) or ('"' if doubled else "'" if text[i] == "`" else text[i]))
    return _composed(chars, keep)


def _composed(chars: list[str], offsets: list[int]) -> tuple[str, list[int]]:
    """NFC of "".join(chars), each new char mapped to the offset of the first char of
    the letter-and-marks cluster it came from."""
    if not any(unicodedata.combining(c) for c in chars):
        return "".join(chars), offsets
    out, out_offsets, i = [], [], 0
    while i < len(chars):
        j = i + 1
        while j < len(chars) and unicodedata.combining(chars[j]):
            j += 1
        cluster = unicodedata.normalize("NFC", "".join(chars[i:j]))
        out.append(cluster)
        out_offsets += [offsets[i]] * len(cluster)
        i = j
    return "".join(out), out_offsets


def end_after_marks(text: str, end: int) -> int:
    """`end`, moved past the combining marks that follow it in `text` (the accents of
    the letter before it, which `detokenize` composed into that letter)."""
    while end < len(text) and unicodedata.combining(text[end]):
        end += 1
    return end


def is_lowercased(text: str) -> bool:
    """Was the text lowercased? At most 2% of its mid-sentence words have a capital.

    Sentence starts are ignored (SummEval summaries are lowercased but sentence-cased),
    and so are "UNK" placeholders, the pronoun "I" and a stray capital that survived
    ("Åsberg").
    """
    if text.islower():      # fast path: no capital anywhere; any mid-sentence word?
        return any(not sentence_initial(text, m.start())
                   for m in re.finditer(r"[^\W\d_]+", text))
    words = [m for m in re.finditer(r"[^\W\d_]+", text)
             if m.group() not in ("UNK", "I") and not sentence_initial(text, m.start())]
    capitalised = sum(any(c.isupper() for c in m.group()) for m in words)
    return bool(words) and capitalised <= 0.02 * len(words)


def restore_text(text: str, case: CaseTable, is_common: Callable[[str], bool]
                 ) -> tuple[str, list[int], bool]:
    """`text` as a model trained on cased news should read it: detokenized, and truecased
    from the story (`truecase`) when it was lowercased. Returns the new text, per
    character its offset in `text`, and whether it was truecased."""
    clean, offsets = detokenize(text)
    lowercased = is_lowercased(clean)
    if lowercased:
        clean = truecase(clean, case, is_common)
    return clean, offsets, lowercased


# Words for truecasing: contractions and possessives stay in one word ("hasn't", "kim's").
_CASE_WORD = re.compile(DOTTED + f"|{WORD}(?:['’]{WORD})*")
_PLAIN_CASE_WORD = re.compile(DOTTED + f"|{PLAIN_WORD}(?:['’]{PLAIN_WORD})*")


def _case_words(text: str) -> list[re.Match]:
    return list((_CASE_WORD if has_marks(text) else _PLAIN_CASE_WORD).finditer(text))


@functools.lru_cache(maxsize=65536)
def _case_key(word: str) -> str:
    return _POSSESSIVE.sub("", word.lower().rstrip("."))


_POSSESSIVE = re.compile(r"['’]s$")


def sentence_initial(text: str, start: int) -> bool:
    """Is text[start] the first word of a sentence (after .!? or a line break, and any
    opening quotes or brackets: ". ' He said", ". `` The")? Quoted sentences counted as
    mid-sentence capitals, so six lowercased REALSumm stories of many quotes read as
    cased (and names they write in lowercase were flagged), and a cased story's "'He"
    taught the truecaser that it writes "He" mid-sentence."""
    i = start - 1
    while i >= 0 and text[i] in _BEFORE_A_SENTENCE:
        i -= 1
    return i < 0 or text[i] in ".!?\n\r"


_BEFORE_A_SENTENCE = frozenset(" \t'\"`‘“([")


class CaseTable:
    """How the story writes each word away from sentence starts ("kim" -> "Kim"),
    alone and next to each neighbour ("natalia moon" -> "Moon", "the moon" -> "moon")."""

    def __init__(self, text: str):
        self._text = text
        self._cased: dict[tuple, str | None] = {}   # `cased` answers: summaries share words

    # Built on first use: most summaries are cased and never need the table, and building
    # it was a third of the entity check's time on big runs.
    @property
    def forms(self) -> dict[str, dict[str, int]]:
        return self._tables[0]

    @property
    def pairs(self) -> dict[tuple[str, str, int], dict[str, int]]:
        return self._tables[1]

    @property
    def next_capitalised(self) -> dict[str, dict[bool, int]]:
        return self._tables[2]

    @cached_property
    def _tables(self) -> tuple[dict, dict, dict]:
        """Counts as plain dicts (form -> count): a story has ~2 entries per word, and
        a Counter per entry was most of the time spent building them."""
        forms: dict[str, dict[str, int]] = defaultdict(dict)
        pairs: dict[tuple[str, str, int], dict[str, int]] = defaultdict(dict)
        next_capitalised: dict[str, dict[bool, int]] = defaultdict(dict)

        text = self._text
        words = _case_words(text)
        keys = [_case_key(m.group()) for m in words]
        last = len(words) - 1
        for i, m in enumerate(words):
            if sentence_initial(text, m.start()):
                continue
            key = keys[i]
            form = m.group().rstrip(".")[: len(key)]
            counts = forms[key]
            counts[form] = counts.get(form, 0) + 1
            if i > 0:
                counts = pairs[keys[i - 1], key, 1]
                counts[form] = counts.get(form, 0) + 1
            if i < last:
                counts = pairs[key, keys[i + 1], 0]
                counts[form] = counts.get(form, 0) + 1
                if form[:1].isupper():
                    after = words[i + 1]
                    if text[m.end():after.start()].isspace():
                        capital = after.group()[:1].isupper()
                        counts = next_capitalised[key]
                        counts[capital] = counts.get(capital, 0) + 1
        return dict(forms), dict(pairs), dict(next_capitalised)

    def inside_name(self, key: str) -> bool:
        """Is the word always followed by another capitalised word ("Jong" in "Kim Jong
        Un")? Then the word after it in a summary continues a name ("kim jong il")."""
        counts = self.next_capitalised.get(key)
        return bool(counts) and not counts.get(False)

    def capitalises(self, key: str) -> bool:
        """Does the story ever capitalise this word mid-sentence?"""
        return any(f != key for f in self.forms.get(key, ()))

    @staticmethod
    def _capitalised(key: str, forms: dict[str, int], *, strict: bool) -> str | None:
        """The usual capitalised form; `strict`: only if never written lowercase."""
        lower = forms.get(key, 0)
        form, count = max(((f, c) for f, c in forms.items() if f != key),
                          key=lambda fc: fc[1], default=(key, 0))
        if count == 0 or (strict and lower) or count <= lower:
            return None
        return form

    def cased(self, key: str, left: str | None, right: str | None, *,
              common: bool) -> str | None:
        """Story casing of `key` between neighbours `left` and `right` (keys or None).

        Neighbour evidence wins. Without it a common English word is capitalised only
        if the story never writes it lowercase ("trump" -> "Trump", "new" stays).
        """
        args = (key, left, right, common)
        if args not in self._cased:
            self._cased[args] = self._cased_uncached(key, left, right, common=common)
        return self._cased[args]

    def _cased_uncached(self, key: str, left: str | None, right: str | None, *,
                        common: bool) -> str | None:
        before = self.pairs.get((left, key, 1), _NONE)
        after = self.pairs.get((key, right, 0), _NONE)
        near = dict(before)
        for form, count in after.items():
            near[form] = near.get(form, 0) + count
        if near:
            return self._capitalised(key, near, strict=False)
        return self._capitalised(key, self.forms.get(key, _NONE), strict=common)


_NONE: dict = {}

_FUNCTION_WORDS = frozenset("""a an and as at but by for from had has in is of on or said
    says the to was were who with""".split())


def truecase(text: str, table: CaseTable, is_common: Callable[[str], bool]) -> str:
    """Restore capitals in a lowercased text, keeping every character offset.

    Words take the story's casing (`CaseTable.cased`). A word the story does not use
    mid-sentence is capitalised unless `is_common` says it is an ordinary English word,
    or when it is short and follows a word the story only uses inside longer names
    ("kim jong il": "il" is also an abbreviation in the dictionary).
    Sentence starts are capitalised.
    """
    chars = list(text)
    words = _case_words(text)
    keys = [_case_key(m.group()) for m in words]
    after_name_part = False
    for i, m in enumerate(words):
        key = keys[i]
        if m.group() != m.group().lower():
            after_name_part = False
            continue       # already has a capital ("UNK", a stray "Åsberg")
        left = keys[i - 1] if i > 0 else None
        right = keys[i + 1] if i + 1 < len(keys) else None
        common = is_common(key)
        form = table.cased(key, left, right, common=common)
        if form is None and key not in table.forms and key.isalpha() and (
                not common or (after_name_part and len(key) <= 3
                               and key not in _FUNCTION_WORDS)):
            form = key.capitalize()
        if form is None and sentence_initial(text, m.start()):
            form = key[:1].upper() + key[1:]
        if form and form.lower() == key[: len(form)]:
            chars[m.start(): m.start() + len(form)] = form
        after_name_part = bool(form) and form[:1].isupper() and table.inside_name(key)
    return "".join(chars)


class CommonWords:
    """Is a lowercase word ordinary English (or too short to tell)? Then truecasing leaves
    it lowercase unless the story capitalises it. Built from a spaCy pipeline's lemmatizer
    word lists (`spacy_pipeline.english_words`); answers are remembered per word."""

    _MEMO = 50_000

    def __init__(self, words: frozenset[str], suffix_rules: dict[str, list]):
        self.words, self.suffix_rules = words, suffix_rules
        self._memo: dict[str, bool] = {}

    def __call__(self, word: str) -> bool:
        common = self._memo.get(word)
        if common is None:
            if len(self._memo) > self._MEMO:
                self._memo.clear()
            common = self._memo[word] = self._uncached(word)
        return common

    def _uncached(self, word: str) -> bool:
        if singular(word) in PROPER_ADJECTIVES:
            return False    # "american", "british": always capitalised
        if len(word) < 2 or not word.isalpha() or word in self.words:
            return True
        for rules in self.suffix_rules.values():
            for old, new in rules:
                stem = word[: len(word) - len(old)]
                if old and word.endswith(old) and (
                        stem + new in self.words
                        or (stem[-1:] == stem[-2:-1] and stem[:-1] in self.words)):
                    return True     # an inflection: "hopes", "kitted" (kit + t + ed)
        return False
