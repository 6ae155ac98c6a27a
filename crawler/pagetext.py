"""A page's text as lines, each with the element it stands in: what the personal data scan reads.

A line is a block (a paragraph, a list item, a heading) or a table row with its cells joined
by «|», so a name and the date of birth in the next cell stand on one line, and a finding can
say where it is (``table[1]/tr[3]``). The text is scanned while the page is in memory and
dropped: the artifact keeps the findings (``artifacts.personal``), never the text.
"""

from __future__ import annotations

import lxml.etree

from artifacts import personal

BLOCKS = frozenset(
    "address article aside blockquote body caption dd details div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section summary table tbody thead tfoot tr ul br center".split()
)
CELLS = frozenset(("td", "th"))
MAX_LINES = 20000  # a page's lines scanned; the rest of a huge page is left (size limits cut it before)
PATH_DEPTH = 4  # last elements of a path kept: enough to find the spot, short in the artifact


def _path(stack: list[tuple[str, int]]) -> str:
    """The last ``PATH_DEPTH`` elements of the stack, html and body left out."""
    parts = [f"{tag}[{n}]" for tag, n in stack if tag not in ("html", "body")]
    return "/".join(parts[-PATH_DEPTH:])


def text_lines(root: lxml.etree._Element) -> tuple[list[str], list[str]]:
    """The lines of the page's text and each line's element path (iterative: deep pages are fine).

    Paths are made only for the lines there are (a string per element would cost more than the scan)."""
    lines: list[str] = []
    paths: list[str] = []
    buf: list[str] = []
    stack: list[tuple[str, int]] = []  # (tag, its number among its siblings of that tag)
    counts: list[dict[str, int]] = [{}]  # per open element: how many children of each tag so far
    line_at: list[tuple[str, int]] | None = None  # the stack (a copy) of the line's element

    def flush() -> None:
        text = " ".join(" ".join(buf).split())  # whitespace runs to one space, as \s+ would
        buf.clear()
        if text and len(lines) < MAX_LINES:
            lines.append(text)
            paths.append(_path(line_at) if line_at else "")

    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else None
        if event == "start":
            if tag is None:
                continue
            siblings = counts[-1]
            siblings[tag] = siblings.get(tag, 0) + 1
            stack.append((tag, siblings[tag]))
            counts.append({})
            if tag in BLOCKS:
                flush()
                line_at = list(stack)
            elif line_at is None:
                line_at = list(stack)
            if el.text:
                buf.append(el.text)
            continue
        if tag is not None and stack:
            stack.pop()
            counts.pop()
            if tag in BLOCKS:
                flush()
                line_at = list(stack) or None
            elif tag in CELLS:
                buf.append("|")
        if el.tail:
            buf.append(el.tail)
    flush()
    return lines, paths


def personal_findings(root: lxml.etree._Element) -> list[dict]:
    """The personal data on a parsed page (``artifacts.personal.scan``), with element paths."""
    lines, paths = text_lines(root)
    return personal.scan("\n".join(lines), line_paths=paths)
