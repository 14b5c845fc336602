"""Fixtures: the site built once per test run, served on loopback; the whole
system as deployed (the built site and deploy/nginx/ in a real nginx, the
endpoint in a real gunicorn with deploy/gunicorn.conf.py, SQLite); and a real
headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import sync_playwright

from nginx_server import Deployment
from raised_limits import RAISED_ENV
from site_helpers import CHROMIUM, CHROMIUM_ARGS, bounded_context, build_site, serve_directory

# ── The `slow` marker ──────────────────────────────────────────────────────
# `pytest -m "not slow"` is the developer's quick run (under 3 minutes); CI's
# `make test` runs everything.  Marked here, centrally, so that every module
# is covered, including new ones:
# - any test that needs the built site (the `build` fixture, under `site`,
#   `kit`, `base_url` and `stack`): the build with its PDFs takes 30 to 40 s,
#   and several checks read every PDF or every page after it;
# - any test that drives Chromium (`browser`): seconds per test;
# - these modules, for what they start or how long they run:
SLOW_MODULES = {
    "tests/deploy": "real nginx and gunicorn, several configurations",
    "tests/endpoint/test_durability.py": "SIGKILLs gunicorn workers, round after round: 100 s",
    "tests/endpoint/test_properties.py": "hypothesis: hundreds of generated requests per test, 55 s",
    "tests/hostile/test_flood.py": "a flood of requests against a real server",
    "tests/hostile/test_schemathesis.py": "generated requests against a real server",
}
# Not slow: tests/endpoint/test_postgres.py (its own server starts in 2 s)
# and tests/test_code_checks.py (bandit, a few seconds a test).
SLOW_FIXTURES = {"build", "browser", "stack"}
# Per-test time bounds above pyproject.toml's default (300 s), for tests that
# are long by design; measured on a loaded 2-core machine.  A module's own
# @pytest.mark.timeout comes first and wins over these.
LONG_RUNNING = {
    "tests/endpoint/test_durability.py": 900,   # 18 rounds of SIGKILL: 100 s measured
}


def in_module(nodeid: str, prefix: str) -> bool:
    module = nodeid.split("::")[0]
    return module == prefix or module.startswith(prefix + "/")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if (SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
                or any(in_module(item.nodeid, slow) for slow in SLOW_MODULES)):
            item.add_marker(pytest.mark.slow)
        for prefix, seconds in LONG_RUNNING.items():
            if in_module(item.nodeid, prefix):
                item.add_marker(pytest.mark.timeout(seconds))


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
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def new_context(browser):
    """Opens browser contexts (browser.new_context's options) with bounded
    waits (site_helpers.bounded_context); every one is closed after the
    test, passed or failed.  Tests never close contexts themselves."""
    with contextlib.ExitStack() as opened:
        yield lambda **options: opened.enter_context(bounded_context(browser, **options))


@pytest.fixture()
def page(new_context):
    return new_context().new_page()


@pytest.fixture(scope="session")
def stack(site, tmp_path_factory):
    # Every test reaches the stack from 127.0.0.1: the per-client limits
    # (10 reports in 10 minutes), the app's and nginx's, would make tests
    # depend on each other, so both are raised.  The limits themselves are
    # tested in tests/endpoint/test_hardening.py and tests/deploy/
    # (test_rate_limits.py, test_app_limiter.py), at production values.
    deployment = Deployment(site, tmp_path_factory.mktemp("stack"), RAISED_ENV, raise_limits=True)
    nginx, endpoint, env = deployment.nginx, deployment.endpoint, deployment.env

    def analyst(*args: str) -> str:
        """An analyst command on the server, against the same instance."""
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "report_endpoint", *args,
                                 "--analyst", "tester"], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    try:
        yield SimpleNamespace(base=nginx.base, http_base=nginx.http_base, nginx=nginx, endpoint=endpoint,
                              analyst=analyst, gunicorn_log=deployment.gunicorn_log,
                              instance=Path(env["REPORT_INSTANCE_PATH"]), env=env)
    finally:
        deployment.stop()
