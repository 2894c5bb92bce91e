"""Messy real-world input: markup, empty stories, missing highlights, non-English text."""

import json

import pytest
from hypothesis import example, given, strategies as st
from typer.testing import CliRunner

from summcheck.cli import app
from summcheck.data import quality
from summcheck.data.quality import WIDE_SPACES, data_warnings, word_counts
from summcheck.metrics.rouge import RougeMetric
from summcheck.text import clean_markup, has_words
from summcheck.types import Example, Summary


@pytest.mark.parametrize("raw, clean", [
    ("Caf&eacute; owners in <b>Lyon</b> &amp; <a href='x'>Paris</a>.", "Café owners in Lyon & Paris."),
    ("<p>One.</p><p>Two.</p>", "\nOne.\n\nTwo.\n"),
    ("a < b and x<y", "a < b and x<y"),
    ("AT&T rose 5%", "AT&T rose 5%"),
    ("plain text", "plain text"),
])
def test_clean_markup(raw, clean):
    assert clean_markup(raw) == clean


def test_unicode_tokenizer_keeps_non_ascii_words():
    pred, ref = ["Preise in München gestiegen"], [["Die Preise in München stiegen"]]
    default = RougeMetric(["rouge1"]).score(prediction=pred, references=ref)["rouge1_f"]
    unicode = RougeMetric(["rouge1"], tokenizer="unicode").score(prediction=pred, references=ref)
    # default splits "München" into "m" + "nchen"; unicode keeps one word: 3 of 4 vs 3 of 5
    assert unicode["rouge1_f"] == pytest.approx(2 * 3 / 4 * 3 / 5 / (3 / 4 + 3 / 5))
    assert default != unicode["rouge1_f"]
    assert "tok:unicode" in RougeMetric(tokenizer="unicode").signature()


def test_warnings_name_the_examples():
    examples = [Example("a", ""), Example("b", "Text.", ()), Example("c", "x", ("Größe Übung äöü",)),
                Example("d", "x", ("y",), meta={"html_cleaned": True})]
    warnings = " ".join(data_warnings(examples, rouge_tokenizer="default"))
    assert "empty story (a)" in warnings and "no reference highlights (a, b)" in warnings
    assert "HTML" in warnings and "(d)" in warnings and "tokenizer: unicode" in warnings
    assert not any("non-ASCII" in w for w in data_warnings(examples, rouge_tokenizer="unicode"))


_SPACES = "".join(chr(i) for i in range(0x3001) if chr(i).isspace())
_CONTROLS = "".join(chr(i) for i in range(0x21))   # spaces and control bytes side by side
_ODD = "\ud800\udfff\u3001\u20ac"
_TEXT = st.text(st.characters() | st.sampled_from(_SPACES + _CONTROLS + _ODD),
                max_size=40)


_ASCII = st.text(st.characters(max_codepoint=0x7F) | st.sampled_from(_CONTROLS), max_size=40)


@given(st.lists(_TEXT, max_size=6) | st.lists(_ASCII, max_size=6))
def test_word_counts_as_str_split(texts):   # all-ASCII texts take a shorter path
    words = [w for t in texts for w in t.split()]
    encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
    assert word_counts(encoded) == (len(words), sum(not w.isascii() for w in words))


def test_wide_spaces_are_str_splits_non_ascii_spaces():
    assert sorted(WIDE_SPACES) == [i for i in range(128, 0x110000) if chr(i).isspace()]


def test_non_ascii_share_counts_every_reference_word(monkeypatch):
    """The share crosses its threshold at the same word whether the ASCII references are
    counted in one batch or many: 1 word in 33 warns (0.0303), 1 in 35 does not (0.0286).
    Bullets are words apart; the story's words do not count (ROUGE never scores it)."""
    monkeypatch.setattr(quality, "_BATCH", 2)
    for ascii_count, warns in ((16, True), (17, False)):
        examples = [Example(str(i), "Übung Größe", ("one", "two")) for i in range(ascii_count)]
        examples.append(Example("u", "word", ("Übung",)))
        text = " ".join(data_warnings(examples, rouge_tokenizer="default"))
        assert ("non-ASCII" in text) is warns
        assert ("3% of the reference highlights' words" in text) is warns


def test_messy_dataset_runs_and_reports(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = [{"id": "empty", "article": "", "highlights": "x"},
            {"id": "norefs", "article": "The mayor of Paris spoke on Monday. She said 3 things.",
             "highlights": ""},
            {"id": "html", "article": "Caf&eacute; owners in <b>Lyon</b> said prices rose 5%.",
             "highlights": "Prices rose 5%"}]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "c.yaml").write_text("name: messy\ndataset: {source: hf, path: d.jsonl}\n"
                                     "summarizers: [{type: lead}]\nreport: {enabled: false}\n")
    result = CliRunner().invoke(app, ["run", "c.yaml", "--no-progress"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    results = json.loads((run_dir / "results.json").read_text())
    warned = " ".join(results["warnings"])
    assert "empty story (empty)" in warned and "highlights (norefs)" in warned and "(html)" in warned
    assert results["summarizers"][0]["n_failed"] == 1
    scores = {r["example_id"]: r["scores"] for r in map(json.loads, (run_dir / "scores.jsonl").open())}
    norefs = scores["norefs"]   # checked against the story, which needs no reference
    assert "rouge1_f" not in norefs and norefs["support_precision"] == 1.0
    assert norefs["consistency"] == norefs["support_unstitched"] == 0.8   # 4 tokens, 1 run
    assert results["summarizers"][0]["metrics"]["rouge1_f"]["n"] == 2
    summaries = [json.loads(x) for x in (run_dir / "summaries.jsonl").open()]
    assert summaries[2]["bullets"] == ["Café owners in Lyon said prices rose 5%."]


def test_lone_surrogates_in_the_data_and_summaries_read_as_replacement_characters(
        tmp_path, monkeypatch):
    """A lone surrogate escape (half of an emoji's UTF-16 pair) in a data row or a
    precomputed summary used to crash the run as it wrote the run folder. It reads as
    U+FFFD, and the data survey names the example."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.jsonl").write_text(
        '{"id": "cut", "article": "Fans cheered \\ud83d at 3 pm.", "highlights": "Fans \\ude00"}\n'
        '{"id": "pair", "article": "Fans cheered \\ud83d\\ude00 at 3 pm.", "highlights": "Fans"}\n')
    (tmp_path / "s.jsonl").write_text('{"id": "cut", "summary": "Fans \\udc00 cheered."}\n'
                                      '{"id": "pair", "summary": "Fans cheered."}\n')
    (tmp_path / "c.yaml").write_text(
        "name: cut\ndataset: {source: hf, path: d.jsonl}\n"
        "summarizers: [{type: precomputed, name: p, path: s.jsonl}]\n"
        "checks: {entities: null, support: null}\nreport: {formats: [md]}\n")
    result = CliRunner().invoke(app, ["run", "c.yaml", "--no-progress"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (run_dir,) = (tmp_path / "runs").iterdir()
    (warning,) = [w for w in json.loads((run_dir / "results.json").read_text())["warnings"]
                  if "U+FFFD" in w]
    assert "1 example(s)" in warning and "(cut)" in warning
    examples = [json.loads(x) for x in (run_dir / "examples.jsonl").open(encoding="utf-8")]
    assert examples[0]["story"] == "Fans cheered \ufffd at 3 pm."
    assert examples[0]["reference_bullets"] == ["Fans \ufffd"]
    assert examples[1]["story"] == "Fans cheered \U0001F600 at 3 pm."   # a pair is kept
    summary = json.loads((run_dir / "summaries.jsonl").open(encoding="utf-8").readline())
    assert summary["bullets"] == ["Fans \ufffd cheered."]


_MARKUP = st.lists(st.sampled_from([*"ab <>&;/p", "&amp;", "<b>", "</p>"]), max_size=8).map(
    "".join)


@given(_MARKUP, _MARKUP, st.lists(_MARKUP, max_size=3))
@example("a", "b", ["c", "&amp;"])
@example("a", "<b>b", ["c"])
@example("a &amp; b", "", [])
def test_clean_html_changes_an_example_only_where_markup_is(story, title, bullets):
    """An example without markup, or whose texts cleaning leaves alone, comes back as it
    is (no html_cleaned mark); any other has every text cleaned, each highlight on one
    line with blank ones dropped, and the mark."""
    from summcheck.data import _clean

    original = Example("x", story, tuple(bullets), title)
    cleaned = _clean(original)
    one_line = tuple(b for b in (" ".join(clean_markup(x).split()) for x in bullets)
                     if has_words(b))
    texts = (clean_markup(story), one_line, clean_markup(title))
    markup = any(c in text for text in (story, title, *bullets) for c in "<&")
    if not markup or texts == (story, tuple(bullets), title):
        assert cleaned is original
    else:
        assert (cleaned.story, cleaned.reference_bullets, cleaned.title) == texts
        assert cleaned.meta["html_cleaned"] is True


def test_markup_in_highlights_leaves_one_line_per_bullet_and_no_blank_bullet():
    """Cleaning turned "<br>" into a line break inside a highlight (rougeLsum then read
    two sentences) and kept "<p></p>" as a blank highlight, which the checks then took
    for a reference."""
    from summcheck.data import _clean

    cleaned = _clean(Example("x", "Story.", ("The cat sat on the mat<br>and the dog ran.",
                                             "<p></p>", "A &amp; B")))
    assert cleaned.reference_bullets == ("The cat sat on the mat and the dog ran.", "A & B")


_WORDLESS = st.text(alphabet=".-•*—…!?,; \t", max_size=5)


@given(st.lists(st.one_of(_WORDLESS, st.sampled_from(["A cat sat.", "- Two dogs ran.",
                                                       "3 died", "Ünïcödé"])), max_size=6))
def test_loaded_reference_bullets_all_hold_words(parts):
    """A highlight of "..." or "-" was loaded as a reference bullet: a reference of such
    bullets scored ROUGE 0 (in the mean) instead of being no reference. Whether the
    highlights are a list or a joined string, only bullets with a letter or digit stay,
    in order, and an example left with none has no reference (warned, like a missing one)."""
    from summcheck.data.mapping import bullets
    from summcheck.scoring import check_items

    for loaded in (bullets(parts, "\n"), bullets("\n".join(parts), "\n")):
        assert all(has_words(b) for b in loaded)
        assert len(loaded) == sum(has_words(p) for p in parts)
        example = Example("x", "A cat sat. Two dogs ran.", loaded)
        assert (check_items([example], [Summary("x", ("A cat sat.",))])[0][2]
                is None) == (not loaded)
        survey = quality.DataSurvey("default")
        survey.add(example)
        assert survey.no_refs == ([] if loaded else ["x"])


def test_a_reference_of_wordless_bullets_is_no_reference(tmp_path, monkeypatch):
    """End to end: an example whose highlights are ["..."] is left out of the ROUGE means
    (n counts only the examples with a reference) and is warned about."""
    data = tmp_path / "d.jsonl"
    story = "The mayor opened a bridge on Monday. It cost 5 million dollars. Crowds cheered."
    data.write_text("\n".join(json.dumps(row) for row in [
        {"id": "a", "article": story, "highlights": ["..."]},
        {"id": "b", "article": story, "highlights": ["The mayor opened a bridge.", "—"]},
        {"id": "c", "article": story, "highlights": "The mayor opened a bridge.\n- \n..."},
    ]) + "\n")
    (tmp_path / "c.yaml").write_text(
        f"name: refs\ndataset: {{source: hf, path: {data}}}\nsummarizers:\n"
        "  - {type: lead, k: 2}\nchecks: {entities: null, support: null}\n")
    result = CliRunner().invoke(app, ["run", str(tmp_path / "c.yaml"), "--out",
                                      str(tmp_path / "runs"), "--cache-dir",
                                      str(tmp_path / "cache"), "--no-progress"])
    assert result.exit_code == 0, result.output
    run = next((tmp_path / "runs").iterdir())
    results = json.loads((run / "results.json").read_text())
    lead = results["summarizers"][0]
    assert lead["metrics"]["rouge1_f"]["n"] == 2
    assert lead["metrics"]["rouge1_f"]["mean"] > 0.5
    assert any("no reference highlights (a)" in w for w in results["warnings"])
