"""Every page exists in English and Khmer with the same heading ids, and no
Khmer page is an English fallback or a stub."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from site_helpers import DOCS, LANGUAGES, built_html, khmer_share, nav_pages

PAGES = nav_pages()
FENCE = re.compile(r"^(```|~~~)")
HEADING = re.compile(r"^#{1,6}\s")
EXPLICIT_ID = re.compile(r"\{[^}]*#[a-z0-9][a-z0-9-]*[^}]*\}\s*$")


def article(site, path, language) -> BeautifulSoup:
    html = built_html(site, path, language).read_text(encoding="utf-8")
    return BeautifulSoup(html, "html.parser").select_one("article.md-content__inner")


def heading_ids(node) -> list[str]:
    return [h.get("id") for h in node.find_all(re.compile(r"^h[1-6]$"))]


def main_text(node) -> str:
    node = BeautifulSoup(str(node), "html.parser")
    for skip in node.select("pre, code, .headerlink"):
        skip.decompose()
    return node.get_text(" ", strip=True)


@pytest.mark.parametrize("path", PAGES)
def test_page_exists_in_both_languages(path):
    for language in LANGUAGES:
        assert (DOCS / language / path).is_file(), f"missing docs/{language}/{path}"


@pytest.mark.parametrize("path", PAGES)
def test_every_heading_has_an_explicit_id(path):
    for language in LANGUAGES:
        in_fence = False
        for number, line in enumerate((DOCS / language / path).read_text(encoding="utf-8").splitlines(), 1):
            if FENCE.match(line):
                in_fence = not in_fence
            if not in_fence and HEADING.match(line):
                assert EXPLICIT_ID.search(line), f"docs/{language}/{path}:{number} heading without {{#id}}: {line}"


@pytest.mark.parametrize("path", PAGES)
def test_same_heading_ids_in_both_languages(site, path):
    english = heading_ids(article(site, path, "en"))
    khmer = heading_ids(article(site, path, "km"))
    assert english, "page has no headings"
    assert english == khmer


@pytest.mark.parametrize("path", PAGES)
def test_khmer_page_is_written_in_khmer(site, path):
    text = main_text(article(site, path, "km"))
    share = khmer_share(text)
    assert share >= 0.85, f"only {share:.0%} of the letters on the Khmer page are Khmer"


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_written_not_stubs(site, path):
    english = main_text(article(site, path, "en"))
    khmer = main_text(article(site, path, "km"))
    assert "This page is being written" not in english and "ទំព័រនេះកំពុងសរសេរ" not in khmer
    assert len(english.split()) >= 120, "English page too short to be useful"
    # Khmer needs about as many characters as English for the same content.
    assert len(khmer) >= 0.5 * len(english), "Khmer page much shorter than the English one"


@pytest.mark.parametrize("language", LANGUAGES)
def test_html_lang_matches_the_page_language(site, language):
    for path in PAGES:
        html = built_html(site, path, language).read_text(encoding="utf-8")
        assert f'<html lang="{language}"' in html, path
