"""The front door and the learning half, as children, young people, parents and
teachers meet them on a phone (Chromium at 390x844, touch): each audience one
tap from the home page; games and quizzes played to the end with a mouse and
with the keyboard alone, in both languages, online and from the offline kit,
with nothing stored and nothing sent; the promise ticked and printed on one
page; stories read aloud only with a voice for their language."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from axe_helpers import axe_violations, describe
from site_helpers import DOCS, LANGUAGES, page_url

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
# Each audience's hub: children (6-11), young people (12-17), parents and
# carers, teachers and schools, professionals, journalists and the public.
HUB_PATHS = ["children/index.md", "resources/young-people.md", "resources/parents.md",
             "resources/schools.md", "resources/professionals.md", "resources/public-media.md"]


FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


def front_matter(path: Path) -> dict:
    found = FRONT_MATTER.match(path.read_text(encoding="utf-8"))
    return yaml.safe_load(found.group(1)) if found else {}


ACTIVITIES = sorted(str(p.relative_to(DOCS / "en")) for p in (DOCS / "en").rglob("*.md")
                    if "activity" in front_matter(p))
STORIES = sorted(str(p.relative_to(DOCS / "en")) for p in (DOCS / "en" / "children" / "stories").glob("*.md"))

# What a page may leave behind in the browser, read before and after play.
STORAGE = """async () => ({
  cookies: document.cookie,
  local: Object.entries(localStorage),
  session: Object.entries(sessionStorage),
  databases: indexedDB.databases ? (await indexedDB.databases()).map(d => d.name) : []
})"""


@pytest.fixture()
def phone(new_context):
    return new_context(**PHONE).new_page()


def test_the_front_door_has_the_pages_it_needs():
    assert len([a for a in ACTIVITIES if a.startswith("children/")]) >= 2
    assert len([a for a in ACTIVITIES if a.startswith("resources/quizzes/")]) >= 4
    bands = [front_matter(DOCS / "en" / s).get("age_band") for s in STORIES]
    assert bands.count("6-8") >= 3 and bands.count("9-11") >= 3, bands


# ── Entry points ────────────────────────────────────────────────────────────

@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_audience_is_one_tap_from_the_home_page_within_two_screens(phone, base_url, lang):
    for hub in HUB_PATHS:
        phone.goto(base_url + page_url("index.md", lang))
        card = phone.locator(f".ihc-cards a[href='{page_url(hub, 'en')}']").first
        # The card's link is the card: tapping it anywhere leaves for the hub.
        box = card.locator("xpath=ancestor::li[1]").bounding_box()
        top = box["y"] + phone.evaluate("window.scrollY")
        assert top + box["height"] <= 2 * 844, f"{hub}: card ends {top + box['height']:.0f} px down"
        # Tapped under its last line, away from the link's own text.
        with phone.expect_navigation():
            card.locator("xpath=ancestor::li[1]").tap(position={"x": box["width"] / 2, "y": box["height"] - 6})
        assert phone.url == base_url + page_url(hub, lang), hub


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_hub_starts_with_three_things_and_cards(site, lang):
    from bs4 import BeautifulSoup
    for hub in HUB_PATHS[1:]:
        html = (site / page_url(hub, lang) / "index.html").read_text(encoding="utf-8")
        article = BeautifulSoup(html, "html.parser").select_one("article")
        start = article.select_one(".ihc-start")
        assert start is not None, hub
        assert len(start.select("ol > li")) == 3, hub
        assert len(article.select(".ihc-cards li a")) >= 4, hub


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_schools_lesson_packs_are_within_two_phone_screens(phone, base_url, lang):
    phone.goto(base_url + page_url("resources/schools.md", lang))
    first_pack = phone.locator("a[type='application/pdf']").first
    top = first_pack.bounding_box()["y"] + phone.evaluate("window.scrollY")
    assert top <= 2 * 844, f"first lesson pack at {top:.0f} px"


# ── Games and quizzes ───────────────────────────────────────────────────────

def play(page, by_keyboard: bool) -> int:
    """Play the activity on the page to its end; returns the scenarios played.
    With the mouse every choice is tried and must show its own feedback."""
    items = page.locator(".ihc-activity__item")
    total = items.count()
    for index in range(total):
        item = items.nth(index)
        assert item.is_visible() and all(not items.nth(i).is_visible() for i in range(total) if i != index)
        options = item.locator(".ihc-activity__option")
        assert options.count() >= 2
        response = item.locator(".ihc-activity__response")
        help_route = item.locator(".ihc-activity__help")
        assert not help_route.is_visible()
        if by_keyboard:
            for _ in range(40):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement.classList.contains('ihc-activity__option')"):
                    break
            page.keyboard.press("Enter")
            assert response.inner_text().strip()
            for _ in range(40):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement.classList.contains('ihc-activity__next')"):
                    break
            assert help_route.is_visible()
            page.keyboard.press("Enter")
        else:
            seen = set()
            for choice in range(options.count()):
                options.nth(choice).click()
                text = response.inner_text().strip()
                assert text and text not in seen, f"choice {choice + 1} of item {index + 1}: no feedback of its own"
                seen.add(text)
                assert options.nth(choice).get_attribute("aria-pressed") == "true"
            assert help_route.is_visible()
            item.locator(".ihc-activity__next").click()
    end = page.locator(".ihc-activity__end")
    assert end.is_visible()
    assert page.evaluate("document.activeElement.id") == "activity-end"
    assert page.locator("[data-ihc-result]").inner_text().strip()
    return total


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", ACTIVITIES)
def test_activity_played_to_the_end_with_the_mouse_storing_and_sending_nothing(new_context, base_url, path, lang):
    context = new_context(**PHONE)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(base_url + page_url(path, lang), wait_until="networkidle")
    before = page.evaluate(STORAGE)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    played = play(page, by_keyboard=False)
    assert played >= (10 if path.startswith("children/") else 8)
    page.locator(".ihc-activity__again").click()
    assert page.locator(".ihc-activity__item").first.is_visible()
    assert page.evaluate(STORAGE) == before
    assert requests == [], requests
    assert errors == []
    if lang == "km":
        counts = page.locator(".ihc-activity__count").all_inner_texts()
        assert not any(re.search("[0-9]", c) for c in counts), counts


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", ACTIVITIES)
def test_activity_played_to_the_end_with_the_keyboard_alone(new_context, base_url, path, lang):
    context = new_context()
    page = context.new_page()
    page.goto(base_url + page_url(path, lang))
    assert play(page, by_keyboard=True) >= 8


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_state_of_a_game_has_no_accessibility_violation(new_context, base_url, lang):
    context = new_context(**PHONE)
    page = context.new_page()
    for path in ACTIVITIES:
        page.goto(base_url + page_url(path, lang))
        items = page.locator(".ihc-activity__item")
        for state in ("start", "feedback", "end"):
            if state == "feedback":
                items.first.locator(".ihc-activity__option").first.click()
            if state == "end":
                for index in range(items.count()):
                    items.nth(index).locator(".ihc-activity__option").first.click()
                    items.nth(index).locator(".ihc-activity__next").click()
            violations = axe_violations(page)
            assert violations == [], describe(violations, f"{lang}:{path} ({state})")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_without_javascript_every_scenario_and_answer_can_be_read(new_context, base_url, lang):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    for path in ACTIVITIES:
        page.goto(base_url + page_url(path, lang))
        items = page.locator(".ihc-activity__item")
        assert items.count() >= 8 and items.nth(items.count() - 1).is_visible()
        choice = items.first.locator("details").first
        feedback = choice.locator(".ihc-activity__feedback")
        assert not feedback.is_visible()
        choice.locator("summary").click()
        assert feedback.is_visible() and feedback.inner_text().strip()
        assert items.first.locator(".ihc-activity__help").is_visible()


def test_the_games_work_from_the_offline_kit(new_context, kit):
    context = new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    for path in ACTIVITIES:
        for lang in LANGUAGES:
            file = kit / ("" if lang == "en" else lang) / path.replace(".md", ".html")
            page.goto(file.as_uri())
            assert play(page, by_keyboard=False) >= 8
    assert errors == []


# ── The promise ─────────────────────────────────────────────────────────────

@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_promise_can_be_ticked_and_prints_on_one_page(phone, base_url, lang):
    phone.goto(base_url + page_url("children/promise.md", lang))
    boxes = phone.locator(".ihc-promise__list input[type=checkbox]")
    assert boxes.count() >= 6
    for index in range(boxes.count()):
        assert not boxes.nth(index).is_checked() and boxes.nth(index).is_enabled()
        phone.locator(".ihc-promise__list label").nth(index).tap()
        assert boxes.nth(index).is_checked()
    pdf = PdfReader(io.BytesIO(phone.pdf(format="A4", print_background=True)))
    assert len(pdf.pages) == 1
    text = pdf.pages[0].extract_text()
    first_promise = phone.locator(".ihc-promise__list label").first.inner_text()
    assert first_promise.split()[0] in text or lang == "km"


# ── Read aloud ──────────────────────────────────────────────────────────────

SPEECH_STUB = """voices => {
  window.__spoken = [];
  const list = voices.map(lang => ({lang, name: 'Voice ' + lang, default: false}));
  // window.speechSynthesis is a read-only getter: redefine it.
  Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: {
    getVoices: () => list, speak: u => window.__spoken.push({text: u.text, lang: u.lang}),
    cancel: () => {}, addEventListener: () => {}, speaking: false
  }});
  Object.defineProperty(window, 'SpeechSynthesisUtterance', {configurable: true, writable: true,
    value: function (text) { this.text = text; }});
}"""


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("voices", [["en-US", "km-KH"], ["en-GB"], []], ids=["both", "english-only", "none"])
def test_read_aloud_appears_only_with_a_voice_for_the_language(new_context, base_url, lang, voices):
    context = new_context()
    context.add_init_script(f"({SPEECH_STUB})({voices!r})")
    page = context.new_page()
    for path in [STORIES[0], ACTIVITIES[0]]:
        page.goto(base_url + page_url(path, lang))
        button = page.locator(".ihc-read-aloud")
        has_voice = any(v.split("-")[0] == lang for v in voices)
        assert button.count() == (1 if has_voice else 0), (path, voices)
        if not has_voice:
            continue
        button.click()
        spoken = page.evaluate("window.__spoken")
        assert spoken and all(s["lang"].startswith(lang) for s in spoken)
        target = page.locator("[data-ihc-read-aloud]").first
        first_line = target.inner_text().strip().splitlines()[0].strip()
        assert first_line and first_line in " ".join(s["text"] for s in spoken)


def test_read_aloud_is_absent_without_speech_synthesis(page, base_url):
    page.add_init_script("Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: undefined})")
    page.goto(base_url + page_url(STORIES[0], "km"))
    assert page.locator(".ihc-read-aloud").count() == 0
    assert page.locator(".ihc-story").inner_text().strip()
