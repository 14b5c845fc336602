"""Fixtures: the site built once per test run, served on loopback, and a real
headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from site_helpers import CHROMIUM, CHROMIUM_ARGS, build_site, serve_directory


@pytest.fixture(scope="session")
def build(tmp_path_factory):
    """The result of `mkdocs build --strict` (the process and the site folder)."""
    site = tmp_path_factory.mktemp("site")
    result = build_site(site)
    return result, site


@pytest.fixture(scope="session")
def site(build):
    result, folder = build
    assert result.returncode == 0, result.stderr[-4000:]
    return folder


@pytest.fixture(scope="session")
def base_url(site):
    url, server = serve_directory(site)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
