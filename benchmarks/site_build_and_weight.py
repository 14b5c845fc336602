"""Figures for the static site: build time, and first-visit weight of pages.

    python benchmarks/site_build_and_weight.py [--runs 3]

Prints:
- the wall time of `mkdocs build --strict` for the whole bilingual site
  (median and each run);
- for the English and Khmer home pages (and a few others), a first visit in a
  fresh headless Chromium: every request, bytes on the wire with gzip (as
  nginx serves them), and the number of requests to other hosts;
- what the first search costs on top (index and worker, loaded on demand).
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402

from site_helpers import CHROMIUM, CHROMIUM_ARGS, build_site, page_url, serve_directory  # noqa: E402

COMPRESSIBLE = (".html", ".css", ".js", ".json", ".xml", ".svg", ".txt")
PAGES = [("index.md", "km"), ("index.md", "en"), ("report/index.md", "km"),
         ("topics/grooming.md", "km"), ("resources/parents.md", "en")]


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip level 6 for text as nginx's gzip would send them."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            return self.send_error(404)
        body = path.read_bytes()
        compress = path.suffix in COMPRESSIBLE and "gzip" in self.headers.get("Accept-Encoding", "")
        if compress:
            body = gzip.compress(body, compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Length", str(len(body)))
        if compress:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        self.wfile.write(body)


def time_builds(runs: int) -> tuple[list[float], Path]:
    times, site = [], None
    for _ in range(runs):
        site = Path(tempfile.mkdtemp(prefix="ihc-site-"))
        start = time.perf_counter()
        result = build_site(site)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            sys.exit(result.stderr[-3000:])
    return times, site


def first_visit(browser, url: str, search: str | None = None, ignore_https_errors: bool = False) -> dict:
    context = browser.new_context(ignore_https_errors=ignore_https_errors)
    page = context.new_page()
    responses = []
    page.on("requestfinished", lambda request: responses.append(request))
    page.goto(url, wait_until="networkidle")
    page.wait_for_timeout(300)
    visit = summarise(responses, url)
    if search:
        before = len(responses)
        query = page.locator("[data-md-component=search-query]")
        query.click()
        query.fill(search)
        page.wait_for_selector(".md-search-result__item", timeout=20000)
        page.wait_for_load_state("networkidle")
        visit["search"] = summarise(responses[before:], url)
    context.close()
    return visit


def summarise(requests, page_address: str) -> dict:
    host = urlparse(page_address).netloc
    rows = []
    for request in requests:
        sizes = request.sizes()
        rows.append((request.url, sizes["responseBodySize"] + sizes["responseHeadersSize"]))
    return {
        "requests": len(rows),
        "bytes": sum(size for _, size in rows),
        "other_hosts": sum(1 for url, _ in rows if urlparse(url).netloc not in (host, "")),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="number of builds to time")
    parser.add_argument("--detail", action="store_true", help="list every request")
    args = parser.parse_args()

    times, site = time_builds(args.runs)
    print(f"build: median {statistics.median(times):.2f} s over {len(times)} runs "
          f"({', '.join(f'{t:.2f}' for t in times)}); target < 60 s")
    pages = sum(1 for _ in site.rglob("index.html"))
    print(f"pages built: {pages} (both languages)")

    base, server = serve_directory(site, GzipHandler)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print("\nfirst visit, fresh browser, gzip as in production:")
        print(f"{'page':32} {'requests':>8} {'KB':>8} {'other hosts':>11}")
        for path, language in PAGES:
            url = base + page_url(path, language)
            visit = first_visit(browser, url, search="APLE" if path == "index.md" else None)
            label = f"{language}:{path}"
            print(f"{label:32} {visit['requests']:>8} {visit['bytes'] / 1000:>8.1f} {visit['other_hosts']:>11}")
            if args.detail:
                for address, size in visit["rows"]:
                    print(f"    {size / 1000:7.1f} KB  {address[len(base) - 1:]}")
            if "search" in visit:
                s = visit["search"]
                print(f"{'  + first search':32} {s['requests']:>8} {s['bytes'] / 1000:>8.1f} {s['other_hosts']:>11}")
        browser.close()
    server.shutdown()
    print("\ntargets: 0 requests to other hosts; Khmer home page <= 100 KB with its fonts")


if __name__ == "__main__":
    main()
