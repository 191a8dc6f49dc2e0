"""Untrusted text (names from team files, what a remote server says) made
into one line that can reach a terminal or a page without driving it."""

from __future__ import annotations

import re

# Terminal escape sequences, 7- and 8-bit: control sequences (CSI), strings
# such as OSC (window titles, hyperlinks) and the short ones.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]"
    r"|[\x1b][\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
# Any other control character, and the bidirectional overrides and isolates
# that reorder what a reader sees.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def one_line(text: str, limit: int | None = None) -> str:
    """`text` as one line of printable text: escape sequences and control
    characters removed, runs of white space made one space, and at most
    `limit` characters."""
    text = " ".join(str(text).split())
    text = " ".join(_CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text)).split())
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"
