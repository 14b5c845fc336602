"""The posters on the site (called by overrides/hooks/resource_library.py):

- `<!-- ihc-poster ID -->` on a poster's own page: its preview, its downloads
  (A4 and A3, this language first) and, as text, what the poster says;
- `<!-- ihc-posters -->` on docs/<lang>/resources/posters/index.md: every
  poster as a card with its preview, linking to its page.

`downloads(resource, lang, page, langs)` is the library's own list of links
(format, size of sheet, language, pages, file size), passed in by the hook."""

from __future__ import annotations

import html
import posixpath
import re

from . import WORDS

MARKER = re.compile(r"^<!--\s*ihc-poster\s+([a-z0-9-]+)\s*-->\s*$", re.M)
INDEX = re.compile(r"^<!--\s*ihc-posters\s*-->\s*$", re.M)


def _preview(resource, lang: str, state, href) -> str:
    pdf = state["pdfs"][(resource.poster.id, lang, "a4")]
    alt = html.escape(f'{WORDS[lang]["preview"]}: {resource.poster.text[lang]["headline"]}')
    if pdf.preview_filename:
        return (f'<img class="ihc-poster-preview" src="{html.escape(href(pdf.preview_filename))}" alt="{alt}" '
                f'width="420" height="594" loading="lazy">')
    return f'<span class="ihc-picture" data-ihc-picture="{resource.poster.picture}"></span>'


def poster_block(resource, lang: str, page, state, href, downloads) -> str:
    words = resource.poster.text[lang]
    other = [lang] + [x for x in resource.languages if x != lang]
    said = "".join(f"<li>{html.escape(line)}</li>" for line in words["lines"])
    helps = "".join(f'<li>{html.escape(item["name"])}: <strong>{html.escape(str(item["number"]))}</strong>'
                    + (f' ({html.escape(item["note"])})' if item.get("note") else "") + "</li>"
                    for item in words["help"])
    return (f'<figure class="ihc-poster">{_preview(resource, lang, state, href)}</figure>\n\n'
            f'{downloads(resource, lang, page, other)}\n\n'
            f'<div class="ihc-poster-text"><p><strong>{html.escape(words["headline"])}</strong></p>'
            f'<ol>{said}</ol><p>{WORDS[lang]["help"]}{"៖" if lang == "km" else ":"}</p><ul>{helps}</ul></div>\n')


def expand(markdown: str, lang: str, page, state, relative, downloads) -> str:
    by_poster = {r.poster.id: r for r in state["resources"] if r.kind == "poster"}

    def href(target: str) -> str:
        return relative(target, page)

    def one(match: re.Match) -> str:
        resource = by_poster.get(match.group(1))
        if resource is None:
            from mkdocs.exceptions import PluginError
            raise PluginError(f"{page.file.src_uri}: no poster {match.group(1)!r} in resources/posters/")
        return poster_block(resource, lang, page, state, href, downloads)

    def index(match: re.Match) -> str:
        here = posixpath.dirname(page.file.src_uri.split("/", 1)[-1])
        cards = "".join(
            f'-   {_preview(r, lang, state, href)}\n'
            f'    [{r.title[lang]}]({posixpath.relpath(r.page, here)})\n'
            f'    {r.summary[lang]}\n\n' for r in by_poster.values())
        return f'<div class="ihc-cards ihc-cards--posters" markdown>\n\n{cards}</div>\n'

    markdown = MARKER.sub(one, markdown)
    return INDEX.sub(index, markdown)
