"""Text for a terminal: what a site (or a registry file) supplies must not drive the terminal.

A title, a URL, a microdata text or an error message may carry ANSI escape sequences (colours,
cursor moves, «clear screen», OSC 8 hyperlinks, window titles) or bare control characters.
:func:`terminal_safe` removes them at the output boundary of every text a person reads in a
terminal (``sveden check`` text, the CLI's messages); the visible text stays.
"""

from __future__ import annotations

import re

# Whole sequences first, so their parameters do not stay behind as visible garbage:
# - string controls (OSC, DCS, SOS, PM, APC; 7-bit «ESC ]», 8-bit «\x9d»…) up to their terminator
#   (BEL or ST: «ESC \» or «\x9c»); an unterminated one loses only its introducer below;
# - CSI («ESC [» or «\x9b») with its parameter, intermediate and final bytes;
# - any other escape: ESC, intermediate bytes, one final byte.
_SEQUENCES = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|\x1b[ -/]*[0-~]"
)
# Then every control character left: C0 but tab and newline, DEL, C1.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# DEL and C1 in JSON: valid unescaped, yet a terminal may act on them (json escapes C0 itself).
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` without escape sequences and control characters (``\\n`` and ``\\t`` are kept)."""
    if text.isprintable():
        return text
    return _CONTROLS.sub("", _SEQUENCES.sub("", text))


def json_terminal_safe(text: str) -> str:
    """JSON text with DEL and C1 characters written as ``\\u`` escapes: the same data, safe to print."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
