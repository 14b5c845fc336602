"""Shared knowledge about the built site, for tests and benchmarks."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LANGUAGES = ("en", "km")
CHROMIUM = "/usr/bin/chromium"
# As required on these machines: no sandbox as root, no background requests.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Every browser context the test fixtures open waits at most this long for an
# element or an action, and for a page to load: set on the context (not left
# to Playwright's defaults, or to a `timeout=0` somewhere), so that a page
# that never settles fails its test with Playwright's own message, well
# before pytest-timeout (pyproject.toml) stops the test.
ACTION_TIMEOUT_MS = 20_000
NAVIGATION_TIMEOUT_MS = 30_000
# `python -m resources.build` takes about 30 s on an idle machine; eight
# times that means it hangs: the site fixtures then fail, not wait for ever.
BUILD_TIMEOUT_S = 240

KHMER_LETTER = re.compile(r"[\u1780-\u17ff\u19e0-\u19ff]")
LATIN_LETTER = re.compile(r"[A-Za-z]")


def mkdocs_config() -> dict:
    """mkdocs.yml as data (its custom tags are not used)."""
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def nav_pages() -> list[str]:
    """Every page path in the nav, e.g. 'report/index.md'."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)

    walk(mkdocs_config()["nav"])
    return found


def page_url(path: str, language: str) -> str:
    """Site-relative URL of a page: 'report/index.md' in km -> 'km/report/'."""
    stem = path[: -len(".md")]
    if stem == "index":
        stem = ""
    elif stem.endswith("/index"):
        stem = stem[: -len("/index")]
    prefix = "" if language == "en" else f"{language}/"
    return prefix + (stem + "/" if stem else "")


def built_html(site: Path, path: str, language: str) -> Path:
    return site / page_url(path, language) / "index.html"


def khmer_share(text: str) -> float:
    """Share of Khmer letters among Khmer and Latin letters."""
    khmer = len(KHMER_LETTER.findall(text))
    latin = len(LATIN_LETTER.findall(text))
    return khmer / (khmer + latin) if khmer + latin else 0.0


def build_site(destination: Path, config: Path | None = None) -> subprocess.CompletedProcess:
    """The site into destination as the README's commands build it
    (`python -m resources.build`: the offline kit, the PDFs, then the site);
    with config, a plain `mkdocs build --strict` of that configuration."""
    if config:
        command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(destination),
                   "--config-file", str(config)]
    else:
        command = [sys.executable, "-m", "resources.build", "--site-dir", str(destination)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


@contextlib.contextmanager
def bounded_context(browser, **options):
    """A Playwright browser context (browser.new_context's options) whose
    waits and navigations time out, closed on leaving, whatever happened."""
    context = browser.new_context(**options)
    try:
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        yield context
    finally:
        context.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean; no client addresses logged
        pass

    def send_error(self, code, message=None, explain=None):
        # Serve the site's own 404 page, as nginx will in production.
        not_found = Path(self.directory) / "404.html"
        if code == 404 and not_found.exists():
            body = not_found.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().send_error(code, message, explain)


def serve_directory(directory: Path, handler=_QuietHandler):
    """Serve a directory on loopback in a thread; returns (base_url, server)."""
    port = free_port()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), functools.partial(handler, directory=str(directory))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}/", server


def fonts_drawing(page, selector: str) -> list[dict]:
    """The fonts the renderer actually used for an element's text (Chromium's
    DevTools protocol): family names, whether self-hosted, glyph counts."""
    page.evaluate("document.fonts.ready")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
