"""Entity matching rules (pure Python, no spaCy): tokens, aliases, demonyms, acronyms,
partial names, truecasing and detokenizing with exact offsets."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, strategies as st

from summcheck.consistency.base import Span
from summcheck.consistency.entity_match import (
    Mention, TextIndex, compatible_labels, entity_key, short_name_of, tokenize,
)
from summcheck.consistency.truecasing import CaseTable, detokenize, is_lowercased, truecase
from summcheck.errors import MissingExtraError

STORY = ("North Korea's Kim Jong Un condemned the U.S. at a meeting of the Workers' Party. "
         "He praised North Korean troops. Donald Trump met Kim before. The United Nations "
         "and Russia were mentioned, as was Ukraine. Experts told us more.")
# Mentions as spaCy would find them in STORY (label, text); offsets are computed below.
STORY_ENTS = [("GPE", "North Korea"), ("PERSON", "Kim Jong Un"), ("GPE", "U.S."),
              ("ORG", "the Workers' Party"), ("NORP", "North Korean"),
              ("PERSON", "Donald Trump"), ("ORG", "The United Nations"), ("GPE", "Russia"),
              ("GPE", "Ukraine")]


def _index(text: str = STORY, ents=STORY_ENTS, require_capital: bool = True) -> TextIndex:
    mentions = []
    for label, name in ents:
        start = text.index(name)
        mentions.append(Mention(Span(name, start, start + len(name)), label, entity_key(name)))
    return TextIndex(text, mentions, require_capital=require_capital)


def _supported(name: str, label: str = "PERSON", index: TextIndex | None = None) -> bool:
    index = index or _index()
    return index.match(entity_key(name), label,
                       acronym_like=name.replace(".", "").isupper()) is not None


def test_tokens_drop_possessives_and_acronym_dots():
    assert [t.norm for t in tokenize("Kim's Workers' Party")] == ["kim", "workers", "party"]
    assert [t.norm for t in tokenize("kim 's u.s . the U.S.-South")] == [
        "kim", "us", "the", "us", "south"]
    assert [t.norm for t in tokenize("J.R.R. Tolkien, j.r.r . tolkien")] == [
        "jrr", "tolkien", "jrr", "tolkien"]
    assert [t.norm for t in tokenize("Pelé")] == ["pele"]


def test_entity_key_drops_articles_titles_and_numbers():
    assert entity_key("the U.S.") == ("us",)
    assert entity_key("President Trump") == ("trump",)
    assert entity_key("North Korea's") == ("north", "korea")
    assert entity_key("Euro 2016") == ("euro",)
    assert entity_key("No 1 Williams") == ("no", "*", "williams")
    assert entity_key("UNK UNK") == ()
    assert entity_key("steven UNK") == ("steven", "*")


@pytest.mark.parametrize("name", [
    "Kim", "kim", "Kim Jong Un", "Kim's", "Trump", "Donald Trump", "Jong Un",
])
def test_partial_and_case_insensitive_names_are_supported(name):
    assert _supported(name)


@pytest.mark.parametrize("name", ["Kim Jong Il", "Kim Trump", "Donald Kim", "Jong Trump",
                                  "Vladimir Putin"])
def test_swapped_or_invented_names_are_not_supported(name):
    assert not _supported(name)


def test_partial_match_needs_one_contiguous_sequence():
    # "Kim" and "Un" are both in the story, but never next to "Il" or each other alone
    index = _index()
    assert index.match(("un", "kim"), "PERSON") is None
    assert index.match(("kim", "jong", "un"), "PERSON").span.text == "Kim Jong Un"
    # in the text alone; with the story's mentions, "Kim Un" is the person "Kim Jong Un"
    # without a middle name (test_short_forms_of_a_story_persons_name_are_supported)
    assert TextIndex(STORY, [], require_capital=True).match(("kim", "un"), "PERSON") is None
    assert index.match(("kim", "un"), "PERSON").rule == "short-name"


@pytest.mark.parametrize("name,label", [
    ("Workers Party", "ORG"), ("workers' party", "ORG"), ("u.s.", "GPE"), ("US", "GPE"),
    ("United States", "GPE"), ("America", "GPE"), ("USA", "GPE"), ("UN", "ORG"),
    ("U.N.", "ORG"), ("North Korean", "NORP"), ("North Korea", "GPE"), ("Russian", "NORP"),
    ("Russians", "NORP"), ("Ukrainian", "NORP"), ("American", "NORP"),
])
def test_variants_punctuation_aliases_acronyms_demonyms(name, label):
    assert _supported(name, label)


def test_demonym_to_country_and_back():
    index = _index("Chinese and Japanese officials met British envoys in Canada.", [])
    for name in ("China", "Japan", "Britain", "UK", "United Kingdom", "Canadian"):
        assert _supported(name, "GPE", index), name
    assert not _supported("France", "GPE", index)


def test_acronym_from_story_entity_and_back():
    index = _index("The Federal Bureau of Investigation said the EU agreed.",
                   [("ORG", "The Federal Bureau of Investigation"), ("ORG", "EU")])
    assert _supported("FBI", "ORG", index)
    assert _supported("European Union", "ORG", index)
    assert not _supported("CIA", "ORG", index)


def test_acronym_is_not_found_inside_a_name():
    index = _index("Kim Jong Un spoke.", [("PERSON", "Kim Jong Un")])
    assert not _supported("UN", "ORG", index)
    assert _supported("Un", "PERSON", index)        # a partial name, not an acronym


def test_demonym_rules_do_not_apply_to_person_names():
    index = _index("Julia Smith spoke.", [("PERSON", "Julia Smith")])
    assert not _supported("Julian", "PERSON", index)


def test_text_fallback_needs_a_capitalised_story_word():
    index = _index("Experts told us about the party in Pyongyang.", [])
    assert _supported("Pyongyang", "GPE", index)         # NER missed it in the story
    assert not _supported("US", "GPE", index)            # "us" is a pronoun here
    assert not _supported("Party", "ORG", index)
    lowercase = _index("experts told us about the party.", [], require_capital=False)
    assert _supported("party", "ORG", lowercase)


def test_unknown_placeholder_matches_one_token():
    index = _index("Steven Berkoff and Joss Ackland starred.",
                   [("PERSON", "Steven Berkoff"), ("PERSON", "Joss Ackland")])
    assert _supported("steven UNK", "PERSON", index)
    assert not _supported("stephen UNK", "PERSON", index)


def test_added_first_name_rule_is_blocked_by_another_full_name():
    only_surname = _index("Storey won again. Storey said she was happy.", [("PERSON", "Storey")])
    assert only_surname.match(("sarah", "storey"), "PERSON") is None
    assert only_surname.match_added_first_name(("sarah", "storey")).rule == "surname"
    full = _index("Peter Szijjarto spoke. Szijjarto said no.", [("PERSON", "Peter Szijjarto")])
    assert full.match_added_first_name(("michel", "szijjarto")) is None


MIDDLE_STORY = ("Barcelona president Josep Maria Bartomeu spoke. George Walker Bush and "
                "John Smith agreed with Maria Lopez and Alexander Soumbadze.")
MIDDLE_ENTS = [("GPE", "Barcelona"), ("PERSON", "Josep Maria Bartomeu"),
               ("PERSON", "George Walker Bush"), ("PERSON", "John Smith"),
               ("PERSON", "Maria Lopez"), ("PERSON", "Alexander Soumbadze")]


@pytest.mark.parametrize("name,story_name", [
    ("Josep Bartomeu", "Josep Maria Bartomeu"),     # the planted suite's known false alarm
    ("josep bartomeu", "Josep Maria Bartomeu"),
    ("President Josep Bartomeu", "Josep Maria Bartomeu"),
    ("J. Bartomeu", "Josep Maria Bartomeu"),        # initials
    ("Josep M. Bartomeu", "Josep Maria Bartomeu"),
    ("George Bush", "George Walker Bush"),
    ("George W. Bush", "George Walker Bush"),
    ("Alex Soumbadze", "Alexander Soumbadze"),      # a shortened first name
])
def test_short_forms_of_a_story_persons_name_are_supported(name, story_name):
    index = _index(MIDDLE_STORY, MIDDLE_ENTS)
    match = index.match(entity_key(name), "PERSON")
    assert match.span.text == story_name and match.rule == "short-name"


@pytest.mark.parametrize("name", [
    "Jordi Bartomeu",         # another first name: a namesake, not the same person
    "Josep Smith",            # first name of one person, surname of another
    "Bartomeu Josep",         # the order matters
    "Josep Lopez Bartomeu",   # a middle name the story person does not have
    "George H. W. Bush",      # ... nor these initials
    "John Bush",
    "Al Soumbadze",           # two letters: too short to tell a shortened name
    "K. Bartomeu",
])
def test_short_name_rule_needs_both_ends_of_one_story_person(name):
    assert not _supported(name, "PERSON", _index(MIDDLE_STORY, MIDDLE_ENTS))


def test_short_name_rule_is_for_people_named_by_story_ner():
    full = _index(MIDDLE_STORY, MIDDLE_ENTS)
    assert full.match(("josep", "bartomeu"), "PERSON").rule == "short-name"
    assert full.match(("josep", "bartomeu"), "ORG") is None
    assert TextIndex(MIDDLE_STORY, [], require_capital=True).match(
        ("josep", "bartomeu"), "PERSON") is None


def test_short_name_of():
    assert short_name_of(("kim", "un"), ("kim", "jong", "un"))
    assert short_name_of(("j", "r", "tolkien"), ("john", "ronald", "reuel", "tolkien"))
    assert not short_name_of(("j", "t", "tolkien"), ("john", "ronald", "reuel", "tolkien"))
    assert not short_name_of(("tolkien",), ("john", "tolkien"))   # a surname: other rules
    assert not short_name_of(("john", "ronald", "tolkien"), ("john", "tolkien"))


def test_a_name_written_as_two_words_matches_the_story_word():
    index = _index("Reviews on HealthGrades.com were few. He lives in Southampton.", [])
    assert index.match(entity_key("Health Grades"), "ORG").rule == "spacing"
    assert index.match(entity_key("South Hampton"), "GPE") is None    # a misspelling


@pytest.mark.parametrize("name", ["Man United", "Man Utd"])
def test_man_united_is_manchester_united(name):
    index = _index("Herrera joined Manchester United in the summer.", [])
    assert index.match(entity_key(name), "ORG").span.text == "Manchester United"
    assert index.match(entity_key("Man City"), "ORG") is None


def test_closest_candidates_rank_by_similarity():
    spans = _index().closest(("kim", "jong", "il"), ["PERSON", "GPE"])
    assert spans[0].text == "Kim Jong Un"
    assert len(spans) <= 3


def test_closest_candidates_are_of_the_mentions_type_when_one_is_close():
    """A person was offered a place: "Laura Muir" -> "Australia" (FRANK), "Ed Sheerin" ->
    "Aberdeen", "Sweden"; a name NER labels otherwise but which shares a word stays."""
    story = "Laura Murray won in Australia. Sheerin, of Aberdeen, left for Sweden."
    index = _index(story, [("PERSON", "Laura Murray"), ("GPE", "Australia"),
                           ("GPE", "Sheerin"), ("GPE", "Aberdeen"), ("GPE", "Sweden")])
    assert [s.text for s in index.closest(entity_key("Laura Muir"), ["PERSON", "GPE"],
                                          label="PERSON")] == ["Laura Murray"]
    assert [s.text for s in index.closest(entity_key("Ed Sheerin"), ["PERSON", "GPE"],
                                          label="PERSON")] == ["Sheerin"]
    # no person close: the places are still offered rather than nothing
    assert [s.text for s in index.closest(entity_key("Swedenborg"), ["PERSON", "GPE"],
                                          label="PERSON")] == ["Sweden"]


_LABELS = ["PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT"]
_NAMES = ["Smith", "Smyth", "Smithson", "Jones", "Jonestown", "Smithville", "Joan Smith",
          "Smith Group", "Jonas", "Smithfield"]


@given(story=st.lists(st.tuples(st.sampled_from(_LABELS), st.sampled_from(_NAMES)),
                      min_size=1, max_size=8, unique_by=lambda e: e[1]),
       summary=st.sampled_from(_NAMES + ["John Smithers", "Jonesy"]),
       label=st.sampled_from(_LABELS))
def test_closest_offers_another_type_only_for_a_shared_word_or_when_none_is_close(
        story, summary, label):
    text = ". ".join(name for _, name in story) + "."
    index = _index(text, story)
    key = entity_key(summary)
    offered = index.closest(key, _LABELS, label=label)
    untyped = index.closest(key, _LABELS, n=len(story))
    labels = dict((name, lab) for lab, name in story)

    def kin(span):
        return compatible_labels(label, labels[span.text]) or bool(
            set(key) & set(entity_key(span.text)))
    assert {s.text for s in offered} <= {s.text for s in untyped}    # no new, none farther
    if any(kin(s) for s in untyped):
        assert offered and all(kin(s) for s in offered)
        assert len(offered) == min(3, sum(kin(s) for s in untyped))
    else:
        assert [s.text for s in offered] == [s.text for s in untyped[:3]]


def test_detokenize_joins_clitics_and_punctuation_with_offsets():
    text = "kim 's troops , in the u.s . `` hi '' ( ok ) \\'x\\'"
    clean, offsets = detokenize(text)
    assert clean == "kim's troops, in the u.s. \" hi \" (ok) 'x'"
    for i, ch in enumerate(clean):
        assert ch == text[offsets[i]] or (ch in "'\"" and text[offsets[i]] in "'`")


def test_detokenize_reads_ptb_brackets_as_brackets():
    """"falcao -lrb- colombian -rrb-" went to NER as is, which took it for one name."""
    text = "falcao -lrb- colombian -rrb- joined -LSB- sic -RSB- ."
    clean, offsets = detokenize(text)
    assert clean == "falcao (colombian) joined [sic]."
    assert [text[offsets[i]] for i, ch in enumerate(clean) if ch in "()[]"] == ["-"] * 4
    assert entity_key("radamel falcao -lrb- colombian") == ("radamel", "falcao", "colombian")


@given(st.lists(st.sampled_from(["a", "b", " ", "'", "`", ".", ",", "(", ")", "\\", "s",
                                 "n", "-", "-lrb-", "-rrb-", "-lsb-", "lrb"]), max_size=20)
       .map("".join))
def test_detokenize_offsets_always_point_back(text):
    clean, offsets = detokenize(text)
    assert len(clean) == len(offsets)
    assert offsets == sorted(set(offsets))
    for i, ch in enumerate(clean):
        assert ch == text[offsets[i]] or (ch in "'\"" and text[offsets[i]] in "'`") or (
            ch in "()[]" and text[offsets[i]] == "-")


def test_is_lowercased():
    assert is_lowercased("kim jong un met trump .")
    assert is_lowercased("the man , UNK UNK , left .")
    assert is_lowercased("Buckingham palace guard slipped . The queen 's guard fell .")
    assert not is_lowercased("Kim Jong Un met Donald Trump.")


def test_truecase_uses_story_casing_and_neighbours():
    table = CaseTable("Natalia Moon moved to the Philippines. She watched the moon with "
                      "Ms Moon and the U.S. team. Trump won.")
    common = {"the", "to", "she", "and", "with", "in", "moon", "team", "watched"}
    text = "natalia moon watched the moon with trump in the u.s . and zlatko"
    out = truecase(text, table, lambda w: w in common)
    assert out == "Natalia Moon watched the moon with Trump in the U.S . And Zlatko"
    assert out.lower() == text.lower()


@given(st.text(alphabet="abk ,.'UNK", max_size=40))
def test_truecase_only_changes_case(text):
    table = CaseTable("Kim met Ban Ki-moon. A bank in Kabul.")
    out = truecase(text, table, lambda w: False)
    assert len(out) == len(text) and out.lower() == text.lower()


def test_missing_spacy_raises_install_hint(monkeypatch):
    from summcheck.consistency import entities

    monkeypatch.setitem(sys.modules, "spacy", None)
    with pytest.raises(MissingExtraError, match=r"summcheck\[checks\]"):
        entities.EntityCheck().signature()


def test_what_the_text_alone_supports_is_supported_with_mentions_too():
    """The entity check asks an index without mentions first (no story NER needed):
    every key it supports is supported by the index with the mentions as well."""
    text = ("Kim Jong Un met officials of the European Central Bank. "
            "Later Kim spoke in Pyongyang.")
    bank = text.index("the European")
    bare = TextIndex(text, [], require_capital=True)
    full = bare.with_mentions([
        Mention(Span("Kim Jong Un", 0, 11), "PERSON", ("kim", "jong", "un")),
        Mention(Span(text[bank:bank + 29], bank, bank + 29), "ORG",
                ("european", "central", "bank"))])
    for key, label in [(("kim",), "PERSON"), (("pyongyang",), "GPE"), (("ecb",), "ORG"),
                       (("european",), "NORP"), (("kim", "jong", "il"), "PERSON")]:
        assert bare.match(key, label) is None or full.match(key, label) is not None
    assert bare.match(("kim",), "PERSON").span == Span("Kim", 0, 3)
    assert full.match(("kim",), "PERSON").span == Span("Kim Jong Un", 0, 11)
    assert bare.match(("ecb",), "ORG", acronym_like=True) is None      # needs the mention
    assert full.match(("ecb",), "ORG", acronym_like=True).rule == "acronym"
    assert bare.mentions == [] and len(full.mentions) == 2


@pytest.mark.parametrize("name, story, found", [
    ("Tottenham", "Second-placed Spurs won again on Sunday.", "Spurs"),
    ("Spurs", "Tottenham Hotspur won again on Sunday.", "Tottenham"),
    ("Liberal Democrats", "The Lib Dems spent the most.", "Lib Dems"),
    ("Tottenham", "Arsenal won again on Sunday.", None),
])
def test_club_and_party_short_names_are_their_full_names(name, story, found):
    """FRANK's "tottenham" against a story's "Spurs" was unsupported (a false alarm)."""
    match = _index(story, []).match(entity_key(name), "ORG")
    assert (match.span.text if match else None) == found


@pytest.mark.parametrize("key, once", [
    (("temperton", "temperton"), ("temperton",)),
    (("isle", "of", "isle", "of", "lewis"), ("isle", "of", "lewis")),
    (("kim", "jong", "un"), ("kim", "jong", "un")),
])
def test_a_name_said_twice_in_a_row_is_the_name_said_once(key, once):
    """"temperton temperton" (a model's stutter) was "not in the story" beside the story's
    "Rod Temperton"."""
    from summcheck.consistency.entities import _without_stutter

    assert _without_stutter(key) == once
