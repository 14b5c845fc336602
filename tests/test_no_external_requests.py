"""No page, stylesheet or script loads anything from another host: checked in
the built files and, for every page in both languages, in a real browser."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from bs4 import BeautifulSoup

from site_helpers import LANGUAGES, nav_pages, page_url

# Attributes through which HTML makes the browser fetch something by itself.
LOADING = {
    "script": ["src"], "img": ["src", "srcset"], "iframe": ["src"], "frame": ["src"],
    "source": ["src", "srcset"], "video": ["src", "poster"], "audio": ["src"],
    "track": ["src"], "embed": ["src"], "object": ["data"], "input": ["src"],
    "image": ["href", "xlink:href"], "use": ["href", "xlink:href"],
}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)""")
CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'");]+)""")
JS_ABSOLUTE = re.compile(r"""["'`](?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/""", re.I)


def is_external(reference: str) -> bool:
    reference = reference.strip().split()[0] if reference.strip() else ""
    parsed = urlparse(reference)
    return bool(parsed.netloc) or parsed.scheme in {"http", "https", "ftp"}


def test_html_loads_nothing_from_another_host(site):
    offenders = []
    for html_file in site.rglob("*.html"):
        soup = BeautifulSoup(html_file.read_text(encoding="utf-8"), "html.parser")
        for tag, attributes in LOADING.items():
            for element in soup.find_all(tag):
                for attribute in attributes:
                    for value in (element.get(attribute) or "").split(","):
                        if value and is_external(value):
                            offenders.append(f"{html_file.relative_to(site)}: <{tag} {attribute}={value}>")
        for link in soup.find_all("link"):
            relations = set(link.get("rel") or [])
            # rel=alternate/canonical are addresses, not requests.
            if relations & {"stylesheet", "preload", "modulepreload", "prefetch", "preconnect",
                            "dns-prefetch", "icon", "manifest", "apple-touch-icon"}:
                if is_external(link.get("href", "")):
                    offenders.append(f"{html_file.relative_to(site)}: <link {relations} {link['href']}>")
        for style in soup.find_all("style"):
            offenders += [f"{html_file.relative_to(site)}: css {u}" for u in CSS_URL.findall(style.text) if is_external(u)]
    assert offenders == []


def test_stylesheets_load_nothing_from_another_host(site):
    offenders = []
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        for reference in CSS_URL.findall(text) + CSS_IMPORT.findall(text):
            if is_external(reference):
                offenders.append(f"{css.relative_to(site)}: {reference}")
    assert offenders == []


def test_our_scripts_name_no_other_host(site):
    for script in (site / "assets" / "javascripts").glob("*.js"):
        if script.name.startswith("bundle."):
            continue  # Material's bundle; covered by the browser test below
        assert not JS_ABSOLUTE.search(script.read_text(encoding="utf-8")), script.name


@pytest.mark.parametrize("language", LANGUAGES)
def test_browser_requests_stay_on_this_host(new_context, base_url, language):
    """Open every page, use search, and record every request the browser makes."""
    context = new_context()
    requests = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    for path in nav_pages():
        page.goto(base_url + page_url(path, language), wait_until="load")
    # Searching loads the index and worker; those must be local too.
    query = page.locator("[data-md-component=search-query]")
    query.click()
    query.fill("APLE")
    page.wait_for_selector(".md-search-result__item", timeout=15000)
    host = urlparse(base_url).netloc
    foreign = sorted({url for url in requests if urlparse(url).netloc not in {host, ""} and not url.startswith("data:")})
    assert len(requests) > len(nav_pages())
    assert foreign == []
