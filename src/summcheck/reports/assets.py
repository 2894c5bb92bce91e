"""The HTML report's inline CSS and JavaScript (no network, no libraries).

The script sorts tables by a click on a header, filters the examples ("only examples with
findings or failures"), outlines the story spans of a hovered or keyboard-focused bullet
mention, and honours URL options in the query or fragment: `findings-only`,
`sort=<column key>` (`sort=-findings` sorts descending), and `#ex-<id>` (opens that
example; the id as `html_examples.example_anchor` writes it). When done it sets
`<html data-ready="1">` so a headless browser can tell the script ran.
"""

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       margin: 0 auto; max-width: 1400px; padding: 1rem 1.5rem 4rem; color: #222; }
h1 { font-size: 1.5rem; margin: .3rem 0; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid #ddd; }
h4 { margin: .8rem 0 .2rem; }
.muted, .legend { color: #555; }
ul.why { margin: .1rem 0 .4rem; padding-left: 1.1rem; font-size: .9em; color: #7a1f1f; }
mark:focus { outline: 2px solid #1a5fb4; }
.legend { font-size: .9em; max-width: 75rem; }
.warning { color: #8a5300; }
.wrap { overflow-x: auto; }
table { border-collapse: collapse; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid #e4e4e4; text-align: left;
         vertical-align: top; }
th { background: #f4f4f4; cursor: pointer; user-select: none; vertical-align: bottom; }
#models th { max-width: 7.5rem; white-space: normal; }
#models th, #models td { padding: .3rem .45rem; }
#models td:first-child { white-space: nowrap; font-weight: 600; }
.ci { color: #666; font-size: .85em; font-weight: 400; display: block; }
th:hover { background: #e8e8e8; }
th[aria-sort=ascending]::after { content: " \\25B2"; font-size: .75em; }
th[aria-sort=descending]::after { content: " \\25BC"; font-size: .75em; }
.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.best { font-weight: 700; }
.extra { display: none; }
#models.show-extra .extra { display: table-cell; }
#examples tr.detail > td { padding: 0 .6rem .6rem; border-bottom: 2px solid #ccc; }
#examples summary { cursor: pointer; color: #555; font-size: .9em; }
.ex-grid { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1.5rem; }
.story { white-space: pre-wrap; background: #fafafa; padding: .5rem .7rem; border-radius: 4px; }
.bullets ol, .bullets ul { margin: .2rem 0; padding-left: 1.4rem; }
mark { color: inherit; padding: 0 .1em; border-radius: 2px; }
mark.bad { background: #ffd3d3; border-bottom: 2px solid #c62828; }
mark.ok { background: none; border-bottom: 2px solid #66bb6a; }
mark.src { background: #d4f3d4; }
mark.cand { background: #ffe1a0; }
mark.focus { outline: 2px solid #222; }
/* a mark inside another (a number in a flagged bullet): a deeper tone and its own line */
mark mark { box-shadow: inset 0 -1px 0 rgba(0, 0, 0, .5); }
mark mark.bad { background: #ffabab; }
mark mark.src { background: #aee3ae; }
mark mark.cand { background: #ffc95c; }
.badge { display: inline-block; min-width: 1.1em; padding: 0 .35em; border-radius: .7em;
         background: #c62828; color: #fff; font-size: .8em; text-align: center; }
.failed { color: #c62828; }
.plots figure { margin: 1rem 0; }
.plots img { max-width: 100%; }
.plots figcaption { font-weight: 600; }
code { font-size: .85em; word-break: break-all; }
dl.sigs dt { font-weight: 600; margin-top: .3rem; }
dl.sigs dd { margin-left: 1rem; }
.controls { margin: .4rem 0; }
"""

JS = r"""
(function () {
  "use strict";
  function key(row, col) {
    var cell = row.cells[col];
    if (!cell) return null;
    var raw = (cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent).trim();
    if (raw === "") return null;
    return isNaN(Number(raw)) ? raw.toLowerCase() : Number(raw);
  }
  // Numbers before text, text in natural order ("ex-2" before "ex-10"): comparing a
  // number with a text as texts made no order at all ("10" < "1a" < "2" < "10")
  function compare(a, b) {
    var na = typeof a === "number", nb = typeof b === "number";
    if (na && nb) return a - b;
    if (na !== nb) return na ? -1 : 1;
    return a.localeCompare(b, undefined, {numeric: true});
  }
  function sortTable(table, col, descending) {
    var grouped = table.classList.contains("grouped");
    var parent = grouped ? table : table.tBodies[0];
    var items = Array.prototype.slice.call(grouped ? table.tBodies : parent.rows);
    var sign = descending ? -1 : 1;
    items.sort(function (x, y) {
      var a = key(grouped ? x.rows[0] : x, col), b = key(grouped ? y.rows[0] : y, col);
      if (a === null || b === null) return (a === null) - (b === null);  // blanks last
      return sign * compare(a, b);
    });
    items.forEach(function (item) { parent.appendChild(item); });
    table.querySelectorAll("thead th").forEach(function (th) {
      if (th.cellIndex === col) th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    });
  }
  document.querySelectorAll("table.sortable thead th").forEach(function (th) {
    th.addEventListener("click", function () {
      var now = th.getAttribute("aria-sort");
      var descending = now ? now === "ascending" : th.classList.contains("num");
      sortTable(th.closest("table"), th.cellIndex, descending);
    });
  });

  var box = document.getElementById("findings-only");
  var count = document.getElementById("shown-count");
  // The example a link opens ("?findings-only#ex-<id>") shows even without findings
  var target = location.hash.length > 1 && document.getElementById(location.hash.slice(1));
  if (target && !target.matches("tbody.ex")) target = null;
  function filter() {
    var shown = 0, all = document.querySelectorAll("#examples tbody.ex");
    all.forEach(function (tb) {
      var hide = box.checked && tb.dataset.findings === "0" && tb.dataset.failed === "0"
        && tb !== target;
      if (hide) tb.setAttribute("hidden", ""); else { tb.removeAttribute("hidden"); shown++; }
    });
    if (count) count.textContent = shown + " of " + all.length + " examples shown";
  }
  var extra = document.getElementById("show-extra");
  if (extra) extra.addEventListener("change", function () {
    document.getElementById("models").classList.toggle("show-extra", extra.checked);
  });

  // A story span stays outlined while any hovered or focused bullet mark links to it:
  // marks nest (a phrase inside a flagged bullet, both linked to one story sentence), and
  // leaving the inner one cleared the outline the outer one, still hovered, had set
  document.querySelectorAll(".bullets mark[data-keys]").forEach(function (mark) {
    var body = mark.closest("tbody");
    function outline(step) {
      mark.dataset.keys.split(" ").forEach(function (k) {
        body.querySelectorAll('.story mark[data-keys~="' + k + '"]').forEach(function (s) {
          var lit = Math.max(0, Number(s.dataset.lit || 0) + step);
          s.dataset.lit = lit;
          s.classList.toggle("focus", lit > 0);
        });
      });
    }
    mark.addEventListener("mouseenter", function () { outline(1); });
    mark.addEventListener("mouseleave", function () { outline(-1); });
    mark.addEventListener("focus", function () { outline(1); });
    mark.addEventListener("blur", function () { outline(-1); });
  });

  var opts = new URLSearchParams(location.search.slice(1) + "&" + location.hash.slice(1));
  if (box) {
    if (opts.has("findings-only")) { box.checked = true; box.setAttribute("checked", ""); }
    box.addEventListener("change", filter);
    filter();
  }
  // The column is found by comparing keys, not by a selector built from the URL: a key
  // with a quote ("#sort=a%22b") made querySelector throw, and the script stopped there
  var sort = opts.get("sort");
  if (sort) {
    var want = sort.replace(/^-/, "");
    var th = Array.prototype.find.call(document.querySelectorAll("#examples thead th"),
                                       function (h) { return h.dataset.key === want; });
    if (th) sortTable(th.closest("table"), th.cellIndex, sort.charAt(0) === "-");
  }
  if (target) {
    target.querySelector("details").open = true;
    target.scrollIntoView();
  }
  document.documentElement.setAttribute("data-ready", "1");
})();
"""
