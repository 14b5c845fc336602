"""Search quality and cost: this site's Khmer-aware search against stock
Material search, built from the same content in the same run.

    python benchmarks/search_recall.py [--runs 3]

- "ours": the site as configured (ICU word split of the Khmer index, one index
  per language, Khmer queries split into the index's words in the browser);
- "stock": the same content and theme without the index hook and with
  khmer-search.js blocked, i.e. Material's merged index and its own worker.

Prints, for each: the share of tests/search_queries.yml whose expected page is
in the top 10 (by language and kind), build time (median), and index sizes.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402

from search_helpers import found, open_search, query_set, search  # noqa: E402
from site_helpers import CHROMIUM, CHROMIUM_ARGS, build_site, serve_directory  # noqa: E402

HOOK = "overrides/hooks/khmer_search_index.py"


def stock_config() -> Path:
    """mkdocs.yml without the Khmer index hook, beside the original (relative paths hold)."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config["hooks"] = [hook for hook in config["hooks"] if hook != HOOK]
    path = ROOT / ".mkdocs-stock-search.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def timed_build(config: Path | None) -> tuple[float, Path]:
    site = Path(tempfile.mkdtemp(prefix="ihc-search-"))
    start = time.perf_counter()
    result = build_site(site, config)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(result.stderr[-3000:])
    return elapsed, site


def recall(browser, site: Path, stock: bool) -> dict:
    base, server = serve_directory(site)
    context = browser.new_context()
    if stock:
        context.route("**/khmer-search.js", lambda route: route.abort())
    page = context.new_page()
    scores = {}
    for language, items in query_set().items():
        open_search(page, base, language)
        for item in items:
            hit = found(base, language, item["expect"], search(page, base, item["query"]))
            scores.setdefault((language, item["kind"]), []).append(hit)
            scores.setdefault((language, "all"), []).append(hit)
    context.close()
    server.shutdown()
    return scores


def size(path: Path) -> str:
    data = path.read_bytes()
    return f"{len(data) / 1000:.0f} KB ({len(gzip.compress(data, 6)) / 1000:.0f} KB gzip)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="builds of each variant to time")
    args = parser.parse_args()

    config = stock_config()
    try:
        ours_times, stock_times = [], []
        for _ in range(args.runs):  # alternate, so machine noise hits both alike
            elapsed, ours_site = timed_build(None)
            ours_times.append(elapsed)
            elapsed, stock_site = timed_build(config)
            stock_times.append(elapsed)
    finally:
        config.unlink()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ours = recall(browser, ours_site, stock=False)
        stock = recall(browser, stock_site, stock=True)
        browser.close()

    print("share of queries finding their page in the top 10")
    print(f"{'set':14} {'queries':>7} {'stock':>7} {'ours':>7}")
    for key in sorted(ours):
        n = len(ours[key])
        print(f"{key[0] + ' ' + key[1]:14} {n:>7} {sum(stock[key]) / n:>7.0%} {sum(ours[key]) / n:>7.0%}")
    o, s = statistics.median(ours_times), statistics.median(stock_times)
    print(f"\nbuild time, median of {args.runs}: stock {s:.2f} s, ours {o:.2f} s, added {o - s:+.2f} s ({o / s:.2f}x)")
    print(f"stock index (both languages): {size(stock_site / 'search' / 'search_index.json')}")
    for language in ("km", "en"):
        print(f"our {language} index (loaded on {language} pages): {size(ours_site / 'search' / f'search_index.{language}.json')}")
    print("\ntarget: at least 95% of Khmer queries and of English queries")


if __name__ == "__main__":
    main()
