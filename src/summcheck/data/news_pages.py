"""Plain-text news pages, as copied from a news site (see tests/test_news_pages.py).

Layout, top to bottom (only the story is required):

    Dec 29, 2024, 9:47 AM          timestamp lines        -> meta["timestamps"]
    <blank>
    Kim Jong Un promises ...       title (first other line)
    <blank>
    Provocative                    tag lines              -> meta["tags"]
    Highlights                     heading
      • bullet ...                 reference bullets (any marker, or none)
    Story                          heading
    <paragraphs>                   story, paragraphs joined by "\\n\\n"
    Opinions                       page furniture after the story: not part of it
    You've reached the end

Without a "Story" heading, the body is whatever follows the title (and the Highlights
block, which then ends at its first blank line).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..config import NewsPagesDataset
from ..errors import DataError
from ..text import is_bullet_line, strip_bullet, worded
from ..types import Example
from . import sample_indices

_HIGHLIGHTS = {"highlights", "key highlights"}
_STORY = {"story", "full story"}
# Headings of page sections that follow the story: the story ends at the first of them.
_STOP_HEADINGS = {
    "opinions", "opinion", "comments", "related", "related stories", "related articles",
    "read more", "more stories", "more from this author", "recommended", "you may also like",
    "most read", "share this article", "you've reached the end",
}
_STOP_PREFIXES = ("read more:", "you've reached the end")
# Ad slots appear between paragraphs, so they are dropped rather than ending the story.
_DROP_LINES = {"advertisement", "story continues below advertisement", "skip advertisement"}

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE = rf"(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
_TIME = r"(?:[,\sT]+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?(?:\s*(?:z|[a-z]{2,4}|[+-]\d{2}:?\d{2}))?)?"
_TIMESTAMP_RE = re.compile(rf"^(?:(?:updated|published|posted)\s*:?\s*)?{_DATE}{_TIME}$", re.I)


def load_news_pages(spec: NewsPagesDataset) -> list[Example]:
    """Pages in `spec.dir` matching `spec.glob`, sorted by path, then sampled."""
    folder = Path(spec.dir)
    if not folder.is_dir():
        raise DataError(f"{folder}: folder not found. Fix dataset.dir.")
    files = sorted(
        (p for p in folder.glob(spec.glob) if p.is_file()),
        key=lambda p: p.relative_to(folder).as_posix(),
    )
    if not files:
        raise DataError(f"{folder}: no files match {spec.glob!r}. Fix dataset.dir or dataset.glob.")
    _check_unique_stems(files)
    return [read_news_page(files[i]) for i in sample_indices(len(files), spec.sample, spec.seed)]


def _check_unique_stems(files: list[Path]) -> None:
    """A page's id is its file name without the suffix: two pages of one name (in two
    folders) would be one example id, which the run stopped on without naming the files."""
    seen: dict[str, Path] = {}
    for path in files:
        first = seen.setdefault(path.stem, path)
        if first is not path:
            raise DataError(f"{first} and {path}: two pages named {path.stem!r}; a page's id is "
                            "its file name, so ids must differ. Rename one of the files.")


def read_news_page(path: Path) -> Example:
    """Read one page; bytes that are not UTF-8 are an error naming the line."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DataError(f"{path}: cannot read the file: {err}") from err
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:     # replaced letters were read as the page's own
        line = data.count(b"\n", 0, err.start) + 1
        raise DataError(f"{path}, line {line}: byte {data[err.start]:#04x} is not UTF-8. Save "
                        f"the page as UTF-8 (e.g. iconv -f latin1 -t utf-8).") from None
    return parse_news_page(text, source=str(path))


def parse_news_page(text: str, *, source: str) -> Example:
    """Parse one page; `source` names the file in errors and its stem is the example id."""
    lines = [line.rstrip() for line in text.lstrip("\ufeff").splitlines()]
    if not any(line.strip() for line in lines):
        raise DataError(f"{source}: empty file. A news page needs a title and a Story section.")
    header, highlights, body, has_story = _sections(lines)
    timestamps = [ln.strip() for ln in header if _TIMESTAMP_RE.match(ln.strip())]
    others = [ln.strip() for ln in header if ln.strip() and not _TIMESTAMP_RE.match(ln.strip())]
    title, tag_lines = (others[0], others[1:]) if others else ("", [])
    if not has_story and not highlights:
        body, tag_lines = _split_leading_tag(body, tag_lines)
    story = _story(body)
    if not story:
        raise DataError(f"{source}: {_why_no_story(has_story)}")
    return Example(
        id=Path(source).stem,
        story=story,
        reference_bullets=_bullets(highlights),
        title=title,
        meta={"source": source, "timestamps": timestamps, "tags": _tags(tag_lines)},
    )


def _sections(lines: list[str]) -> tuple[list[str], list[str], list[str], bool]:
    """Split into (header, highlight lines, body lines, whether a Story heading was found)."""
    h = _find(lines, _HIGHLIGHTS, 0)
    s = _find(lines, _STORY, 0 if h is None else h + 1)
    if s is not None:
        if h is None:
            return lines[:s], [], lines[s + 1 :], True
        return lines[:h], lines[h + 1 : s], lines[s + 1 :], True
    if h is not None:
        end = _end_of_first_paragraph(lines, h + 1)
        return lines[:h], lines[h + 1 : end], lines[end:], False
    title_at = next(
        (i for i, ln in enumerate(lines) if ln.strip() and not _TIMESTAMP_RE.match(ln.strip())),
        len(lines),
    )
    return lines[: title_at + 1], [], lines[title_at + 1 :], False


def _find(lines: list[str], names: set[str], start: int) -> int | None:
    for i in range(start, len(lines)):
        if _normalize(lines[i]) in names:
            return i
    return None


def _normalize(line: str) -> str:
    return " ".join(line.replace("\u2019", "'").lower().split()).rstrip(":").strip()


def _end_of_first_paragraph(lines: list[str], start: int) -> int:
    seen_text = False
    for i in range(start, len(lines)):
        if lines[i].strip():
            seen_text = True
        elif seen_text:
            return i
    return len(lines)


def _split_leading_tag(body: list[str], tag_lines: list[str]) -> tuple[list[str], list[str]]:
    """Without headings, a short one-line first paragraph ("Provocative") is a tag, not story."""
    paragraphs = _paragraphs(body)
    if len(paragraphs) < 2:
        return body, tag_lines
    first = paragraphs[0]
    if len(first.split()) <= 3 and not first.endswith((".", "!", "?", '"', "\u201d")):
        start = next(i for i, ln in enumerate(body) if ln.strip())
        return body[start + 1 :], [*tag_lines, first]
    return body, tag_lines


def _story(body: list[str]) -> str:
    kept: list[str] = []
    for line in body:
        norm = _normalize(line)
        if norm in _STOP_HEADINGS or norm.startswith(_STOP_PREFIXES):
            break
        if norm not in _DROP_LINES:
            kept.append(line)
    return "\n\n".join(_paragraphs(kept))


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank lines separate paragraphs; lines inside one paragraph are joined by spaces."""
    paragraphs, current = [], []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(" ".join(current).split()))
            current = []
    return paragraphs


def _bullets(lines: list[str]) -> tuple[str, ...]:
    """Marker lines start bullets and unmarked lines continue them; with no markers at all,
    every line is a bullet."""
    lines = [ln for ln in lines if ln.strip()]
    marked = any(is_bullet_line(ln) for ln in lines)
    bullets: list[str] = []
    for line in lines:
        if marked and bullets and not is_bullet_line(line):
            bullets[-1] = f"{bullets[-1]} {line.strip()}"
        else:
            bullets.append(strip_bullet(line))
    return tuple(worded(" ".join(b.split()) for b in bullets))


def _tags(tag_lines: list[str]) -> list[str]:
    parts = (p.strip() for line in tag_lines for p in re.split(r"[,|·]", line))
    return [p for p in parts if p]


def _why_no_story(has_story: bool) -> str:
    if has_story:
        return (
            "empty story: the Story section has no text before the page's trailing sections. "
            "Add the story paragraphs after the 'Story' heading."
        )
    return (
        "no 'Story' section and no recognizable body after the title. Add a line 'Story' "
        "followed by the story paragraphs."
    )


def check_news_pages(spec: NewsPagesDataset) -> int:
    """Read every page (what `summcheck validate` does): DataError at the first bad one;
    the number of pages read."""
    return len(load_news_pages(spec))
