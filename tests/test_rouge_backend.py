"""The rust ROUGE backend (rouge-score-rs, the `fast` extra) against the python reference
(rouge_score): same keys, same numbers (to 1e-9; in practice bit-identical), and the
backend option's failure modes. Parity tests skip when rouge-score-rs is not installed."""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summcheck.config import LeadSpec, MetricsSpec, RougeSpec, RunSpec
from summcheck.errors import ConfigError, MissingExtraError
from summcheck.metrics.rouge import RougeMetric

ALL = ("rouge1", "rouge2", "rougeL", "rougeLsum")
TOL = 1e-9
DATA = Path(__file__).resolve().parents[1].parent / "shared/data/realsumm_dev.jsonl"

try:
    import rouge_score_rs  # noqa: F401

    HAVE_RUST = True
except ImportError:
    HAVE_RUST = False
needs_rust = pytest.mark.skipif(not HAVE_RUST, reason="rouge-score-rs (extra `fast`) not installed")


def assert_same(items, types=ALL, stem=True):
    rust = RougeMetric(types, use_stemmer=stem, backend="rust").score_many(items)
    python = RougeMetric(types, use_stemmer=stem, backend="python").score_many(items)
    assert len(rust) == len(python) == len(items)
    for r, p in zip(rust, python):
        assert r.keys() == p.keys()
        assert max((abs(r[k] - p[k]) for k in r), default=0.0) < TOL, (r, p)


LONG = " ".join(f"word{i % 97} the {i} running cats, 3.{i}% up" for i in range(90))  # ~800 tokens
TRICKY = [
    (["Shares fell 3.5% to $12.50 (a 52-week low)."], [["Shares dropped 3.5 per cent to 12.50."]]),
    (["U.S. GDP grew 2.5% in Q3 -- the fastest since 2021!"], [["US economy grew 2.5%."]]),
    (["Café owner José says prices will rise — again."], [["Prices rise again, says cafe owner Jose."]]),
    (["東京 München İstanbul straße ﬁne Kelvin K"], [["istanbul munchen fine k strasse"]]),
    (["", "the cat sat", "", "   "], [["the cat", "", "sat on the mat"]]),
    ([], [["the cat sat"]]),
    ([""], [["the cat sat"]]),
    (["!!! ... ---"], [["the cat sat"]]),
    (["the cat sat"], [["!!! ..."]]),
    (["the cat sat"], []),
    (["the cat sat"], [[]]),
    (["the cat sat"], [["", "  \n "]]),
    (["the cat sat on a mat"], [["dogs bark"], ["the cat sat on a mat"], ["a cat on a mat"]]),
    (["a b c"], [["a b"], ["", " "], ["b c"], ["a b"]]),  # ties: first best reference wins
    (["the the the the", "cat cat"], [["the cat", "the the cat"]]),
    (["one", "two", "three"], [["three", "two", "one"]]),
    (["bullet with\nan inner newline", "and\r\nwindows ending"], [["inner newline\nwindows"]]),
    (["was wa has ha running runner runs ran generously"], [["wa was ha run run generous"]]),
    ([LONG], [[LONG[::-1]], [LONG[: len(LONG) // 2]]]),
    ([LONG[i:i + 250] for i in range(0, 2500, 250)], [[LONG[i:i + 200] for i in range(0, 2000, 200)]]),
]


@needs_rust
@pytest.mark.parametrize("stem", [True, False])
@pytest.mark.parametrize("types", [ALL, ("rougeLsum",), ("rouge1", "rouge2", "rougeLsum")])
def test_rust_equals_python_on_tricky_cases(types, stem):
    assert_same(TRICKY, types, stem)


@needs_rust
def test_single_score_and_batch_agree():
    metric = RougeMetric(backend="rust")
    batch = metric.score_many(TRICKY)
    assert [metric.score(prediction=p, references=r) for p, r in TRICKY] == batch
    assert metric.score_many([]) == []


@needs_rust
def test_tokenizer_is_the_same_on_every_code_point():
    """Python's str.lower() maps some non-ASCII letters onto ASCII ("İ" -> "i̇", Kelvin
    sign -> "k"), so the [a-z0-9] filter alone would not be enough for parity. (Stemming
    is checked word by word below.)"""
    from rouge_score.tokenizers import DefaultTokenizer
    from rouge_score_rs.tokenizers import DefaultTokenizer as RustTokenizer

    python, rust = DefaultTokenizer(False), RustTokenizer(False)
    for start in range(0, 0x110000, 0x2000):
        text = " ".join(f"a{chr(c)}b {chr(c)}Zing{chr(c)}" for c in range(start, start + 0x2000))
        assert rust.tokenize(text) == python.tokenize(text), hex(start)


def suffixed_words(n: int) -> list[str]:
    """Pseudo-words built to hit Porter's suffix rules (seeded, so the same every run)."""
    rnd = random.Random(0)
    stems = ["a", "e", "i", "o", "u", "y", "b", "c", "l", "n", "r", "s", "t", "ss", "ll", "ch"]
    suffixes = ["ational", "tional", "enci", "anci", "izer", "bli", "alli", "entli", "eli",
                "ousli", "ization", "ation", "ator", "alism", "iveness", "fulness", "ousness",
                "aliti", "iviti", "biliti", "logi", "icate", "ative", "alize", "iciti", "ical",
                "ful", "ness", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement",
                "ment", "ent", "ion", "ism", "ate", "iti", "ous", "ive", "ize", "sses", "ies",
                "ss", "s", "eed", "ed", "ing", "y", "e", "ly", "ying", "ied", "ings"]
    return [
        "".join(rnd.choice(stems) for _ in range(rnd.randint(1, 5))) + rnd.choice(suffixes)
        for _ in range(n)
    ]


@needs_rust
def test_stemmer_is_the_same_on_many_words():
    """rouge_score stems with nltk's PorterStemmer() in its default NLTK_EXTENSIONS mode
    (not ORIGINAL_ALGORITHM), only tokens longer than 3 characters; the Rust port must
    give the same stem for every word."""
    from rouge_score.tokenizers import DefaultTokenizer
    from rouge_score_rs.tokenizers import DefaultTokenizer as RustTokenizer

    words = suffixed_words(30000)
    if DATA.is_file():
        words += sorted(set(DefaultTokenizer(False).tokenize(DATA.read_text(encoding="utf-8"))))
    python, rust = DefaultTokenizer(True), RustTokenizer(True)
    assert [w for w in words if rust.tokenize(w) != python.tokenize(w)] == []


WORDS = ["the", "cat", "cats", "running", "runs", "was", "wa", "3.5%", "2024", "München",
         "İstanbul", "straße", "東京", "-", "", " ", "\n", "\t", "generously", "é"]
text = st.one_of(st.text(max_size=60), st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join))
bullets = st.lists(text, max_size=5)


@needs_rust
@settings(deadline=None, max_examples=300)
@given(st.lists(st.tuples(bullets, st.lists(bullets, max_size=3)), max_size=6), st.booleans())
def test_rust_equals_python_on_random_text(items, stem):
    assert_same(items, ALL, stem)


@needs_rust
@pytest.mark.skipif(not DATA.is_file(), reason=f"{DATA} not present")
def test_rust_equals_python_on_realsumm():
    def split_t(t):
        return [s.strip() for s in re.findall(r"<t>(.*?)</t>", t, re.S) if s.strip()]

    with DATA.open(encoding="utf-8") as f:
        rows = [json.loads(next(f)) for _ in range(200)]
    assert_same([(split_t(r["summary"]), [split_t(r["reference"])]) for r in rows])


@needs_rust
def test_signature_records_the_implementation():
    rust = RougeMetric(backend="rust").signature()
    python = RougeMetric(backend="python").signature()
    assert "impl:rouge-score-rs-0.2.1" in rust and "rouge_score" not in rust.split("impl:")[1]
    assert "impl:rouge_score-" in python and "nltk-" in python
    assert RougeMetric(backend="auto").signature() == rust
    # Everything but the implementation is the same setting.
    assert rust.split("|impl:")[0] == python.split("|impl:")[0]


def test_python_backend_works_without_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "rouge_score_rs", None)  # import now fails
    for backend in ("python", "auto"):
        metric = RougeMetric(backend=backend)
        assert metric.backend == "python"
        assert "impl:rouge_score-" in metric.signature()
        s = metric.score_many([(["the cat sat"], [["the cat sat"]]), (["x"], [])])
        assert s[0]["rouge1_f"] == pytest.approx(1.0) and s[1] == {}


def test_rust_backend_without_the_package_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "rouge_score_rs", None)
    with pytest.raises(MissingExtraError, match=r"summcheck\[fast\]"):
        RougeMetric(backend="rust")


def test_unicode_tokenizer_stays_on_python():
    assert RougeMetric(tokenizer="unicode").backend == "python"
    assert "impl:rouge_score-" in RougeMetric(tokenizer="unicode").signature()
    with pytest.raises(ConfigError, match="backend"):
        RougeMetric(tokenizer="unicode", backend="rust")
    with pytest.raises(ValueError):
        RougeMetric(backend="fortran")


def test_config_backend_reaches_the_metric_and_not_the_spec_hash():
    from summcheck.scoring import build_metrics

    def spec(**rouge):
        return RunSpec(name="t", summarizers=(LeadSpec(type="lead"),),
                       metrics=MetricsSpec(rouge=RougeSpec(**rouge)))

    assert RougeSpec().backend == "auto"
    assert build_metrics(spec(backend="python"))[0].backend == "python"
    # The backend moves no number, so runs with either share their name and baselines.
    assert spec(backend="python").spec_hash() == spec().spec_hash()
    assert spec(use_stemmer=False).spec_hash() != spec().spec_hash()


def test_the_python_backend_leaves_the_programs_logging_alone():
    """rouge_score's RougeScorer logged "Using default tokenizer." through the root
    logger, which gave a program that never configured logging a stderr handler: from
    then on summcheck's own warnings printed, against the README's word."""
    import subprocess

    code = ("import logging\nfrom summcheck.metrics.rouge import RougeMetric\n"
            "RougeMetric(['rouge1'], backend='python').score(prediction=['a b'], "
            "references=[['a b']])\nprint(len(logging.getLogger().handlers))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "0", out.stderr
