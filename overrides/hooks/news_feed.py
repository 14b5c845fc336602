"""Write an RSS feed of the news articles, one per language: news/feed.xml.

Material's blog plugin does not work with mkdocs-static-i18n, so news stays as
ordinary pages (docs/<lang>/news/*.md, each with a `date:` in its front matter)
and this hook builds the feed from their sources.

A news item is dated only as precisely as its source: `date: 2025-07-23`, or
`date: "2025-07"` (month) or `date: "2025"` (year) where the source gives no
day, or `date: null` where it gives no date at all.  RSS needs a full date, so
only items with a day carry a <pubDate>; the others follow, newest first.  The feed is added as a
generated file in on_files, so links to it validate under `--strict`.
"""

from __future__ import annotations

import datetime as dt
import re
from email.utils import format_datetime
from urllib.parse import urljoin
from xml.sax.saxutils import escape

import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

# docs_structure "folder": sources arrive as <lang>/news/<article>.md.
ARTICLE = re.compile(r"^(?:[a-z]{2}/)?news/(?!index\.md$)[^/]+\.md$")
NEWS_INDEX = re.compile(r"^(?:[a-z]{2}/)?news/index\.md$")
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
TITLE = re.compile(r"^#\s+(.+?)\s*(\{#[^}]*\})?\s*$", re.M)


def _article(file: File) -> dict | None:
    """Front matter and title of a news article; None for the news index."""
    if not ARTICLE.match(file.src_uri):
        return None
    text = file.content_string
    match = FRONT_MATTER.match(text)
    meta = yaml.safe_load(match.group(1)) if match else {}
    if "date" not in meta:
        raise PluginError(f"{file.src_path}: a news article needs 'date:' in its front matter "
                          "(YYYY-MM-DD, \"YYYY-MM\", \"YYYY\" or null when its source gives none)")
    date = meta["date"]
    title = TITLE.search(text)
    return {
        "title": title.group(1) if title else file.name,
        "date": date if isinstance(date, dt.date) else None,
        "sort_key": sort_key(file.src_path, date),
        "description": meta.get("description", ""),
        "url": file.url,
    }


PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def sort_key(where: str, date) -> tuple[int, int, int]:
    """(year, month, day) with 0 for what the source does not give; (0, 0, 0) when undated."""
    if isinstance(date, dt.datetime):
        date = date.date()
    if isinstance(date, dt.date):
        return date.year, date.month, date.day
    if date is None:
        return 0, 0, 0
    match = PARTIAL_DATE.match(str(date))
    if not match:
        raise PluginError(f"{where}: 'date: {date}' is not YYYY-MM-DD, \"YYYY-MM\", \"YYYY\" or null")
    return int(match.group(1)), int(match.group(2) or 0), 0


def _rss(config: MkDocsConfig, articles: list[dict]) -> str:
    """The RSS 2.0 document, newest article first."""
    language = config.theme.get("language", "en")
    site = config.site_url or "/"
    items = []
    for item in sorted(articles, key=lambda a: (a["sort_key"], a["url"]), reverse=True):
        link = urljoin(site, item["url"])
        published = ""
        if item["date"]:
            moment = dt.datetime.combine(item["date"], dt.time(0, 0), dt.timezone.utc)
            published = f"<pubDate>{format_datetime(moment)}</pubDate>"
        items.append(
            "<item>"
            f"<title>{escape(item['title'])}</title>"
            f"<link>{escape(link)}</link>"
            f"<guid>{escape(link)}</guid>"
            f"{published}"
            f"<description>{escape(item['description'])}</description>"
            "</item>"
        )
    home = urljoin(site, "" if language == "en" else f"{language}/")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(config.site_name)}</title>"
        f"<link>{escape(home)}</link>"
        f"<description>{escape(config.site_description or '')}</description>"
        f"<language>{escape(language)}</language>"
        + "".join(items)
        + "</channel></rss>\n"
    )


# After mkdocs-static-i18n has chosen this language's files.
@event_priority(-100)
def on_files(files: Files, config: MkDocsConfig) -> Files:
    pages = files.documentation_pages()
    articles = [a for a in (_article(f) for f in pages) if a]
    index = next((f for f in pages if NEWS_INDEX.match(f.src_uri)), None)
    if articles and index:
        # Beside the news index, in this language's part of the site.
        feed_path = index.dest_uri.rsplit("/", 1)[0] + "/feed.xml"
        files.append(File.generated(config, feed_path, content=_rss(config, articles)))
    return files
