"""Sentence splitting and bullet parsing shared by summarizers, loaders and metrics."""

from __future__ import annotations

import ast
import html
import json
import re
from functools import lru_cache
from typing import Iterable

from .versions import installed_version

# Bump when `split_bullets` parses some text differently: generations parsed by it are
# cached, and the fingerprints of the summarizers that use it name this version.
# 2: a marker alone on its line ("-", "1.") is a marker; a bullet with no letter or digit
#    ("...", "•", a zero-width space) is no bullet, so such an output is an empty summary
#    (a failure) where it scored as a summary with nothing wrong in it.
# 3: a line before the first marker line that ends in ":" ("Here are 3 highlights:",
#    "**Highlights:**") introduces the list and is no bullet (it was bullet 1, and pushed
#    the last real bullet past max_bullets).
# 4: with no marker lines, such lines opening the text are dropped too (an output of
#    "Highlights:" alone scored as a one-bullet summary, not as an empty one); a glyph
#    marker needs no space after it ("•Three hurt." was glued onto the bullet before).
BULLETS_VERSION = "4"
# Bump when `list_bullets` reads a summary given as a list of bullets differently.
# 2: each item is read as a marker line is: its marker stripped ("- Three hurt." was
#    scored with the "-"), and items opening the list that introduce it ("Highlights:")
#    are no bullets (one was bullet 1, pushing the last real bullet past max_bullets).
LIST_BULLETS_VERSION = "2"
# Bullet markers models and pages use: -, *, +, •, ·, ▪, ‣, –, —, "1." / "1)" / "(1)".
# A glyph bullet (•▪‣◦) never starts a word, so it needs no space after it; "-", "*",
# "1." and the rest do ("-5 degrees", "*Note", "3.5%").
_BULLET_RE = re.compile(r"^\s*(?:[•▪‣◦]\s*|(?:[-*+·–—]|\(?\d{1,2}[.)])(?:\s+|$))")


# A word for the checks: letters of any script and digits, with the combining marks of
# decomposed (NFD) text: r"[^\W_]+" alone cuts "Marti\u0301nez" into "Marti" and "nez".
# The mark alternative costs a third more time per word, so callers use PLAIN_WORD for a
# text without such marks (`has_marks`, one scan), as most texts are.
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
WORD = rf"[^\W_](?:[^\W_]|[{_MARKS}])*"
PLAIN_WORD = r"[^\W_]+"
_MARK_RE = re.compile(f"[{_MARKS}]")
_HAS_WORD = re.compile(PLAIN_WORD)


# The PTB bracket tokens of tokenized text ("-lrb- cnn -rrb-") and the brackets they stand
# for: no words for the checks (truecasing reads them as the brackets).
PTB_BRACKETS = {"lrb": "(", "rrb": ")", "lsb": "[", "rsb": "]", "lcb": "{", "rcb": "}"}


def has_marks(text: str) -> bool:
    """Whether `text` holds a combining mark (decomposed accents): then WORD, not
    PLAIN_WORD, finds its words."""
    return not text.isascii() and _MARK_RE.search(text) is not None


# The sentence splitter that is installed, not the one pinned: extractive summarizers'
# fingerprints, the support check's signature and results.json carry it, so another pysbd
# gives other cache keys (docs/caches.md).
SENTENCE_SPLITTER = f"pysbd-{installed_version('pysbd') or 'missing'}-en"


@lru_cache(maxsize=1)
def _segmenter():
    from .pysbd_fast import english_segmenter   # pysbd's sentences, faster

    return english_segmenter()


def split_sentences(text: str) -> list[str]:
    """English sentences of `text` (pysbd, rule-based; handles "U.S." and "Dec. 29")."""
    return list(_sentences(text))


# Splitting a news story takes milliseconds (benchmarks/results/sentence_split.md), and
# every extractive summarizer (and the support check) splits the same stories: the
# runner hands each summarizer the same window of up to 1,024 examples, so the last
# 2,048 texts are remembered (a few tens of MB at most).
@lru_cache(maxsize=2048)
def _sentences(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for paragraph in text.splitlines():
        if paragraph.strip():
            out.extend(s.strip() for s in _segmented(paragraph) if s.strip())
    return tuple(out)


def _segmented(paragraph: str) -> list[str]:
    """pysbd's sentences of one paragraph. pysbd 0.3.4 raises ValueError on a unit
    separator (U+001F) right before a list number ("1. a <U+001F>5. b"); str.splitlines()
    already breaks lines at U+001C-U+001E but not there, so such a paragraph is split at
    it too. Only texts pysbd failed on take this path: every other text keeps its
    sentences (and the cache keys naming the splitter stay valid)."""
    try:
        return _segmenter().segment(paragraph)
    except ValueError:
        if "\x1f" not in paragraph:
            raise
        return [s for part in paragraph.split("\x1f") if part.strip()
                for s in _segmenter().segment(part)]


def is_bullet_line(line: str) -> bool:
    return bool(_BULLET_RE.match(line))


def strip_bullet(line: str) -> str:
    return _BULLET_RE.sub("", line, count=1).strip()


# The first characters a bullet marker can start with, digits aside (`_BULLET_RE`).
_MARK_STARTS = frozenset("-*+•·▪‣◦–—(")


def clean_bullet(line: str) -> str:
    """The line without its bullet marker, its whitespace runs made single spaces. Most
    reference bullets are clean already: they are checked, not rebuilt. Every whitespace
    character str.split() cuts on but the space is non-printable, so a printable line has
    only spaces to look at."""
    first = line[:1]
    if first in _MARK_STARTS or first.isdecimal() or not line.isprintable() \
            or "  " in line or first == " " or line[-1:] == " ":
        return " ".join(strip_bullet(line).split())
    return line


def split_bullets(text: str, max_bullets: int | None = None) -> tuple[str, ...]:
    """Turn model output into bullets.

    Lines that start with a bullet marker (or a number) are bullets; text before the first
    marker line is kept as a bullet too, but for a line ending in ":" that introduces the
    list ("Here are 3 highlights:"). With no marker lines at all, each non-empty line is
    split into sentences, but for such lines opening the text. `max_bullets` caps the
    result.
    """
    lines = [ln for ln in text.splitlines() if ln.strip()]
    first = next((i for i, ln in enumerate(lines) if is_bullet_line(ln)), None)
    if first is not None:
        bullets = _merge_continuations([ln for i, ln in enumerate(lines)
                                        if i >= first or not is_lead_in(ln)])
    else:
        opening = next((i for i, ln in enumerate(lines) if not is_lead_in(ln)), len(lines))
        bullets = split_sentences("\n".join(lines[opening:]))
    return tidy_bullets(bullets, max_bullets)


def list_bullets(items: Iterable[str], max_bullets: int | None = None) -> tuple[str, ...]:
    """Bullets from a summary given as a list (a JSON list in a summaries file): each item
    is a bullet, read by the rules `split_bullets` reads a marked line by (its marker
    stripped), and the items opening the list that introduce it ("Highlights:") or hold
    no word are dropped, so a list and the same bullets written as text score alike."""
    items = list(items)
    opening = next((i for i, item in enumerate(items)
                    if _HAS_WORD.search(item) and not is_lead_in(item)), len(items))
    return tidy_bullets((strip_bullet(item) for item in items[opening:]), max_bullets)


def require_bullets(bullets: object, what: str = "summary") -> None:
    """A str is itself a Sequence[str]: a summary passed as one string was scored letter
    by letter, silently. Raise instead."""
    if isinstance(bullets, str):
        raise TypeError(f"{what}: a list of bullets (strings), not one string; split it "
                        "first, e.g. summcheck.text.split_bullets(text)")


def require_references(references: object) -> None:
    """`references` is a list of references, each a list of bullets (see require_bullets)."""
    if isinstance(references, str):
        raise TypeError("references: a list of references, each a list of bullets, not one "
                        "string")
    for reference in references:   # type: ignore[attr-defined]
        require_bullets(reference, "each reference")


_LEAD_IN = re.compile(r":[\s*_#]*$")   # "Highlights:", "**Highlights:**"


def is_lead_in(line: str) -> bool:
    """A line that introduces a list: it ends in ":", Markdown emphasis aside."""
    return bool(_LEAD_IN.search(line))


def tidy_bullets(bullets: Iterable[str], max_bullets: int | None = None) -> tuple[str, ...]:
    """The bullets on one line each, whitespace runs made single spaces (a "\n" kept inside
    one would make rougeLsum score it as two sentences), without those that hold no letter
    or digit ("...", "-", "•": a summary of such bullets only is an empty one), capped."""
    tidy = [b for b in (" ".join(b.split()) for b in bullets) if _HAS_WORD.search(b)]
    return tuple(tidy[:max_bullets] if max_bullets else tidy)


def has_words(text: str) -> bool:
    """Whether `text` holds a letter or digit: a bullet that does not ("...", "-", "•")
    says nothing, in a summary or a reference."""
    return _HAS_WORD.search(text) is not None


def worded(bullets: Iterable[str]) -> list[str]:
    """The bullets that hold a letter or digit. A reference bullet of "..." or "-" is no
    highlight: a reference of such bullets only is no reference (ROUGE and coverage do not
    apply, as with a missing one); it scored ROUGE 0 against every summary."""
    return [b for b in bullets if _HAS_WORD.search(b)]


def holds_words(bullets: Iterable[str]) -> bool:
    """Whether any bullet holds a letter or digit. A summary without one ((), "", "...",
    "-") is empty: a failure wherever it comes from (a plugin summarizer, the Python API),
    not a real summary with nothing wrong in it (it scored 1.0 on every check)."""
    return any(_HAS_WORD.search(b) for b in bullets)


def written_list(value: object) -> bool:
    """Whether a text is a list of strings written out as text: a JSON array, or the
    Python repr pandas writes for a list column to CSV ("['One.', 'Two.']"). Read as a
    text it is one bullet holding the brackets and quotes. Only a text that starts with
    "[" and ends with "]" is parsed."""
    if not isinstance(value, str) or (value[:1] != "[" and not value[:1].isspace()):
        return False   # most texts: no copy made
    text = value.strip()
    if not (text.startswith("[") and text.endswith("]")):
        return False
    for parse in (json.loads, ast.literal_eval):
        try:
            items = parse(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        return isinstance(items, list) and bool(items) and all(isinstance(i, str) for i in items)
    return False


def _merge_continuations(lines: list[str]) -> list[str]:
    """Marker lines start bullets; unmarked lines continue the bullet before them."""
    bullets: list[str] = []
    for line in lines:
        if is_bullet_line(line) or not bullets:
            bullets.append(strip_bullet(line))
        else:
            bullets[-1] = f"{bullets[-1]} {line.strip()}"
    return bullets


_TAG_RE = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?/?>")
_BLOCK_TAGS = {"p", "br", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4",
               "h5", "h6", "blockquote", "section", "article", "header", "footer"}


def clean_markup(text: str) -> str:
    """Decode HTML entities ("&eacute;", "&amp;") and drop tags ("<b>", "</p>"), so
    scrapes score like clean text; "a < b" and "x<y" are left alone."""
    if "<" not in text and "&" not in text:
        return text
    untagged = _TAG_RE.sub(lambda m: "\n" if m.group(1).lower() in _BLOCK_TAGS else "", text)
    return html.unescape(untagged)


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """"1 example", "2 examples" (or the given plural)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def percent(level: float) -> str:
    """A confidence level as a percentage with the digits it has: "95%", "97.5%", "99.5%".
    `:.0%` rounded them, so a 99.5% interval was labelled "100%" and 0.975 "98%"."""
    return f"{float(level) * 100:.10g}%"
