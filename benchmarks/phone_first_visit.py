"""First visit on a phone: weight and requests of the front door pages.

    python benchmarks/phone_first_visit.py [--site DIR] [--detail]

For the home page, each audience hub, the children's corner, its stories and
games and the quizzes, in Khmer (and English with --english): a fresh
headless Chromium at a 390x844 phone viewport (touch, 3x pixels) loads the
page from a local server that gzips text as nginx does; fonts and
illustrations count.  Prints requests, kilobytes on the wire and requests to
other hosts, against the targets of at most 100 KB and 12 requests, 0 to
other hosts.  Uses the built site in ./site unless --site says otherwise
(make build first).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from site_build_and_weight import GzipHandler, summarise  # noqa: E402
from site_helpers import CHROMIUM, CHROMIUM_ARGS, page_url, serve_directory  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
HUBS = ["resources/young-people.md", "resources/parents.md", "resources/schools.md",
        "resources/professionals.md", "resources/public-media.md", "resources/quizzes/index.md"]
TARGET_KB, TARGET_REQUESTS = 100, 12


def front_door_pages() -> list[str]:
    children = sorted(str(p.relative_to(ROOT / "docs" / "en")) for p in (ROOT / "docs" / "en" / "children").rglob("*.md"))
    quizzes = sorted(str(p.relative_to(ROOT / "docs" / "en")) for p in (ROOT / "docs" / "en" / "resources" / "quizzes").glob("*.md"))
    return ["index.md", *HUBS, "resources/children.md", *children, *[q for q in quizzes if q not in HUBS]]


def phone_visit(browser, url: str) -> dict:
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        finished = []
        page.on("requestfinished", lambda request: finished.append(request))
        page.goto(url, wait_until="networkidle", timeout=30000)
        page.wait_for_timeout(300)
        return summarise(finished, url)
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--english", action="store_true", help="measure the English pages too")
    parser.add_argument("--detail", action="store_true", help="list every request")
    args = parser.parse_args()
    if not (args.site / "index.html").is_file():
        sys.exit(f"no built site in {args.site}: run make build first")

    languages = ["km", "en"] if args.english else ["km"]
    base, server = serve_directory(args.site, GzipHandler)
    over = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print(f"first visit at 390x844, fresh browser, gzip as in production; targets <= {TARGET_KB} KB, "
              f"<= {TARGET_REQUESTS} requests, 0 other hosts")
        print(f"{'page':44} {'requests':>8} {'KB':>7} {'other hosts':>11}")
        for language in languages:
            for path in front_door_pages():
                url = base + page_url(path, language)
                visit = phone_visit(browser, url)
                fails = visit["bytes"] / 1000 > TARGET_KB or visit["requests"] > TARGET_REQUESTS or visit["other_hosts"]
                over += bool(fails)
                print(f"{language + ':' + path:44} {visit['requests']:>8} {visit['bytes'] / 1000:>7.1f} "
                      f"{visit['other_hosts']:>11}{'  OVER' if fails else ''}")
                if args.detail:
                    for address, size in visit["rows"]:
                        print(f"    {size / 1000:7.1f} KB  {address[len(base) - 1:]}")
        browser.close()
    server.shutdown()
    print(f"\npages over a target: {over}")


if __name__ == "__main__":
    main()
