from hypothesis import given, strategies as st

from summcheck.text import split_bullets, split_sentences


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


@given(st.text(), st.one_of(st.none(), st.integers(min_value=1, max_value=5)))
def test_split_bullets_never_crashes_and_holds_invariants(text, cap):
    bullets = split_bullets(text, cap)
    assert all(b and b == b.strip() and "\n" not in b for b in bullets)
    if cap:
        assert len(bullets) <= cap
