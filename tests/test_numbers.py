"""The numeric consistency check: extraction forms, matching rules, the example page, properties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summcheck.consistency.number_extract import extract_numbers, words_value
from summcheck.consistency import numbers as numbers_module
from summcheck.consistency.numbers import NumberCheck

SHARED = Path(__file__).resolve().parents[2] / "shared"
EXAMPLE = SHARED / "examples" / "news_page_example.txt"
FRANK = SHARED / "data" / "frank_valid.jsonl"

# The example page's sentences that the tests need, inline so they do not depend on shared/.
STORY = (
    "Dec 29, 2024, 9:47 AM\n\n"
    "In December 2024, North Korea's Kim Jong Un announced plans to adopt the most formidable "
    "anti-U.S. policy. During a significant five-day plenary meeting of the ruling Workers' "
    "Party, Kim condemned the United States. Recent assessments indicate that North Korea has "
    "contributed over 10,000 troops and various conventional military equipment to support "
    "Russia's ongoing conflict in Ukraine."
)


def only(text: str):
    """The single mention in `text`."""
    found = extract_numbers(text)
    assert len(found) == 1, found
    return found[0]


def supported(summary: str, source: str, **kw) -> bool:
    result = NumberCheck(**kw).check(source=source, summary=[summary])
    assert result.scores["numbers_count"] >= 1, "no number extracted from the summary"
    return not result.findings


# ---------------------------------------------------------------- extraction

@pytest.mark.parametrize("text, span, kind, value, unit", [
    ("sent 10,000 troops", "10,000", "number", 10000, "troops"),
    ("grew 3.5 times", "3.5", "number", 3.5, None),
    ("sold 15,000", "15,000", "number", 15000, None),          # text end: not "15,000s"
    ("five people", "five", "number", 5, "people"),
    ("twenty-one days", "twenty-one", "number", 21, "day"),
    ("twenty - one", "twenty - one", "number", 21, None),
    ("a dozen oddities", "a dozen", "number", 12, "oddities"),
    ("one hundred and twenty", "one hundred and twenty", "number", 120, None),
    ("two million people", "two million", "number", 2_000_000, "people"),
    ("2.5 million people", "2.5 million", "number", 2_500_000, "people"),
    ("1.2m people", "1.2m", "number", 1_200_000, "people"),
    ("4.2 billion", "4.2 billion", "number", 4.2e9, None),
    ("two and a half years", "two and a half", "number", 2.5, "year"),
    ("a two-and-a-half-year deal", "two-and-a-half-year", "number", 2.5, "year"),
    ("$4.2bn", "$4.2bn", "money", 4.2e9, "USD"),
    ("£350k", "£350k", "money", 350_000, "GBP"),
    ("€12 million", "€12 million", "money", 12e6, "EUR"),
    ("12 million euros", "12 million euros", "money", 12e6, "EUR"),
    ("50 dollars", "50 dollars", "money", 50, "USD"),
    ("ten pounds", "ten pounds", "money", 10, "GBP"),
    ("USD 5 million", "USD 5 million", "money", 5e6, "USD"),
    ("US$3m", "US$3m", "money", 3e6, "USD"),
    ("50p", "50p", "money", 0.5, "GBP"),
    ("3.5%", "3.5%", "percent", 3.5, None),
    ("12 percent", "12 percent", "percent", 12, None),
    ("12 per cent", "12 per cent", "percent", 12, None),
    ("nearly five per cent", "five per cent", "percent", 5, None),
    ("2 percentage points", "2 percentage points", "percent", 2, "pp"),
    ("a third of voters", "a third", "fraction", 1 / 3, None),
    ("two-thirds", "two-thirds", "fraction", 2 / 3, None),
    ("half of them", "half", "fraction", 0.5, None),
    ("the third man", "third", "ordinal", 3, "man"),
    ("the 21st century", "21st", "ordinal", 21, "century"),
    ("1st place", "1st", "ordinal", 1, "place"),
    ("twenty-first", "twenty-first", "ordinal", 21, None),
    ("in 2024 .", "2024", "year", 2024, None),
    ("mid-2024", "2024", "year", 2024, None),
    ("the 1970s", "1970s", "year", 1970, "decade"),
    ("the '90s", "'90s", "year", 1990, "decade"),
    ("his 30s", "30s", "number", 30, "decade"),
    ("2024 troops", "2024", "number", 2024, "troops"),
    ("2,024 troops", "2,024", "number", 2024, "troops"),
    ("a five-day meeting", "five-day", "number", 5, "day"),
    ("a 5-day meeting", "5-day", "number", 5, "day"),
    ("a 10,000-strong force", "10,000-strong", "number", 10000, "strong"),
    ("the 27-year-old", "27-year-old", "number", 27, "year"),
    ("at 4am", "4am", "time", 4, None),
    ("at 1.30 pm", "1.30 pm", "time", 13.5, None),
    ("10km", "10km", "number", 10, "km"),
    ("a 100m sprint", "100m", "number", 100, "m"),
    ("highs of 28C today", "28C", "number", 28, "celsius"),
    ("a balmy 82F", "82F", "number", 82, "fahrenheit"),
    ("30°C in the shade", "30°C", "number", 30, "celsius"),
    ("as low as -5C", "-5C", "number", -5, "celsius"),
    ("dropped to −12 °C", "−12 °C", "number", -12, "celsius"),
    ("minus five degrees", "minus five", "number", -5, "degrees"),
    ("a loss of (-3) points", "-3", "number", -3, None),
    ("shares fell -3%", "3%", "percent", 3, None),             # a change, its sign in words
    ("COVID-19 cases", "19", "number", 19, "cases"),           # a hyphen inside a word
])
def test_extraction_forms(text, span, kind, value, unit):
    m = only(text)
    assert (m.span.text, m.kind, m.unit) == (span, kind, unit)
    assert m.value == pytest.approx(value)
    assert text[m.span.start:m.span.end] == m.span.text == m.raw


@pytest.mark.parametrize("text, span, date", [
    ("In December 2024, Kim", "December 2024", (2024, 12, None)),
    ("on Dec. 29 the", "Dec. 29", (None, 12, 29)),
    ("Dec 29, 2024, 9:47 AM", "Dec 29, 2024", (2024, 12, 29)),
    ("on 29 December", "29 December", (None, 12, 29)),
    ("the 29th of December 2024", "29th of December 2024", (2024, 12, 29)),
    ("March 14, 2025", "March 14, 2025", (2025, 3, 14)),
    ("on february 3 , 1959", "february 3 , 1959", (1959, 2, 3)),
    ("in august , 1999 , when", "august , 1999", (1999, 8, None)),
    ("arrested in February, however", "February", (None, 2, None)),
    ("on saturday , may 2 .", "may 2", (None, 5, 2)),
])
def test_dates(text, span, date):
    m = [m for m in extract_numbers(text) if m.kind == "date"][0]
    assert (m.span.text, m.date) == (span, date)
    assert m.normalized() == "-".join(
        "????" if i == 0 and v is None else "??" if v is None else f"{v:0{4 if i == 0 else 2}d}"
        for i, v in enumerate(date))


def test_may_as_a_verb_is_not_a_date():
    assert extract_numbers("they may arrive soon") == []


@pytest.mark.parametrize("text, span, low, high, kind", [
    ("32 to 36 people", "32 to 36", 32, 36, "number"),
    ("32-36", "32-36", 32, 36, "number"),
    ("between 5 and 7", "between 5 and 7", 5, 7, "number"),
    ("from 5 to 7", "from 5 to 7", 5, 7, "number"),
    ("$5-7 million", "$5-7 million", 5e6, 7e6, "money"),
    ("5-7%", "5-7%", 5, 7, "percent"),
    ("the 2010-11 season", "2010-11", 2010, 2011, "year"),
    ("a 2-1 defeat", "2-1", 2, 1, "number"),        # scores keep their order
    ("narrow 85 - 80 victory", "85 - 80", 85, 80, "number"),
    ("won 3 -1 at home", "3 -1", 3, 1, "number"),   # a loose score: no minus sign
    ("from -5 to -10 degrees", "from -5 to -10", -5, -10, "number"),
])
def test_ranges(text, span, low, high, kind):
    m = only(text)
    assert (m.span.text, m.value, m.high, m.kind, m.is_range) == (span, low, high, kind, True)


@pytest.mark.parametrize("text, qualifier", [
    ("over 10,000", ">"), ("more than 10,000", ">"), ("above 5", ">"),
    ("under 5", "<"), ("less than 5", "<"), ("fewer than 20", "<"), ("below 5", "<"),
    ("nearly 15,000", "~"), ("almost 5", "~"), ("about 5", "~"), ("around 5", "~"),
    ("approximately 5", "~"), ("some 500", "~"), ("roughly 5", "~"),
    ("at least 3", ">="), ("up to 40", "<="), ("at most 4", "<="), ("no more than 4", "<="),
    ("more than $ 2,000", ">"), ("exactly 5", None),
])
def test_qualifiers(text, qualifier):
    assert only(text).qualifier == qualifier


@pytest.mark.parametrize("text, expected", [   # FRANK/SummEval tokenization
    ("the 27 - year - old striker", [("27 - year - old", "number", 27, "year")]),
    ("a $ 4.2 million deal", [("$ 4.2 million", "money", 4.2e6, "USD")]),
    ("rose 3.5 % in", [("3.5 %", "percent", 3.5, None)]),
    ("an extra # 2,100 a year", [("# 2,100 a year", "money", 2100, "GBP/year")]),
    ("for # 48.6 m", [("# 48.6 m", "money", 48.6e6, "GBP")]),
    ("fined £2, 000 after", [("£2, 000", "money", 2000, "GBP")]),
    ("a £1. 8m project", [("£1. 8m", "money", 1.8e6, "GBP")]),
    ("world no 1 williams", [("1", "number", 1, "williams")]),
    ("the u.s. and the uk", []),
    ("a330/a340 jets, 4x4 car, mp3 file, http://x.com/2017/10/29/story", []),
])
def test_tokenized_text(text, expected):
    got = [(m.span.text, m.kind, m.value, m.unit) for m in extract_numbers(text)]
    assert got == [(s, k, pytest.approx(v), u) for s, k, v, u in expected]


def test_words_value():
    assert words_value("two million three hundred thousand") == 2_300_000
    assert words_value("a hundred") == 100
    assert words_value("two dozen") == 24


def test_vague_plurals_are_not_numbers():
    assert extract_numbers("dozens of people and hundreds of homes, thousands more") == []


def test_normalized_values():
    assert only("over 10,000 troops").normalized() == ">10000"
    assert only("$4.2bn").normalized() == "USD 4200000000"
    assert only("3.5%").normalized() == "3.5%"
    assert only("third").normalized() == "#3"
    assert only("December 2024").normalized() == "2024-12-??"
    assert only("at 9:47 AM").normalized() == "09:47"


# ---------------------------------------------------------------- matching rules

@pytest.mark.parametrize("summary, source", [
    ("10,000 people", "Officials counted 10,000 people."),                    # same value
    ("2.49 million", "a population of 2.5 million"),                           # tolerance
    ("2.5 million", "a population of 2,487,000"),                              # rounded form
    ("3.5% growth", "growth of 3.46 per cent"),                                # rounded form
    ("10,000", "sent 10,000 troops"),                                          # count vs unit
    ("10,000 troops", "sent 10,000"),
    ("$10m", "paid $10 million"),                                              # money
    ("$10m", "paid 10 million"),                                               # currency dropped
    ("# 85 charge", "a £85 charge"),                                           # tokenized £
    ("5 %", "5 per cent of residents"),                                        # percent
    ("a third of voters", "33% of voters"),                                    # fraction ~ percent
    ("in 2024", "on December 29, 2024"),                                       # year vs date
    ("Dec. 29", "on December 29, 2024"),                                       # partial date
    ("December 2024", "on Dec 29, 2024"),
    ("Dec 29, 2024", "Dec 29: talks ended. It was 2024."),                     # year elsewhere
    ("finished third", "finished 3rd"),                                        # ordinal
    ("the 29th", "on December 29"),                                            # ordinal vs day
    ("a five-day meeting", "a 5-day meeting"),                                 # hyphenated
    ("a 5-day meeting", "a five-day meeting"),
    ("32 to 36", "between 32 and 36"),                                         # range vs range
    ("32-36", "from 32 to 36"),
    ("between 5 and 7", "5 came, then 7 left"),                                # range ends
    ("32 people", "32-36 people"),                                             # range end
    ("over 10,000", "more than 10,000"),                                       # qualifiers
    ("over 10,000", "10,000"),
    ("10,000", "over 10,000"),
    ("nearly 15,000", "14,600 tickets"),                                       # ~ widens
    ("over 10,000 troops", "12,000 troops"),                                   # bound satisfied
    ("a 2-1 defeat", "lost 2-1"),                                              # score
    ("lost 1-3", "won 3-1"),                                                   # either order
    ("£100,000-a-week", "on £100,000 a week"),                                 # period
    ("£100,000 a week", "paid £100,000"),                                      # period dropped
    ("the 2014-15 season", "the 2014/15 season"),                              # season, "/"
    ("the 2014/15 season", "the 2014-15 season"),
    ("highs of 28 degrees", "highs of 28C (82F)"),                             # temperatures
    ("highs of 82F", "highs of 28C (82F)"),
    ("as low as -5C", "temperatures of minus 5 degrees"),
    ("shares fell 3%", "shares -3%"),                                          # percent: unsigned
    ("the 1970s", "in 1975"),                                                  # decade
    ("at 4 am", "just before 4am"),                                            # time
    ("two-thirds", "two thirds"),
    ("watched 27 , 000 times", "watched more than 27,000 times"),              # tokenized
    ("raised £7 , 000", "raised £7,000 for the hospice"),
    ("a two - and - a - half year scam", "a two-and-a-half year con"),
    ("7m viewers", "7 million viewers"),                                       # "m": millions
    ("7 million viewers", "drew 7m viewers"),
    ("the 100 metres final", "the 100m final"),                                # ... or metres
    ("the 100m final", "the 100 metres final"),
])
def test_supported(summary, source):
    assert supported(summary, source)


@pytest.mark.parametrize("summary, source", [
    ("12,000 troops", "10,000 troops"),
    ("2.49 million", "2.6 million"),
    ("49 people", "50 people"),                     # small integers compare exactly
    ("in 2023", "in 2024"),                         # years compare exactly
    ("$10m", "£10m"),                               # currency differs
    ("5 days", "5 weeks"),                          # canonical units differ
    ("5%", "5 troops"),                             # percent needs percent
    ("over 10,000", "under 10,000"),                # qualifiers contradict
    ("over 10,000 troops", "30,000 troops"),        # bound too loose (beyond 2x)
    ("finished third", "finished fourth"),
    ("Dec 30", "December 29, 2024"),
    ("Dec 29, 2023", "December 29, 2024"),
    ("December 29", "in December"),                 # summary adds a day
    ("32 to 38", "between 32 and 36"),
    ("a 3-1 win", "a 2-1 win"),
    # a score is one fact: its ends were once found one by one, anywhere in the story
    ("won 3-1", "won 2-1 to go 3 points clear"),
    ("won 2-0", "won 2-1 and drew 0-0"),
    ("at 11:00", "at 10:30"),                       # times to the minute (were +-30 min)
    ("at 3.30pm", "at 3pm"),
    ("£100,000-a-year", "£100,000-a-week"),         # money keeps its period
    ("the 2013/14 season", "the 2014/15 season"),   # a season with "/" was not read at all
    ("8,109 people", "8,019 people"),               # digits written out: no 2% tolerance
    ("66.1 per cent", "65.1 per cent"),
    ("$12.79", "$12.99"),
    ("in the 1970s", "in 1985"),
    ("watched 27 , 000 times", "watched 28,000 times"),
    ("a two - and - a - half year scam", "a half year scam"),
    ("7m viewers", "8 million viewers"),            # either reading of "7m" must hold
    ("the 200m final", "the 100m final"),
    ("fell to 5C", "fell to -5C overnight"),        # the minus sign was dropped on both sides
    ("fell to -5C", "fell to 5C overnight"),
    ("reached 82F", "reached 28C"),                 # "28C" was not read at all
    ("reached 30C", "reached 28C"),
    ("rose 2 percentage points", "rose 2%"),         # points of a percent are not a percent
    ("rose 2%", "rose 2 percentage points"),
])
def test_unsupported(summary, source):
    assert not supported(summary, source)


def test_tolerance_is_configurable():
    assert supported("2.49 million", "2.5 million")
    assert not supported("2.49 million", "2.5 million", tolerance=0.001)
    assert supported("2.5 million", "2,487,000", tolerance=0.001)      # rounding still counts


def test_qualifier_contradiction_reason():
    result = NumberCheck().check(source="under 10,000 troops", summary=["over 10,000 troops"])
    assert "qualifier contradicts" in result.findings[0].reason


def test_generic_one_is_skipped_but_counted_one_is_not():
    check = NumberCheck()
    assert check.check(source="x", summary=["one of the leaders"]).scores["numbers_count"] == 0
    result = check.check(source="two years", summary=["one year"])
    assert result.scores["numbers_unsupported"] == 1


# ---------------------------------------------------------------- the check

def _example_cases(story: str) -> None:
    result = NumberCheck().check(source=story, summary=[
        "North Korea sent 12,000 troops to Russia",
        "North Korea sent over 10,000 troops to Russia",
        "Kim held a five-day meeting",
        "Kim held a 5-day meeting",
        "Kim spoke in December 2024",
    ])
    assert [f.bullet_index for f in result.findings] == [0]
    finding = result.findings[0]
    assert (finding.check, finding.kind, finding.value) == ("numbers", "number", "12000")
    assert (finding.span.text, finding.span.start, finding.span.end) == ("12,000", 17, 23)
    assert finding.candidates[0].text == "10,000"
    assert story[finding.candidates[0].start:finding.candidates[0].end] == "10,000"
    assert finding.reason
    assert sorted(s.bullet_index for s in result.supported) == [1, 2, 3, 4]
    assert result.scores == {"numbers_precision": 0.8, "numbers_count": 5.0,
                             "numbers_unsupported": 1.0}


def test_example_page_inline():
    _example_cases(STORY)


@pytest.mark.skipif(not EXAMPLE.exists(), reason="shared example page absent")
def test_example_page_file():
    _example_cases(EXAMPLE.read_text(encoding="utf-8"))


def test_no_numbers():
    result = NumberCheck().check(source=STORY, summary=["Kim spoke.", ""])
    assert result.scores == {"numbers_precision": 1.0, "numbers_count": 0.0,
                             "numbers_unsupported": 0.0}
    assert result.findings == () and result.supported == ()


def test_supports_point_into_the_story():
    result = NumberCheck().check(source=STORY, summary=["over 10,000 troops"])
    (sup,) = result.supported
    assert STORY[sup.source_span.start:sup.source_span.end] == sup.source_span.text == "10,000"
    assert sup.to_dict()["span"]["text"] == "10,000"


def test_signature_and_validation():
    assert NumberCheck().signature().startswith("numbers|extract:summcheck-")
    assert "|tol=0.02|" in NumberCheck().signature()
    assert "|tol=0.001|" in NumberCheck(tolerance=0.001).signature()
    assert NumberCheck.name == "numbers"
    with pytest.raises(ValueError):
        NumberCheck(tolerance=-0.1)


def test_story_extraction_is_cached(monkeypatch):
    calls = []

    def counting(text):
        calls.append(text)
        return extract_numbers(text)

    monkeypatch.setattr(numbers_module, "extract_numbers", counting)
    story = STORY + " Unique tail 77."
    for _ in range(3):
        NumberCheck().check(source=story, summary=["77 people"])
    assert calls.count(story) == 1 and calls.count("77 people") == 3


# ---------------------------------------------------------------- properties

@settings(max_examples=300, deadline=None)
@given(st.text())
def test_extraction_never_crashes_and_spans_are_valid(text):
    for m in extract_numbers(text):
        assert text[m.span.start:m.span.end] == m.span.text
        assert m.kind in ("number", "money", "percent", "fraction", "ordinal", "year", "date", "time")


_TOKENS = st.sampled_from(["10,000", "3.5%", "$4.2bn", "over", "Dec. 29", "2024", " - ",
                           "five-day", "twenty", "-", "one", "%", "£", "#", " ", ",", "."])


@settings(max_examples=200, deadline=None)
@given(st.lists(_TOKENS, max_size=12).map("".join))
def test_number_like_text_spans_are_valid(text):
    for m in extract_numbers(text):
        assert text[m.span.start:m.span.end] == m.span.text


_MENTIONS = st.one_of(
    st.integers(0, 10**9).map(lambda n: f"{n:,}"),
    st.floats(0, 1000, allow_nan=False).map(lambda x: f"{x:.1f}%"),
    st.integers(1, 10**7).map(lambda n: f"${n:,}"),
    st.floats(0.1, 999, allow_nan=False).map(lambda x: f"£{x:.1f} million"),
    st.integers(2, 99).map(lambda n: f"{n}-day"),
)


@settings(max_examples=300, deadline=None)
@given(_MENTIONS)
def test_a_number_always_matches_itself(mention):
    result = NumberCheck().check(source=f"Officials said {mention} on Monday.",
                                 summary=[f"The figure was {mention}."])
    assert result.scores["numbers_count"] >= 1
    assert result.findings == (), result.findings


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=40) | _MENTIONS, max_size=4),
       st.text(max_size=200) | _MENTIONS)
def test_spans_within_bullets_are_valid(bullets, source):
    result = NumberCheck().check(source=source, summary=bullets)
    for item in result.findings + result.supported:
        bullet = bullets[item.bullet_index]
        assert bullet[item.span.start:item.span.end] == item.span.text
    for sup in result.supported:
        assert source[sup.source_span.start:sup.source_span.end] == sup.source_span.text
    for f in result.findings:
        for c in f.candidates:
            assert source[c.start:c.end] == c.text
    assert result.scores["numbers_count"] == len(result.findings) + len(result.supported)


# ---------------------------------------------------------------- real data (skips when absent)

@pytest.mark.skipif(not FRANK.exists(), reason="shared FRANK data absent")
def test_few_flags_on_frank_cnndm_summaries_without_circumstance_errors():
    rows = [json.loads(line) for line in FRANK.read_text(encoding="utf-8").splitlines()]
    clean = [r for r in rows if r["dataset"] == "cnndm" and r["labels"]["CircE"] == 1.0]
    check = NumberCheck()
    flagged = sum(bool(check.check(source=r["article"], summary=[r["summary"]]).findings)
                  for r in clean)
    assert clean and flagged / len(clean) <= 0.02


@pytest.mark.parametrize("summary, story, expected", [
    ("finished first", "Founded in 1875, the club won in 2017.", []),        # a year for "first"
    ("a £250million deal", "The 1 deal was signed.", []),
    ("paid $ 2,000", "He was 26 when he paid. It was March 20.", ["26"]),  # no date for money
    ("finished third", "He finished 4th in 2017.", ["4th"]),
])
def test_did_you_mean_offers_no_number_of_a_kind_the_summary_could_not_mean(summary, story,
                                                                            expected):
    """"first" was offered "1875", "£250million" "1", "$ 2,000" a date: a wrong suggestion
    reads as the correction."""
    (finding,) = NumberCheck().check(source=story, summary=[summary]).findings
    assert [c.text for c in finding.candidates] == expected


# ---------------------------------------------------------------- a story date's day and year
_MONTHS = ["January", "March", "June", "October", "December"]


@settings(max_examples=60, deadline=None)
@given(day=st.integers(1, 28), month=st.sampled_from(_MONTHS), year=st.integers(1990, 2030),
       noun=st.sampled_from(["people were hurt", "hours", "times", "degrees", "goals"]))
def test_a_count_is_neither_supported_by_nor_offered_a_story_date(day, month, year, noun):
    """"3 people were hurt" is not "March 3, 2015": a date's day supports only an
    ordinal ("the 3rd"), and no date is a "did you mean" for a count."""
    story = f"The leaders met on {month} {day}, {year}, officials said."
    count = NumberCheck().check(source=story, summary=[f"They said {day} {noun}."])
    assert count.scores["numbers_unsupported"] == 1.0 and not count.supported
    (finding,) = count.findings
    assert finding.span.text == str(day) and finding.candidates == ()
    ordinal = NumberCheck().check(source=story, summary=[f"They met on the {day}th."])
    assert ordinal.scores["numbers_unsupported"] == 0.0
    assert ordinal.supported[0].source_span.text == f"{month} {day}, {year}"
    wrong_year = NumberCheck().check(source=story, summary=[f"They met in {year + 1}."])
    assert [c.text for c in wrong_year.findings[0].candidates] == [f"{month} {day}, {year}"]
    for written in (f"{month} {day},{year}", f"{month.lower()} {day} , {year}"):
        glued = NumberCheck().check(source=story, summary=[f"They met on {written}."])
        assert glued.scores["numbers_unsupported"] == 0.0 and not glued.findings, written


@settings(max_examples=60, deadline=None)
@given(value=st.integers(1000, 10**9), space=st.sampled_from(["\u00a0", "\u202f", "\u2009"]))
def test_digit_groups_joined_by_a_no_break_or_thin_space_are_one_number(value, space):
    """"12\u00a0000" (SI style) is twelve thousand, as "12,000" is; it was read as "12"
    and "000", so the summary's "12,000" was flagged with "did you mean 12?"."""
    grouped = f"{value:,}"
    story = f"Officials said {grouped.replace(',', space)} fans came."
    (mention,) = extract_numbers(story)
    assert mention.value == value and story[mention.span.start:mention.span.end] == \
        mention.span.text == grouped.replace(",", space)
    result = NumberCheck().check(source=story, summary=[f"{grouped} fans came."])
    assert result.scores["numbers_unsupported"] == 0.0


# ---------------------------------------------------------------- a year-like count
@settings(max_examples=60, deadline=None)
@given(value=st.integers(1800, 2100),
       noun=st.sampled_from(["days", "weeks", "hours", "miles", "years", "kilometres"]))
def test_a_year_like_number_before_a_plural_unit_is_a_count(value, noun):
    """"2015 days" counts days; it was read as the year 2015 (the unit word made canonical,
    "day", no longer looked plural), so a story's "in 2015" supported it."""
    (mention,) = extract_numbers(f"He waited {value} {noun}.")
    assert mention.kind == "number" and mention.value == value
    year_only = NumberCheck().check(source=f"He left in {value}.",
                                    summary=[f"He waited {value} {noun}."])
    assert year_only.scores["numbers_unsupported"] == 1.0
    assert year_only.findings[0].candidates == ()
    grouped = NumberCheck().check(source=f"He waited {value:,} {noun}.",
                                  summary=[f"He waited {value} {noun}."])
    assert grouped.scores["numbers_unsupported"] == 0.0
    for year in (f"In {value} Miles Davis played.", f"In {value} he waited."):
        (kept,) = extract_numbers(year)
        assert kept.kind == "year", year


# ---------------------------------------------------------------- "12 May"
@settings(max_examples=60, deadline=None)
@given(day=st.integers(1, 31), space=st.sampled_from([" ", "\u00a0", "\u202f"]),
       month=st.sampled_from(["May", "MAY"]), year=st.sampled_from(["", " 2015", ", 2019"]))
def test_a_day_before_may_is_a_date(day, space, month, year):
    """"12 May" and "12\u00a0May" were a bare number 12 (the day-month pattern leaves the
    modal "may" out), so "12 people" was supported by a story's "on 12 May" and the
    summary's "12 May" was flagged against the story's "May 12"."""
    written = f"{day}{space}{month}{year}"
    (mention,) = extract_numbers(f"They met on {written} in Paris.")
    assert mention.kind == "date" and mention.span.text == written
    assert mention.date == (int(year[-4:]) if year else None, 5, day)
    story = f"They met on {written} in Paris."
    count = NumberCheck().check(source=story, summary=[f"{day} people met."])
    assert count.scores["numbers_unsupported"] == 1.0
    same = NumberCheck().check(source=f"They met on May {day}, 2015.",
                               summary=[f"They met on {day}{space}{month}."])
    assert same.scores["numbers_unsupported"] == 0.0


def test_a_number_before_the_modal_may_stays_a_number():
    assert [m.kind for m in extract_numbers("the 12 may be freed")] == ["number"]
    assert [m.date for m in extract_numbers("on 12 may 2015")] == [(2015, 5, 12)]


# ---------------------------------------------------------------- scores in "did you mean"
@settings(max_examples=60, deadline=None)
@given(home=st.integers(0, 9), away=st.integers(0, 9), goals=st.integers(1, 9),
       shift=st.integers(1, 5))
def test_did_you_mean_offers_a_score_only_for_a_score(home, away, goals, shift):
    """A score ("3-1") is supported only by a story score, so only a score is a suggestion
    for it ("2-1" was offered "three", "four"); and a count or a percent is offered no
    score ("100%" was offered the cricket score "20-13")."""
    story = (f"United won {home}-{away} on Saturday. Smith scored {goals} goals "
             f"and {goals + 2} fans were hurt.")
    score = f"{home + shift}-{away}"
    (finding,) = NumberCheck().check(source=story, summary=[f"United won {score}."]).findings
    assert [c.text for c in finding.candidates] == [f"{home}-{away}"]
    count = NumberCheck().check(source=story, summary=[f"Smith scored {goals + 10} goals."])
    assert count.findings and all("-" not in c.text for c in count.findings[0].candidates)
    assert count.findings[0].candidates
    alone = NumberCheck().check(source=f"United won {home}-{away}.", summary=["It rose 100%."])
    assert alone.findings[0].candidates == ()


def test_did_you_mean_offers_a_range_of_the_same_things():
    (finding,) = NumberCheck().check(source="Police said 10-15 people were hurt.",
                                     summary=["Police said 20 people were hurt."]).findings
    assert [c.text for c in finding.candidates] == ["10-15"]


def test_a_decade_written_as_70s_is_still_offered_a_year_of_it():
    """Rules 14 kept counts in canonical units from plain years; "the 70s" (a number
    with the unit "decade") lost the story's "1976" as its suggestion with them."""
    (finding,) = NumberCheck().check(source="He fought Ali in 1976. He retired in the 1990s.",
                                     summary=["He fought Ali in the 70s."]).findings
    assert [c.text for c in finding.candidates][0] == "1976"
