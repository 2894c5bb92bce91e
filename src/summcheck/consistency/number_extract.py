"""Number mentions in news text: extraction with kinds, units, qualifiers and char spans.

Written for summcheck: no maintained library extracts numbers with their kind (money, percent,
date, ...), unit, hedging qualifier ("more than") and character span from both cased news prose
and the lowercased, space-tokenized text of CNN/DM-era system outputs ("$ 4.2 million",
"3.5 %", "the 27 - year - old", "# 2,100" where "#" is the "£" the CNN/DM preprocessing lost).
rouge_score's tokenizer is no substitute: it keeps [a-z0-9] only and splits "3.5%" into "3", "5".

The scanner runs passes in priority order (dates, clock times, fractions, ordinal words, number
words, digits); each pass skips characters an earlier one claimed. Digit mentions then take a
currency before them and a scale ("million", "bn", "k"), percent sign, currency word, ordinal
suffix or glued unit ("10km") after them; neighbouring mentions joined by "-", "to" or
"between .. and" become ranges; finally every mention gets its qualifier, hyphenated unit
("five-day", "10,000-strong") and the unit word that follows ("troops").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from summcheck.consistency.base import Span

KINDS = ("number", "money", "percent", "fraction", "ordinal", "year", "date", "time")
Date = tuple[int | None, int | None, int | None]     # (year, month, day); None = not said


@dataclass(frozen=True)
class NumberMention:
    """One number in a text.

    `value` is the number (a range's first end, a date's yyyymmdd with unknown parts 0, a
    clock time in hours); `high` the second end of a range or score, as written ("2-1"
    keeps high=1). `step` is the resolution the writer used ("2.5 million" -> 100000) so a
    rounded form can be recognised. `unit` is a currency code for money, otherwise a
    canonical unit ("day", "km", "year" for "27-year-old", "pp" for percentage points) or
    the plain word that follows ("troops").
    """

    span: Span
    kind: str
    value: float
    high: float | None = None
    unit: str | None = None
    qualifier: str | None = None        # ">", "<", "~", ">=", "<="
    date: Date | None = None
    step: float = 1.0
    scaled: bool = False                # written with a scale word or suffix (million, bn, k)

    @property
    def raw(self) -> str:
        return self.span.text

    @property
    def is_range(self) -> bool:
        return self.high is not None

    def normalized(self) -> str:
        """A readable, comparable form: "12000", "USD 4200000", "3.5%", "2024-12-??", ">10000"."""
        return (self.qualifier or "") + _core_text(self)


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.6g}"


def _core_text(m: NumberMention) -> str:
    if m.kind == "date" and m.date:
        y, mo, d = m.date
        return f"{y or '????'}-{f'{mo:02d}' if mo else '??'}-{f'{d:02d}' if d else '??'}"
    if m.kind == "time":
        return f"{int(m.value):02d}:{round(m.value % 1 * 60):02d}"
    core = _fmt(m.value) + ("" if m.high is None else f"-{_fmt(m.high)}")
    if m.kind == "money":
        currency, _, period = (m.unit or "").partition("/")
        return f"{currency or '?'} {core}" + (f"/{period}" if period else "")
    if m.kind == "percent":
        return core + ("pp" if m.unit == "pp" else "%")
    if m.kind == "ordinal":
        return f"#{core}"
    if m.kind == "year" and m.unit == "decade":
        return core + "s"
    return core


# ---------------------------------------------------------------- vocabularies

_SMALL_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
SMALL = {w: i for i, w in enumerate(_SMALL_WORDS)} | {
    w: 20 + 10 * i for i, w in enumerate(_TENS_WORDS)}
BIG = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
SCALE_SUFFIX = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "mln": 1e6, "m": 1e6,
                "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12}
_ORD_SMALL = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
              "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth").split()
ORDINALS = {w: i + 1 for i, w in enumerate(_ORD_SMALL)} | {
    w[:-1] + "ieth": 20 + 10 * i for i, w in enumerate(_TENS_WORDS)} | {"hundredth": 100}
FRACTIONS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4,
             "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6, "eighth": 8, "eighths": 8,
             "tenth": 10, "tenths": 10}
MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
          "sep": 9, "oct": 10, "nov": 11, "dec": 12}
CURRENCY_SIGNS = {"$": "USD", "us$": "USD", "£": "GBP", "#": "GBP", "€": "EUR", "a$": "AUD",
                  "au$": "AUD", "c$": "CAD", "nz$": "NZD", "hk$": "HKD", "usd": "USD",
                  "gbp": "GBP", "eur": "EUR"}
CURRENCY_WORDS = {"dollar": "USD", "pound": "GBP", "sterling": "GBP", "euro": "EUR",
                  "usd": "USD", "gbp": "GBP", "eur": "EUR", "yen": "JPY", "pence": "GBP",
                  "p": "GBP", "cent": None}
# Canonical units: two mentions whose canonical units differ cannot support each other.
CANONICAL_UNITS = {
    **dict.fromkeys(["second", "seconds", "sec", "secs"], "second"),
    **dict.fromkeys(["minute", "minutes", "min", "mins"], "minute"),
    **dict.fromkeys(["hour", "hours", "hr", "hrs", "h"], "hour"),
    **dict.fromkeys(["day", "days"], "day"),
    **dict.fromkeys(["week", "weeks"], "week"),
    **dict.fromkeys(["month", "months"], "month"),
    **dict.fromkeys(["year", "years", "yr", "yrs", "year-old", "year-olds"], "year"),
    **dict.fromkeys(["decade", "decades"], "decade"),
    **dict.fromkeys(["century", "centuries"], "century"),
    **dict.fromkeys(["km", "kilometre", "kilometres", "kilometer", "kilometers"], "km"),
    **dict.fromkeys(["mile", "miles", "mi"], "mile"),
    **dict.fromkeys(["metre", "metres", "meter", "meters"], "m"),
    **dict.fromkeys(["cm", "centimetres", "centimeters"], "cm"),
    **dict.fromkeys(["mm", "millimetres", "millimeters"], "mm"),
    **dict.fromkeys(["ft", "feet", "foot"], "ft"),
    **dict.fromkeys(["inch", "inches"], "inch"),
    **dict.fromkeys(["yard", "yards"], "yard"),
    **dict.fromkeys(["kg", "kilogram", "kilograms", "kilo", "kilos"], "kg"),
    **dict.fromkeys(["g", "gram", "grams"], "g"),
    **dict.fromkeys(["lb", "lbs"], "lb"),
    **dict.fromkeys(["ton", "tons", "tonne", "tonnes"], "ton"),
    **dict.fromkeys(["mph"], "mph"), **dict.fromkeys(["mg"], "mg"), **dict.fromkeys(["ml"], "ml"),
    **dict.fromkeys(["celsius", "centigrade"], "celsius"),
    **dict.fromkeys(["fahrenheit"], "fahrenheit"),
}
# Words after a number that are not its unit.
_STOP = set("""a an the of and or but to in on at for by from with as is was were are be been
has have had than that this these those who which what when where while after before since
until into onto over under about per each its his her their our your my it he she they we
you i so if not no nor also just only more less up down out off then there here said says
says's against between during among across through via times""".split())
_PLURAL_NOUNS = {"people", "men", "women", "children", "police", "staff", "cattle", "feet"}
_YEAR_NOUNS = {"elections", "olympics", "games", "championships", "finals", "playoffs",
               "midterms", "polls", "awards", "oscars", "accounts", "figures", "results"}
QUALIFIERS = {
    "more than": ">", "over": ">", "above": ">", "in excess of": ">", "upwards of": ">",
    "just over": ">", "well over": ">", "greater than": ">", "higher than": ">",
    "less than": "<", "fewer than": "<", "under": "<", "below": "<", "just under": "<",
    "lower than": "<", "at least": ">=", "no fewer than": ">=", "no less than": ">=",
    "minimum of": ">=", "up to": "<=", "at most": "<=", "no more than": "<=",
    "maximum of": "<=", "nearly": "~", "almost": "~", "about": "~", "around": "~",
    "approximately": "~", "approx.": "~", "roughly": "~", "some": "~", "close to": "~",
    "an estimated": "~", "estimated": "~", "circa": "~", "c.": "~", "almost exactly": "~",
}

# ---------------------------------------------------------------- patterns

_I = re.IGNORECASE
_alt = "|".join
_SMALL_RE = (rf"(?:(?:{_alt(_TENS_WORDS)})(?:\s*-\s*(?:{_alt(_SMALL_WORDS[1:10])}))?"
             rf"|{_alt(_SMALL_WORDS)})\b")
_GROUP_RE = rf"(?:(?:a|{_SMALL_RE})\s+(?:hundred|dozen)\b(?:\s+(?:and\s+)?{_SMALL_RE})?|{_SMALL_RE})"
_BIG_RE = rf"(?:{_alt(BIG)})\b"
WORDNUM_RE = re.compile(
    rf"\b(?:(?:{_GROUP_RE}|a)\s+{_BIG_RE}(?:,?\s+(?:and\s+)?{_GROUP_RE}(?:\s+{_BIG_RE})?)*"
    rf"|{_GROUP_RE})(?:[\s-]+and[\s-]+a[\s-]+half\b)?", _I)
ORDWORD_RE = re.compile(
    rf"\b(?:(?P<tens>{_alt(_TENS_WORDS)})\s*-\s*)?"
    rf"(?P<ord>{_alt(sorted(ORDINALS, key=len, reverse=True))})\b", _I)
FRACTION_RE = re.compile(
    rf"\b(?P<num>(?<!and )(?<!and-)(?<!and - )a|one|{_alt(_SMALL_WORDS[2:11])})"
    rf"\s*-?\s*(?P<den>{_alt(FRACTIONS)})\b"
    rf"(?P<of>\s+of\b)?|(?<!a )(?<!a-)\bhalf(?=\s+(?:of|the|a|an)\b)", _I)
_SPLIT_DECIMAL = re.compile(r"\.\s(\d+)(?=(?:m|bn|k)\b)", _I)          # XSum's "£1. 8m"
_AND_HALF = re.compile(r"[\s-]+and[\s-]+a[\s-]+half\b", _I)
# Thousands groups: "27,000", "27, 000" and the tokenized "27 , 000" (PTB-tokenized
# CNN/DM text, where "27" and "000" were two numbers), and "27\u00a0000" with a no-break,
# narrow no-break or thin space (SI style; read as "27" and "000" before)
DIGITS_RE = re.compile(r"(?<![\w./])(?:(?:\d{1,3}(?:(?:\s?,\s?|[\u00a0\u202f\u2009])\d{3})+|\d+)"
                       r"(?:\.\d+)?|\.\d+)"
                       r"(?!\d|/\w)")
SEASON_RE = re.compile(r"(?<![\w./])(?P<y>1[89]\d\d|20\d\d)/(?P<yy>\d\d)(?![\w/])")
_MON_RE = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
           r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?")
_FULLMON_RE = (r"(?:january|february|march|april|may|june|july|august|september|october"
               r"|november|december)")
_DAY_RE = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR_RE = r"(?:1[89]|20)\d\d"
DATE_RES = (  # most specific first
    # "May 11,1985", the year glued to its comma (PTB-detokenized summaries): not a number
    # "11,1985" (no thousands group has 4 digits), so the next pattern's guard against
    # "may 11,000" need not refuse it
    re.compile(rf"\b(?P<mon>{_MON_RE})\s+(?P<day>{_DAY_RE}),(?P<year>{_YEAR_RE})\b(?![,.]\d)",
               _I),
    re.compile(rf"\b(?P<mon>{_MON_RE})\s+(?P<day>{_DAY_RE})\b(?!\s?[,.:]\d|\s?%)"
               rf"(?:\s*,?\s*(?P<year>{_YEAR_RE})\b(?![,.]\d))?", _I),
    re.compile(rf"\b(?P<day>{_DAY_RE})\s+(?:of\s+)?(?P<mon>{_MON_RE.replace('|may|', '|')})"
               rf"(?:\s*,?\s*(?P<year>{_YEAR_RE})\b(?![,.]\d))?", _I),
    # "12 May", "12th May 2015": the pattern above leaves "may" out ("12 may be freed"),
    # so here it is a month when written "May" or "MAY", or in any case before a year
    re.compile(rf"\b(?P<day>{_DAY_RE})\s+(?:of\s+)?"
               rf"(?P<mon>May|MAY|(?i:may)(?=\s*,?\s*{_YEAR_RE}\b))\b"
               rf"(?:\s*,?\s*(?P<year>{_YEAR_RE})\b(?![,.]\d))?"),
    re.compile(rf"\b(?P<mon>{_MON_RE})\s*,?\s+(?P<year>{_YEAR_RE})\b(?![,.]\d)", _I),
    re.compile(rf"\b(?:in|since|until|till|by|last|next|early|late|mid|during|this|from|through"
               rf"|before|after|of)(?:\s+|-)(?P<mon>{_FULLMON_RE})\b", _I),
)
_ANY_MONTH = re.compile(rf"\b{_MON_RE}", _I)
TIME_RE = re.compile(r"(?<![\w.:])(?P<h>[01]?\d|2[0-3])(?:[:.](?P<min>[0-5]\d))?\s?"
                     r"(?P<ap>a\.m\.|p\.m\.|am|pm)(?![a-z])"
                     r"|(?<![\w.:])(?P<h24>[01]?\d|2[0-3]):(?P<m24>[0-5]\d)(?![\d:])", _I)
DECADE_RE = re.compile(r"(?<![\w'])'\s?(?P<d>\d0)s\b")
_CUR_BEFORE = re.compile(r"(?:(?:\b(?:us|au|nz|hk|a|c))?\$|[£€#]|\b(?:usd|gbp|eur)\s)\s?$", _I)
_SCALE_AFTER = re.compile(r"\s?(?P<w>thousand|million|billion|trillion|mn|mln|bn|tn)\b"
                          r"|(?P<sp>\s)?(?P<s>k|m|b)\b", _I)
_PERCENT_AFTER = re.compile(r"\s?(?:%|per\s?cent\b|percent\b|pc\b)"
                            r"|\s(?P<pp>percentage\s+points?\b)", _I)
_CURWORD_AFTER = re.compile(r"\s?(?P<w>dollars?|pounds?(?:\s+sterling)?|sterling|euros?|usd|gbp"
                            r"|eur|yen|pence|cents?)\b|(?P<p>p)\b", _I)
_GLUED_UNIT = re.compile(r"(?P<u>km|kg|mph|cm|mm|ft|lbs?|mg|ml|mi|hrs?|mins?|secs?|yrs?|g|h|m)\b", _I)
# Temperatures: "30°C", "86 °F", and the glued capital "28C" of British news (a lowercase
# "28c" may be cents, so it stays unread)
_DEGREES = re.compile(r"\s?[°º]\s?(?P<d>[cf])\b|(?P<g>[CF])\b(?!\.\w)", _I)
# A minus sign read into a count's value ("-5C", "−3", "minus 5"): after a space, a bracket
# or the start only, so "2-1", "32-36" and the tokenized "5 - 10" stay ranges and scores
_MINUS_BEFORE = re.compile(r"(?:(?<![^\s(\[])[-−]|\bminus\s+)$", _I)
_ORD_SUFFIX = re.compile(r"(?:st|nd|rd|th)\b", _I)
_HYPHEN_UNIT = re.compile(r"(?:-(?P<w>[a-z]+(?:-[a-z]+)*)|\s-\s(?P<sw>[a-z]+(?:\s-\s[a-z]+)*))\b", _I)
_UNIT_WORD = re.compile(r"\s+(?P<w>[a-z]+(?:-[a-z]+)*)", _I)
# "£100,000 a week", "$5m-a-year", "£20 per hour": money for a period (kept in its unit as
# "GBP/week", so a weekly wage is not a yearly one).
_MONEY_PERIOD = re.compile(r"\s?-?\s?(?:a|an|per)\s?-?\s?(?P<p>week|month|year|day|hour|annum)\b",
                           _I)
_QUAL_BEFORE = re.compile(
    rf"\b(?:{_alt(re.escape(q) for q in sorted(QUALIFIERS, key=len, reverse=True))})\s+$", _I)
_RANGE_JOIN = re.compile(r"\s?[-–—]\s?|\s+to\s+|\s+and\s+", _I)
_RANGE_OPEN = re.compile(r"\b(?:between|from)\s+$", _I)


# ---------------------------------------------------------------- passes

@dataclass
class _Raw:
    """A mention under construction (mutable; frozen into a NumberMention at the end)."""

    start: int
    end: int
    kind: str
    value: float
    step: float = 1.0
    unit: str | None = None
    date: Date | None = None
    high: float | None = None
    scale: float = 1.0
    digits: str = ""            # bare digit string, for year detection


def _claim(mask: bytearray, start: int, end: int) -> bool:
    """Mark [start, end) as taken unless an earlier pass already took part of it."""
    if any(mask[start:end]):
        return False
    mask[start:end] = b"\x01" * (end - start)
    return True


def _dates(text: str, mask: bytearray) -> list[_Raw]:
    if not _ANY_MONTH.search(text):     # every date pattern has a month: one scan, not four
        return []
    out = []
    for rx in DATE_RES:
        for m in rx.finditer(text):
            mon = MONTHS[m.group("mon")[:3].lower()]
            day = m.groupdict().get("day")
            year = m.groupdict().get("year")
            d = int(re.sub(r"\D", "", day)) if day else None
            y = int(year) if year else None
            start = m.start("mon") if rx is DATE_RES[-1] else m.start()
            if _claim(mask, start, m.end()):
                out.append(_Raw(start, m.end(), "date", (y or 0) * 1e4 + mon * 100 + (d or 0),
                                date=(y, mon, d)))
    return out


def _times(text: str, mask: bytearray) -> list[_Raw]:
    out = []
    for m in TIME_RE.finditer(text):
        if m.group("h24") is not None:
            hours, minutes = int(m.group("h24")), int(m.group("m24"))
        else:
            hours, minutes = int(m.group("h")) % 12, int(m.group("min") or 0)
            hours += 12 if m.group("ap").lower().startswith("p") else 0
        if _claim(mask, *m.span()):
            out.append(_Raw(m.start(), m.end(), "time", hours + minutes / 60, step=1 / 60))
    return out


_WORD = re.compile(r"[A-Za-z]+")
_STARTERS = set(SMALL) | set(ORDINALS) | {"half"}
_A_BEFORE = set(BIG) | set(FRACTIONS) | {"hundred", "dozen"}


def _word_starts(text: str) -> list[int]:
    """Where a number-word phrase may start. Trying the big word patterns only there (and not
    at every position, as finditer would) makes word extraction about ten times faster."""
    out = []
    for m in _WORD.finditer(text):
        w = m.group().lower()
        if w in _STARTERS or (w == "a" and _next_word(text, m.end()) in _A_BEFORE):
            out.append(m.start())
    return out


def _next_word(text: str, pos: int) -> str:
    m = _WORD.search(text, pos, pos + 20)
    return m.group().lower() if m else ""


def _word_mentions(text: str, mask: bytearray) -> list[_Raw]:
    """Fractions ("a third of", "two-thirds"), then ordinal words, then number words."""
    starts = _word_starts(text)
    out = []
    for make in (_fraction, _ordinal_word, _number_words):
        for pos in starts:
            r = make(text, pos)
            if r is not None and _claim(mask, r.start, r.end):
                out.append(r)
    return out


def _fraction(text: str, pos: int) -> _Raw | None:
    m = FRACTION_RE.match(text, pos)
    if not m:
        return None
    if m.group("den") is None:
        return _Raw(m.start(), m.end(), "fraction", 0.5, step=0.01)     # "half of", "half the"
    den, num = m.group("den").lower(), m.group("num").lower()
    single = num in ("a", "one")
    if single and not den.endswith("s") and den != "half" and not m.group("of"):
        return None                                       # "a third goal" is an ordinal
    value = (1 if single else SMALL[num]) / FRACTIONS[den]
    return _Raw(m.start(), m.end("den"), "fraction", value, step=0.01)


def _ordinal_word(text: str, pos: int) -> _Raw | None:
    m = ORDWORD_RE.match(text, pos)
    if not m:
        return None
    tens = SMALL[m.group("tens").lower()] if m.group("tens") else 0
    return _Raw(m.start(), m.end(), "ordinal", ORDINALS[m.group("ord").lower()] + tens)


def _number_words(text: str, pos: int) -> _Raw | None:
    m = WORDNUM_RE.match(text, pos)
    if not m:
        return None
    half = _AND_HALF.search(m.group())
    value = words_value(m.group()[:half.start()] if half else m.group())
    r = _Raw(m.start(), m.end(), "number", value + (0.5 if half else 0), step=0.5 if half else 1)
    return _suffixes(text, r) or r                        # "five per cent", "ten pounds"


def words_value(words: str) -> float:
    """Value of a number-word phrase: "one hundred and twenty" -> 120, "a dozen" -> 12."""
    total = current = 0.0
    for w in re.findall(r"[a-z]+", words.lower()):
        if w in SMALL:
            current += SMALL[w]
        elif w == "a":
            current += 1
        elif w in ("hundred", "dozen"):
            current = (current or 1) * (100 if w == "hundred" else 12)
        elif w in BIG:
            total += (current or 1) * BIG[w]
            current = 0.0
    return total + current


def _seasons(text: str, mask: bytearray) -> list[_Raw]:
    """"2014/15": a season, as "2014-15" is (DIGITS_RE leaves numbers beside a "/" alone)."""
    out = []
    for m in SEASON_RE.finditer(text):
        first = int(m.group("y"))
        if _claim(mask, *m.span()):
            out.append(_Raw(m.start(), m.end(), "number", first,
                            high=first // 100 * 100 + int(m.group("yy")), digits=m.group("y")))
    return out


def _decades(text: str, mask: bytearray) -> list[_Raw]:
    out = []
    for m in DECADE_RE.finditer(text):
        d = int(m.group("d"))
        if _claim(mask, *m.span()):
            out.append(_Raw(m.start(), m.end(), "year", (1900 if d >= 30 else 2000) + d,
                            step=10, unit="decade"))
    return out


def _digit_mentions(text: str, mask: bytearray) -> list[_Raw]:
    out = []
    for m in DIGITS_RE.finditer(text):
        raw = _digit_mention(text, m)
        if raw is not None and _claim(mask, raw.start, raw.end):
            out.append(raw)
    return out


def _digit_mention(text: str, m: re.Match) -> _Raw | None:
    digits, start, end = m.group(), m.start(), m.end()
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    r = _Raw(start, end, "number", float(re.sub(r"[,\s]", "", digits)), step=10.0 ** -decimals,
             digits=digits)
    cur = _CUR_BEFORE.search(text, max(0, start - 5), start)
    if cur:
        r.kind, r.unit, r.start = "money", CURRENCY_SIGNS[cur.group().strip().lower()], cur.start()
        if decimals == 0 and (d := _SPLIT_DECIMAL.match(text, end)):
            r.digits = f"{digits}.{d.group(1)}"
            r.value, r.step, r.end = (float(re.sub(r"[,\s]", "", r.digits)),
                                      10.0 ** -len(d.group(1)), d.end())
    return _suffixes(text, r)


def _suffixes(text: str, r: _Raw) -> _Raw | None:
    """Extend a digit mention over what follows it; None when glued into a word ("4x4")."""
    if (m := _AND_HALF.match(text, r.end)):
        r.value, r.step, r.end = r.value + 0.5, 0.5, m.end()     # "2 and a half years"
    if r.kind == "number" and r.step == 1 and (m := _ORD_SUFFIX.match(text, r.end)):
        r.kind, r.end = "ordinal", m.end()
        return r
    if r.digits.endswith("0") and text[r.end:r.end + 1] in ("s", "S") and _word_end(text, r.end + 1):
        r.kind = "year" if r.value >= 1000 else "number"                  # "1970s", "his 30s"
        r.unit, r.step, r.end = "decade", 10, r.end + 1
        return r
    if (m := _SCALE_AFTER.match(text, r.end)) and _scale_ok(r, m):
        r.scale = SCALE_SUFFIX[(m.group("w") or m.group("s")).lower()]
        r.value, r.step, r.end = r.value * r.scale, r.step * r.scale, m.end()
    if (m := _PERCENT_AFTER.match(text, r.end)):
        r.kind, r.end, r.unit = "percent", m.end(), "pp" if m.group("pp") else None
    elif (m := _CURWORD_AFTER.match(text, r.end)) and r.kind in ("number", "money"):
        word = (m.group("w") or "p").lower().split()[0]      # "pounds sterling" -> "pounds"
        word = word if word in ("pence", "p") else word.rstrip("s")
        r.kind, r.end, r.unit = "money", m.end(), r.unit or CURRENCY_WORDS.get(word)
        if word in ("pence", "p", "cent"):
            r.value, r.step = r.value / 100, r.step / 100
    elif r.scale == 1 and (m := _GLUED_UNIT.match(text, r.end)):
        r.unit, r.end = CANONICAL_UNITS.get(m.group("u").lower(), m.group("u").lower()), m.end()
    elif r.kind == "number" and r.scale == 1 and (m := _DEGREES.match(text, r.end)) and (
            m.group("d") or m.group("g").isupper()):
        letter = (m.group("d") or m.group("g")).lower()
        r.unit, r.end = "celsius" if letter == "c" else "fahrenheit", m.end()
    return r if _word_end(text, r.end) else None


def _scale_ok(r: _Raw, m: re.Match) -> bool:
    """"1.2m"/"£3m"/"350k" are scales; a bare "100m" is metres and "5b" is not a scale."""
    s = (m.group("s") or "").lower()
    if not s:
        return True
    if m.group("sp"):
        return r.kind == "money"                          # tokenized "$ 2.6 m"
    if s == "b":
        return r.kind == "money"
    return s == "k" or r.kind == "money" or "." in r.digits


def _word_end(text: str, pos: int) -> bool:
    return pos >= len(text) or not text[pos].isalnum()


# ---------------------------------------------------------------- assembly

def _merge_ranges(text: str, raws: list[_Raw]) -> list[_Raw]:
    """Join "32 to 36", "32-36", "between 5 and 7", "$5-7 million", "2010-11", "2-1"."""
    out: list[_Raw] = []
    for r in raws:
        prev = out[-1] if out else None
        if prev is not None and _joinable(text, prev, r):
            out[-1] = _join(text, prev, r)
        else:
            out.append(r)
    return out


def _joinable(text: str, a: _Raw, b: _Raw) -> bool:
    numeric = ("number", "money", "percent", "year")
    if a.high is not None or a.kind not in numeric or b.kind not in numeric:
        return False
    if (a.unit == "decade") != (b.unit == "decade"):
        return False
    if a.kind != b.kind and "number" not in (a.kind, b.kind):
        return False        # "rose 38% to $4.2 billion" is a change, not a range
    j = _RANGE_JOIN.fullmatch(text, a.end, b.start)
    if not j:
        return False
    word = j.group().strip().lower()
    before = text[max(0, a.start - 10):a.start]
    return word != "and" or bool(re.search(r"\bbetween\s+$", before, _I))


def _join(text: str, a: _Raw, b: _Raw) -> _Raw:
    low, low_step = a.value, a.step
    if a.scale == 1 and b.scale > 1 and a.value * b.scale <= b.value:
        low, low_step = low * b.scale, low_step * b.scale       # "5-7 million", "$5-7bn"
    high = b.value
    if len(a.digits) == 4 and len(b.digits) == 2 and 1800 <= a.value <= 2100:
        high = a.value // 100 * 100 + b.value                     # "2010-11" season
    opener = _RANGE_OPEN.search(text, max(0, a.start - 10), a.start)
    return _Raw(opener.start() if opener else a.start, b.end,
                b.kind if a.kind == "number" else a.kind, low, step=min(low_step, b.step),
                unit=a.unit or b.unit, high=high, scale=b.scale, digits=a.digits)


def _finish(text: str, r: _Raw) -> NumberMention:
    """Add qualifier, hyphenated unit and following unit word; decide year vs count."""
    q = _QUAL_BEFORE.search(text, max(0, r.start - 25), r.start)
    qualifier = QUALIFIERS[" ".join(q.group().lower().split())] if q else None
    end, unit = _hyphen_unit(text, r)
    period = _MONEY_PERIOD.match(text, r.end) if r.kind == "money" else None
    if period:
        end, unit = period.end(), f"{r.unit or ''}/{period.group('p').lower().replace('annum', 'year')}"
    hyphenated = end > r.end
    if unit is None and r.kind in ("number", "ordinal", "year"):
        unit = _unit_word(text, end)
    kind = r.kind
    if kind == "number" and _is_year(r, qualifier, unit, hyphenated) \
            and not _plural_unit_after(text, end):
        kind, unit = "year", unit if unit in CANONICAL_UNITS.values() else None
    return NumberMention(Span(text[r.start:end], r.start, end), kind, r.value, r.high, unit,
                         qualifier, r.date, r.step, r.scale > 1)


def _hyphen_unit(text: str, r: _Raw) -> tuple[int, str | None]:
    """"five-day" -> day, "10,000-strong" -> strong, "27 - year - old" -> year (tokenized
    text: spaced hyphens only before a canonical unit), "£100,000-a-week" -> week."""
    h = _HYPHEN_UNIT.match(text, r.end)
    if r.kind not in ("number", "ordinal", "money") or r.high is not None or not h:
        return r.end, r.unit
    words = re.findall(r"[a-z]+", (h.group("w") or h.group("sw")).lower())
    if not h.group("w") and words[0] not in CANONICAL_UNITS:
        return r.end, r.unit
    word = words[1] if words[0] == "a" and len(words) > 1 else words[0]
    return h.end(), r.unit or CANONICAL_UNITS.get(word, word)


def _unit_word(text: str, pos: int) -> str | None:
    """The word after a number when it can be what is counted ("troops", "years")."""
    u = _UNIT_WORD.match(text, pos)
    word = u.group("w").lower() if u else ""
    if not word or word in _STOP or word in SMALL or word in BIG:
        return None
    return CANONICAL_UNITS.get(word, word)


def _plural_unit_after(text: str, pos: int) -> bool:
    """"2015 days", "2000 years ago", "1850 miles": a plural unit word after a number says
    it counts. `_is_year` sees the unit made canonical ("day"), no longer plural. Only a
    lowercase word: "In 2015 Miles Davis ..." is a year."""
    u = _UNIT_WORD.match(text, pos)
    word = u.group("w") if u else ""
    return (word.islower() and word in CANONICAL_UNITS
            and (word.endswith("s") or word in _PLURAL_NOUNS))


def _is_year(r: _Raw, qualifier: str | None, unit: str | None, hyphenated: bool) -> bool:
    """A bare 4-digit 1800-2100 is a year, unless it counts something ("2024 troops")."""
    if not re.fullmatch(r"\d{4}", r.digits) or r.scale != 1 or not 1800 <= r.value <= 2100:
        return False
    if qualifier or hyphenated or (r.high is not None and r.high < 1800):
        return False
    counted = unit is not None and unit not in _YEAR_NOUNS and (
        unit in _PLURAL_NOUNS or (unit.endswith("s") and not unit.endswith("ss")))
    return not counted


def extract_numbers(text: str) -> list[NumberMention]:
    """All number mentions in `text`, in order, with spans into `text`."""
    mask = bytearray(len(text))
    raws = _dates(text, mask) + _times(text, mask) + _decades(text, mask) + _seasons(text, mask)
    raws += _word_mentions(text, mask) + _digit_mentions(text, mask)
    raws.sort(key=lambda r: r.start)
    return [_finish(text, r) for r in _merge_ranges(text, [_signed(text, r) for r in raws])]


def _signed(text: str, r: _Raw) -> _Raw:
    """Read a minus sign before a count into its value. Percents and money keep theirs
    out: "-3%" beside a story's "fell 3%" is the same change, written two ways."""
    if r.kind != "number" or not (m := _MINUS_BEFORE.search(text, max(0, r.start - 8), r.start)):
        return r
    if text[:m.start()].rstrip()[-1:].isdigit():
        return r                                     # "3 -1": a score, tokenized loosely
    r.value, r.start = -r.value, m.start()
    return r


def with_value(m: NumberMention, value: float) -> NumberMention:
    """A single-valued copy of `m` (used to expose each end of a range)."""
    return replace(m, value=value, high=None)
