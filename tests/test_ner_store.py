"""The SQLite story-entity store (no spaCy needed)."""

from __future__ import annotations

import pytest

from summcheck.consistency.ner_store import NERStore
from summcheck.errors import SummcheckError

ENTS = {"a" * 40: [(0, 5, "PERSON"), (10, 16, "GPE")], "b" * 40: []}


def test_round_trip_and_reads_create_no_file(tmp_path):
    store = NERStore(tmp_path / "sub" / "ents.sqlite")
    assert store.get_many(ENTS) == {} and len(store) == 0
    assert not store.path.exists()
    store.put_many(ENTS)
    assert NERStore(store.path).get_many(["b" * 40, "a" * 40, "c" * 40]) == ENTS


def test_two_stores_share_one_file(tmp_path):
    one, two = NERStore(tmp_path / "e.sqlite"), NERStore(tmp_path / "e.sqlite")
    one.put_many({"a" * 40: ENTS["a" * 40]})
    two.put_many(ENTS)                  # one story again (ignored) and a new one
    one.put_many({"c" * 40: [(1, 2, "ORG")]})
    assert len(two) == 3 and two.get_many(["c" * 40]) == {"c" * 40: [(1, 2, "ORG")]}


def test_many_keys_are_looked_up_in_parts(tmp_path):
    store = NERStore(tmp_path / "e.sqlite")
    many = {f"{i:040d}": [(i, i + 1, "ORG")] for i in range(1200)}
    store.put_many(many)
    assert store.get_many(many) == many


def test_garbage_file_error_names_the_file_and_the_fix(tmp_path):
    path = tmp_path / "e.sqlite"
    path.write_text("{'this': 'is not SQLite'}\n" * 200)
    with pytest.raises(SummcheckError) as err:
        NERStore(path).get_many(["a" * 40])
    assert str(path) in str(err.value) and "delete it" in str(err.value)


def test_migrating_jsonl_skips_a_line_cut_short(tmp_path):
    legacy = tmp_path / "e.jsonl"
    legacy.write_text('{"text_sha1": "%s", "ents": [[0, 5, "PERSON"], [10, 16, "GPE"]]}\n'
                      '{"text_sha1": "%s", "ents": [[0, 3,' % ("a" * 40, "b" * 40))
    store = NERStore(tmp_path / "e.sqlite")
    assert store.migrate_jsonl(legacy) == 1
    assert store.get_many(ENTS) == {"a" * 40: ENTS["a" * 40]}
