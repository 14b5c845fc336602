"""Mark the slots that the report endpoint fills, and the page's content.

A page holds `<div class="ihc-slot" data-ihc-slot="NAME">` with text shown
when the endpoint is not there.  This hook puts HTML comments around what is
inside each slot, and around the whole article, so the endpoint can fill a
slot (or replace the article) in the page MkDocs built without parsing HTML:

    <!--ihc-slot:NAME--> fallback <!--/ihc-slot:NAME-->
    <!--ihc-content--> article <!--/ihc-content-->
"""

from __future__ import annotations

import re

SLOT_OPEN = re.compile(r'<div class="ihc-slot" data-ihc-slot="([a-z-]+)"[^>]*>')
DIV_TAG = re.compile(r"<(/?)div\b[^>]*>")


def matching_close(html: str, start: int) -> int:
    """Index of the `</div>` closing the div whose content begins at start."""
    depth = 1
    for tag in DIV_TAG.finditer(html, start):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag.start()
    raise ValueError("unclosed ihc-slot div")


def mark_slots(html: str) -> str:
    position = 0
    while (found := SLOT_OPEN.search(html, position)):
        name, inner = found.group(1), found.end()
        close = matching_close(html, inner)
        html = (html[:inner] + f"<!--ihc-slot:{name}-->" + html[inner:close]
                + f"<!--/ihc-slot:{name}-->" + html[close:])
        position = inner
    return html


def on_page_content(html: str, **kwargs) -> str:
    return "<!--ihc-content-->" + mark_slots(html) + "<!--/ihc-content-->"
