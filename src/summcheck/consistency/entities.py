"""Entity consistency: is every named entity in the summary supported by the story?

NER is spaCy (`pip install "summcheck[checks]"`). Story NER is lazy: each summary entity
is first matched against the story text alone (every rule of `entity_match`, without the
story's mentions); what that supports is supported with the mentions too, so a story
goes through NER only when one of its summaries has an entity the text alone does not
support (then the rules run again with the mentions, and "did you mean" candidates come
from them), or a bullet copied from it (which takes the story's entities). Story
entities are recognised once per story and persisted in an SQLite file of the checks
folder (`load_cache`/`save_cache`, story_entities.py); memory holds a bounded number of
them. spaCy loading and identity: spacy_pipeline.py. Matching rules live in `entity_match.py`;
lowercased, tokenized summaries are detokenized and truecased from the story
(`truecasing.py`). Capitalised words opening a bullet that NER left unlabelled, one of
them no English word the story has in any case, are checked as a name of kind "NAME"
(`EntityCheck._with_opening_name`): the small pipeline misses unseen names there.

Scores follow Nan et al. (2021, "Entity-level factual consistency of abstractive text
summarization") over the distinct normalized entities of a summary:
precision-source = share supported by the story (1.0 when there are none), and with
reference bullets precision-target (summary entities found in the reference) and
recall-target (reference entities found in the summary), using the same matching.
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from summcheck.consistency.base import (
    Check, CheckResult, Finding, Item, Span, Support, require_items,
)
from summcheck.consistency.entity_match import (
    FIRST_NAME_WORDS, RULES_VERSION, Match, Mention, TextIndex, entity_key, tokenize,
)
from summcheck.consistency.ner_pool import Ents, ParallelNER, default_processes
from summcheck.consistency.spacy_pipeline import (  # noqa: F401 - load_pipeline: API
    PREP_VERSION, english_words, installed_meta, load_pipeline, pipeline_files_digest,
    spacy_version,
)
from summcheck.consistency.story_entities import StoryEntities, text_key
from summcheck.consistency.truecasing import (
    CaseTable, CommonWords, detokenize, end_after_marks, is_lowercased, restore_text,
    sentence_initial,
)
from summcheck.errors import SummcheckError

DEFAULT_LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT",
                  "WORK_OF_ART", "LAW")
# Numbers and dates are the numbers check's job; they never support or count as entities.
_NUMERIC_LABELS = frozenset({"CARDINAL", "DATE", "MONEY", "PERCENT", "QUANTITY", "TIME",
                             "ORDINAL"})
# A place or nationality opening a bullet is a name even when WordNet lists the word
# ("China", "Turkey", "Bangladesh"): NER rarely gives these labels to an ordinary word.
_PLACE_LABELS = frozenset({"GPE", "NORP", "LOC"})
def _without_stutter(key: tuple[str, ...]) -> tuple[str, ...]:
    """`key` with a run of words said twice in a row said once: "temperton temperton",
    "isle of isle of lewis" (a model's stutter, seen in FRANK and REALSumm outputs) are
    the story's "Temperton" and "Isle of Lewis"."""
    words = list(key)
    for size in range(1, len(words) // 2 + 1):
        i = 0
        while i + 2 * size <= len(words):
            if words[i:i + size] == words[i + size:i + 2 * size]:
                del words[i + size:i + 2 * size]
            else:
                i += 1
    return tuple(words)


@dataclass
class _Story:
    """A story prepared for look-ups; its NER entities and the index with them are
    filled in only when a summary needs them (`EntityCheck._with_ner`)."""

    source: str
    key: str                       # text_key(source)
    text_index: TextIndex          # the text alone: enough for keys the text contains
    case: CaseTable
    ents: Ents | None = None
    index: TextIndex | None = None     # text_index plus the story's mentions
    text_matches: dict = field(default_factory=dict)   # EntityCheck._text_match


class EntityCheck(Check):
    """Flags summary entities (people, organisations, places, ...) the story lacks."""

    name = "entities"

    def __init__(self, labels: Iterable[str] = DEFAULT_LABELS, model: str = "en_core_web_sm",
                 *, restore_case: bool = True, added_first_names: bool = False,
                 batch_size: int = 64, max_indexed_stories: int = 256,
                 max_cached_stories: int = 4096, processes: int | None = None):
        """`restore_case`: truecase lowercased summaries from the story before NER.
        `added_first_names`: accept "Sarah Storey" when the story only says "Storey"
        (off by default: a first name the story lacks is unsupported).
        `processes`: cores for NER over big batches (default: all this process may use,
        up to 8); results do not depend on it.
        `batch_size`: texts per spaCy batch; results do not depend on it (64 ran the short
        summary and reference bullets of FRANK CNN/DM 20-40% faster than 16).
        `max_cached_stories`: story entities kept in memory (the checks folder's file, when
        given, holds them all)."""
        if isinstance(labels, str):    # its letters were taken as the labels
            raise TypeError(f"labels: a list of entity labels, e.g. ['PERSON', 'ORG'], not "
                            f"the string {labels!r}")
        self.labels = tuple(sorted(set(labels)))
        self.model = model
        self.restore_case = restore_case
        self.added_first_names = added_first_names
        self.batch_size = batch_size
        self.processes = processes or default_processes()
        self._nlp = None
        self._model_id: str | None = None
        self._ner: ParallelNER | None = None
        self._common_words: CommonWords | None = None   # comes with the pipeline
        # Late-bound (tests count NER calls per check) and weak: no cycle through the
        # store, so dropping the check ends its NER workers at once, not at a collection.
        me = weakref.ref(self)
        self.story_store = StoryEntities(
            lambda stories: me()._recognise_stories(stories),
            lambda: me()._store_file_name(), max_in_memory=max_cached_stories)
        self._text_ents: dict[str, list[tuple[int, int, str]]] = {}   # summaries, by text
        # NER inputs within check_many; keyed by the CaseTable object itself (identity),
        # which the key keeps alive, so an evicted story can never alias another one
        self._prepared: dict[tuple[str, CaseTable], tuple] = {}
        self._references: OrderedDict[tuple, tuple[list[list[Mention]], TextIndex]] = \
            OrderedDict()
        self._stories: OrderedDict[str, _Story] = OrderedDict()
        self._max_stories = max_indexed_stories
        # start_many's (items, stories, copied_from, started NER) until check_many takes it
        self._started: tuple | None = None

    # ------------------------------------------------------------------ model, identity
    @property
    def nlp(self):
        if self._nlp is None:
            nlp = load_pipeline(self.model)
            tagged = set(nlp.get_pipe("ner").labels)
            if unknown := sorted(set(self.labels) - tagged):
                raise SummcheckError(
                    f"entity labels {', '.join(unknown)}: the pipeline {self.model} never "
                    "tags them, so no name could be found and every summary would score "
                    f"1.0. Use some of {', '.join(sorted(tagged))} (checks.entities.labels).")
            self._nlp = nlp
            self._common_words = CommonWords(*english_words(self._nlp))
        return self._nlp

    def ner(self, texts: Iterable[str]) -> list[list[tuple[int, int, str]]]:
        """(start, end, label) of every entity in each text, NER spread over the cores."""
        return self._finish_ner(self._start_ner(texts, offer_last=False))

    def _start_ner(self, texts: Iterable[str], *, offer_last: bool) -> list:
        """NER of the texts offered to the worker processes (`ParallelNER.start`)."""
        if self._ner is None:
            self._ner = ParallelNER(self.nlp, processes=self.processes,
                                    batch_size=self.batch_size)
        return self._ner.start(texts, offer_last=offer_last)

    def _finish_ner(self, pending: list) -> list[list[tuple[int, int, str]]]:
        assert self._ner is not None
        return self._ner.finish(pending)

    @property
    def model_id(self) -> str:
        """lang_name-version of the pipeline, plus a hash of its files when it is a folder
        path (`pipeline_files_digest`); computed once per check."""
        if self._model_id is None:
            meta = self._nlp.meta if self._nlp is not None else installed_meta(self.model)
            if meta is None:
                meta = self.nlp.meta
            files = pipeline_files_digest(self.model)
            self._model_id = (f"{meta['lang']}_{meta['name']}-{meta['version']}"
                              + (f"+files.{files}" if files else ""))
        return self._model_id

    def signature(self) -> str:
        """Without importing spaCy when its pipeline is installed as a package: importing
        it (and torch, which thinc imports) is most of a fully cached re-run's time."""
        return (f"entities|model={self.model_id}|spacy={spacy_version()}"
                f"|labels={','.join(self.labels)}|restore_case={self.restore_case}"
                f"|added_first_names={self.added_first_names}"
                f"|prep={PREP_VERSION}|rules={RULES_VERSION}")

    # ------------------------------------------------------------------ story NER cache
    def story_entities(self, sources: Sequence[str]) -> list[Ents]:
        """(start, end, label) of each story's entities (`story_store`: memory, the
        checks folder's file, else NER)."""
        return self.story_store.get(sources)

    def _recognise_stories(self, sources: list[str]) -> list[Ents]:
        prepared = [detokenize(s) for s in sources]
        found = self.ner([text for text, _ in prepared])
        return [[(offsets[start], offsets[end - 1] + 1, label) for start, end, label in ents]
                for (_, offsets), ents in zip(prepared, found)]

    def _store_file_name(self) -> str:
        """Named by everything a story's entities depend on besides its text: the pipeline
        (name, version, files of a folder pipeline), the spaCy and thinc that run it and
        how a story is prepared for NER (docs/caches.md)."""
        return f"entities-{self.model_id}-spacy{spacy_version()}-prep{PREP_VERSION}.sqlite"

    def cache_file(self, folder: str | Path) -> Path:
        return self.story_store.cache_file(folder)

    def load_cache(self, folder: str | Path) -> int:
        """Use `folder`'s story-entity file from now on: it is looked up per batch (never
        read whole) and every story recognised later is added at once. Returns how many
        stories the file holds."""
        return len(self.story_store.use_folder(folder))

    def save_cache(self, folder: str | Path) -> Path:
        """Persist in `folder` the story entities recognised before a folder was given."""
        return self.story_store.save(folder)

    def _story(self, source: str) -> _Story:
        """The story's look-up structures, without NER (see `_with_ner`)."""
        key = text_key(source)
        if key in self._stories:
            self._stories.move_to_end(key)
            return self._stories[key]
        story = _Story(source, key,
                       TextIndex(source, [], require_capital=not is_lowercased(source)),
                       CaseTable(source))
        self._stories[key] = story
        if len(self._stories) > self._max_stories:
            self._stories.popitem(last=False)
        return story

    def _with_ner(self, stories: Sequence[_Story]) -> None:
        """Give the stories their entities and full index, with one NER batch for all."""
        todo = list({id(s): s for s in stories if s.ents is None}.values())
        for story, ents in zip(todo, self.story_entities([s.source for s in todo])):
            story.ents = ents
        for story in stories:
            if story.index is None:
                story.index = story.text_index.with_mentions(
                    [_mention(story.source, s, e, label) for s, e, label in story.ents
                     if label not in _NUMERIC_LABELS])

    def _indexed(self, story: _Story) -> TextIndex:
        self._with_ner([story])
        return story.index

    # ------------------------------------------------------------------ summary NER
    def _is_common(self, word: str) -> bool:
        """Ordinary English (`truecasing.CommonWords`, from the pipeline's word lists)."""
        if self._common_words is None:
            self.nlp    # the word lists come with the pipeline (story NER may not load it)
        assert self._common_words is not None
        return self._common_words(word)

    def _ner_input(self, text: str, case: CaseTable) -> tuple[str, list[int], bool]:
        """Detokenize, and truecase from the story when the text is all lowercase."""
        if not self.restore_case:
            return (*detokenize(text), False)
        return restore_text(text, case, self._is_common)

    def _sentence_case_only(self, m: Mention, text: str, case: CaseTable) -> bool:
        """A one-word mention at a sentence start that is an ordinary word the story never
        capitalises: capitalised only for its position ("Striker", "Tributes")."""
        word = m.key[0]
        return (len(m.key) == 1 and m.label not in _PLACE_LABELS
                and sentence_initial(text, m.span.start)
                and self._is_common(word) and not case.capitalises(word))

    def _recognise(self, ner_inputs: Iterable[str]) -> None:
        """NER over every input not seen yet, in one batched pipe (much faster than one
        call per summary); results stay in `_text_ents` (bounded), so a bullet met again
        in a later batch (summarizers that copy the same story sentence) is not
        recognised again.
        `ner_inputs` may be a generator still preparing texts: NER of the first ones
        starts on the other cores meanwhile."""
        self._finish_recognising(self._start_recognising(ner_inputs, offer_last=False))

    def _start_recognising(self, ner_inputs: Iterable[str], *, offer_last: bool
                           ) -> tuple[dict[str, None], list] | None:
        """`_recognise` up to the NER offered to the workers; None when nothing is new."""
        if len(self._text_ents) > _MAX_TEXT_ENTS:   # bound memory
            self._text_ents.clear()
        new: dict[str, None] = {}       # insertion-ordered set

        def unseen() -> Iterator[str]:
            for text in ner_inputs:
                if text not in self._text_ents and text not in new:
                    new[text] = None
                    yield text

        todo = unseen()
        first = next(todo, None)
        if first is None:
            return None
        return new, self._start_ner(itertools.chain([first], todo), offer_last=offer_last)

    def _finish_recognising(self, started: tuple[dict[str, None], list] | None) -> None:
        if started is not None:
            new, pending = started
            self._text_ents.update(zip(new, self._finish_ner(pending)))

    def mentions(self, texts: Sequence[str], case: CaseTable) -> list[list[Mention]]:
        """Entity mentions of each text, with spans in that (original) text."""
        prepared = [self._prepared.get((t, case)) or self._ner_input(t, case) for t in texts]
        self._recognise([p[0] for p in prepared])
        result = []
        for text, (ner_input, offsets, _) in zip(texts, prepared):
            found = [_mention(text, offsets[start], offsets[end - 1] + 1, label)
                     for start, end, label in self._text_ents[ner_input]
                     if label in self.labels]
            result.append([m for m in found
                           if m.key and not self._sentence_case_only(m, text, case)])
        return result

    # ------------------------------------------------------------------ the check
    def start_many(self, items: Sequence[Item]) -> bool:
        """Prepare the summaries and references of `items` (the first chunk of them) for
        NER and offer it to the worker processes; the `check_many(items)` that follows
        collects it, so the caller's other checks run here while the workers recognise.
        Nothing to overlap with one process (False)."""
        self._drop_started()
        if self.processes <= 1:
            return False
        items = list(items[:_CHUNK])
        self._started = (items, *self._begin(items, offer_last=True))
        return self._started[3] is not None

    def _begin(self, items: Sequence[Item], *, offer_last: bool
               ) -> tuple[list[_Story], list[_Story], tuple | None]:
        """(stories, copied_from, started NER): each item's story, the stories bullets
        were copied from, and the NER of the batch's new inputs offered to the workers."""
        stories: list[_Story] = []          # one per item, each story built once
        copied_from: list[_Story] = []
        started = self._start_recognising(self._ner_inputs(items, stories, copied_from),
                                          offer_last=offer_last)
        return stories, copied_from, started

    def _take_started(self, items: Sequence[Item]) -> tuple[list, list, tuple | None] | None:
        """(stories, copied_from, started NER) of `start_many(items)`, else None."""
        if self._started is None or self._started[0] != list(items):
            self._drop_started()
            return None
        _, stories, copied_from, started = self._started
        self._started = None
        return stories, copied_from, started

    def _drop_started(self) -> None:
        """Collect a `start_many` that no `check_many` took, so that no worker is left
        busy with it."""
        if self._started is not None:
            started, self._started = self._started[3], None
            self._finish_recognising(started)

    def check_many(self, items: Sequence[Item]) -> list[CheckResult]:
        """`check` for many (source, summary, reference) triples, with the summary and
        reference NER of each chunk done in one batch first (begun by `start_many`, when
        it was called with these items)."""
        require_items(items)
        if len(items) > _CHUNK:
            return [r for i in range(0, len(items), _CHUNK)
                    for r in self.check_many(items[i:i + _CHUNK])]
        try:
            stories, copied_from, started = (self._take_started(items)
                                             or self._begin(items, offer_last=False))
            self._finish_recognising(started)
            self._with_ner(copied_from)
            per_bullet = [self._bullet_mentions(list(summary), source, story)
                          for (source, summary, _), story in zip(items, stories)]
            self._with_ner([story for story, found in zip(stories, per_bullet)
                            if any(not self._text_match(story, m) for ms in found for m in ms)])
            return [self._check(story, source, summary, reference, mentions)
                    for (source, summary, reference), story, mentions
                    in zip(items, stories, per_bullet)]
        finally:
            self._prepared.clear()

    def _ner_inputs(self, items: Sequence[tuple], stories: list[_Story],
                    copied_from: list[_Story]) -> Iterator[str]:
        """Prepare (`_prepared`) and yield the NER input of every summary bullet not
        copied from its story and of every reference not seen before. Fills `stories`
        (one per item) and `copied_from` (the stories bullets were copied from) as it
        goes, so that NER of the first inputs runs while later stories are indexed."""
        for source, summary, reference in items:
            story = self._story(source)
            stories.append(story)
            known = reference is None or (tuple(reference), story.key) in self._references
            bullets = [b for b in summary if self._copied_at(b, source, story) < 0]
            if len(bullets) < len(summary):
                copied_from.append(story)
            for text in bullets + ([] if known else list(reference)):
                prepared = self._prepared[(text, story.case)] = self._ner_input(text, story.case)
                yield prepared[0]

    def check(self, *, source: str, summary: Sequence[str],
              reference: Sequence[str] | None = None) -> CheckResult:
        require_items([(source, summary, reference)])
        return self._check(self._story(source), source, summary, reference)

    def _check(self, story: _Story, source: str, summary: Sequence[str],
               reference: Sequence[str] | None,
               per_bullet: list[list[Mention]] | None = None) -> CheckResult:
        if per_bullet is None:
            per_bullet = self._bullet_mentions(list(summary), source, story)
        supported, findings = [], []
        for i, mentions in enumerate(per_bullet):
            for m in mentions:
                match = self._text_match(story, m) or self._match(self._indexed(story), m)
                if match:
                    supported.append(Support(self.name, m.label, i, m.span, match.span))
                else:
                    findings.append(self._finding(i, m, story.index))
        scores = _source_scores(per_bullet, findings)
        if reference is not None:
            scores.update(self._target_scores(list(summary), per_bullet, list(reference),
                                              story))
        return CheckResult(scores, tuple(findings), tuple(supported))

    def _bullet_mentions(self, bullets: list[str], source: str, story: _Story
                         ) -> list[list[Mention]]:
        """Mentions per bullet: a bullet copied word for word from a cased story takes
        the story's own entities in that span (NER saw it in context, and the bullet needs
        no NER of its own: extractive summaries cost next to nothing); the rest go to NER."""
        copied = [self._copied_mentions(b, source, story) for b in bullets]
        recognised = iter(self.mentions([b for b, c in zip(bullets, copied) if c is None],
                                        story.case))
        return [c if c is not None else self._with_opening_name(b, next(recognised), story)
                for b, c in zip(bullets, copied)]

    def _with_opening_name(self, bullet: str, found: list[Mention], story: _Story
                           ) -> list[Mention]:
        """`found`, plus the capitalised words opening the bullet as an unlabelled name
        (`OPENING_NAME`) when NER left them out, one of them is no English word and the
        story has none of those in any case ("Koeman stated that she must remain alert"
        where the story has only "Williams"). spaCy's small model rarely labels a name
        it has not seen that opens a sentence: 6 of the 18 planted entity swaps the
        check missed. Only when the check looks for people (PERSON), and only what the
        story cannot support (a demonym, an alias) is added."""
        if "PERSON" not in self.labels:
            return found
        opening = _OPENING_WORDS.match(bullet)
        if opening is None:
            return found
        span = Span(opening.group("name"), opening.start("name"), opening.end("name"))
        if any(m.span.start < span.end and span.start < m.span.end for m in found):
            return found
        words = [t.norm for t in tokenize(span.text) if not self._is_common(t.norm)]
        if not words or any(story.text_index.has_word(w) for w in words):
            return found
        m = Mention(span, OPENING_NAME, entity_key(span.text))
        if not m.key or any(self._match(self._indexed(story), replace(m, label=label))
                            for label in ("PERSON", "GPE", "NORP")):
            return found
        return [m] + found

    @staticmethod
    def _copied_at(bullet: str, source: str, story: _Story) -> int:
        """Where a bullet occurs verbatim in a cased story, else -1."""
        if not story.text_index.require_capital or not bullet.strip():
            return -1
        return source.find(bullet)

    def _copied_mentions(self, bullet: str, source: str, story: _Story
                         ) -> list[Mention] | None:
        start = self._copied_at(bullet, source, story)
        if start < 0:
            return None
        end = start + len(bullet)
        self._with_ner([story])
        found = [_mention(bullet, s - start, e - start, label)
                 for s, e, label in story.ents
                 if start <= s and e <= end and label in self.labels]
        return [m for m in found
                if m.key and not self._sentence_case_only(m, bullet, story.case)]

    def _text_match(self, story: _Story, m: Mention) -> Match | None:
        """`_match` against the story text alone, remembered per story (its summaries
        share most names). Each rule finds a superset with the mentions, so a match here
        is a match there; it is used as is, so the result never depends on whether the
        story has been through NER yet."""
        key = (m.key, m.label, m.acronym_like, m.span.text, m.span.start == 0)
        if key not in story.text_matches:
            story.text_matches[key] = self._match(story.text_index, m, text_only=True)
        return story.text_matches[key]

    def _match(self, index: TextIndex, m: Mention, *, text_only: bool = False
               ) -> Match | None:
        match = index.match(m.key, m.label, acronym_like=m.acronym_like)
        if match is None and self.added_first_names and m.label == "PERSON" and not text_only:
            # not on the text alone: the rule is blocked by another story PERSON mention
            match = index.match_added_first_name(m.key)
        if match is None:
            match = self._match_repaired(index, m)
        if match is None and (once := _without_stutter(m.key)) != m.key:
            match = index.match(once, m.label, acronym_like=False)
        return match

    def _match_repaired(self, index: TextIndex, m: Mention) -> Match | None:
        """Second chance for spans NER gets wrong in predictable ways: two names merged
        ("Headingley and Armley", "Labour ' Eddie Izzard": every part must match), a
        trailing lowercase word ("the Tour Down Under by"), or an ordinary word capitalised
        at the start of a bullet ("Volunteer Frank DeLuca": at least two names must remain).
        A swapped name still fails: every remaining token must match in one place."""
        parts = [p for p in _MERGED_NAMES.split(m.span.text) if p.strip()]
        if len(parts) > 1:
            matches = [index.match(entity_key(p), m.label, acronym_like=False) for p in parts]
            return matches[0] if all(matches) else None
        words = m.span.text.split()
        if m.span.text.islower():
            return None     # lowercased summary: case says nothing about the span's edges
        while len(words) > 1 and words[-1].islower():
            words.pop()
        if (m.span.start == 0 and len(words) > 2 and self._is_common(words[0].lower())
                and words[0].lower() not in FIRST_NAME_WORDS):
            words.pop(0)
        key = entity_key(" ".join(words))
        return index.match(key, m.label, acronym_like=False) if key != m.key else None

    def _finding(self, bullet: int, m: Mention, index: TextIndex) -> Finding:
        candidates = tuple(index.closest(m.key, self.labels, label=m.label))
        reason = (f"not in the story; closest story entity: {candidates[0].text!r}"
                  if candidates else "not in the story (also checked aliases, acronyms, "
                                     "demonyms)")
        return Finding(self.name, m.label, bullet, m.span, " ".join(m.key), candidates, reason)

    def _reference_mentions(self, reference: list[str], story: _Story
                            ) -> tuple[list[list[Mention]], TextIndex]:
        """Reference NER and its index, remembered across calls: every summarizer's
        summaries of one story share its reference (this was ~40% of the check's time
        per summary). Keyed by the story's hash, not its CaseTable, so that the story's
        tables are freed with it (memory bounded by the story LRU)."""
        key = (tuple(reference), story.key)
        if key not in self._references:
            if len(self._references) >= _MAX_REFERENCES:
                self._references.popitem(last=False)
            mentions = self.mentions(reference, story.case)
            self._references[key] = (mentions, _joined_index(reference, mentions))
        return self._references[key]

    def _target_scores(self, summary: list[str], per_bullet: list[list[Mention]],
                       reference: list[str], story: _Story) -> dict[str, float]:
        ref_mentions, ref_index = self._reference_mentions(reference, story)
        sum_index = _joined_index(summary, per_bullet)
        return {
            "entities_precision_target": _share_found(per_bullet, ref_index),
            "entities_recall_target": _share_found(ref_mentions, sum_index),
            "entities_reference_count": float(len(_distinct(ref_mentions))),
        }


# The label of capitalised words opening a bullet that NER left unlabelled
# (`EntityCheck._with_opening_name`).
OPENING_NAME = "NAME"
# Up to three capitalised words (a capital, then lowercase letters, an inner capital as
# in "McCoy", a possessive) opening a bullet, after quotes, a bracket or a bullet mark,
# and followed by a lowercase word or a comma: "Koeman stated", "Van Ryn was".
_CAPITALISED = r"[A-Z][a-z]+(?:[A-Z][a-z]+)?"
_OPENING_WORDS = re.compile(
    rf"[\s\"'“‘(\[•*-]*(?P<name>{_CAPITALISED}(?:\s{_CAPITALISED}){{0,2}})(?:['’]s)?"
    rf"(?=\s+[a-z]|,)")
_CHUNK = 1000                # check_many items per NER batch
_MAX_TEXT_ENTS = 50_000      # summary NER results kept between batches
_MAX_REFERENCES = 4096       # reference mentions remembered across check_many calls

# Not possessives: "Doncaster's Fleetwood Town" states a relation that may be wrong
# (FRANK labels such cases as entity errors), so it must match as a whole. A quote with
# spaces on both sides is never inside a name ("back with Labour ' Eddie Izzard said").
_MERGED_NAMES = re.compile(r"\s+and\s+|\s*&\s*|\s+['\"‘’“”`]\s+")


def _mention(text: str, start: int, end: int, label: str) -> Mention:
    """A mention of text[start:end] without punctuation, a possessive ("Korea's") or
    numbers ("Palace 2-1") at its edges: numbers are the numbers check's job. An end
    mapped back from composed text is moved past the accents it would cut off."""
    end = end_after_marks(text, end)
    tokens = tokenize(text[start:end], start)
    while tokens and tokens[-1].norm[:1].isdigit():
        tokens.pop()
    while tokens and tokens[0].norm[:1].isdigit():
        tokens.pop(0)
    if tokens:
        start, end = tokens[0].start, tokens[-1].end
    return Mention(Span(text[start:end], start, end), label,
                   entity_key(text[start:end]) if tokens else ())


def _distinct(per_bullet: list[list[Mention]]) -> dict[tuple[str, ...], Mention]:
    return {m.key: m for mentions in per_bullet for m in mentions}


def _source_scores(per_bullet: list[list[Mention]], findings: list[Finding]) -> dict[str, float]:
    count = len(_distinct(per_bullet))
    unsupported = {f.value for f in findings}
    return {
        "entities_precision_source": (count - len(unsupported)) / count if count else 1.0,
        "entities_count": float(count),
        "entities_unsupported": float(len(unsupported)),
    }


def _joined_index(bullets: list[str], per_bullet: list[list[Mention]]) -> TextIndex:
    """One index over bullets joined by newlines, mention spans shifted to match."""
    mentions, offset = [], 0
    for bullet, found in zip(bullets, per_bullet):
        mentions += [Mention(Span(m.span.text, m.span.start + offset, m.span.end + offset),
                             m.label, m.key) for m in found]
        offset += len(bullet) + 1
    text = "\n".join(bullets)
    return TextIndex(text, mentions, require_capital=not is_lowercased(text))


def _share_found(per_bullet: list[list[Mention]], index: TextIndex) -> float:
    """Share of the distinct entities that `index` supports (1.0 when there are none)."""
    keys = _distinct(per_bullet)
    if not keys:
        return 1.0
    found = [index.match(k, m.label, acronym_like=m.acronym_like) for k, m in keys.items()]
    return sum(f is not None for f in found) / len(keys)



def build(spec) -> EntityCheck:
    """The check a `checks.entities` spec describes (consistency/registry.py)."""
    return EntityCheck(labels=spec.labels, model=spec.model)
