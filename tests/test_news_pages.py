"""The plain-text news page loader: the real example page, tolerances, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summcheck.config import NewsPagesDataset
from summcheck.data import load_examples
from summcheck.data.news_pages import load_news_pages, parse_news_page, read_news_page
from summcheck.errors import DataError

EXAMPLE = Path("/work/shared/examples/news_page_example.txt")

PAGE = """Mar 3, 2025, 7:15 AM
Mar 3, 2025, 6:02 AM

Harbour town opens its first tidal power station

Energy
Highlights
  • The station can power about 4,000 homes.
  • It cost 12 million euros to build.
Story

The small harbour town of Elmsby switched on a tidal power station on Monday.

Officials said the turbines would run for at least 25 years.

Opinions

You've reached the end
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


# ---------------------------------------------------------------- the real example
def test_real_example_page():
    if not EXAMPLE.is_file():
        pytest.skip(f"{EXAMPLE} is absent")
    ex = read_news_page(EXAMPLE)
    assert ex.title == "Kim Jong Un promises toughest anti-U.S. policy before Trump takes office"
    assert len(ex.reference_bullets) == 3
    assert ex.reference_bullets[0].startswith("Kim Jong Un announced")
    assert ex.story.startswith("In December 2024")
    assert "Opinions" not in ex.story and "reached the end" not in ex.story
    assert ex.meta["timestamps"] == ["Dec 29, 2024, 9:47 AM", "Dec 29, 2024, 8:44 AM"]
    assert ex.meta["tags"] == ["Provocative"]
    assert ex.id == "news_page_example"


# ---------------------------------------------------------------- layout
def test_full_layout(tmp_path):
    ex = read_news_page(write(tmp_path, "tidal.txt", PAGE))
    assert ex.id == "tidal"
    assert ex.title == "Harbour town opens its first tidal power station"
    assert ex.reference_bullets == (
        "The station can power about 4,000 homes.",
        "It cost 12 million euros to build.",
    )
    assert ex.story == (
        "The small harbour town of Elmsby switched on a tidal power station on Monday.\n\n"
        "Officials said the turbines would run for at least 25 years."
    )
    assert ex.meta["tags"] == ["Energy"]
    assert ex.meta["timestamps"] == ["Mar 3, 2025, 7:15 AM", "Mar 3, 2025, 6:02 AM"]


@pytest.mark.parametrize("trailer", ["Comments", "Related stories", "Read more: Other news",
                                     "You\u2019ve reached the end", "Most read:"])
def test_story_stops_at_trailing_sections(trailer):
    page = f"Title\nStory\nFirst paragraph.\n\n{trailer}\nNot the story.\n"
    assert parse_news_page(page, source="p.txt").story == "First paragraph."


def test_advertisement_lines_are_dropped_not_the_end():
    page = "Title\nStory\nFirst part.\n\nAdvertisement\n\nSecond part.\n"
    assert parse_news_page(page, source="p.txt").story == "First part.\n\nSecond part."


def test_wrapped_lines_join_into_one_paragraph():
    page = "Title\nStory\nA sentence that wraps\nonto the next line.\n\nNext paragraph.\n"
    assert parse_news_page(page, source="p.txt").story == (
        "A sentence that wraps onto the next line.\n\nNext paragraph."
    )


# ---------------------------------------------------------------- tolerances
def test_missing_highlights_gives_no_reference_bullets(tmp_path):
    page = PAGE.replace("Highlights\n", "").replace("  • The station can power about 4,000 homes.\n", "")
    page = page.replace("  • It cost 12 million euros to build.\n", "")
    ex = read_news_page(write(tmp_path, "p.txt", page))
    assert ex.reference_bullets == ()
    assert ex.story.startswith("The small harbour town")
    assert ex.meta["tags"] == ["Energy"]


def test_missing_timestamps_and_tag(tmp_path):
    page = "Harbour town opens a power station\n\nHighlights\n- One.\nStory\nThe story.\n"
    ex = read_news_page(write(tmp_path, "p.txt", page))
    assert ex.title == "Harbour town opens a power station"
    assert ex.meta["timestamps"] == [] and ex.meta["tags"] == []
    assert ex.reference_bullets == ("One.",)


def test_windows_line_endings(tmp_path):
    ex = read_news_page(write(tmp_path, "p.txt", PAGE.replace("\n", "\r\n")))
    assert ex.title == "Harbour town opens its first tidal power station"
    assert len(ex.reference_bullets) == 2
    assert "\r" not in ex.story and ex.story.endswith("25 years.")


@pytest.mark.parametrize("marker", ["-", "*", "\u2013", "1.", "2)", "\u25aa"])
def test_other_bullet_markers(marker):
    page = f"Title\nHighlights\n{marker} First point.\n{marker} Second point.\nStory\nText.\n"
    assert parse_news_page(page, source="p.txt").reference_bullets == (
        "First point.", "Second point.",
    )


def test_highlights_without_markers_are_one_per_line():
    page = "Title\nHighlights\nFirst point.\nSecond point.\n\nStory\nText.\n"
    assert parse_news_page(page, source="p.txt").reference_bullets == (
        "First point.", "Second point.",
    )


def test_unmarked_line_continues_a_marked_bullet():
    page = "Title\nHighlights\n\u2022 A point that\n  wraps.\n\u2022 Another.\nStory\nText.\n"
    assert parse_news_page(page, source="p.txt").reference_bullets == (
        "A point that wraps.", "Another.",
    )


def test_bytes_that_are_not_utf8_are_an_error_naming_the_line(tmp_path):
    """They were replaced by U+FFFD and read as the page's own letters (validate said ok)."""
    raw = PAGE.replace("Elmsby", "Elmsb\u00ff").encode("latin-1", errors="replace")
    with pytest.raises(DataError, match=r"p.txt, line \d+: byte 0xff is not UTF-8"):
        read_news_page(write(tmp_path, "p.txt", raw))


def test_two_pages_of_one_name_are_an_error_naming_both(tmp_path):
    """A page's id is its file name: two of one name stopped the run naming neither."""
    for folder in ("a", "b"):
        write(tmp_path / folder, "page.txt", PAGE.encode())
    spec = NewsPagesDataset(source="news_pages", dir=str(tmp_path), glob="**/*.txt")
    with pytest.raises(DataError, match=r"a/page.txt and .*b/page.txt: two pages named 'page'"):
        load_news_pages(spec)


def test_utf8_bom_is_ignored(tmp_path):
    ex = read_news_page(write(tmp_path, "p.txt", b"\xef\xbb\xbf" + PAGE.encode()))
    assert ex.meta["timestamps"][0] == "Mar 3, 2025, 7:15 AM"


def test_no_story_heading_uses_body_after_title():
    page = "Jan 5, 2025\n\nTitle here\n\nEnergy\n\nThe body sentence.\n\nMore body.\n\nComments\n"
    ex = parse_news_page(page, source="p.txt")
    assert ex.title == "Title here"
    assert ex.story == "The body sentence.\n\nMore body."
    assert ex.meta["tags"] == ["Energy"] and ex.meta["timestamps"] == ["Jan 5, 2025"]


def test_no_story_heading_body_after_highlights_block():
    page = "Title\nHighlights\n- One.\n- Two.\n\nThe body.\n"
    ex = parse_news_page(page, source="p.txt")
    assert ex.reference_bullets == ("One.", "Two.")
    assert ex.story == "The body."


# ---------------------------------------------------------------- errors name the file
@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("", "empty file"),
        ("  \n\r\n\t\n", "empty file"),
        ("Just a title\n", "no 'Story' section"),
        ("Mar 3, 2025\n\nTitle\nHighlights\n- One.\n", "no 'Story' section"),
        ("Title\nStory\n\nOpinions\nSomething else\n", "empty story"),
        ("Title\nHighlights\n- One.\nStory\n", "empty story"),
    ],
)
def test_malformed_pages_raise_data_error_naming_the_file(tmp_path, content, why):
    path = write(tmp_path, "broken.txt", content)
    with pytest.raises(DataError) as info:
        read_news_page(path)
    assert str(path) in str(info.value)
    assert why in str(info.value)


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_parse_never_raises_anything_but_data_error(text):
    try:
        ex = parse_news_page(text, source="fuzz.txt")
    except DataError as err:
        assert "fuzz.txt" in str(err)
    else:
        assert ex.story.strip()


@given(st.lists(st.sampled_from(
    ["Highlights", "Story", "Opinions", "", "- a b", "\u2022", "Dec 1, 2024", "x.", "Tag"]
), max_size=12))
@settings(max_examples=300, deadline=None)
def test_parse_structured_noise_never_raises_anything_but_data_error(lines):
    try:
        parse_news_page("\n".join(lines), source="fuzz.txt")
    except DataError:
        pass


# ---------------------------------------------------------------- loading a folder
def make_folder(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    for i in range(n):
        write(folder, f"page{i:02d}.txt", PAGE.replace("Elmsby", f"Town{i}"))
    write(folder, "notes.md", "not a page")
    return folder


def test_load_folder_sorted_and_filtered_by_glob(tmp_path):
    folder = make_folder(tmp_path, 3)
    examples = load_news_pages(NewsPagesDataset(source="news_pages", dir=str(folder)))
    assert [ex.id for ex in examples] == ["page00", "page01", "page02"]


def test_load_folder_sampling_is_seeded(tmp_path):
    folder = make_folder(tmp_path, 10)

    def ids(seed):
        spec = NewsPagesDataset(source="news_pages", dir=str(folder), sample=4, seed=seed)
        return [ex.id for ex in load_examples(spec)]

    assert ids(0) == ids(0)
    assert len(ids(0)) == 4 and ids(0) == sorted(ids(0))
    assert ids(0) != ids(1)


def test_load_folder_without_matches(tmp_path):
    folder = make_folder(tmp_path, 0)
    with pytest.raises(DataError, match="no files match"):
        load_news_pages(NewsPagesDataset(source="news_pages", dir=str(folder)))


def test_load_folder_error_names_the_broken_file(tmp_path):
    folder = make_folder(tmp_path, 2)
    write(folder, "page01.txt", "")
    with pytest.raises(DataError, match="page01.txt: empty file"):
        load_news_pages(NewsPagesDataset(source="news_pages", dir=str(folder)))
