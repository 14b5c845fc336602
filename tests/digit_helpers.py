"""Western digits left in the text a reader of a Khmer page sees or hears
(tests/test_khmer_numbers.py for the built site, tests/endpoint/ for the
pages the report service answers with).  CONTENT.md, "Khmer": numbers on
Khmer pages are Khmer digits, outside names, web addresses and code."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

WESTERN_DIGIT = re.compile(r"[0-9]+(?:[.,:/-][0-9]+)*")
NOT_SHOWN = (Comment, Declaration, Doctype, ProcessingInstruction)
# Web and e-mail addresses in running text: a reader types them as they are.
ADDRESS = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"                      # e-mail
    r"|(?:https?://|www\.)[^\s<>\"'«»()៖។]+"              # with a scheme or www.
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:org|com|net|gov|kh|uk|int|info|io|app|gg)\b(?:/[^\s<>\"'«»()៖។]*)?",
    re.I)
# Names that contain Western digits, written as their owners write them.
# Each must occur on some Khmer page (test_every_allowed_name_is_still_needed):
# an entry that is no longer needed is removed, not kept "just in case".
ALLOWED_NAMES: dict[str, str] = {
    "Child 10 Award": "the award APLE received in Stockholm (about/, 2017), as its organisers name it",
}
# What the reader sees or hears outside the text of elements: names given to
# links, buttons and landmarks, hints, placeholders and image descriptions.
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
NOT_TEXT = "script, style, svg, template, code, pre, kbd, samp"


def read_texts(html: str) -> list[str]:
    """The page's title and the visible and announced text of its body:
    content, header, navigation, footer and search (which is in the body)."""
    soup = BeautifulSoup(html, "html.parser")
    texts = [soup.title.get_text(" ", strip=True)] if soup.title else []
    body = soup.body or soup
    for node in body.select(NOT_TEXT):
        node.decompose()
    for tag in body.find_all(True):
        texts += [tag[name] for name in READ_ATTRIBUTES if tag.get(name)]
    texts += [text.strip() for text in body.find_all(string=True)
              if text.strip() and not isinstance(text, NOT_SHOWN)]
    return texts


def without_exceptions(text: str) -> str:
    text = ADDRESS.sub(" ", text)
    for name in ALLOWED_NAMES:
        text = text.replace(name, " ")
    return text


def western_digits(html: str) -> list[str]:
    """For each text of the page with Western digits left: the text around
    its first one."""
    found = []
    for text in read_texts(html):
        rest = without_exceptions(text)
        match = WESTERN_DIGIT.search(rest)
        if match:
            snippet = " ".join(rest[max(0, match.start() - 40): match.end() + 40].split())
            if snippet not in found:
                found.append(snippet)
    return found
