"""Illustrations made for this site (overrides/assets/illustrations/*.svg),
inlined into the pages that show them.

A page asks for a picture by name:

    <div class="ihc-picture" data-ihc-picture="kiri-hello" aria-label="Kiri waves hello."></div>
    <span class="ihc-picture" data-ihc-picture="audience-parents"></span>

With an aria-label the picture is an image with that text alternative (in the
page's language); without one it is decorative and hidden from assistive
technology, as on a card whose link already says everything.

Inlined rather than linked with <img>: a phone's first visit must stay within
12 requests, and a dozen small SVGs would each be one; gzip shrinks the
repeated outlines well.  An unknown name, or a file with ids, scripts, text or
references to other files, fails the build: the pictures are shared by both
languages and several sit on one page.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from mkdocs.exceptions import PluginError

FOLDER = Path(__file__).resolve().parent.parent / "assets" / "illustrations"
# Markdown may reorder the attributes (md_in_html sorts them): read each one.
PICTURE = re.compile(r'<(div|span)\b([^>]*\bdata-ihc-picture="[^"]*"[^>]*)></\1>')
ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')
SVG_OPEN = re.compile(r"<svg\b[^>]*>", re.S)
VIEWBOX = re.compile(r'viewBox="([0-9. ]+)"')
# What a shared, inlined picture must not contain (see the module docstring).
FORBIDDEN = re.compile(r"<(script|style|text|image|use|foreignObject)\b|\sid=|href=|url\(", re.I)


@lru_cache(maxsize=None)
def drawing(name: str) -> tuple[str, str]:
    """The picture's viewBox and its inner markup (without the <svg> tag)."""
    path = FOLDER / f"{name}.svg"
    if not path.is_file():
        raise PluginError(f"illustration '{name}' not found: {path}")
    svg = path.read_text(encoding="utf-8")
    svg = re.sub(r"<\?xml[^>]*\?>|<!--.*?-->", "", svg, flags=re.S).strip()
    bad = FORBIDDEN.search(svg)
    if bad:
        raise PluginError(f"{path.name}: '{bad.group(0).strip()}' is not allowed in an inlined illustration")
    opening = SVG_OPEN.search(svg)
    viewbox = VIEWBOX.search(opening.group(0)) if opening else None
    if not viewbox:
        raise PluginError(f"{path.name}: needs an <svg> with a viewBox")
    inner = svg[opening.end():svg.rindex("</svg>")]
    return viewbox.group(1), re.sub(r">\s+<", "><", inner.strip())


def picture(match: re.Match) -> str:
    tag, attributes = match.group(1), dict(ATTRIBUTE.findall(match.group(2)))
    name, label = attributes.pop("data-ihc-picture"), attributes.pop("aria-label", None)
    classes = attributes.pop("class", "")
    if "ihc-picture" not in classes.split() or attributes:
        raise PluginError(f"illustration '{name}': write it as <{tag} class=\"ihc-picture ...\" data-ihc-picture=... "
                          f"aria-label=...></{tag}>, nothing else")
    viewbox, inner = drawing(name)
    if label is not None and not label.strip():
        raise PluginError(f"illustration '{name}': an empty aria-label; leave it out for a decorative picture")
    role = f'role="img" aria-label="{label}"' if label else 'aria-hidden="true"'
    return (f'<{tag} class="{classes}" data-ihc-picture="{name}">'
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{viewbox}" {role} focusable="false">'
            f"{inner}</svg></{tag}>")


def inline_pictures(text: str) -> str:
    return PICTURE.sub(picture, text)


def on_config(config, **kwargs):
    drawing.cache_clear()  # `mkdocs serve` sees redrawn pictures
    return config


def on_page_content(html_text: str, **kwargs) -> str:
    return inline_pictures(html_text) if "data-ihc-picture" in html_text else html_text
