"""Typing the project's query set into the site's real search box."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import urljoin

import yaml

from site_helpers import ROOT, page_url

QUERY_SET = Path(__file__).with_name("search_queries.yml")
TOP = 10


def query_set() -> dict[str, list[dict]]:
    return yaml.safe_load(QUERY_SET.read_text(encoding="utf-8"))


def open_search(page, base_url: str, language: str) -> None:
    """Open the home page of a language and wait until search is ready."""
    page.goto(base_url + page_url("index.md", language))
    box = page.locator("[data-md-component=search-query]")
    box.click()
    box.fill("")


def search(page, base_url: str, query: str) -> list[str]:
    """Type a query; return the addresses of the top result pages, best first."""
    box = page.locator("[data-md-component=search-query]")
    meta = page.locator(".md-search-result__meta")
    box.fill("")
    box.press("End")  # Material reads the box on keyup
    # An empty box shows the placeholder; a finished search replaces it.
    placeholder = page.evaluate("JSON.parse(document.getElementById('__config').textContent)"
                                ".translations['search.result.placeholder']")
    page.wait_for_function("([el, text]) => el.textContent.trim() === text", arg=[meta.element_handle(), placeholder])
    # Khmer is entered through an input method: the text arrives as one input,
    # then a key is released, which is when Material reads the box.
    box.fill(query)
    box.press("End")
    page.wait_for_function("([el, text]) => el.textContent.trim() !== text", arg=[meta.element_handle(), placeholder],
                           timeout=20000)
    hrefs = page.eval_on_selector_all(
        ".md-search-result__list > .md-search-result__item > a:first-child",
        "links => links.map(a => a.href)")
    pages = []
    for href in hrefs:
        address = urljoin(page.url, href).split("#")[0].split("?")[0]
        if address not in pages:
            pages.append(address)
    return pages[:TOP]


def found(base_url: str, language: str, expected: list[str], results: list[str]) -> bool:
    return any(base_url + page_url(path, language) in results for path in expected)


def git_show(revision: str, path: str) -> str | None:
    """A file as it is in a git revision of this repository (read only), or None."""
    result = subprocess.run(["git", "show", f"{revision}:{path}"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    return result.returncode == 0 and result.stdout or None
