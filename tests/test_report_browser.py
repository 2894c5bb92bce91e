"""report.html in a real headless Chromium: the DOM after the script ran, the findings
filter and sorting driven by URL options, and a screenshot. No extra Python packages:
Chromium's own --dump-dom and --screenshot. Skipped when Chromium is not installed."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from summcheck import runner
from summcheck.cli import default_config_path
from summcheck.config import load_config

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report_html(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    spec = load_config(default_config_path(), limit=4)
    result = runner.run(spec, out_dir=root / "runs", cache_dir=root / "cache",
                        show_progress=False)
    return result.reports["html"]


def chromium(tmp_path: Path, url: str, *args: str) -> str:
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args, url],
        capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


class Examples(HTMLParser):
    """Collects the example <tbody> elements, the shown-count text and the <html> attributes."""

    def __init__(self):
        super().__init__()
        self.bodies: list[dict] = []
        self.html: dict = {}
        self.count, self._in_count = "", False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html = attrs
        if tag == "tbody" and "ex" in (attrs.get("class") or "").split():
            self.bodies.append(attrs)
        self._in_count = attrs.get("id") == "shown-count"

    def handle_data(self, data):
        if self._in_count:
            self.count += data


def dom(tmp_path: Path, url: str) -> Examples:
    parser = Examples()
    parser.feed(chromium(tmp_path, url, "--dump-dom"))
    return parser


def test_script_runs_and_all_examples_show(report_html, tmp_path):
    page = dom(tmp_path, report_html.as_uri())
    assert page.html.get("data-ready") == "1"
    assert len(page.bodies) == 4 and not any("hidden" in b for b in page.bodies)
    assert page.count == "4 of 4 examples shown"


def test_findings_only_filter_hides_examples_without_findings(report_html, tmp_path):
    page = dom(tmp_path, report_html.as_uri() + "#findings-only")
    with_findings = [b for b in page.bodies if b["data-findings"] != "0"]
    assert with_findings and len(with_findings) < len(page.bodies)
    for body in page.bodies:
        quiet = body["data-findings"] == "0" and body["data-failed"] == "0"
        assert ("hidden" in body) == quiet, body
    assert page.count == f"{len(with_findings)} of 4 examples shown"


def test_findings_only_filter_keeps_examples_with_a_failed_summary(tmp_path):
    """A summary that failed has no findings, but it belongs in the problems view."""
    import json

    from summcheck.config import RunSpec
    from summcheck.data import load_examples

    examples = load_examples(RunSpec(name="x", summarizers=[{"type": "lead"}]).dataset,
                             limit=4)
    sums = tmp_path / "sums.jsonl"   # the last example has no summary: it fails
    sums.write_text("".join(json.dumps({"id": ex.id, "summary": ex.reference_bullets[0]})
                            + "\n" for ex in examples[:3]))
    spec = RunSpec.model_validate({
        "name": "failing", "limit": 4, "bootstrap": {"n": 100},
        "summarizers": [{"type": "precomputed", "path": str(sums)}],
        "checks": {"entities": None}, "report": {"formats": ["html"]}})
    html = runner.run(spec, out_dir=tmp_path / "runs", cache_dir=tmp_path / "cache",
                      show_progress=False).reports["html"]
    page = dom(tmp_path, html.as_uri() + "#findings-only")
    failed = [b for b in page.bodies if b["data-failed"] != "0"]
    assert [b["id"] for b in failed] == [f"ex-{examples[3].id}"]
    assert "hidden" not in failed[0]


def test_sorting_by_findings_descending(report_html, tmp_path):
    page = dom(tmp_path, report_html.as_uri() + "#sort=-findings")
    counts = [int(b["data-findings"]) for b in page.bodies]
    assert counts == sorted(counts, reverse=True) and counts != [0] * 4
    plain = [int(b["data-findings"]) for b in dom(tmp_path, report_html.as_uri()).bodies]
    assert plain != counts   # the story order differs, so the script really sorted


def test_screenshot_is_a_real_render(report_html, tmp_path):
    shot = tmp_path / "report.png"
    chromium(tmp_path, report_html.as_uri(), f"--screenshot={shot}", "--window-size=1400,2000")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1400, 2000)
    assert len(data) > 10_000


def test_sorting_ids_that_are_numbers_and_texts(tmp_path):
    """Ids compared as numbers when both were, else as texts, made no order ("10" < "1a"
    < "2" < "10"); numbers now come first, texts in natural order."""
    from fake_runs import make_run

    from summcheck.reports import write_reports

    ids = ["ex-10", "b", "2", "ex-2", "1a", "10"]
    run = make_run(tmp_path, "ids", {"lead-3": {"rouge2_f": dict.fromkeys(ids, 0.3)}})
    html = write_reports([run], tmp_path / "out", formats=["html"], plots=False)["html"]
    page = dom(tmp_path, html.as_uri() + "#sort=example")
    assert [b["id"] for b in page.bodies] == [
        f"ex-{i}" for i in ["2", "10", "1a", "b", "ex-2", "ex-10"]]


def test_a_bad_sort_option_is_ignored_and_the_script_still_runs(report_html, tmp_path):
    """A key with a quote was put into a CSS selector, which threw: the script stopped
    before the example link and the ready mark (and any later option)."""
    for fragment in ("#sort=a%22b", "#sort=%5C", "#findings-only&sort=-%22%5D%5B"):
        page = dom(tmp_path, report_html.as_uri() + fragment)
        assert page.html.get("data-ready") == "1", fragment
        assert len(page.bodies) == 4
    hidden = [b for b in page.bodies if "hidden" in b]   # the option before it still holds
    assert hidden == [b for b in page.bodies if b["data-findings"] == b["data-failed"] == "0"]
    assert hidden


def test_example_links_open_their_example_for_any_id(tmp_path):
    """An id with a space, "#", a quote or a non-ASCII letter made an invalid element id
    and a link the browser sent percent-encoded: the script found no element to open."""
    import re

    from fake_runs import make_run

    from summcheck.reports import write_reports

    ids = ["a b", 'say "hi"', "#1", "a~20~b", "café", "x&sort=example", "ok-1"]
    run = make_run(tmp_path, "ids", {"lead-3": {"rouge2_f": dict.fromkeys(ids, 0.3)}})
    html = write_reports([run], tmp_path / "out", formats=["html"], plots=False)["html"]
    hrefs = re.findall(r'<a href="#([^"]+)">', html.read_text())
    assert len(set(hrefs)) == len(ids)
    for anchor in hrefs:
        text = chromium(tmp_path, html.as_uri() + "#" + anchor, "--dump-dom")
        opened = re.findall(r'<tbody class="ex" id="([^"]+)"[^>]*>(?:(?!</tbody>).)*'
                            r'<details open', text, re.S)
        assert opened == [anchor]


def test_leaving_a_nested_mark_keeps_the_outer_marks_story_outline(tmp_path):
    """Hovering a flagged bullet, then a phrase inside it, then leaving the phrase (still
    on the bullet): both link to one story sentence, whose outline the leave cleared."""
    from summcheck.reports import assets
    from summcheck.reports.highlight import Mark, merge, render

    bullet = "Parliament voted to lift spending."
    story = "Parliament approved a bill to lift spending."
    bullets = render(bullet, [Mark(0, len(bullet), "bad", bullet, ["weak"], ["kA"]),
                              Mark(11, 16, "bad", "voted", ["phrase"], ["kB"])])
    sentence = merge([Mark(0, len(story), "cand", story, [], ["kA"]),
                      Mark(0, len(story), "cand", story, [], ["kB"])])
    drive = """<script>
      var outer = document.querySelector('.bullets mark[data-keys="kA"]');
      var inner = document.querySelector('.bullets mark[data-keys="kB"]');
      var s = document.querySelector('.story mark');
      function ev(el, name) { el.dispatchEvent(new MouseEvent(name)); }
      var seen = [];
      ev(outer, "mouseenter"); seen.push(s.classList.contains("focus"));
      ev(inner, "mouseenter"); seen.push(s.classList.contains("focus"));
      ev(inner, "mouseleave"); seen.push(s.classList.contains("focus"));
      ev(outer, "mouseleave"); seen.push(s.classList.contains("focus"));
      document.documentElement.setAttribute("data-seen", seen.join(","));
    </script>"""
    page = tmp_path / "page.html"
    page.write_text(
        f'<!DOCTYPE html><html><body><table><tbody class="ex"><tr><td>'
        f'<div class="story">{render(story, sentence)}</div><div class="bullets">{bullets}'
        f"</div></td></tr></tbody></table><script>{assets.JS}</script>{drive}</body></html>",
        encoding="utf-8")
    html = dom(tmp_path, page.as_uri()).html
    assert html.get("data-ready") == "1"
    assert html.get("data-seen") == "true,true,true,false"


def test_a_linked_example_shows_under_the_findings_only_filter(report_html, tmp_path):
    """"?findings-only#ex-<id>" opened an example the filter had hidden: the link led to
    nothing visible."""
    quiet = [b for b in dom(tmp_path, report_html.as_uri()).bodies
             if b["data-findings"] == b["data-failed"] == "0"]
    assert quiet
    page = dom(tmp_path, f"{report_html.as_uri()}?findings-only#{quiet[0]['id']}")
    hidden = {b["id"] for b in page.bodies if "hidden" in b}
    assert hidden == {b["id"] for b in quiet[1:]}
    assert page.count == f"{4 - len(hidden)} of 4 examples shown"
