"""summcheck.pysbd_fast gives pysbd's own sentences, text for text (it only overrides how
two of pysbd's steps find what they find)."""

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pysbd = pytest.importorskip("pysbd")
from summcheck import pysbd_fast  # noqa: E402
from summcheck.pysbd_fast import english_segmenter  # noqa: E402

needs_checked = pytest.mark.skipif(pysbd.__version__ != pysbd_fast.CHECKED,
                                   reason="the fast path is only used with pysbd "
                                          f"{pysbd_fast.CHECKED}")
PLAIN = pysbd.Segmenter(language="en", clean=False)
FAST = english_segmenter()
SAMPLES = Path(pysbd_fast.__file__).parent / "data" / "samples"
DEV = Path(os.environ.get("SUMMCHECK_DATA",
                          Path(__file__).resolve().parents[1].parent / "shared" / "data"))


def paragraphs(path: Path, fields=("story", "article", "summary", "reference")) -> list[str]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for field in fields:
            value = row.get(field)
            texts = value if isinstance(value, list) else [value]
            found += [p for t in texts if isinstance(t, str) for p in t.splitlines()
                      if p.strip()]
    return list(dict.fromkeys(found))


def differing(texts) -> list[str]:
    return [t for t in texts if FAST.segment(t) != PLAIN.segment(t)]


@needs_checked
def test_the_fast_segmenter_is_in_use():
    assert type(FAST).__name__ == "FastSegmenter"
    assert FAST.language_module.AbbreviationReplacer.__name__ == "FastAbbreviationReplacer"


def test_another_pysbd_release_gets_pysbd_unchanged(monkeypatch):
    monkeypatch.setattr(pysbd, "__version__", "9.9.9")
    assert type(english_segmenter()) is pysbd.Segmenter


def test_the_listed_characters_are_all_that_fold_to_ascii_letters():
    """A case-insensitive ASCII letter matches exactly these characters outside ASCII."""
    letter = re.compile("[a-z]", re.IGNORECASE)
    folding = {chr(c) for c in range(0x80, 0x110000) if letter.fullmatch(chr(c))}
    assert folding == set(pysbd_fast._FOLDS_TO_ASCII)


def test_same_sentences_on_the_bundled_stories():
    texts = [p for f in sorted(SAMPLES.glob("*.jsonl")) for p in paragraphs(f)]
    assert len(texts) > 20
    assert differing(texts) == []


@pytest.mark.skipif(not (DEV / "frank_valid.jsonl").is_file(), reason=f"{DEV} not present")
def test_same_sentences_on_the_dev_stories_and_summaries():
    texts = paragraphs(DEV / "frank_valid.jsonl") + paragraphs(DEV / "summeval_dev.jsonl")
    assert len(texts) > 1000
    assert differing(texts) == []


@pytest.mark.parametrize("text", [
    # pysbd's look-up of the character after a literal "{abbr} " keeps "Jan." a boundary
    "{jan} Xy went home. On Jan. 5 he left. Then jan. 6 too.",
    # a character that folds to an ASCII letter: "ſt" matches "st" only ignoring case
    "The first man met ſt. 5 people there.", "Best of all, ſt. 7 is here.",
    "Ask İs. 5 first, is it?", "It was \u212aan. 5 at most, said the \u212aansas man.",
])
def test_same_sentences_where_pysbd_takes_its_rare_paths(text):
    assert FAST.segment(text) == PLAIN.segment(text)


# Pieces that reach pysbd's abbreviation, number, list and span rules: abbreviations in
# several spellings, periods, brackets, quotes, the characters that fold to ASCII letters,
# unusual whitespace and a repeated sentence.
PIECES = ["Mr.", "mr.", "MR.", "Dr.", "St.", "st.", "No.", "no.", "p.", "P.", "pp.", "Fig.",
          "e.g.", "i.e.", "U.S.", "u.s.", "Ph.D.", "a.m.", "p.m.", "Jan.", "vs.", "v.",
          "Gen.", "Co.", "Inc.", "etc.", "is.", "me.", "Man.", "Mass.", "Ill.", "ſt.",
          "\u212aan.", "\u0130s.", "{mr} ", "{p} x", "{jan} X", "first", "best", "smith",
          "Smith", "the", "The", "5", "3.5", "(1)", "2)", "a", "I", "I'm", "it", "He", "said",
          "went", "home", "-", ":", ":30", ",", "?", "!", "'", '"', "“", "”", "(", ")", "...",
          ". . .", "∯"]
SEPARATORS = [" ", " ", "  ", "\u00a0", "\t", "\u2009", "\x1c", ". ", "? ", "! "]


@needs_checked
@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)),
                min_size=1, max_size=40), st.booleans())
def test_same_sentences_on_generated_text(pieces, repeat):
    text = "".join(piece + sep for piece, sep in pieces).strip()
    if repeat:
        text = f"{text} {text}"
    assert outcome(FAST, text) == outcome(PLAIN, text)


def outcome(segmenter, text: str):
    """The sentences, or the error pysbd raises: pysbd 0.3.4 itself fails on some text
    ("\\x1c5": int() of a list number it matched with a \\s), and must fail the same
    way."""
    try:
        return segmenter.segment(text)
    except ValueError as error:
        return f"{type(error).__name__}: {error}"
