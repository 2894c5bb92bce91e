"""Who did what to whom: relation arcs read off a spaCy dependency parse.

Pure functions of a parsed `Doc` (tagger, parser, lemmatizer; no NER), used by the
relation check (`relations.py`) on stories and bullets alike, so both sides are
normalised the same way. In the spirit of DAE (Goyal & Durrett, 2020, "Evaluating
factuality in generation with dependency-level entailment"), which judges each arc of a
summary's parse; here an arc is judged by finding it in the story's own parse, not by a
trained model.

Two kinds of arcs, each (head term, role, child term):

- predicate arcs: a verb (or the noun/adjective of "X is Y") and its arguments, with
  roles normalised across voice: `subj` (nsubj, the agent of a passive), `obj` (dobj,
  nsubjpass), `prep:<p>` (a prepositional argument; a dative is `prep:to`). Subjects are
  passed down to open complements ("Derby are ready to poach Bueno": Derby is the subject
  of poach) and conjoined verbs; a relative or participle clause takes its noun as the
  argument its relative pronoun (or voice) says.
- modifier arcs around nouns: `of` ("X's Y", "Y of X"), `appos` ("X, the Y"), `compound`
  ("Pacers player"; not the parts of one name), `amod` (a proper adjective: "British"),
  `prep:<p>` ("player for the Pacers").

A term is a folded whole name ("chris copeland"; the alias table's canonical form when
it has it: "United States" -> "us") or a folded lemma, made singular. Names are looked up
by their last word and agree when one ends the other ("copeland" ~ "chris copeland",
`names_agree`). Numbers and time words are the numbers check's (or circumstances) and
give no term. Story pronouns, and "the 39-year-old", keep a marker term the matcher
resolves; bullet pronouns are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, NamedTuple, Sequence

from summcheck.consistency.entity_match import (
    ALIAS_GROUPS, WILDCARD, fold, singular, tokenize,
)

# Bump when extraction or matching changes which arcs are found or supported; part of the
# relation check's signature and of its story-analysis file's name.
# 2: a story's possible passive without auxiliary no longer supports the bullet's object;
#    "of" is one role on nouns and predicates alike ("the assistant of X" ~ "X's assistant").
# 3: a copula's subject is never read as a possible passive's ("Gullit was assistant").
# 4: a lowercased bullet is truecased with the entity check's word test (proper
#    adjectives such as "american" take a capital; doubled-consonant inflections are common).
RULES_VERSION = "4"
PRONOUN = "<pron>"
SUBJ_OR_OBJ = "subj|obj"     # the subject of a possible passive without its auxiliary
_PRONOUNS = frozenset("he she him her his hers they them their theirs it its".split())
_CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ"})
_NAME_ALIASES = {name: group[0] for group in ALIAS_GROUPS for name in group}
_REL_PRONOUNS = frozenset({"who", "whom", "which", "that"})
# When, not who or what: circumstances are the numbers check's (dates) or out of scope.
_TIME_WORDS = frozenset("""monday tuesday wednesday thursday friday saturday sunday january
    february march april may june july august september october november december today
    yesterday tomorrow tonight morning afternoon evening night day week weekend month year
    season time""".split())
_MOD_DEPS = {"poss": "of", "appos": "appos", "compound": "compound", "amod": "amod"}


class Arc(NamedTuple):
    """One relation: `child` fills `role` of `head` (terms); spans are in the text."""

    sent: int
    head: str
    role: str
    child: str
    head_span: tuple[int, int]
    child_span: tuple[int, int]


@dataclass
class Analysis:
    """A text's arcs, sentence spans, and the terms and names of each sentence."""

    sentences: list[tuple[int, int]] = field(default_factory=list)
    arcs: list[Arc] = field(default_factory=list)
    terms: list[frozenset[str]] = field(default_factory=list)
    names: list[frozenset[str]] = field(default_factory=list)

    def to_rows(self) -> list[tuple]:
        """Flat rows for the story-analysis store: one per sentence, then one per arc."""
        rows: list[tuple] = [("s", start, end, sorted(terms), sorted(names))
                             for (start, end), terms, names
                             in zip(self.sentences, self.terms, self.names)]
        return rows + [("a", *arc[:4], *arc.head_span, *arc.child_span) for arc in self.arcs]

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence]) -> Analysis:
        out = cls()
        for row in rows:
            if row[0] == "s":
                out.sentences.append((row[1], row[2]))
                out.terms.append(frozenset(row[3]))
                out.names.append(frozenset(row[4]))
            else:
                sent, head, role, child, hs, he, cs, ce = row[1:]
                out.arcs.append(Arc(sent, head, role, child, (hs, he), (cs, ce)))
        return out


# ------------------------------------------------------------------------------ terms
def is_name(tok) -> bool:
    """A proper noun (tagged; lowercased bullets are truecased first, so names tag as
    names)."""
    return tok.pos_ == "PROPN"


def term(tok) -> str | None:
    """The token's term (module docstring); None for numbers, function words, symbols."""
    if tok.like_num or tok.pos_ == "NUM" or tok.lower_ in ("unk", "<unk>"):
        return None
    if tok.lower_ in _TIME_WORDS or tok.lemma_.lower() in _TIME_WORDS:
        return None
    if tok.pos_ == "PRON" or _age_descriptor(tok):
        return PRONOUN if tok.lower_ in _PRONOUNS or tok.pos_ != "PRON" else None
    if is_name(tok):
        return name_term(tok)
    if tok.pos_ not in _CONTENT_POS:
        return None
    return singular(fold(tok.lemma_))


def name_term(tok) -> str | None:
    """The whole name a proper noun heads ("chris copeland"), folded; the alias table's
    canonical form when it has the name ("United States" -> "us")."""
    chain = [t for t in tok.children if t.dep_ == "compound" and is_name(t)] + [tok]
    words = [t.norm for t in tokenize(" ".join(t.text for t in chain))]
    if not words or words[-1] == WILDCARD:
        return None
    whole = " ".join(words)
    return _NAME_ALIASES.get(whole) or " ".join(words[:-1] + [singular(words[-1])])


def last_word(term: str) -> str:
    """What arcs are looked up by: a name's last word ("copeland"), a lemma itself."""
    return term.rpartition(" ")[2]


def names_agree(a: str, b: str) -> bool:
    """Can two name terms name the same one? Equal, or one ends the other ("copeland",
    "chris copeland"); "frank jordan" and "louis jordan" cannot."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return long.endswith(" " + short)


def _age_descriptor(tok) -> bool:
    """ "the 39-year-old" stands for a person named elsewhere, as a pronoun does."""
    return (tok.lower_ == "old" and tok.i >= 2
            and tok.doc[tok.i - 2].lower_ in ("year", "years"))


def _conjoined(tok) -> list:
    return [tok, *tok.conjuncts]


# ------------------------------------------------------------------- predicate arcs
def _own_arguments(pred) -> list[tuple[str, object]]:
    """(role, token) of a predicate's own dependents."""
    found = []
    for child in pred.children:
        dep = child.dep_
        if pred.dep_ == "relcl" and child.lower_ in _REL_PRONOUNS and dep != "pobj":
            child = pred.head       # "Copeland, who plays": Copeland plays
        if dep == "nsubj":
            found.append((SUBJ_OR_OBJ if _reduced_passive(pred) else "subj", child))
        elif dep in ("dobj", "nsubjpass"):
            found.append(("obj", child))
        elif dep == "attr" and pred.lemma_ != "be":
            found.append(("obj", child))
        elif dep == "dative":
            found.append(("prep:to", child))
        elif dep == "agent":
            found += [("subj", g) for g in child.children if g.dep_ == "pobj"]
        elif dep == "prep":
            role = "of" if child.lower_ == "of" else f"prep:{child.lower_}"
            found += [(role, g) for g in child.children if g.dep_ == "pobj"]
    return found


def _reduced_passive(pred) -> bool:
    """ "Wright confirmed as the man", "concept revealed at the expo": a past form with
    a subject, no auxiliary and no object may be a passive without its auxiliary, so
    its subject may be the object."""
    blocking = ("aux", "auxpass", "dobj", "ccomp", "xcomp", "dative")
    return (pred.pos_ == "VERB" and pred.tag_ in ("VBN", "VBD")
            and not any(c.dep_ in blocking for c in pred.children))


def _subjects(pred, own: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Arguments a predicate takes from its governor: the subject of an open complement
    or conjoined verb, the noun of a relative or participle clause."""
    if any(c.dep_ in ("nsubj", "nsubjpass", "agent", "csubj") for c in pred.children):
        return []
    head, dep = pred.head, pred.dep_
    if dep in ("xcomp", "conj") and head is not pred:
        if head.dep_ in ("acomp", "attr") and head.head.lemma_ == "be":
            head = head.head        # "Derby are ready to poach": the copula's subject
        return [(role, c) for role, c in _predicate_arguments(head)
                if role in ("subj", "obj", SUBJ_OR_OBJ)
                and c.dep_ in ("nsubj", "nsubjpass", "pobj")
                and (role != "obj" or dep == "conj")]
    if dep == "relcl":
        if any(c.lower_ in _REL_PRONOUNS and c.dep_ != "pobj" for c in pred.children):
            return []               # the relative pronoun's role (`_own_arguments`)
        return [("obj" if any(r == "subj" for r, _ in own) else "subj", head)]
    if dep == "acl" and pred.tag_ in ("VBN", "VBG"):
        return [("obj" if pred.tag_ == "VBN" else "subj", head)]
    return []


def _predicate_arguments(pred) -> list[tuple[str, object]]:
    own = _own_arguments(pred)
    return own + _subjects(pred, own)


def _copula_complement(tok):
    """Y of "X is Y": its term stands for the relation, and X and the copula's other
    arguments are Y's ("Gullit was assistant to Hiddink": assistant, subj gullit,
    prep:to hiddink). None when `tok` is no copula with a complement."""
    if tok.lemma_ != "be":
        return None
    return next((c for c in tok.children if c.dep_ in ("attr", "acomp")), None)


def predicate_arcs(sent, index: int) -> Iterator[Arc]:
    """Arcs of every verb of a sentence, and of copulas heading a clause."""
    for tok in sent:
        if tok.pos_ == "VERB" or (tok.pos_ == "AUX" and tok.dep_ in ("ROOT", "conj",
                                                                      "relcl", "ccomp")):
            yield from _arcs_of(tok, index)


def _arcs_of(pred, index: int) -> Iterator[Arc]:
    complement = _copula_complement(pred) if pred.pos_ == "AUX" else None
    shown = complement if complement is not None else pred
    head_term = term(shown)
    if head_term is None:
        return
    arguments = _predicate_arguments(pred)
    if complement is not None:
        arguments += _own_arguments(complement)
    for role, arg in arguments:
        for tok in _conjoined(arg):
            child = term(tok)
            if child is not None and tok is not shown:
                yield Arc(index, head_term, role, child, _span(shown), _span(tok))


# -------------------------------------------------------------------- modifier arcs
def modifier_arcs(sent, index: int) -> Iterator[Arc]:
    """Arcs of the modifiers of every noun of a sentence (module docstring)."""
    for tok in sent:
        if tok.pos_ not in ("NOUN", "PROPN"):
            continue
        head_term = term(tok)
        if head_term is None:
            continue
        for child in tok.children:
            role = _MOD_DEPS.get(child.dep_)
            if role == "compound" and is_name(tok) and is_name(child):
                continue        # part of one name
            if role == "amod" and not is_name(child):
                continue        # an ordinary adjective: the support check's business
            targets = [child] if role else []
            if child.dep_ == "prep":
                role = "of" if child.lower_ == "of" else f"prep:{child.lower_}"
                targets = [g for g in child.children if g.dep_ == "pobj"]
            for target in targets:
                for t in _conjoined(target):
                    child_term = term(t)
                    if child_term is not None:
                        yield Arc(index, head_term, role, child_term, _span(tok), _span(t))


def _span(tok) -> tuple[int, int]:
    return tok.idx, tok.idx + len(tok.text)


# ----------------------------------------------------------------------- the analysis
def analyse(doc, offsets: Sequence[int] | None = None) -> Analysis:
    """Arcs and per-sentence terms of a parsed text. `offsets[i]` is the original offset
    of the parsed text's character i (detokenizing deletes characters), so spans point
    into the original text."""
    out = Analysis()
    for index, sent in enumerate(doc.sents):
        out.sentences.append((sent.start_char, sent.end_char))
        heads = [t for t in sent if not (t.dep_ == "compound" and is_name(t)
                                         and is_name(t.head))]
        terms = {term(t) for t in heads} - {None, PRONOUN}
        out.terms.append(frozenset(last_word(t) for t in terms))
        out.names.append(frozenset(term(t) for t in heads if is_name(t)) - {None})
        seen = set()
        for arc in [*predicate_arcs(sent, index), *modifier_arcs(sent, index)]:
            if arc[:4] not in seen:
                seen.add(arc[:4])
                out.arcs.append(arc)
    return _mapped(out, offsets) if offsets is not None else out


def _mapped(out: Analysis, offsets: Sequence[int]) -> Analysis:
    def back(span: tuple[int, int]) -> tuple[int, int]:
        start, end = span
        return offsets[start], offsets[end - 1] + 1 if end > start else offsets[start]

    out.sentences = [back(s) for s in out.sentences]
    out.arcs = [a._replace(head_span=back(a.head_span), child_span=back(a.child_span))
                for a in out.arcs]
    return out
