"""Join soft-wrapped lines of Khmer text without a space.

Khmer writes words without spaces and uses a space only between phrases.
Markdown turns a line break inside a paragraph into a space, so a Khmer
sentence wrapped in the source would show a false phrase break.  A line break
between two Khmer characters (and the next line's indentation) is removed
before Markdown sees the page; blank lines, list items, headings and tables
start differently and are untouched.
"""

from __future__ import annotations

import re

KHMER = "\u1780-\u17ff\u19e0-\u19ff"
SOFT_BREAK = re.compile(rf"(?<=[{KHMER}])[ \t]*\n[ \t]*(?=[{KHMER}])")


def join_khmer_lines(markdown: str) -> str:
    return SOFT_BREAK.sub("", markdown)


def on_page_markdown(markdown: str, **kwargs) -> str:
    return join_khmer_lines(markdown)
