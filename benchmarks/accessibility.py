"""Accessibility, measured on the whole system as deployed.

    python benchmarks/accessibility.py

The set-up is the tests' (tests/accessibility): the site from `python -m resources.build`,
deploy/nginx/ in a real nginx on loopback with TLS, one gunicorn with
deploy/gunicorn.conf.py, SQLite; headless Chromium.  Prints:

1. axe-core violations (tests/axe_helpers.py: WCAG 2.x A and AA and axe's
   best practices, plus duplicate ids) on every page in English and Khmer,
   the 404 page, and each state of the report form and the status check;
   expected 0 everywhere.
2. The Tab presses the keyboard-only report needs (tests/keyboard_helpers.py),
   step by step, in both languages, and to the form through "skip to content".
Needs nginx and axe-core (`npm ci`).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402

from axe_helpers import AXE_JS, FORM_STATES, axe_violations, form_states  # noqa: E402
from keyboard_helpers import report_by_keyboard, tabs_via_skip_link  # noqa: E402
from nginx_server import NGINX, Deployment  # noqa: E402
from raised_limits import RAISED_ENV  # noqa: E402
from site_helpers import CHROMIUM, CHROMIUM_ARGS, LANGUAGES, nav_pages, page_url  # noqa: E402


def count(violations: list[dict]) -> int:
    """Failing elements, over all rules."""
    return sum(len(v["nodes"]) for v in violations)


def row(name: str, cells: dict[str, list[dict]]) -> str:
    """A table row: the count per language, and the rules if any."""
    rules = sorted({v["id"] for found in cells.values() for v in found})
    return (f"{name:48} " + " ".join(f"{count(cells[lang]):>4}" for lang in LANGUAGES)
            + (f"   {', '.join(rules)}" if rules else ""))


def main() -> int:
    if not AXE_JS.exists():
        sys.exit(f"{AXE_JS} is missing: run `npm ci`")
    if not Path(NGINX).exists():
        sys.exit("nginx is not installed (Debian: apt-get install nginx)")
    started = time.monotonic()
    total = 0
    work = Path(tempfile.mkdtemp(prefix="ihc-a11y-bench-"))
    servers = []
    try:
        # One client (127.0.0.1) sends every report here: per-client limits raised.
        deployment = Deployment.of_a_fresh_build(work, RAISED_ENV)
        servers.append(deployment)
        nginx = deployment.nginx

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(ignore_https_errors=True, bypass_csp=True)
            page = context.new_page()
            rows, checked = [], 0
            for path in [*nav_pages(), "404"]:
                cells = {}
                for lang in LANGUAGES:
                    url = "no-such-page/" if path == "404" else page_url(path, "en")
                    page.goto(f"{nginx.base}/{'km/' if lang == 'km' else ''}{url}")
                    cells[lang] = axe_violations(page)
                    total += count(cells[lang])
                    checked += 1
                rows.append(row(path, cells))
            context.close()

            states = {name: {} for name in FORM_STATES}
            for lang in LANGUAGES:
                context = browser.new_context(ignore_https_errors=True, bypass_csp=True)
                page = context.new_page()
                for name in form_states(page, nginx.base, lang):
                    states[name][lang] = axe_violations(page)
                    total += count(states[name][lang])
                    checked += 1
                context.close()
            rows += [row(name, cells) for name, cells in states.items()]

            keyboard, skipping = {}, {}
            for lang in LANGUAGES:
                context = browser.new_context(ignore_https_errors=True)
                keyboard[lang] = report_by_keyboard(context.new_page(), nginx.base, lang)
                skipping[lang] = tabs_via_skip_link(context.new_page(), nginx.base, lang)
                context.close()
            browser.close()

        print("axe-core violations (failing elements) per page and state, through nginx")
        print(f"{'page or state':48} " + " ".join(f"{lang:>4}" for lang in LANGUAGES))
        print("\n".join(rows))
        print(f"\n{len(nav_pages())} pages and the 404 page in {len(LANGUAGES)} languages, "
              f"{len(FORM_STATES)} form states in each: {checked} checks, {total} violations")

        print("\nKeyboard only: Tab presses per step of the report and the status check")
        steps = list(keyboard[LANGUAGES[0]]["presses"])
        print(f"{'step':34} " + " ".join(f"{lang:>4}" for lang in LANGUAGES))
        for step in steps:
            print(f"{step:34} " + " ".join(f"{keyboard[lang]['presses'][step]:>4}" for lang in LANGUAGES))
        print(f"{'total':34} " + " ".join(f"{sum(keyboard[lang]['presses'].values()):>4}" for lang in LANGUAGES))
        print(f"{'page load → where seen, skip link':34} " + " ".join(f"{skipping[lang]:>4}" for lang in LANGUAGES)
              + "   (Tab, Enter, Tab...)")
        print("stage shown: " + ", ".join(f"{lang} {keyboard[lang]['stage']}" for lang in LANGUAGES))
        print(f"\n{time.monotonic() - started:.0f} s in all")
    finally:
        for server in reversed(servers):
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())
