import pytest
from hypothesis import example, given, settings, strategies as st

from summcheck.text import clean_bullet, split_bullets, split_sentences, strip_bullet


def test_dash_star_and_unicode_bullets():
    assert split_bullets("- one\n* two\n• three\n– four") == ("one", "two", "three", "four")


def test_numbered_bullets_and_continuation_lines():
    text = "1. First point\nthat wraps\n2) Second point\n(3) Third"
    assert split_bullets(text) == ("First point that wraps", "Second point", "Third")


def test_text_before_first_marker_is_kept():
    assert split_bullets("Highlights of the day\n- a b\n- c d") == ("Highlights of the day", "a b", "c d")


def test_plain_text_falls_back_to_sentences():
    text = "The U.S. economy grew 3.5% in Dec. 2024. Mr. Smith said so. Prices rose."
    assert split_bullets(text) == (
        "The U.S. economy grew 3.5% in Dec. 2024.", "Mr. Smith said so.", "Prices rose.")


def test_cap_on_bullets():
    assert split_bullets("- a\n- b\n- c\n- d", max_bullets=2) == ("a", "b")


def test_negative_numbers_are_not_bullets():
    assert split_bullets("-5 degrees overnight. Then sun.") == ("-5 degrees overnight.", "Then sun.")


def test_sentences_keep_abbreviations():
    assert split_sentences("Kim met the U.S. envoy on Dec. 29. Talks failed.") == [
        "Kim met the U.S. envoy on Dec. 29.", "Talks failed."]


# Stories with list numbers, abbreviations and every separator character pysbd meets.
_STORY_PIECES = st.sampled_from(["1.", "5.", "12)", "a", "Mr.", "U.S.", "said", "So.", "?",
                                 " ", "  ", "\n", "\x1c", "\x1d", "\x1e", "\x1f", "\t"])
_STORIES = st.lists(_STORY_PIECES, max_size=14).map(" ".join)


@given(_STORIES)
@example("1. a \x1f5. b")
@settings(max_examples=300, deadline=None)
def test_sentences_never_crash_and_are_pieces_of_the_text(text):
    """Every sentence is stripped, non-empty and found in the text in order (the support
    check locates them there); a text pysbd splits alone is split as pysbd splits it."""
    sentences = split_sentences(text)
    cursor = 0
    for sentence in sentences:
        assert sentence and sentence == sentence.strip()
        cursor = text.index(sentence, cursor) + len(sentence)
    if "\x1f" not in text:
        from summcheck.pysbd_fast import english_segmenter

        segmenter = english_segmenter()
        assert sentences == [s.strip() for line in text.splitlines() if line.strip()
                             for s in segmenter.segment(line) if s.strip()]


def test_a_unit_separator_before_a_list_number_splits_there():
    """pysbd 0.3.4 raises on it; the paragraph is split at the separator instead."""
    assert split_sentences("1. a \x1f5. b") == ["1. a", "5. b"]
    assert split_sentences("Fine text. More\x1f text.") == ["Fine text.", "More\x1f text."]


@given(st.text(), st.one_of(st.none(), st.integers(min_value=1, max_value=5)))
def test_split_bullets_never_crashes_and_holds_invariants(text, cap):
    bullets = split_bullets(text, cap)
    assert all(b and b == b.strip() and "\n" not in b for b in bullets)
    assert all(any(c.isalnum() for c in b) for b in bullets)     # no "...", "-" or "•"
    if cap:
        assert len(bullets) <= cap


# Lines made of bullet markers, words and every character str.split() cuts on.
_SPACES = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
_PIECES = st.sampled_from(["-", "*", "•", "–", "(1)", "2.", "12)", "\u0663.", "ab", "é", "9"])
_GAPS = st.sampled_from(["", " "]) | st.text(alphabet=st.sampled_from(_SPACES), max_size=3)
_BULLET_LINES = st.lists(st.tuples(_GAPS, _PIECES), max_size=6).map(
    lambda parts: "".join(gap + piece for gap, piece in parts))


@given(st.one_of(st.text(), _BULLET_LINES))
@example("- a b")
@example("a  b")
@example("2. ab")
@example("\u0663) ab")
@settings(max_examples=300)
def test_clean_bullet_equals_strip_split_join(line):
    """The fast path of clean_bullet leaves only lines the slow path would not change."""
    assert clean_bullet(line) == " ".join(strip_bullet(line).split())


@given(st.lists(st.sampled_from(["-", "*", "• ...", "...", "–", ".", "\u200b", "1.", "(2)", "",
                                 " ", "!?", "— .", "- \u2026"]), max_size=8))
def test_a_summary_of_markers_and_punctuation_only_has_no_bullets(lines):
    """A bare "-", "..." or "1." was a bullet, so a model that wrote nothing else scored as a
    summary with nothing wrong in it (consistency 1.0) instead of failing as empty."""
    assert split_bullets("\n".join(lines)) == ()


def test_a_marker_alone_on_its_line_starts_the_bullet_the_next_line_continues():
    assert split_bullets("-\nThe council met.\n- ...\n- It voted.") == ("The council met.",
                                                                        "It voted.")


@pytest.mark.parametrize("lead_in", ["Here are 3 highlights:", "**Highlights:**",
                                     "## Key points:"])
def test_a_line_introducing_the_list_is_no_bullet(lead_in):
    """A chat model's "Here are 3 highlights:" was bullet 1 and pushed the last real
    bullet past max_bullets; a line before the list that says something stays one."""
    text = f"{lead_in}\n- Three hurt.\n- Fire at 2 a.m.\n- Police investigate.\n- Mayor spoke."
    assert split_bullets(text, 4) == ("Three hurt.", "Fire at 2 a.m.", "Police investigate.",
                                      "Mayor spoke.")
    assert split_bullets("Summary: the council met.\n- It voted.") == (
        "Summary: the council met.", "It voted.")


def test_with_no_marker_lines_a_line_introducing_the_text_is_no_bullet():
    """"Highlights:" alone was a one-bullet summary (scored, not failed), and "Here are
    the highlights:" bullet 1 of a summary written as sentences."""
    assert split_bullets("Highlights:") == ()
    assert split_bullets("**Highlights:**\n\nHere are the key points:") == ()
    assert split_bullets("Here are the highlights:\nThree hurt. Police investigate.") == (
        "Three hurt.", "Police investigate.")
    assert split_bullets("Three hurt.\nThe mayor said:\nWe will rebuild.") == (
        "Three hurt.", "The mayor said:", "We will rebuild.")


def test_a_glyph_marker_needs_no_space_after_it():
    assert split_bullets("•Three hurt.\n•Police investigate.") == ("Three hurt.",
                                                                   "Police investigate.")
    assert split_bullets("- a b\n-5 degrees overnight.") == ("a b -5 degrees overnight.",)
