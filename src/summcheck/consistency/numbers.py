"""Numeric consistency: is every number in a summary supported by the story?

Written for summcheck; no maintained library checks summary numbers against a source with
kinds, units, qualifiers, spans and "did you mean" candidates. Extraction lives in
`number_extract`; this module matches and builds the `CheckResult`.

A summary mention is supported by a story mention when all of these hold:

- value: equal; or the summary is a rounded form of the story value at the precision it was
  written with ("2.5 million" vs 2,487,000; "3.5%" vs 3.46%); or, for counts, money, percents
  and fractions written with a scale word, within the relative `tolerance` ("2.49 million"
  vs "2.5 million" at 0.02). Numbers written out in digits compare exactly beyond rounding
  ("8,109" is not "8,019", "66.1%" is not "65.1%": both passed at 2% until 2026-12-05, when
  no FRANK or SummEval dev summary needed that), as do years, ordinals, dates and times
  ("49 people" is not "50 people"). A "~" qualifier on either
  side ("nearly", "about") widens the tolerance to APPROX_TOLERANCE. A decade ("the 1970s")
  is supported by any year in it.
- kind: money needs money with the same currency when both name one; percent needs percent
  (or a fraction: "a third" ~ 33%), and percentage points percentage points; a bare number
  may match any kind but a date (the summary may drop or add the "$" or "%"), a number
  with a unit word ("5 troops") only a number, year, ordinal or time; a year matches a
  year or the year of a story date; an ordinal matches an ordinal, a bare number or a
  story date's day, and only an ordinal matches a story date's day ("3 people" or "3
  hours" is not "March 3"); a count in canonical units is not a plain year ("2015 days"
  is not "in 2015"). Two canonical units that differ ("5 days" vs "5 weeks") never match;
  other unit words ("troops" vs "soldiers") are ignored.
- qualifier: a summary "over X" is supported by a story "X", "over X" or "more than X"
  (dropping or adding a hedge is tolerated), but not by "under X": opposite directions
  contradict. A bound is also supported by a same-kind, same-unit story value that satisfies
  it within a factor of two ("over 10,000 troops" by "12,000 troops").
- ranges: each end must be supported (by any story mention or a story range's end); a single
  summary number may match either end of a story range. A score ("3-1": two whole numbers
  under 100 joined by a dash) is one fact: it needs a story pair of the same two numbers,
  in either order ("won 3-1" ~ "lost 1-3").
- money for a period ("£100,000-a-week", "$5m a year") keeps the period: a weekly amount
  is not supported by a yearly one (an amount without a period matches either).
- a whole number glued to "m" with no currency ("7m viewers", "the 100m final") is read both
  as metres and as millions, since British news writes both so: either reading may be
  supported, and a story's "7m" supports "7 million" (a decimal, "1.5m", is millions).
- temperatures keep their scale ("28C" is not "82F"; "28 degrees" matches either), and a
  count keeps its minus sign ("-5C" is not "5C"). A percent's sign is left out: "-3%" and
  a story's "fell 3%" are one change, written two ways.
- dates: the summary's month (and day, when given) must equal a story date's; its year must
  equal that date's year, or appear in the story as a year when that date has none.

Skipped as generic (counted nowhere, never offered as a candidate): the word "one" when no
unit word follows it ("one of the", "no one", "one another"); "one year", "one goal" are
checked. Measured on frank_valid (671 summaries): generic "one" was never flagged, so the skip
only keeps pronoun uses out of `numbers_count` and the precision; "first" is NOT skipped,
because its only two flags there were on summaries that humans marked as erroneous.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Sequence

from summcheck import __version__
from summcheck.consistency.base import Check, CheckResult, Finding, Support, require_items
from summcheck.consistency.number_extract import (
    CANONICAL_UNITS, NumberMention, extract_numbers, with_value,
)

APPROX_TOLERANCE = 0.1
# Bump when extraction (number_extract.py) or a matching rule below changes what is found
# or supported; it is part of the signature, so the score cache keys on it (summcheck's
# own version, also there, is not bumped per change).
# 2: a percent followed by money is a change, not a range (44a299e).
# 3: a score ("3-1") is supported only by a story pair of the same two numbers (each end
#    was matched alone, against any story number); clock times to the minute (10:30 was
#    10:30 +- 30 minutes); money keeps its period ("£100,000-a-week" is not "-a-year").
# 4: a season written with "/" ("2014/15") is read, as "2014-15" was.
# 5: the relative tolerance only for numbers with a scale word (not for digits written out).
# 6: "7m" with no currency is read as millions too (it was metres only, so "7m viewers"
#    was flagged against the story's "7 million viewers").
# 7: tokenized thousands ("27 , 000") are one number, and "two - and - a - half" is 2.5
#    (not the fraction "a - half"): REALSumm's PTB-tokenized summaries.
# 8: "did you mean" offers no story number of a kind the summary's could not match (the
#    findings, with their candidates, are cached under this signature).
# 9: temperatures ("28C", "30°C", "82F") are read, in their unit, and a minus sign is part
#    of a count's value ("-5C", "minus 5"); "28C" was not read at all, and "5C" was
#    supported by a story's "-5C". No FRANK, SummEval or REALSumm dev finding moved.
# 10: a percentage-point value is not supported by a percent of the same number, nor the
#     reverse (planted "% -> percentage points" changes passed; no dev finding moved).
# 11: a story date's day supports (and is offered for) only an ordinal: "3 people were
#     hurt" and "the talks lasted 3 hours" were supported by a story's "March 3, 2015";
#     and a story date is offered for a count through neither its day nor its year ("15
#     times" was offered "did you mean March 3, 2015?").
# 12: digit groups joined by a no-break, narrow no-break or thin space ("12\u00a0000") are
#     one number; they were two ("12" and "000"), so "12,000" was flagged against them.
# 13: "May 11,1985" (the year glued to the comma) is a date; it was a count "11" and a
#     year, and since rules 11 the count was flagged against the story's "May 11, 1985"
#     (two REALSumm dev summaries).
# 14: a year-like number before a plural unit word ("2015 days", "2000 years ago") is a
#     count, not a year, and a count with a canonical unit is neither supported by nor
#     offered a plain year ("2015 days" was supported by a story's "in 2015"). On the
#     dev data no verdict moved; ten findings lost a year (or an age) as "did you mean".
#     "the 70s" (unit "decade") is no such count: it is still offered "1976".
# 15: a day before "May" ("12 May", "12\u00a0May", "12th May 2015") is a date; "may"
#     is a month after a day only so written or before a year ("12 may be freed" is a
#     number). It was a bare 12, supported by any 12 and offered for years. One dev
#     finding moved: "22" of the story's "22 May" is no longer offered for "2015".
# 16: "did you mean" offers a score only for a score and no score for anything else,
#     unless both count the same thing ("10-15 people" for "12 people"): "2-1" was
#     offered "three", "100%" "20-13". Eleven dev findings moved, suggestions only.
RULES_VERSION = "16"
_CANONICAL = frozenset(CANONICAL_UNITS.values())
_EXACT_KINDS = ("year", "date", "time", "ordinal")
_DIRECTION = {">": 1, ">=": 1, "<": -1, "<=": -1}
_SCORE = re.compile(r"\d{1,2}\s?[-–—]\s?\d{1,2}")
_GLUED_M = re.compile(r"\d[\d,]*m")
_DATE_DAY = "date-day"       # the unit of a story date's day, seen as an ordinal
_DATE_YEAR = "date-year"     # the unit of a story date's year, seen as a year


@lru_cache(maxsize=512)
def story_numbers(source: str) -> tuple[NumberMention, ...]:
    """Story extraction, cached: one story is checked against many summaries."""
    return tuple(extract_numbers(source))


@lru_cache(maxsize=512)
def story_points(source: str) -> tuple[NumberMention, ...]:
    """Story mentions plus single-valued views: each end of a range, and a date's year and day."""
    out: list[NumberMention] = []
    for m in story_numbers(source):
        out += readings(m)
        if m.high is not None:
            out += [with_value(m, m.value), with_value(m, m.high)]
        if m.kind == "date" and m.date:
            y, _, d = m.date
            if y is not None:
                out.append(NumberMention(m.span, "year", float(y), unit=_DATE_YEAR))
            if d is not None:
                out.append(NumberMention(m.span, "ordinal", float(d), unit=_DATE_DAY))
    return tuple(out)


def readings(m: NumberMention) -> tuple[NumberMention, ...]:
    """`m` as written, and for "7m" (a whole number glued to "m", no currency) its
    millions reading too: metres or millions, which the extraction cannot tell apart."""
    if m.kind == "number" and m.unit == "m" and _GLUED_M.fullmatch(m.span.text):
        return m, NumberMention(m.span, "number", m.value * 1e6, qualifier=m.qualifier,
                                step=m.step * 1e6, scaled=True)
    return (m,)


# ---------------------------------------------------------------- matching rules

def values_match(s: NumberMention, t: NumberMention, tol: float) -> bool:
    """Does story value `t` support summary value `s` (see the module docstring)?"""
    a, b = _comparable(s, t)
    if s.unit == "decade" and t.unit != "decade":
        return a <= b < a + 10
    if a == b:
        return True
    if s.unit != "decade" and abs(a - b) <= s.step / 2 + 1e-9 * abs(b):
        return True                                     # summary is the rounded story value
    if s.kind in _EXACT_KINDS or t.kind in _EXACT_KINDS:
        return False
    approx = "~" in (s.qualifier, t.qualifier) or "fraction" in (s.kind, t.kind)
    # a scale word ("2.49 million") is loose writing; digits written out are not: "8,109"
    # is not "8,019", "66.1%" not "65.1%", "$12.79" not "$12.99" (all passed at 2% before)
    written_loosely = s.scaled or t.scaled
    if not (approx or written_loosely):
        return False
    rel = max(tol, APPROX_TOLERANCE) if approx else tol
    return abs(a - b) <= rel * max(abs(a), abs(b))


def _comparable(s: NumberMention, t: NumberMention) -> tuple[float, float]:
    """Values on one scale: a fraction next to a percent becomes a percent."""
    a, b = s.value, t.value
    if s.kind == "fraction" and t.kind == "percent":
        a *= 100
    elif t.kind == "fraction" and s.kind == "percent":
        b *= 100
    return a, b


def kinds_compatible(s: NumberMention, t: NumberMention) -> bool:
    """Can story mention `t` support summary mention `s` by kind and unit (see the
    module docstring)?"""
    if t.unit == _DATE_DAY:
        return s.kind == "ordinal"      # "the 3rd" may be March 3; "3 people" may not
    if s.kind == "money" and t.kind == "money":   # "GBP/week": currency and period
        return all(not (a and b and a != b) for a, b in
                   zip((s.unit or "").partition("/")[::2], (t.unit or "").partition("/")[::2]))
    su = s.unit if s.kind != "money" else None
    tu = t.unit if t.kind != "money" else None
    if su in _CANONICAL and tu in _CANONICAL and su != tu:
        return False
    if s.kind == t.kind == "percent" and (su == "pp") != (tu == "pp"):
        return False        # "rose 2 percentage points" is not "rose 2%"
    if s.kind == t.kind:
        return True
    pair = {s.kind, t.kind}
    if pair == {"percent", "fraction"}:
        return True
    if "number" not in pair or "date" in pair:
        return False
    other = t if s.kind == "number" else s
    if other.kind == "year" and other.unit is None and \
            (s if other is t else t).unit in _CANONICAL - {"decade"}:
        return False        # "2015 days" is not "in 2015" ("the 70s" may be 1970)
    bare = (s if other is t else t).unit is None
    return bare or other.kind not in ("money", "percent", "fraction")


def contradicts(q1: str | None, q2: str | None) -> bool:
    """"over X" against "under X": bounds in opposite directions."""
    return _DIRECTION.get(q1 or "", 0) * _DIRECTION.get(q2 or "", 0) == -1


def bound_satisfied(s: NumberMention, t: NumberMention) -> bool:
    """"over 10,000 troops" is true of a story "12,000 troops" (same kind and unit, within 2x)."""
    d = _DIRECTION.get(s.qualifier or "", 0)
    if not d or s.kind != t.kind or s.unit != t.unit or s.kind in _EXACT_KINDS:
        return False
    if _DIRECTION.get(t.qualifier or "", 0) == -d or s.value <= 0:
        return False
    ratio = t.value / s.value
    inclusive = s.qualifier in (">=", "<=")
    return (1 < ratio <= 2 or (inclusive and ratio == 1)) if d > 0 else \
           (0.5 <= ratio < 1 or (inclusive and ratio == 1))


def find_support(s: NumberMention, points: Sequence[NumberMention], tol: float
                 ) -> tuple[NumberMention | None, str]:
    """The story mention supporting `s`, or None with the reason it is unsupported."""
    if s.kind == "date":
        return _date_support(s, points)
    if s.high is not None:
        return (_score_support if is_score(s) else _range_support)(s, points, tol)
    reason = "no story number with this value"
    best = None
    for t in points:
        if t.kind == "date" or not values_match(s, t, tol):
            continue
        if not kinds_compatible(s, t):
            reason = f"story has this value only as another kind or unit ({t.span.text!r})"
        elif contradicts(s.qualifier, t.qualifier):
            reason = f"qualifier contradicts the story ({t.span.text!r})"
        elif best is None or (t.kind == s.kind and best.kind != s.kind):
            best = t
    if best is None:
        best = next((t for t in points if bound_satisfied(s, t)), None)
    return (best, "") if best is not None else (None, reason)


def _support_of_a_reading(s: NumberMention, points: Sequence[NumberMention], tol: float
                          ) -> tuple[NumberMention | None, str]:
    """`find_support` of the first of `s`'s readings the story supports; else the reason
    the reading as written is unsupported."""
    found = [find_support(r, points, tol) for r in readings(s)]
    return next((f for f in found if f[0] is not None), found[0])


def is_score(m: NumberMention) -> bool:
    """"3-1", "0-0", "1 - 3": two whole numbers under 100 joined by a dash, as a match
    score is written (or a small range, "10-15 people"). One fact: both numbers must be
    one story pair. A canonical unit ("3-5 days") makes it a range."""
    return (m.high is not None and m.kind == "number" and m.unit not in _CANONICAL
            and _SCORE.fullmatch(m.span.text) is not None)


def _score_support(s: NumberMention, points: Sequence[NumberMention], tol: float
                   ) -> tuple[NumberMention | None, str]:
    """A story pair with the same two numbers, in either order ("won 3-1", "lost 1-3")."""
    assert s.high is not None
    for t in points:
        if t.high is not None and t.kind == "number" and {s.value, s.high} == {t.value, t.high}:
            return t, ""
    return None, "no story score with these two numbers"


def _range_support(s: NumberMention, points: Sequence[NumberMention], tol: float
                   ) -> tuple[NumberMention | None, str]:
    assert s.high is not None
    ranges = [t for t in points if t.high is not None and t.kind != "date"]
    for t in ranges:
        if (values_match(with_value(s, s.value), with_value(t, t.value), tol)
                and values_match(with_value(s, s.high), with_value(t, t.high), tol)
                and kinds_compatible(s, t)):
            return t, ""
    low, _ = find_support(with_value(s, s.value), points, tol)
    high, _ = find_support(with_value(s, s.high), points, tol)
    if low is not None and high is not None:
        return low, ""
    return None, "range end not in the story"


def _date_support(s: NumberMention, points: Sequence[NumberMention]
                  ) -> tuple[NumberMention | None, str]:
    assert s.date is not None
    y, mon, d = s.date
    years = {t.value for t in points if t.kind == "year"}
    for t in points:
        if t.kind != "date" or t.date is None:
            continue
        ty, tmon, td = t.date
        if tmon != mon or (d is not None and td != d):
            continue
        if y is None or ty == y or (ty is None and y in years):
            return t, ""
    return None, "no story date with this day, month and year"


def candidates(s: NumberMention, points: Iterable[NumberMention], n: int = 3) -> tuple:
    """Closest story mentions ("did you mean"): same kind first, then nearest value. A
    story number of a kind the summary's could never match (`kinds_compatible`: a year
    for an ordinal, a count for a sum of money) is no suggestion: a wrong one reads as a
    correction. Nor is a story date offered for a count through its day or year ("did
    you mean March 3, 2015?" for "15 times"): only for an ordinal or a year; nor a
    score for anything but a score, nor anything else for one (`_same_score_kind`)."""
    def key(t: NumberMention) -> tuple:
        if s.kind == "date":
            agree = sum(a is not None and a == b for a, b in zip(s.date or (), t.date or ()))
            return (t.kind != "date", -agree, t.span.start)
        rank = t.kind != s.kind
        dist = abs(s.value - t.value) / max(abs(s.value), abs(t.value), 1e-9)
        return (rank, dist, t.span.start)

    pool = [t for t in points if (t.kind == "date") == (s.kind == "date") and not is_trivial(t)
            and (s.kind == "date" or t.kind == s.kind or kinds_compatible(s, t))
            and (t.unit not in (_DATE_DAY, _DATE_YEAR) or t.kind == s.kind)
            and _same_score_kind(s, t)]
    out, seen = [], set()
    for t in sorted(pool, key=key):
        if t.span in seen or t.normalized() in seen:
            continue
        seen.update((t.span, t.normalized()))
        out.append(t.span)
        if len(out) == n:
            break
    return tuple(out)


def _written_as_score(m: NumberMention) -> bool:
    """A score or one end of it (`story_points` gives each end the pair's span)."""
    return (m.kind == "number" and m.unit not in _CANONICAL
            and _SCORE.fullmatch(m.span.text) is not None)


def _same_score_kind(s: NumberMention, t: NumberMention) -> bool:
    """A score is offered only a story score (nothing else can support it), and a single
    number no score ("2-1" was offered "three", "100%" the cricket score "20-13"), unless
    both count the same thing: "10-15 people" may be meant by "12 people"."""
    if is_score(s):
        return is_score(t)
    return not _written_as_score(t) or (s.unit is not None and s.unit == t.unit)


def is_trivial(m: NumberMention) -> bool:
    """Generic "one" ("one of the", "no one"): skipped, see the module docstring."""
    return m.span.text.lower() == "one" and m.unit is None


# ---------------------------------------------------------------- the check

class NumberCheck(Check):
    """Every number in the summary bullets must be supported by a number in the story."""

    name = "numbers"

    def __init__(self, tolerance: float = 0.02):
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)):
            raise TypeError(f"tolerance: a number in [0, 1), e.g. 0.02, not {tolerance!r}")
        if not 0 <= tolerance < 1:
            raise ValueError(f"tolerance must be in [0, 1), got {tolerance}")
        self.tolerance = tolerance

    def signature(self) -> str:
        return (f"numbers|extract:summcheck-{__version__}|rules={RULES_VERSION}"
                f"|tol={self.tolerance:g}"
                f"|approx_tol={APPROX_TOLERANCE:g}|qualifiers:on|skip:generic-one")

    def check(self, *, source: str, summary: Sequence[str],
              reference: Sequence[str] | None = None) -> CheckResult:
        require_items([(source, summary, reference)])
        points = story_points(source)
        findings: list[Finding] = []
        supported: list[Support] = []
        for i, bullet in enumerate(summary):
            for m in extract_numbers(bullet):
                if is_trivial(m):
                    continue
                hit, reason = _support_of_a_reading(m, points, self.tolerance)
                if hit is not None:
                    supported.append(Support(self.name, m.kind, i, m.span, hit.span))
                else:
                    findings.append(Finding(self.name, m.kind, i, m.span, m.normalized(),
                                            candidates(m, points), reason))
        total = len(findings) + len(supported)
        return CheckResult(
            scores={"numbers_precision": len(supported) / total if total else 1.0,
                    "numbers_count": float(total), "numbers_unsupported": float(len(findings))},
            findings=tuple(findings), supported=tuple(supported))


def build(spec) -> NumberCheck:
    """The check a `checks.numbers` spec describes (consistency/registry.py)."""
    return NumberCheck(tolerance=spec.tolerance)
