"""Fixtures: the site built once per test run, served on loopback; the whole
system as deployed (the built site and deploy/nginx/ in a real nginx, the
endpoint in a real gunicorn with deploy/gunicorn.conf.py, SQLite); and a real
headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from types import SimpleNamespace

import pytest
from playwright.sync_api import sync_playwright

from nginx_server import Deployment
from raised_limits import RAISED_ENV
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
def kit(site, tmp_path_factory):
    """The offline kit from the built site, unzipped as on a USB stick."""
    folder = tmp_path_factory.mktemp("usb-stick")
    with zipfile.ZipFile(site / "downloads" / "ihc-offline-kit.zip") as opened:
        opened.extractall(folder)
    return folder / "ihc-offline"


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


@pytest.fixture(scope="session")
def stack(site, tmp_path_factory):
    # Every test reaches the stack from 127.0.0.1: the per-client limits
    # (10 reports in 10 minutes) would make tests depend on each other.
    # The limits themselves are tested in tests/endpoint/test_hardening.py.
    deployment = Deployment(site, tmp_path_factory.mktemp("stack"), RAISED_ENV)
    nginx, endpoint, env = deployment.nginx, deployment.endpoint, deployment.env

    def analyst(*args: str) -> str:
        """An analyst command on the server, against the same instance."""
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "report_endpoint", *args,
                                 "--analyst", "tester"], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    yield SimpleNamespace(base=nginx.base, http_base=nginx.http_base, nginx=nginx, endpoint=endpoint,
                          analyst=analyst, gunicorn_log=deployment.gunicorn_log)
    deployment.stop()
