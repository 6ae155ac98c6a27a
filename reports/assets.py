"""What the static report pages share: the table-sorting script, the Content-Security-Policy,
file names for municipalities and organizations."""

from __future__ import annotations

import base64
import hashlib
import re

# Sorts every ``table.sortable`` by a click on a header button (numbers by ``data-v``, texts
# by the Russian collation; empty cells last). ``#sort=<table id>:<column key>:<asc|desc>``
# opens the page sorted, so a sorted view can be linked to. No external resources.
SORT_JS = """(function () {
  "use strict";
  var collator = new Intl.Collator("ru", {numeric: true, sensitivity: "base"});
  function value(row, index, type) {
    var cell = row.cells[index];
    if (!cell) { return null; }
    var raw = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent.trim();
    if (raw === "") { return null; }
    if (type === "num") { var n = parseFloat(raw); return isNaN(n) ? null : n; }
    return raw;
  }
  function sortBy(table, index, dir) {
    var head = table.tHead.rows[0];
    var th = head.cells[index];
    var type = th.getAttribute("data-type") || "text";
    var body = table.tBodies[0];
    var sign = dir === "desc" ? -1 : 1;
    var rows = Array.prototype.map.call(body.rows, function (row, i) {
      return {row: row, v: value(row, index, type), i: i};
    });
    rows.sort(function (a, b) {
      if (a.v === null || b.v === null) { return a.v === b.v ? a.i - b.i : (a.v === null ? 1 : -1); }
      var c = type === "num" ? a.v - b.v : collator.compare(a.v, b.v);
      return c === 0 ? a.i - b.i : sign * c;
    });
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) { frag.appendChild(r.row); });
    body.appendChild(frag);
    Array.prototype.forEach.call(head.cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === "desc" ? "descending" : "ascending");
  }
  function columnIndex(table, key) {
    var cells = table.tHead.rows[0].cells;
    for (var i = 0; i < cells.length; i++) { if (cells[i].getAttribute("data-key") === key) { return i; } }
    return -1;
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var dir = th.getAttribute("aria-sort") === "ascending" ? "desc" : "asc";
        sortBy(table, index, dir);
        try {
          history.replaceState(null, "", "#sort=" + table.id + ":" + th.getAttribute("data-key") + ":" + dir);
        } catch (e) { /* file:// pages in some browsers: the sort works without the link */ }
      });
    });
  });
  var m = /^#sort=([\\w-]+):([\\w-]+):(asc|desc)$/.exec(window.location.hash);
  if (m) {
    var table = document.getElementById(m[1]);
    if (table && table.classList.contains("sortable")) {
      var index = columnIndex(table, m[2]);
      if (index >= 0) { sortBy(table, index, m[3]); }
    }
  }
  document.documentElement.setAttribute("data-sortable", String(tables.length));
})();
"""


def script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


def csp(script: str | None = None) -> str:
    """A policy that lets the page run only its own script and load nothing at all."""
    scripts = f"'{script_hash(script)}'" if script else "'none'"
    return f"default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "f",
         "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"],
        strict=True,
    )
)


def slugify(text: str) -> str:
    """«Городской округ Северный» → «gorodskoy-okrug-severnyy» (ASCII, for file names and URLs)."""
    out = "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())
    out = re.sub(r"[^a-z0-9]+", "-", out).strip("-")
    return out[:60].strip("-")


def unique_slugs(names: list[str]) -> dict[str, str]:
    """A distinct slug for each name (a short hash where transliteration collides or gives nothing)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in sorted(names):
        base = slugify(name) or "m"
        slug = base
        if slug in used or base == "m":
            slug = f"{base}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:6]}"
        used.add(slug)
        out[name] = slug
    return out


def org_filename(org_id: str) -> str:
    """A file name for an organization's report: its id when that is safe, else a safe form with a hash."""
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,80}", org_id) and not org_id.endswith("."):
        return org_id
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", slugify(org_id) or "org")[:40]
    return f"{safe}-{hashlib.sha1(org_id.encode('utf-8')).hexdigest()[:8]}"
