"""Khmer word boundaries, from ICU's word break iterator (locale km): the same
segmentation for the search index (overrides/hooks/khmer_search_index.py,
which joins the words with U+200B so each becomes a search token) and for
the PDFs (resources/pdfs.py, where U+200B between words gives WeasyPrint a
place to break a line: Khmer is written without spaces, and a run of Khmer
with no break opportunity overflows a narrow table cell)."""

from __future__ import annotations

import re

import icu

ZWSP = "\u200b"
KHMER_RUN = re.compile(r"[\u1780-\u17ff\u19e0-\u19ff]+")
# A tag (with its attributes), a comment, or the content of an element whose
# text is not prose: none of these is ever touched.
_NOT_TEXT = re.compile(r"(<!--.*?-->|<(script|style|code|pre)\b.*?</\2\s*>|<[^>]*>)", re.S | re.I)

_breaker = icu.BreakIterator.createWordInstance(icu.Locale("km"))


def khmer_words(run: str) -> list[str]:
    """ICU's word segmentation of a run of Khmer text."""
    _breaker.setText(run)
    bounds = [0, *_breaker]
    return [run[start:end] for start, end in zip(bounds, bounds[1:]) if run[start:end]]


def break_text(text: str) -> str:
    """Plain text with U+200B between the Khmer words of each Khmer run
    (idempotent: U+200B is not Khmer, so a run never spans one)."""
    return KHMER_RUN.sub(lambda match: ZWSP.join(khmer_words(match.group())), text)


def break_html(document: str) -> str:
    """HTML with U+200B between Khmer words in its text only: never inside a
    tag, an attribute, a comment, or code."""
    parts = _NOT_TEXT.split(document)
    out, index = [], 0
    # re.split with two groups yields: text, whole match, inner group, text, ...
    while index < len(parts):
        out.append(break_text(parts[index]))
        if index + 1 < len(parts):
            out.append(parts[index + 1])
        index += 3
    return "".join(out)
