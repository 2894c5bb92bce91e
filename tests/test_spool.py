"""The run reads its examples back from the spool its survey wrote: the same examples (meta
included) and examples.jsonl's exact lines, in any window, and never the data file again."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from summcheck import fastjson, scratch
from summcheck.data.spool import ExampleSpool
from summcheck.types import Example

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)   # no surrogates
_META = st.dictionaries(st.text(max_size=5), st.none() | st.integers() | st.floats(
    allow_nan=False) | _TEXT | st.booleans(), max_size=3)
_EXAMPLES = st.lists(st.builds(Example, _TEXT, _TEXT, st.lists(_TEXT, max_size=3).map(tuple),
                               _TEXT, _META), max_size=12)


@settings(max_examples=60, deadline=None)
@given(_EXAMPLES, st.integers(1, 5), st.data())
def test_spooled_examples_and_lines_are_the_examples_added(examples, block, data):
    """Read whole, a window at a time or by position, across scratch blocks of `block` rows."""
    saved = scratch.BLOCK
    scratch.BLOCK = block
    try:
        with tempfile.TemporaryDirectory() as folder:
            spool = ExampleSpool(Path(folder))
            for example in examples:
                spool.add(example)
            assert list(Path(folder).iterdir()) == []   # unlinked: a killed run leaves nothing
            spooled = spool.examples()
            assert len(spooled) == len(examples)
            start = data.draw(st.integers(0, len(examples)))
            stop = data.draw(st.integers(start, len(examples) + 3))
            assert [_record(e) for e in spooled[start:stop]] == \
                [_record(e) for e in examples[start:stop]]
            assert spooled.lines(start, stop) == \
                [fastjson.line(e.to_dict()) for e in examples[start:stop]]
            assert [_record(e) for e in spooled] == [_record(e) for e in examples]
            if examples:
                assert _record(spooled[-1]) == _record(examples[-1])
            spool.close()
    finally:
        scratch.BLOCK = saved


def _record(example: Example) -> tuple:
    return (example.id, example.story, example.reference_bullets, example.title,
            json.dumps(example.meta, sort_keys=True))
