"""Every finding's and supported mention's spans point at exactly the text they quote, in
the bullet and in the story, across the numbers, entities, support and relations checks,
for text with accents composed or as combining marks, curly quotes, non-breaking and
zero-width spaces, emoji (astral characters), CRLF line ends and PTB tokens; and a batch
gives each item the findings it gets alone."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("spacy")

from summcheck.consistency.entities import EntityCheck  # noqa: E402
from summcheck.consistency.numbers import NumberCheck  # noqa: E402
from summcheck.consistency.relations import RelationCheck  # noqa: E402
from summcheck.consistency.support import SupportCheck  # noqa: E402

PIECES = ["Kim Jong Il", "Café", "Cafe\u0301", "Zoë", "Zoe\u0308 Mu\u0308ller", "Franc\u0327ois", "Jose\u0301", "Rene\u0301e",
          "North Korea", "$5 million", "3.5%", "12,000", "two", "first", "1999",
          "March 3, 2020", "Boston", "“quoted”", "‘single’", "\u00a0", "\u200b", "😀", "𝐀",
          "\r\n", "\n", "said", "the", "police", "arrested", "man", "in", "fire", "€3bn",
          "Ms O’Neill", "O'Neill", "-lrb-", "-rrb-", "``", "''", "'s", "u.s.", "n't", "# 5,000",
          "$ 4.2 million", "3.5 %", "the 27 - year - old", "Angela Merkel", "Berlin",
          "Barack Obama", "Google", "3-1", "over 10,000", "30°C", ".", ","]
TEXT = st.lists(st.sampled_from(PIECES), min_size=1, max_size=20).map(" ".join)


@pytest.fixture(scope="module")
def checks():
    return [NumberCheck(), EntityCheck(processes=1), SupportCheck(), RelationCheck()]


def assert_spans(result, story: str, bullets: list[str]) -> None:
    for f in result.findings:
        assert_quotes(bullets[f.bullet_index], f.span)
        for c in f.candidates:
            assert_quotes(story, c)
    for s in result.supported:
        assert_quotes(bullets[s.bullet_index], s.span)
        assert_quotes(story, s.source_span)


def assert_quotes(text: str, span) -> None:
    """`span` quotes text[start:end], and does not end between a letter and its accent
    (a combining mark right after it)."""
    assert text[span.start:span.end] == span.text
    assert not unicodedata.combining(text[span.end:span.end + 1] or "x"), (span, text)


def assert_counts(name: str, result) -> None:
    """The counts say how many findings are listed."""
    scores = result.scores
    if name in ("numbers", "relations"):
        assert scores[f"{name}_unsupported"] == len(result.findings)
    if name == "numbers":
        assert scores["numbers_count"] == len(result.findings) + len(result.supported)
    if name == "entities":    # distinct names
        assert scores["entities_unsupported"] == len({f.value for f in result.findings})
    if name == "support":
        assert scores["support_weak"] == sum(f.kind == "weak-bullet" for f in result.findings)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(stories=st.lists(st.lists(TEXT, min_size=1, max_size=3).map("\n".join),
                        min_size=1, max_size=2),
       data=st.data())
def test_spans_quote_their_text_and_batches_agree(checks, stories, data):
    items = []
    for _ in range(data.draw(st.integers(1, 3))):
        story = data.draw(st.sampled_from(stories))
        if data.draw(st.booleans()):
            story = story.lower()
        copied = st.integers(0, len(story)).map(lambda i: story[i:i + 60] or "x")
        bullets = data.draw(st.lists(st.one_of(TEXT, TEXT.map(str.lower), copied),
                                     min_size=1, max_size=3))
        items.append((story, bullets, None))
    for check in checks:
        for (story, bullets, _), batched in zip(items, check.check_many(items)):
            alone = check.check(source=story, summary=bullets)
            assert_spans(alone, story, bullets)
            assert_counts(check.name, alone)
            assert (batched.findings, batched.supported, batched.scores) == \
                (alone.findings, alone.supported, alone.scores)
