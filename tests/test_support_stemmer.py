"""The support check's Porter stems: rouge-score-rs's native stemmer (used when the `fast`
extra is installed, to avoid importing nltk) must give nltk's stems, word for word, since
compare/regress treat the two as the same numbers (paired._SAME_IMPLS)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from summcheck.consistency import support

pytest.importorskip("rouge_score_rs", reason="rouge-score-rs (extra `fast`) not installed")
from nltk.stem.porter import PorterStemmer  # noqa: E402
from rouge_score_rs.tokenizers import DefaultTokenizer  # noqa: E402

NLTK = PorterStemmer().stem
NATIVE = DefaultTokenizer(use_stemmer=True).tokenize
SAMPLES = Path(support.__file__).parents[1] / "data" / "samples"
DEV = Path(os.environ.get("SUMMCHECK_DATA",
                          Path(__file__).resolve().parents[1].parent / "shared" / "data"))
_WORD = re.compile(r"[a-z]+")


def words_of(paths) -> set[str]:
    return {w for p in paths for w in _WORD.findall(p.read_text(encoding="utf-8").lower())
            if len(w) > 3}


def mismatches(words) -> list[tuple[str, str, list[str]]]:
    return [(w, NLTK(w), NATIVE(w)) for w in sorted(words) if NATIVE(w) != [NLTK(w)]]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=16))
def test_native_stem_equals_nltks_on_any_lowercase_word(word):
    assert NATIVE(word) == [NLTK(word)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["s", "ed", "ing", "ies", "ational", "ness", "fulness",
                                 "ly", "ement", "izer", "ation", "able", "e", "y", "ss"]),
                min_size=1, max_size=3),
       st.sampled_from(["run", "happ", "generat", "rel", "conditi", "agre", "hop", "fil",
                        "controll", "motor", "sky", "dy", "probat", "formal"]))
def test_native_stem_equals_nltks_on_suffix_stacks(suffixes, root):
    """Random letters rarely reach Porter's suffix rules; stacked real suffixes do.
    Words of 3 letters or fewer are never stemmed (`support.stem`, as ROUGE)."""
    word = root + "".join(suffixes)
    assume(len(word) > 3)
    assert NATIVE(word) == [NLTK(word)]


def test_native_stem_equals_nltks_on_the_bundled_stories():
    words = words_of(SAMPLES.glob("*.jsonl"))
    assert len(words) > 500
    assert mismatches(words) == []


@pytest.mark.skipif(not (DEV / "frank_valid.jsonl").is_file(), reason=f"{DEV} not present")
def test_native_stem_equals_nltks_on_the_dev_vocabulary():
    words = words_of(DEV.glob("*.jsonl"))
    assert len(words) > 10_000
    assert mismatches(words) == []


def test_stem_uses_the_native_stemmer_and_never_imports_nltk():
    code = ("import sys; from summcheck.consistency.support import stem, stemmer_library; "
            "print(stem('relational'), stemmer_library(), 'nltk' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == NLTK("relational") and out[1].startswith("rouge-score-rs-")
    assert out[2] == "False"


def test_the_signature_names_the_stemmer_that_ran():
    sig = support.SupportCheck().signature()
    assert f"|stem:porter({support.stemmer_library()})|" in sig
