"""Consistency checks: each spec class (the `checks:` keys) registered with its factory.
A new check is a module with a `build(spec)` factory returning an object with the check
contract (consistency/base.py) and one decorated spec class here; the `checks:` section,
building and `summcheck list` follow. Whether its score enters `consistency` is a
scoring rule, not a registration: scoring.PRECISION_KEYS.

Factories are imported only when a check is built (spaCy loads with the first story).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ..registry import Float, Int, Registry, Spec

CHECKS = Registry("check")

ENTITY_LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT",
                 "WORK_OF_ART", "LAW")
# What spaCy's English pipelines (en_core_web_*, OntoNotes 5) tag
ONTONOTES_LABELS = ENTITY_LABELS + ("LANGUAGE", "DATE", "TIME", "PERCENT", "MONEY",
                                    "QUANTITY", "ORDINAL", "CARDINAL")


@CHECKS.register("summcheck.consistency.numbers:build",
                 "every number in the summary must be in the story (units, rounding, "
                 "qualifiers)", name="numbers", on_by_default=True, hash_when_off=True)
class NumbersCheckSpec(Spec):
    tolerance: Float = Field(0.02, ge=0, lt=1, description="relative rounding tolerance")

    def metric_names(self) -> tuple[str, ...]:   # `consistency`: a factor of it
        return ("numbers_precision", "numbers_count", "numbers_unsupported", "consistency")


@CHECKS.register("summcheck.consistency.entities:build",
                 "every name (person, organisation, place, ...) in the summary must be in "
                 "the story", name="entities", on_by_default=True, hash_when_off=True)
class EntitiesCheckSpec(Spec):
    model: str = "en_core_web_sm"
    labels: tuple[str, ...] = ENTITY_LABELS

    def metric_names(self) -> tuple[str, ...]:
        return ("entities_precision_source", "entities_count", "entities_unsupported",
                "entities_precision_target", "entities_recall_target",
                "entities_reference_count", "consistency")

    @field_validator("labels")
    @classmethod
    def _labels_the_pipeline_tags(cls, labels: tuple[str, ...], info) -> tuple[str, ...]:
        """A label no pipeline tags ("PERSONS", "person"), or none at all, matched no
        name, so every summary scored 1.0. Another pipeline's labels are checked when it loads."""
        if not labels:     # no name was looked for: every summary scored 1.0
            raise ValueError("no label: the check would find no name, and every summary "
                             "would score 1.0. List the labels to check, or turn the check "
                             "off with `entities: null`")
        model = info.data.get("model", "")
        unknown = [x for x in labels if x not in ONTONOTES_LABELS]
        if unknown and str(model).startswith("en_core_web"):
            raise ValueError(f"{', '.join(map(repr, unknown))}: not a label {model} tags. "
                             f"Use some of {', '.join(ONTONOTES_LABELS)}")
        return labels


@CHECKS.register("summcheck.consistency.support:build",
                 "how well the story supports each bullet as a whole, and how little the "
                 "bullets are stitched from story fragments", name="support",
                 variants=(("lexical", None), ("embedding", "embedding")),
                 on_by_default=True, hash_when_off=True)
class SupportSpec(Spec):
    """Story support of each bullet as a whole (consistency/support.py), a factor of
    `consistency` (with how stitched the bullets are). Methods: aligned (lexical x MiniLM
    embedding-layer word-piece precision against the best-aligned story chunk; needs the
    MiniLM weights, no torch), lexical (content-word pairs found in one story sentence; no
    extra), auto (aligned when the weights are installed, else lexical: the default; the
    method used is in the signature), embedding and lexical+embedding (MiniLM last layer
    against the whole story; slower). Measured in benchmarks/results/agreement_cv.md."""

    method: Literal["auto", "aligned", "lexical", "embedding", "lexical+embedding"] = "auto"
    threshold: Float | None = Field(
        None, ge=0, le=1, description="flag bullets scoring below this; null: the method's "
                                      "default (aligned 0.3, lexical 0.4, embedding 0.6, "
                                      "lexical+embedding 0.3), except with method auto, "
                                      "which then only scores (no findings)")

    def metric_names(self) -> tuple[str, ...]:
        flags = self.threshold is not None or self.method != "auto"   # as support.build
        return ("support_precision", "support_min", "support_unstitched", "support_count",
                *(("support_weak",) if flags else ()), "consistency")


@CHECKS.register("summcheck.consistency.relations:build",
                 "opt-in: who did what to whom in a bullet must be in one story sentence",
                 name="relations")
class RelationsCheckSpec(Spec):
    """Who did what to whom (consistency/relations.py): each relation arc of a bullet's
    parse must be in one story sentence. The defaults are the setting cross-validation
    chose on FRANK (benchmarks/results/relations_frank.md), ranked by `relations_score`."""

    model: str = "en_core_web_sm"
    scope: Literal["all", "names"] = "all"
    roles: Literal["strict", "lenient"] = "strict"
    flag: tuple[Literal["conflict", "together", "unlinked", "novel"], ...] = Field(
        ("conflict", "together", "unlinked", "novel"), min_length=1,
        description="which unsupported relations count as findings")

    def metric_names(self) -> tuple[str, ...]:
        return ("relations_score", "relations_precision", "relations_count",
                "relations_unsupported")


@CHECKS.register("summcheck.consistency.likelihood:build",
                 "opt-in: how much more likely the story makes the summary, by a small "
                 "language model (Gemma 3 270M; slow)", name="likelihood",
                 extra="local-llm")
class LikelihoodSpec(Spec):
    """A small language model's log p(summary | story) - log p(summary), per token
    (consistency/likelihood.py). Not in `consistency`: its own `likelihood_support`.
    Measured in benchmarks/results/likelihood.md."""

    story_tokens: Int = Field(768, ge=64, le=8192,
                              description="the story is cut to its first this many tokens")
    threshold: Float = Field(-4.0, le=0, description="flag a name or negation the story "
                                                     "lacks where the model expected one the "
                                                     "story has, when its log-probability "
                                                     "is below this")

    def metric_names(self) -> tuple[str, ...]:
        return ("likelihood_support", "likelihood_unsupported")
