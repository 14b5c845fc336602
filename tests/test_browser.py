"""What a visitor relies on, in a real headless Chromium: the language switch
keeps them on the same page, the quick exit leaves at once (keyboard, click,
and without JavaScript), Khmer renders in the self-hosted font, and the search
index loads only when search is used."""

from __future__ import annotations

import re

import pytest

from site_helpers import fonts_drawing, mkdocs_config, page_url

QUICK_EXIT_URL = mkdocs_config()["extra"]["quick_exit_url"]
SAMPLE_PAGES = ["index.md", "report/index.md", "topics/grooming.md", "resources/parents.md", "about/inhope.md"]


def stub_quick_exit_destination(context):
    """The quick exit goes to another host, which this closed network cannot
    reach: answer it locally and record that the browser went there."""
    visits = []

    def answer(route):
        visits.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>elsewhere</title>elsewhere")

    context.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), answer)
    return visits


@pytest.mark.parametrize("path", SAMPLE_PAGES)
def test_language_switcher_goes_to_the_same_page(page, base_url, path):
    page.goto(base_url + page_url(path, "en"))
    page.locator(".md-select").first.hover()
    page.locator(".md-select__link[hreflang=km]").click()
    page.wait_for_load_state()
    assert page.url == base_url + page_url(path, "km")
    assert page.locator("html").get_attribute("lang") == "km"
    page.locator(".md-select").first.hover()
    page.locator(".md-select__link[hreflang=en]").click()
    page.wait_for_load_state()
    assert page.url == base_url + page_url(path, "en")


@pytest.mark.parametrize("language", ["en", "km"])
def test_quick_exit_with_escape_twice_replaces_the_page(new_context, base_url, language):
    context = new_context()
    visits = stub_quick_exit_destination(context)
    page = context.new_page()
    page.goto(base_url + page_url("index.md", language))
    page.goto(base_url + page_url("get-help.md", language))
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url(QUICK_EXIT_URL)
    assert visits == [QUICK_EXIT_URL]
    # The page was replaced, not stacked: Back skips the page the visitor left.
    page.go_back()
    assert page.url == base_url + page_url("index.md", language)


def test_single_escape_does_not_leave(new_context, base_url):
    context = new_context()
    visits = stub_quick_exit_destination(context)
    page = context.new_page()
    page.goto(base_url + page_url("get-help.md", "en"))
    page.keyboard.press("Escape")
    page.wait_for_timeout(1300)
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    assert visits == []
    assert page.url.startswith(base_url)


@pytest.mark.parametrize("javascript", [True, False])
def test_quick_exit_link_works_with_and_without_javascript(new_context, base_url, javascript):
    context = new_context(java_script_enabled=javascript)
    visits = stub_quick_exit_destination(context)
    page = context.new_page()
    page.goto(base_url + page_url("topics/sextortion.md", "km"))
    exit_link = page.locator("#ihc-quick-exit")
    assert exit_link.is_visible()
    exit_link.click()
    page.wait_for_url(QUICK_EXIT_URL)
    assert visits == [QUICK_EXIT_URL]


def test_quick_exit_is_reachable_with_the_keyboard(page, base_url):
    page.goto(base_url + page_url("index.md", "km"))
    # Second in the tab order, right after "skip to content".
    for _ in range(2):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "ihc-quick-exit":
            break
    assert page.evaluate("document.activeElement.id") == "ihc-quick-exit"


def test_khmer_page_renders_with_the_self_hosted_khmer_font(page, base_url):
    fonts = []
    page.on("response", lambda response: fonts.append(response.url) if response.url.endswith(".woff2") else None)
    page.goto(base_url + page_url("resources/children.md", "km"))
    page.evaluate("document.fonts.ready")
    assert any(url.startswith(base_url) and "noto-sans-khmer" in url for url in fonts)
    used = fonts_drawing(page, "article h1")
    khmer_fonts = [f for f in used if f["isCustomFont"] and "Khmer" in f["familyName"]]
    assert khmer_fonts, used
    assert sum(f["glyphCount"] for f in khmer_fonts) >= sum(f["glyphCount"] for f in used) * 0.8


def test_english_page_downloads_no_latin_font(page, base_url):
    fonts = []
    page.on("request", lambda request: fonts.append(request.url) if request.resource_type == "font" else None)
    page.goto(base_url + page_url("topics/privacy.md", "en"), wait_until="networkidle")
    # Only the Khmer face may load (for the "ខ្មែរ" language name); no Latin web font.
    assert all("khmer" in url for url in fonts)


def test_search_index_loads_only_when_search_is_used(page, base_url):
    loaded = []
    page.on("request", lambda request: loaded.append(request.url))
    page.goto(base_url + page_url("index.md", "km"), wait_until="networkidle")
    assert not [url for url in loaded if "search_index" in url or "/workers/search" in url]
    query = page.locator("[data-md-component=search-query]")
    query.click()
    query.fill("INHOPE")
    page.wait_for_selector(".md-search-result__item", timeout=15000)
    # The Khmer page's own index, and Material's worker (run by ours).
    assert [url for url in loaded if url.endswith("/search/search_index.km.json")]
    assert [url for url in loaded if "/workers/search" in url]
    assert not [url for url in loaded if url.endswith("/search/search_index.json")]


# The quick exit on a phone: level with the sticky header, over no text at
# any scroll position, and without the "Esc twice" hint, which means nothing
# on a touch screen.
COVERED_TEXT = """() => {
  const exit = document.getElementById("ihc-quick-exit").getBoundingClientRect();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const covered = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.nodeValue.trim() || node.parentElement.closest("#ihc-quick-exit")) continue;
    const style = getComputedStyle(node.parentElement);
    if (style.visibility === "hidden" || style.display === "none") continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      const overlap = Math.min(r.right, exit.right) - Math.max(r.left, exit.left) > 1
        && Math.min(r.bottom, exit.bottom) - Math.max(r.top, exit.top) > 1;
      if (!overlap || r.bottom <= 0 || r.top >= innerHeight) continue;
      // Text that scrolled under the sticky header is hidden by the header
      // itself: only text that would be on top but for the exit counts.
      const x = (Math.max(r.left, exit.left) + Math.min(r.right, exit.right)) / 2;
      const y = (Math.max(r.top, exit.top) + Math.min(r.bottom, exit.bottom)) / 2;
      const below = document.elementsFromPoint(x, y).filter((el) => !el.closest("#ihc-quick-exit"))[0];
      const box = node.parentElement.getBoundingClientRect();  // clipped text (an ellipsis) ends at its box
      const painted = x >= box.left && x <= box.right && y >= box.top && y <= box.bottom;
      if (painted && below && (below.contains(node.parentElement) || node.parentElement.contains(below)))
        covered.push(node.nodeValue.trim().slice(0, 40));
    }
  }
  return covered;
}"""


@pytest.mark.parametrize("language", ["en", "km"])
@pytest.mark.parametrize("path", ["index.md", "topics/grooming.md", "resources/schools.md"])
def test_quick_exit_on_a_phone_covers_no_text(new_context, base_url, language, path):
    context = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(base_url + page_url(path, language))
    exit_link = page.locator("#ihc-quick-exit")
    assert exit_link.is_visible()
    assert not page.locator("#ihc-quick-exit .ihc-exit__key").is_visible()
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height, 400):
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(50)
        covered = page.evaluate(COVERED_TEXT)
        assert not covered, (y, covered)
        box = exit_link.bounding_box()
        assert box["y"] <= 1 and box["height"] >= 44    # at the top, a whole tap target
