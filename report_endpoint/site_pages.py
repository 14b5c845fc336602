"""The site's own pages as the frame of the form and the status check.

MkDocs builds /report/ and /report/status/ (and their Khmer pages) with the
site's header, navigation, language switch, fonts and quick exit, and marks
the slot the endpoint fills (overrides/hooks/slots.py).  The endpoint reads
that built page, puts its form into the slot, and answers with the result,
so the form is a page of the site and works without JavaScript.

Without a built site (REPORT_SITE_DIR unset, as in the endpoint's own
tests), a small built-in frame with the same markers stands in.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import current_app, render_template, request
from markupsafe import escape

CONTENT = ("<!--ihc-content-->", "<!--/ihc-content-->")
TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def slot_markers(name: str) -> tuple[str, str]:
    return f"<!--ihc-slot:{name}-->", f"<!--/ihc-slot:{name}-->"


def built_page(url_path: str) -> str | None:
    """The HTML MkDocs built for url_path, read once per change of the file."""
    site = current_app.config.get("SITE_DIR")
    if not site:
        return None
    path = Path(site, url_path.strip("/"), "index.html")
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None
    cache = current_app.extensions.setdefault("site_pages", {})
    cached = cache.get(path)
    if cached is None or cached[0] != stamp:
        cached = cache[path] = (stamp, path.read_text(encoding="utf-8"))
    return cached[1]


def frame(slot: str | None, url_path: str | None = None) -> str:
    """The page around the slot: the built site page (of this request's path,
    or of url_path for a page the site does not build), or the built-in frame."""
    page = built_page(url_path or request.path) if slot else None
    if page is not None and slot_markers(slot)[0] in page:
        return page
    return render_template("frame.html", slot=slot)


def between(page: str, markers: tuple[str, str], content: str) -> str:
    """page with what lies between the two markers replaced by content."""
    opening, closing = markers
    start = page.index(opening) + len(opening)
    end = page.index(closing, start)
    return page[:start] + content + page[end:]


def retitled(page: str, title: str | None) -> str:
    """A new first part of the <title> (the part before the site name)."""
    if title is None:
        return page
    match = TITLE.search(page)
    if not match:
        return page
    old = match.group(1)
    site_name = old.rsplit(" - ", 1)[1] if " - " in old else ""
    new = f"{escape(title)} - {site_name}" if site_name else str(escape(title))
    return page[:match.start(1)] + new + page[match.end(1):]


def in_slot(slot: str, content: str, title: str | None = None, url_path: str | None = None) -> str:
    """The page with content in its slot (the form, its errors, an answer);
    the page of url_path when this request's path is not a built page."""
    return retitled(between(frame(slot, url_path), slot_markers(slot), content), title)


# Material's table of contents beside the article, which Material itself
# hides with this attribute (page.meta.hide): it lists the replaced article.
TOC = 'data-md-type="toc" '


def as_content(slot: str | None, content: str, title: str, url_path: str | None = None) -> str:
    """The page with content in place of its whole article (a confirmation,
    an error), and without the replaced article's table of contents."""
    page = between(frame(slot, url_path), CONTENT, content).replace(TOC, TOC + "hidden ", 1)
    return retitled(page, title)
