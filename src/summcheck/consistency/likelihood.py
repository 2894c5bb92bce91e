"""Opt-in: how much more likely the story makes the summary, by a small language model.

The support check scores a faithful paraphrase below a copied sentence (lexical and
word-piece overlap), so `consistency` tracks copying about twice as strongly as people
do (benchmarks/results/default_consistency.md). A language model that has read the story
predicts a paraphrase's words as well as a copy's; dividing by the same model's
likelihood without the story takes out what is merely fluent or common. Per summary
token t: r(t) = log p(t | story, summary so far) - log p(t | summary so far).

Model: Gemma 3 270M from the `local-llm` extra (the `gemma-270m` summarizer's weights,
converted once into the model cache; no download). Prompt as the `gemma-270m` preset's:
the story cut to its first `story_tokens` tokens, then "\\n\\nHighlights:\\n-", then the
bullets as "- " lines; without the story, "Highlights:\\n-" alone. Each story is run once
and its key/value cache reused for every summary of it in a batch.

Scores per summary:
- `likelihood_support`: the mean over the summary's tokens of sigmoid(r(t)) =
  p(t | story) / (p(t | story) + p(t)): 0.5 where the story changes nothing, towards 1
  where the story explains the token, towards 0 where the story makes it unlikely;
- `likelihood_unsupported`: how many bullets have a finding.
A finding is the name or negation of a bullet the story argues against: where the model,
having read the story, expected another name (negation) that the story has ("did you
mean"), and gave the bullet's word a log-probability below `threshold` (-4: under 2%).
A name may be one the story has, in the wrong place (the story's proposer named as its
opponent); a negation only one the story lacks. One finding at most per bullet. Other
words are not flagged: there the model's expectation is as often a synonym. The default
threshold was set by hand on a few made-up sentences, not fitted to any data; detection
and false alarms on planted errors: benchmarks/results/planted_likelihood.md.

Bullets are read as the entity check reads them: space tokenization undone ("kim 's" ->
"kim's") and, where a bullet was lowercased, its capitals restored from the story's
spelling (`truecasing`), so the model reads text like the story's and names are seen as
names: on FRANK's lowercased summaries the findings were blind (none on 671). Finding
spans are mapped back onto the bullet as written.
"""

from __future__ import annotations

import copy
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from summcheck.consistency.base import Check, CheckResult, Finding, Item, Span, require_items
from summcheck.consistency.support import STOP_WORDS
from summcheck.consistency.truecasing import CaseTable, end_after_marks, restore_text
from summcheck.errors import SummcheckError

CONTEXT_TAIL = "\n\nHighlights:\n-"       # after the story, as the gemma-270m preset asks
BARE_CONTEXT = "Highlights:\n-"           # the same prompt without a story
METHOD_VERSION = 3      # bump when the prompt, the scores or the findings' rules change
# 3: bullets are read with accents written as combining marks composed (spacy_pipeline's
#    PREP_VERSION 3)
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")


@dataclass(frozen=True)
class TokenRatios:
    """One summary's tokens: bullet index, [start, end) in that bullet, log-ratio r(t),
    log p(t | story), and the token the model ranked first there after reading the story."""

    bullet: tuple[int, ...]
    start: tuple[int, ...]
    end: tuple[int, ...]
    ratio: tuple[float, ...]
    logp: tuple[float, ...]
    expected: tuple[str, ...]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def support_score(ratios: Sequence[float]) -> float:
    """Mean of sigmoid(r) over the tokens; 1.0 for a summary with no tokens."""
    return sum(map(_sigmoid, ratios)) / len(ratios) if ratios else 1.0


class LanguageModel:
    """Log-probabilities of continuations after a context, the context run once.

    `loaded()` returns (tokenizer, model): a fast Hugging Face tokenizer (for offsets)
    and a causal LM. The context's key/value cache is copied for each continuation, so
    continuations never see one another."""

    def __init__(self, loaded: Callable[[], tuple[Any, Any]], story_tokens: int):
        self._loaded, self.story_tokens = loaded, story_tokens
        self._tok = self._model = None
        self._bare = None

    def _load(self) -> tuple[Any, Any]:
        if self._model is None:
            self._tok, self._model = self._loaded()
            self._model.eval()
        return self._tok, self._model

    def encode(self, bullets: Sequence[str]) -> tuple[list[int], list[tuple[int, int, int]]]:
        """Token ids of the bullets as "- " lines, and each token's (bullet, start, end)
        in the bullet's own text."""
        tok, _ = self._load()
        ids: list[int] = []
        where: list[tuple[int, int, int]] = []
        for k, bullet in enumerate(bullets):
            text = bullet.strip()
            lead = len(bullet) - len(bullet.lstrip())
            prefix = " " if k == 0 else "\n- "
            enc = tok(prefix + text, add_special_tokens=False, return_offsets_mapping=True)
            for token, (a, b) in zip(enc["input_ids"], enc["offset_mapping"]):
                a, b = max(a - len(prefix), 0), max(b - len(prefix), 0)
                ids.append(token)
                where.append((k, lead + a, lead + b))
        return ids, where

    def context(self, story: str | None) -> tuple[Any, Any]:
        """(key/value cache, logits of the next token) after the story's prompt, or after
        the bare prompt when `story` is None (computed once)."""
        if story is None and self._bare is not None:
            return self._bare
        tok, model = self._load()
        bos = [tok.bos_token_id] if tok.bos_token_id is not None else []
        if story is None:
            ids = bos + tok(BARE_CONTEXT, add_special_tokens=False)["input_ids"]
        else:
            story_ids = tok(story, add_special_tokens=False)["input_ids"][: self.story_tokens]
            ids = bos + story_ids + tok(CONTEXT_TAIL, add_special_tokens=False)["input_ids"]
        import torch

        # Only the last position's logits: the vocabulary projection of every story
        # position would cost more than the rest of the model.
        last_only = {"logits_to_keep": 1} if _accepts(model, "logits_to_keep") else {}
        with torch.inference_mode():
            out = model(torch.tensor([ids]), use_cache=True, **last_only)
        state = (_cache_of(out), out.logits[0, -1])
        if story is None:
            self._bare = state
        return state

    def continuation(self, state: tuple[Any, Any], ids: list[int]
                     ) -> tuple[list[float], list[int]]:
        """log p of each continuation token after the context, and the top-ranked token
        at each position."""
        import torch

        past, last = state
        _, model = self._load()
        with torch.inference_mode():
            step = model(torch.tensor([ids]), use_cache=True,
                         **{_cache_argument(model): copy.deepcopy(past)})
            logits = torch.cat([last[None], step.logits[0, :-1]]).float()
            logp = torch.log_softmax(logits, -1)
            chosen = logp[torch.arange(len(ids)), torch.tensor(ids)]
            return chosen.tolist(), logits.argmax(-1).tolist()

    def ratios(self, story_state, bullets: Sequence[str]) -> TokenRatios:
        ids, where = self.encode(bullets)
        if not ids:
            return TokenRatios((), (), (), (), (), ())
        with_story, expected = self.continuation(story_state, ids)
        without, _ = self.continuation(self.context(None), ids)
        tok, _ = self._load()
        return TokenRatios(
            bullet=tuple(w[0] for w in where), start=tuple(w[1] for w in where),
            end=tuple(w[2] for w in where),
            ratio=tuple(a - b for a, b in zip(with_story, without)),
            logp=tuple(with_story), expected=tuple(tok.decode([e]).strip() for e in expected))


@contextmanager
def _torch_threads(n: int):
    """torch on `n` threads (the check's `processes`) while the check runs: on a shared
    machine two threads of one matrix product wait on each other whenever another job
    holds a core."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _accepts(model, argument: str) -> bool:
    import inspect

    return argument in inspect.signature(model.forward).parameters


def _cache_argument(model) -> str:
    """transformers 5 names the key/value cache `cache`; 4.x `past_key_values`."""
    return "cache" if _accepts(model, "cache") else "past_key_values"


def _cache_of(output):
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values


# Words a finding may point at: not function words, which say little alone, but negations,
# which reverse a bullet.
_NEGATIONS = frozenset("not no never nobody none nothing neither nor cannot".split())
_SKIPPED = STOP_WORDS - _NEGATIONS


def _words(bullet: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _WORD.finditer(bullet)
            if m.group().lower() not in _SKIPPED]


def suspect_words(summary: Sequence[str], tokens: TokenRatios, story: str
                  ) -> list[tuple[int, Span, float, Span]]:
    """Per bullet, the name or negation the story argues against most: where the model,
    having read the story, expected another name (or negation) that the story has, and
    gave the bullet's word a low log-probability; a name may be in the story itself (in
    the wrong place), a negation may not. Returns
    (bullet, the word's span, its log-probability given the story, the expected word's
    first place in the story), the least likely such word of each bullet.

    Only names (capitalised away from a sentence start) and negations: on other words the
    model's expectation is as often a synonym ("merger" where it expected "deal"), which
    is no error."""
    story_words = {m.group().lower() for m in _WORD.finditer(story)}
    out = []
    for k, bullet in enumerate(summary):
        best = None
        for a, b in _words(bullet):
            word = bullet[a:b]
            kind = _kind(word, at_start=_sentence_start(bullet, a))
            if kind is None or (kind == "negation" and word.lower() in story_words):
                continue
            inside = [i for i, (bi, s, e) in enumerate(zip(tokens.bullet, tokens.start,
                                                           tokens.end))
                      if bi == k and s < b and e > a]
            expected = tokens.expected[inside[0]] if inside else ""
            if (_kind(expected) != kind or _same_stem(word, expected)
                    or _one_name(story, expected, word)):
                continue
            candidate = _candidate(story, expected)
            logp = sum(tokens.logp[i] for i in inside)
            if candidate and (best is None or logp < best[2]):
                best = (k, Span(word, a, b), logp, candidate[0])
        if best is not None:
            out.append(best)
    return out


def _kind(word: str, *, at_start: bool = False) -> str | None:
    """"negation", "name" (capitalised, not at a sentence start), or None."""
    if word.lower() in _NEGATIONS:
        return "negation"
    return "name" if word[:1].isupper() and not at_start else None


def _sentence_start(text: str, start: int) -> bool:
    """Might text[start] be capitalised for its place alone? Broader than
    `truecasing.sentence_initial` on purpose: after a colon, a quote or a dash a capital
    is often a quoted sentence's, not a name's, and a word taken for a name here can
    become a finding."""
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:\"'\n-"


def _one_name(story: str, first: str, later: str) -> bool:
    """Does the story write `later` within three words after `first` ("Jonas Kjaergaard
    Holm", "Ethiopia's Meseret")? Then the model expected the name's start where the
    bullet gives its end: the same name, not another."""
    gap = r"(?:['’]s)?(?:\W+\w+){0,2}?\W+"
    return re.search(rf"(?<!\w){re.escape(first)}{gap}{re.escape(later)}(?!\w)", story,
                     flags=re.IGNORECASE) is not None


def _same_stem(a: str, b: str) -> bool:
    """"Kenya's" and "Kenyan": one name in two forms, not another name."""
    a, b = a.lower(), b.lower()
    return a[:4] == b[:4] and min(len(a), len(b)) >= 4


def _candidate(story: str, word: str) -> tuple[Span, ...]:
    """The expected word's first whole-word occurrence in the story: a content word or a
    negation, not a piece of one."""
    if not word or not any(c.isalnum() for c in word) or word.lower() in _SKIPPED:
        return ()
    m = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", story, flags=re.IGNORECASE)
    return (Span(m.group(), m.start(), m.end()),) if m else ()


def readable(bullet: str, case: CaseTable) -> tuple[str, list[int]]:
    """The bullet as the model reads it, and per character the offset it came from in
    the bullet: detokenized, and truecased from the story when it was lowercased. A word
    the story never writes is left in lower case (no word lists here: the entity check's
    come with spaCy), so only names the story spells are restored."""
    text, offsets, _ = restore_text(bullet, case, lambda word: True)
    return text, offsets


def _written(bullet: str, offsets: list[int], span: Span) -> Span:
    """A span of the bullet as read (`readable`) as a span of the bullet as written."""
    start, end = offsets[span.start], end_after_marks(bullet, offsets[span.end - 1] + 1)
    return Span(bullet[start:end], start, end)


def _percent(p: float) -> str:
    return f"{p:.1%}" if p >= 0.001 else "under 0.1%"


class LikelihoodCheck(Check):
    """Story support of the summary as a language model's likelihood ratio."""

    name = "likelihood"

    def __init__(self, lm: LanguageModel, *, model_id: str, threshold: float = -4.0):
        self.lm, self.model_id, self.threshold = lm, model_id, threshold

    def signature(self) -> str:
        return (f"likelihood|model={self.model_id}|story_tokens={self.lm.story_tokens}"
                "|read=detokenized,truecased-from-story|score=mean-sigmoid-ratio"
                "|flag=story-name-or-negation(names-in-story,not-one-name)"
                f",logp<{self.threshold:g}|v={METHOD_VERSION}")

    def check(self, *, source: str, summary: Sequence[str],
              reference: Sequence[str] | None = None) -> CheckResult:
        return self.check_many([(source, summary, reference)])[0]

    def check_many(self, items: Sequence[Item]) -> list[CheckResult]:
        """Items grouped by story: each story's prompt runs once for all its summaries."""
        require_items(items)
        order: dict[str, list[int]] = {}
        for i, (source, _, _) in enumerate(items):
            order.setdefault(source, []).append(i)
        out: list[CheckResult | None] = [None] * len(items)
        with _torch_threads(self.processes):
            for source, indices in order.items():
                state, case = self.lm.context(source), CaseTable(source)
                for i in indices:
                    read = [readable(bullet, case) for bullet in items[i][1]]
                    bullets = [text for text, _ in read]
                    out[i] = self._result(source, list(items[i][1]), read,
                                          self.lm.ratios(state, bullets))
        return out  # type: ignore[return-value]

    def _result(self, source: str, summary: list[str], read: list[tuple[str, list[int]]],
                tokens: TokenRatios) -> CheckResult:
        findings = tuple(
            Finding(check=self.name, kind="unlikely", bullet_index=k,
                    span=_written(summary[k], read[k][1], span), value=f"{logp:.2f}",
                    candidates=(expected,),
                    reason=f"after reading the story the model expected "
                           f"'{expected.text}' here; it gives this word probability "
                           f"{_percent(math.exp(logp))}")
            for k, span, logp, expected in suspect_words([t for t, _ in read], tokens, source)
            if logp < self.threshold)
        return CheckResult(scores={"likelihood_support": support_score(tokens.ratio),
                                   "likelihood_unsupported": float(len(findings))},
                           findings=findings)


def gemma_loader() -> tuple[Callable[[], tuple[Any, Any]], str]:
    """(loader, model id) for Gemma 3 270M from the local-llm extra's packages."""
    from summcheck.summarizers import gemma

    gemma.require_extra()

    def loaded():
        import transformers

        try:
            folder = gemma.converted_model(gemma.cache_root())
        except OSError as err:
            raise SummcheckError(
                f"likelihood check: cannot prepare the model in {gemma.cache_root()}: {err}."
                " Set SUMMCHECK_MODEL_CACHE to a writable folder.") from err
        tok = transformers.AutoTokenizer.from_pretrained(folder)
        model = transformers.AutoModelForCausalLM.from_pretrained(folder)
        return tok, model

    return loaded, f"{gemma.model_folder(gemma.cache_root()).name}|{_runtime()}"


def _runtime() -> str:
    """torch and transformers as they run the model (they move the last digits)."""
    from importlib.metadata import version

    return f"torch-{version('torch')}|transformers-{version('transformers')}"


def build(spec) -> LikelihoodCheck:
    """The check a `checks.likelihood` spec describes (consistency/registry.py)."""
    loaded, model_id = gemma_loader()
    return LikelihoodCheck(LanguageModel(loaded, spec.story_tokens), model_id=model_id,
                           threshold=spec.threshold)
