"""The transformers summarizers, run on tiny random models built offline (tiny_models.py)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from summcheck.config import HFCausalSpec, HFSeq2SeqSpec  # noqa: E402
from summcheck.errors import MissingExtraError, SummcheckError  # noqa: E402
from summcheck.summarizers import hf_common  # noqa: E402
from summcheck.summarizers.base import build_summarizer  # noqa: E402
from summcheck.summarizers.hf_causal import cut_after_bullets  # noqa: E402
from summcheck.types import Example  # noqa: E402

GENERATION = {"max_new_tokens": 12, "min_new_tokens": 4, "do_sample": False}
LONG_STORY = " ".join(
    f"Officials said on day {i} that the river rose again and more homes were flooded."
    for i in range(30)
)
EXAMPLES = [
    Example(id="short", story="Prices rose 2.5% in May."),
    Example(id="long", story=LONG_STORY, title="Floods"),
    Example(id="mid", story="Police arrested a man in Boston on Tuesday. He was released."),
    Example(id="tiny", story="The team won."),
]


def seq2seq(model_dir: Path, **kw) -> object:
    spec = HFSeq2SeqSpec(type="hf-seq2seq", model=str(model_dir),
                         generation=kw.pop("generation", GENERATION), **kw)
    return build_summarizer(spec, max_bullets=3)


def causal(model_dir: Path, **kw) -> object:
    spec = HFCausalSpec(type="hf-causal", model=str(model_dir),
                        generation=kw.pop("generation", GENERATION), **kw)
    return build_summarizer(spec, max_bullets=3)


@pytest.fixture(scope="module")
def summarizers(tiny_t5_dir, tiny_bart_dir, tiny_causal_dir, tiny_chat_causal_dir):
    """One summarizer per tiny model, shared so each model loads once."""
    return {
        "t5": seq2seq(tiny_t5_dir, prefix="summarize: ", batch_size=2),
        "bart": seq2seq(tiny_bart_dir, batch_size=2),
        "causal": causal(tiny_causal_dir, batch_size=2, max_input_tokens=64),
        "chat": causal(tiny_chat_causal_dir, batch_size=2, system_prompt="Be brief."),
    }


@pytest.fixture(scope="module")
def outputs(summarizers):
    return {name: s.summarize(EXAMPLES) for name, s in summarizers.items()}


MODELS = ["t5", "bart", "causal", "chat"]


# ---------------------------------------------------------------- every model
@pytest.mark.parametrize("name", MODELS)
def test_one_summary_per_example_in_order(outputs, name):
    assert [s.example_id for s in outputs[name]] == [ex.id for ex in EXAMPLES]


@pytest.mark.parametrize("name", MODELS)
def test_bullets_are_non_empty_and_capped(outputs, name):
    for summary in outputs[name]:
        assert summary.error is None
        assert 1 <= len(summary.bullets) <= 3
        assert all(b.strip() for b in summary.bullets)
        assert summary.raw_text.strip()
        assert summary.seconds > 0
        assert summary.meta["output_tokens"] >= GENERATION["min_new_tokens"]


@pytest.mark.parametrize("name", MODELS)
def test_deterministic_across_calls_and_instances(summarizers, outputs, name):
    again = summarizers[name].summarize(EXAMPLES)
    assert [s.bullets for s in again] == [s.bullets for s in outputs[name]]
    spec = summarizers[name].spec
    fresh = build_summarizer(spec, max_bullets=3).summarize(EXAMPLES[:2])
    assert [s.raw_text for s in fresh] == [s.raw_text for s in outputs[name][:2]]


@pytest.mark.parametrize("name", MODELS)
def test_batch_size_does_not_change_outputs(summarizers, outputs, name):
    """Length-sorted batches are put back in order, and padding does not change greedy
    output (fp32 on CPU; a real model might flip a rare near-tie between batch sizes)."""
    spec = summarizers[name].spec
    for batch_size in (1, 3):
        other = build_summarizer(spec.model_copy(update={"batch_size": batch_size}),
                                 max_bullets=3)
        assert [s.raw_text for s in other.summarize(EXAMPLES)] == [
            s.raw_text for s in outputs[name]
        ]


# ---------------------------------------------------------------- truncation
def test_seq2seq_truncation_recorded_at_model_limit(outputs):
    by_id = {s.example_id: s.meta for s in outputs["t5"]}  # tiny T5: model_max_length 64
    long = by_id["long"]
    assert long["truncated"] is True
    assert long["input_tokens"] > 64
    assert long["truncated_tokens"] == long["input_tokens"] - 64
    assert by_id["short"]["truncated"] is False
    assert "truncated_tokens" not in by_id["short"]


def test_seq2seq_limit_comes_from_model_unless_overridden(summarizers, tiny_t5_dir):
    s = summarizers["bart"]
    assert hf_common.input_limit(s.spec, s._tokenizer, s._model) == 128
    narrow = seq2seq(tiny_t5_dir, max_input_tokens=16)
    meta = {m.example_id: m.meta for m in narrow.summarize(EXAMPLES[2:3])}["mid"]
    assert meta["truncated"] and meta["truncated_tokens"] == meta["input_tokens"] - 16


def test_causal_truncates_the_story_not_the_instruction(summarizers, outputs):
    s = summarizers["causal"]  # max_input_tokens 64, max_new_tokens 12: 52 for the prompt
    prompt = s._prompt(EXAMPLES[1])
    assert prompt.startswith("Write 3 short highlight bullets")
    assert prompt.endswith("\n\nHighlights:\n-")
    assert "Floods\nOfficials said on day 0" in prompt
    assert "day 29" not in prompt
    assert len(s._tokenizer(prompt)["input_ids"]) <= 64 - 12
    meta = {m.example_id: m.meta for m in outputs["causal"]}["long"]
    assert meta["truncated"] and meta["truncated_tokens"] > 0


def test_causal_prompt_that_cannot_fit_is_a_clear_error(tiny_causal_dir):
    s = causal(tiny_causal_dir, max_input_tokens=20)
    with pytest.raises(SummcheckError, match="prompt without the story"):
        s.summarize(EXAMPLES[:1])


# ---------------------------------------------------------------- prompts and templates
def test_t5_prefix_is_part_of_the_input(summarizers, outputs, tiny_t5_dir):
    plain = seq2seq(tiny_t5_dir).summarize(EXAMPLES[:1])[0]
    prefixed = outputs["t5"][0]
    prefix_tokens = len(summarizers["t5"]._tokenizer("summarize: ", add_special_tokens=False)
                        ["input_ids"])
    assert prefixed.meta["input_tokens"] - plain.meta["input_tokens"] == prefix_tokens


def test_plain_causal_prompt_is_the_filled_template(summarizers):
    s = summarizers["causal"]
    ex = EXAMPLES[0]
    assert s._prompt(ex) == s.spec.prompt_template.format(story=ex.story, title=ex.title)


def test_chat_template_used_when_the_tokenizer_has_one(summarizers):
    prompt = summarizers["chat"]._prompt(EXAMPLES[2])
    assert prompt.startswith("<|system|>\nBe brief.</s>\n<|user|>\nWrite 3 short")
    assert prompt.endswith("Highlights:\n-</s>\n<|assistant|>\n")


def test_chat_template_never_and_always(tiny_chat_causal_dir, tiny_causal_dir):
    never = causal(tiny_chat_causal_dir, chat_template="never", system_prompt="Be brief.")
    assert never._prompt(EXAMPLES[2]).startswith("Be brief.\n\nWrite 3 short")
    always = causal(tiny_causal_dir, chat_template="always")
    with pytest.raises(SummcheckError, match="chat template"):
        always._prompt(EXAMPLES[2])


def test_continuation_after_dash_becomes_the_first_bullet(summarizers):
    s = summarizers["causal"]
    text = "Floods hit the town\n- Homes were lost\n- Roads closed\n- Schools shut"
    assert s._bullets(text, "Highlights:\n-") == (
        "Floods hit the town", "Homes were lost", "Roads closed"
    )


@pytest.mark.parametrize("text", ["- Three people were hurt.\n- Fire.",
                                  " * Three people were hurt.\n* Fire."])
def test_a_model_repeating_the_opened_marker_leaves_no_marker_in_its_first_bullet(
        summarizers, text):
    """After a prompt ending in "-", a model that writes "- ..." itself kept a stray
    "- " in its first bullet (shown in every report)."""
    assert summarizers["causal"]._bullets(text, "Highlights:\n-") == (
        "Three people were hurt.", "Fire.")


def test_max_input_tokens_beyond_the_models_positions_stops_the_run():
    """Every story longer than a BART's 128 positions failed with an IndexError, one
    example at a time, the run going on."""
    from types import SimpleNamespace

    model = SimpleNamespace(config=SimpleNamespace(max_position_embeddings=128))
    tokenizer = SimpleNamespace(model_max_length=1024)
    spec = HFSeq2SeqSpec(type="hf-seq2seq", model="m", max_input_tokens=256)
    with pytest.raises(SummcheckError, match="max_input_tokens 256 is more than the 128 "
                                             "positions the model has"):
        hf_common.input_limit(spec, tokenizer, model)
    fits = HFSeq2SeqSpec(type="hf-seq2seq", model="m", max_input_tokens=100)
    assert hf_common.input_limit(fits, tokenizer, model) == 100
    assert hf_common.input_limit(HFSeq2SeqSpec(type="hf-seq2seq", model="m"), tokenizer,
                                 model) == 128


@pytest.mark.parametrize("field, value, message", [
    ("prompt_template", "Summarize the story titled {title}.\n-", 'has no "{story}"'),
    ("generation", {"max_length": 64}, "give max_new_tokens"),
])
def test_a_causal_config_that_cannot_summarize_the_story_is_refused(field, value, message):
    """A template without {story} wrote every summary from the title alone; max_length
    (prompt included) made long stories fail and short ones pass."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        HFCausalSpec(type="hf-causal", model="m", **{field: value})


def test_cut_after_bullets_drops_a_following_paragraph():
    text = "- One\n- Two\n\nIn other news, a cat won.\n- Three"
    assert cut_after_bullets(text) == "- One\n- Two"
    assert cut_after_bullets("- One\n\n- Two") == "- One\n\n- Two"
    assert cut_after_bullets("Intro\n\nMore") == "Intro\n\nMore"


def test_a_new_heading_or_the_prompt_written_again_ends_the_list(summarizers):
    """With no blank line before them they were glued onto the last bullet ("The fire
    started. Write 3 short highlight bullets for this news story.")."""
    prompt = ("Write 3 short highlight bullets for this news story.\n\nTitle\nA story."
              "\n\nHighlights:\n-")
    s = summarizers["causal"]
    echo = " Three people were hurt.\n- The fire started.\n" + prompt.split("\n")[0]
    assert s._bullets(echo, prompt) == ("Three people were hurt.", "The fire started.")
    restart = " Three people were hurt.\nHighlights:\n- Another story's bullet."
    assert s._bullets(restart, prompt) == ("Three people were hurt.",)
    emphasised = " Three people were hurt.\n**More highlights:**\n- Another story's bullet."
    assert s._bullets(emphasised, prompt) == ("Three people were hurt.",)
    continued = " Three people\nwere hurt.\n- Two."
    assert s._bullets(continued, prompt) == ("Three people were hurt.", "Two.")


def test_bad_prompt_template_fails_at_build(tiny_causal_dir):
    with pytest.raises(SummcheckError, match="prompt_template"):
        causal(tiny_causal_dir, prompt_template="Summarize {article}: {story}")


# ---------------------------------------------------------------- fingerprints
def test_fingerprint_is_stable_and_cheap(tiny_bart_dir):
    a, b = seq2seq(tiny_bart_dir), seq2seq(tiny_bart_dir)
    assert a.fingerprint() == b.fingerprint()
    assert a._model is None  # fingerprinting does not load the model


@pytest.mark.parametrize("change", [
    {"generation": {**GENERATION, "max_new_tokens": 13}},
    {"prefix": "summarize: "},
    {"dtype": "bfloat16"},
    {"max_input_tokens": 32},
    {"seed": 1},
])
def test_fingerprint_changes_with_output_settings(tiny_bart_dir, change):
    assert seq2seq(tiny_bart_dir).fingerprint() != seq2seq(tiny_bart_dir, **change).fingerprint()


def test_fingerprint_ignores_batch_size_and_label(tiny_bart_dir):
    base = seq2seq(tiny_bart_dir).fingerprint()
    assert seq2seq(tiny_bart_dir, batch_size=1, name="x").fingerprint() == base


def test_fingerprint_tracks_max_bullets_and_prompt(tiny_causal_dir):
    spec = HFCausalSpec(type="hf-causal", model=str(tiny_causal_dir))
    base = build_summarizer(spec, max_bullets=3).fingerprint()
    assert build_summarizer(spec, max_bullets=4).fingerprint() != base
    other = spec.model_copy(update={"prompt_template": "{story}\nTL;DR:"})
    assert build_summarizer(other, max_bullets=3).fingerprint() != base
    chat = spec.model_copy(update={"chat_template": "never"})
    assert build_summarizer(chat, max_bullets=3).fingerprint() != base


def test_fingerprint_follows_model_files_not_path(tiny_bart_dir, tmp_path):
    copy = Path(shutil.copytree(tiny_bart_dir, tmp_path / "copy"))
    assert seq2seq(copy).fingerprint() == seq2seq(tiny_bart_dir).fingerprint()
    gen_config = copy / "generation_config.json"
    gen_config.write_text(gen_config.read_text().replace("{", '{\n  "num_beams": 2,', 1))
    assert seq2seq(copy).fingerprint() != seq2seq(tiny_bart_dir).fingerprint()


def test_hub_models_are_fingerprinted_by_id_and_revision():
    spec = HFSeq2SeqSpec(type="hf-seq2seq", model="facebook/bart-large-cnn")
    first = build_summarizer(spec, max_bullets=3).fingerprint()  # no download needed
    pinned = spec.model_copy(update={"revision": "abc123"})
    assert build_summarizer(pinned, max_bullets=3).fingerprint() != first


# ---------------------------------------------------------------- errors
def test_missing_local_model_fails_at_build(tmp_path):
    with pytest.raises(SummcheckError, match="cannot load model .*no such folder"):
        seq2seq(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SummcheckError, match="cannot load model .*config.json"):
        causal(tmp_path / "empty")


def test_broken_model_folder_fails_clearly_on_load(tiny_bart_dir, tmp_path):
    broken = Path(shutil.copytree(tiny_bart_dir, tmp_path / "broken"))
    (broken / "model.safetensors").write_bytes(b"not weights")
    s = seq2seq(broken)  # building is cheap and succeeds
    with pytest.raises(SummcheckError, match=f"cannot load model {broken}"):
        s.summarize(EXAMPLES[:1])


def test_missing_transformers_raises_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(MissingExtraError, match=r"summcheck\[hf\]"):
        hf_common.import_hf()


# ---------------------------------------------------------------- helpers
def test_length_sorted_batches_cover_every_index_once():
    batches = hf_common.length_sorted_batches([5, 50, 7, 50, 1], 2)
    assert batches == [[1, 3], [2, 0], [4]]


def test_input_limit_ignores_sentinel_lengths():
    class Obj:
        def __init__(self, **kw):
            self.__dict__.update(kw)

    spec = HFSeq2SeqSpec(type="hf-seq2seq", model="x/y")
    huge = Obj(model_max_length=int(1e30))
    assert hf_common.input_limit(spec, huge, Obj(config=Obj(max_position_embeddings=2048))) == 2048
    assert hf_common.input_limit(spec, huge, Obj(config=Obj())) == 512
    assert hf_common.input_limit(spec, Obj(model_max_length=1024),
                                 Obj(config=Obj(n_positions=512))) == 512
    override = spec.model_copy(update={"max_input_tokens": 99})
    assert hf_common.input_limit(override, huge, Obj(config=Obj())) == 99


@pytest.mark.parametrize("build", ["seq2seq", "causal"])
def test_a_model_config_that_samples_does_not_switch_sampling_on(build, tiny_t5_dir,
                                                                 tiny_causal_dir, tmp_path):
    """A generation_config.json with do_sample: true sampled whole batches under the key
    of greedy output: a summary then depended on the batch size and its neighbours."""
    source = tiny_t5_dir if build == "seq2seq" else tiny_causal_dir
    folder = Path(shutil.copytree(source, tmp_path / build))
    config_file = folder / "generation_config.json"
    config = json.loads(config_file.read_text()) if config_file.exists() else {}
    config_file.write_text(json.dumps({**config, "do_sample": True, "top_k": 50}))
    make = seq2seq if build == "seq2seq" else causal
    unsaid = {"max_new_tokens": 12, "min_new_tokens": 4}     # the config says no do_sample
    together = make(folder, batch_size=4, generation=unsaid).summarize(EXAMPLES)
    alone = make(folder, batch_size=1, generation=unsaid).summarize(EXAMPLES)
    assert [s.bullets for s in together] == [s.bullets for s in alone]


def test_a_sampled_summary_does_not_depend_on_the_reference_highlights(tiny_bart_dir):
    """The sampling seed hashed the references too: fixing a typo in a reference changed
    the summary of a model that never reads them."""
    sampled = {"max_new_tokens": 12, "min_new_tokens": 4, "do_sample": True, "top_k": 0,
               "temperature": 3.0}
    story = "Police arrested a man in Boston on Tuesday. He was released on bail later."
    a = Example(id="a", story=story, reference_bullets=("A man was arrested.",))
    b = Example(id="b", story=story, reference_bullets=("A man was detained.",))
    other = Example(id="c", story=story + " Nobody was hurt.")
    s = seq2seq(tiny_bart_dir, generation=sampled)
    first, second, third = s.summarize([a, b, other])
    assert first.raw_text == second.raw_text
    assert first.raw_text != third.raw_text      # the seed still follows the story


@pytest.mark.parametrize("text, kept", [
    ("- Troops arrived.\n- Denmark got approval for a $7", "- Troops arrived.\n"),
    ("The fire is out. Police said the cause was", "The fire is out."),
    ("All of it is one unfinished", "All of it is one unfinished"),   # nothing else to keep
    ("Ends well.", "Ends well."),
    ('He said "no."', 'He said "no."'),
])
def test_an_output_the_token_cap_cut_off_loses_its_unfinished_end(text, kept):
    """Gemma's last bullet "... approval for a $7", cut by max_new_tokens, was scored:
    the numbers check flagged "$7" against the story's "$7.6 billion"."""
    assert hf_common.without_unfinished_end(text) == kept


@pytest.mark.parametrize("build", [seq2seq, causal])
@pytest.mark.parametrize("generation, reason", [
    ({"max_new_tokens": 8, "num_beasm": 4}, "num_beasm"),                   # a typo'd key
    ({"max_new_tokens": 8, "num_beams": 0}, "ZeroDivisionError"),
    ({"max_new_tokens": 8, "do_sample": True, "temperature": -1}, "temperature"),
])
def test_generation_settings_generate_refuses_stop_the_run_before_any_summary(
        build, generation, reason, tiny_t5_dir, tiny_causal_dir, tmp_path):
    """Each example failed alone with them: every summary of the model scored 0 and the
    run went on to exit 0. A one-token trial at load stops the run (exit 2) instead,
    naming the summarizer and the setting; the other summarizers' work stays cached.
    (The lengths, which the trial sets, are checked on load: test_config.py.)"""
    from summcheck.summarizers.cache import GenerationCache, summarize_with_cache

    folder = tiny_t5_dir if build is seq2seq else tiny_causal_dir
    summarizer = build(folder, generation=generation)
    cache = GenerationCache(tmp_path / "cache")
    try:
        with pytest.raises(SummcheckError) as info:
            summarize_with_cache(summarizer, EXAMPLES[:2], cache, batch_size=2)
    finally:
        cache.close()
    message = str(info.value)
    assert summarizer.label in message and reason in message
    assert "Fix `generation:`" in message and "before any summary was made" in message


@pytest.mark.parametrize("build", [seq2seq, causal])
def test_the_generation_trial_changes_no_summary(build, tiny_t5_dir, tiny_causal_dir):
    """load() runs the trial; what is generated after it is what a summarizer that never
    ran it makes."""
    folder = tiny_t5_dir if build is seq2seq else tiny_causal_dir
    tried, untried = build(folder), build(folder)
    tried.load()
    assert [s.bullets for s in tried.summarize(EXAMPLES)] == \
        [s.bullets for s in untried.summarize(EXAMPLES)]
