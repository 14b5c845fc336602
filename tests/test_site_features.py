"""Site-wide promises checked in the built files: safety links on every page,
hreflang alternates, the bilingual 404 page, the news feed, Khmer-safe CSS."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from urllib.parse import urljoin

import pytest
import yaml
from bs4 import BeautifulSoup

from site_helpers import DOCS, LANGUAGES, ROOT, built_html, mkdocs_config, nav_pages, page_url

SITE_URL = mkdocs_config()["site_url"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_has_quick_exit_report_and_get_help(site, language):
    for path in nav_pages():
        soup = BeautifulSoup(built_html(site, path, language).read_text(encoding="utf-8"), "html.parser")
        exit_link = soup.select_one("a#ihc-quick-exit[data-ihc-quick-exit]")
        assert exit_link and exit_link["href"] == mkdocs_config()["extra"]["quick_exit_url"], path
        here = "http://site.test/" + page_url(path, language)
        targets = {urljoin(here, a["href"]) for a in soup.select(".ihc-safety a")}
        wanted = {"http://site.test/" + page_url(p, language) for p in ("report/index.md", "report/status.md", "get-help.md")}
        assert targets == wanted, path


def test_sitemap_has_hreflang_alternates_for_every_page(site):
    tree = ET.parse(site / "sitemap.xml")
    alternates = {}
    # {*}: any namespace (the sitemap's and XHTML's).
    for url in tree.getroot().findall("{*}url"):
        location = url.find("{*}loc").text
        alternates[location] = {link.get("hreflang"): link.get("href") for link in url.findall("{*}link")}
    for path in nav_pages():
        english, khmer = SITE_URL + page_url(path, "en"), SITE_URL + page_url(path, "km")
        assert alternates.get(english, {}).get("km") == khmer, path
        assert alternates.get(khmer, {}).get("en") == english, path


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_declare_their_other_language(site, language):
    other = "km" if language == "en" else "en"
    soup = BeautifulSoup(built_html(site, "about/inhope.md", language).read_text(encoding="utf-8"), "html.parser")
    link = soup.select_one(f'link[rel=alternate][hreflang="{other}"]')
    assert link is not None


def test_not_found_page_speaks_both_languages(site):
    soup = BeautifulSoup((site / "404.html").read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article")
    assert article.select_one("[lang=km] h1") and article.select_one("[lang=en] h2")
    hrefs = {a["href"] for a in article.find_all("a")}
    assert {"/", "/km/", "/report/", "/km/report/"} <= hrefs


def test_not_found_is_served_for_unknown_addresses(page, base_url):
    response = page.goto(base_url + "km/no-such-page/")
    assert response.status == 404
    assert "រកមិនឃើញទំព័រ" in page.content() and "Page not found" in page.content()


@pytest.mark.parametrize("language", LANGUAGES)
def test_news_feed_lists_every_article_newest_first(site, language):
    articles = sorted(p.stem for p in (DOCS / language / "news").glob("*.md") if p.stem != "index")
    feed = ET.parse(site / page_url("news/index.md", language) / "feed.xml").getroot()
    links = [item.findtext("link") for item in feed.iter("item")]
    assert sorted(link.rstrip("/").split("/")[-1] for link in links) == articles
    # Dated only as precisely as the source: a <pubDate> only where the
    # source gives a day; such items first, newest first.
    dated = {}
    for path in (DOCS / language / "news").glob("*.md"):
        meta = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1]) if path.stem != "index" else {}
        if isinstance(meta.get("date"), dt.date):
            dated[path.stem] = meta["date"]
    items = [(item.findtext("link").rstrip("/").split("/")[-1], item.findtext("pubDate")) for item in feed.iter("item")]
    assert {stem for stem, published in items if published} == set(dated)
    order = [stem for stem, _ in items]
    assert order[:len(dated)] == sorted(dated, key=dated.get, reverse=True)
    assert feed.findtext("channel/language") == language


def test_our_stylesheet_keeps_khmer_readable():
    css = (ROOT / "overrides" / "assets" / "stylesheets" / "ihc.css").read_text(encoding="utf-8")
    declarations = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    assert "break-all" not in declarations
    assert "justify" not in declarations
    khmer_line_height = re.search(r'html\[lang="km"\] \.md-typeset \{ line-height: ([\d.]+)', declarations)
    assert khmer_line_height and float(khmer_line_height.group(1)) >= 1.8


def test_theme_fonts_are_off_and_khmer_font_is_bundled(site):
    assert mkdocs_config()["theme"]["font"] is False
    fonts = sorted(p.name for p in (site / "assets" / "fonts").glob("*.woff2"))
    assert fonts == ["noto-sans-khmer-khmer-400-normal.woff2", "noto-sans-khmer-khmer-700-normal.woff2"]


@pytest.mark.parametrize("path", nav_pages())
def test_khmer_text_has_no_line_break_spaces(site, path):
    """A source line break inside a Khmer sentence must not become a space
    (Khmer uses spaces only between phrases)."""
    soup = BeautifulSoup(built_html(site, path, "km").read_text(encoding="utf-8"), "html.parser")
    for block in soup.select("article p, article li, article td"):
        for text in block.find_all(string=True):
            assert not re.search(r"[\u1780-\u17ff]\s*\n\s*[\u1780-\u17ff]", text), f"{path}: {text[:80]!r}"
