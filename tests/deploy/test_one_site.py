"""The product a visitor meets, in headless Chromium through the real nginx
and gunicorn: report two addresses on the site's own Report page, read the
reference, check it on the Check status page, let an analyst move the
report, and see the new stage; in Khmer and English, with JavaScript on and
off.  The form pages carry the site's chrome, and nothing on any page breaks
the Content-Security-Policy."""

from __future__ import annotations

import re

import pytest

from site_helpers import LANGUAGES, nav_pages, page_url

STAGES = {
    "en": ("Received", "Action taken"),
    "km": ("បានទទួល", "បានចាត់វិធានការ"),
}
PREFIX = {"en": "", "km": "/km"}


@pytest.fixture()
def visit(new_context):
    def open_page(javascript: bool = True):
        return new_context(java_script_enabled=javascript, ignore_https_errors=True).new_page()

    return open_page


def check_status(page, stack, lang: str, typed: str) -> str:
    page.goto(f"{stack.base}{PREFIX[lang]}/report/status/")
    page.fill("#reference", typed)
    page.click("form button[type=submit]")
    return page.locator(".ihc-answer h3").inner_text()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_report_check_and_follow(visit, stack, lang, javascript):
    page = visit(javascript)
    page.goto(f"{stack.base}{PREFIX[lang]}/report/")
    assert page.locator("html").get_attribute("lang") == lang
    # The site's own page around the form: its heading and text are there.
    assert page.locator("h1#report").count() == 1
    assert page.locator("#danger-now").count() == 1
    page.select_option("#seen_on", "social_media")
    page.fill("#urls", f"example.com/{lang}/{javascript}/one\nhttps://example.org/{lang}/{javascript}/two")
    assert page.locator("input[name=anonymous]").is_checked()
    page.click("form[data-ihc-report-form] button[type=submit]")

    reference = page.locator("[data-reference]").get_attribute("data-reference")
    assert re.fullmatch(r"\d{8}", reference)
    assert page.locator(".ihc-urls code").all_inner_texts() == [f"http://example.com/{lang}/{javascript}/one",
                                                                f"https://example.org/{lang}/{javascript}/two"]
    # The confirmation replaces the article, and its title says so.
    assert page.locator("h1#report").count() == 0
    assert page.locator("[data-md-type=toc]").is_hidden()

    received, action = STAGES[lang]
    assert check_status(page, stack, lang, reference[:4] + " " + reference[4:]) == received
    assert reference not in page.url  # POST: the reference never enters an address

    stack.analyst("assess", reference, "1", "baseline")
    stack.analyst("stage", reference, "notified")
    khmer_digits = reference.translate(str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩"))
    assert check_status(page, stack, lang, khmer_digits if lang == "km" else reference) == action


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_errors_are_inline_and_keep_what_was_typed(visit, stack, javascript):
    page = visit(javascript)
    page.goto(f"{stack.base}/km/report/")
    page.fill("#urls", "example.com/kept\njavascript:alert(1)")
    page.fill("#description", "ឈ្មោះក្រុម")
    page.click("form[data-ihc-report-form] button[type=submit]")
    assert page.url.endswith("/km/report/#ihc-report")  # lands on the form, errors in view
    assert page.title().startswith("កំហុស៖")
    assert page.locator("#urls-error").is_visible()
    assert page.locator("#urls").get_attribute("aria-invalid") == "true"
    assert "example.com/kept" in page.locator("#urls").input_value()
    assert page.locator("#description").input_value() == "ឈ្មោះក្រុម"
    assert page.locator("[data-reference]").count() == 0
    # Still the site's page: navigation and language switch are there.
    assert page.locator(".md-tabs").count() == 1
    assert page.locator(".md-select__link[hreflang=en]").count() == 1
    if javascript:
        assert page.evaluate("document.activeElement.hasAttribute('data-ihc-error-summary')")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", ["/report/", "/report/status/"])
def test_form_pages_carry_the_site_chrome(visit, stack, lang, path):
    page = visit()
    page.goto(f"{stack.base}{PREFIX[lang]}{path}")
    assert page.locator("form input[name=csrf_token]").count() == 1
    assert page.locator(".md-header").count() == 1
    assert page.locator(".md-tabs").count() == 1
    assert page.locator(".md-sidebar--primary .md-nav").count() >= 1
    assert page.locator(".ihc-safety").count() == 1
    assert page.locator("[data-ihc-quick-exit]").count() == 1
    assert page.locator(".md-search__input").count() == 1
    # The self-hosted stylesheet and scripts of every page.
    assert page.locator("link[href$='assets/stylesheets/ihc.css']").count() == 1
    assert page.locator("script[src$='assets/javascripts/quick-exit.js']").count() == 1


@pytest.mark.parametrize("path", ["/report/", "/report/status/"])
def test_switching_language_on_a_form_stays_on_the_form(visit, stack, path):
    page = visit()
    page.goto(f"{stack.base}/km{path}")
    page.locator(".md-select").first.hover()
    page.locator(".md-select__link[hreflang=en]").click()
    page.wait_for_load_state()
    assert page.url == f"{stack.base}{path}"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("form input[name=csrf_token]").count() == 1
    page.locator(".md-select").first.hover()
    page.locator(".md-select__link[hreflang=km]").click()
    page.wait_for_load_state()
    assert page.url == f"{stack.base}/km{path}"
    assert page.locator("form input[name=csrf_token]").count() == 1


def test_contact_fields_follow_the_anonymous_tick(visit, stack):
    page = visit()
    page.goto(f"{stack.base}/report/")
    assert page.locator("#email").is_hidden()
    page.uncheck("input[name=anonymous]")
    assert page.locator("#email").is_visible()
    page.check("input[name=anonymous]")
    assert page.locator("#email").is_hidden()
    # Without JavaScript every field shows.
    page = visit(javascript=False)
    page.goto(f"{stack.base}/report/")
    assert page.locator("#email").is_visible()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_counters_show_the_endpoints_figures(visit, stack, lang):
    import json
    from nginx_server import HTTPS_OPENER

    with HTTPS_OPENER.open(f"{stack.base}/api/v1/stats") as answer:
        figures = json.load(answer)
    for path in ("/", "/transparency/"):
        page = visit()
        page.goto(f"{stack.base}{PREFIX[lang]}{path}")
        page.wait_for_selector("[data-ihc-counters]:not([hidden])")
        shown = page.locator("[data-ihc-counter=reports_received]").inner_text()
        digits = shown.translate(str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")).replace(",", "").replace(".", "")
        assert int(digits) >= figures["reports_received"] > 0
        if lang == "km":  # Khmer digits, "." between thousands (CONTENT.md): ១.២៤០
            assert re.fullmatch(r"[០-៩]{1,3}(\.[០-៩]{3})*", shown)
        assert page.locator("[data-ihc-counters-fallback]").is_hidden()
        # Without JavaScript the page says where the figures would be.
        page = visit(javascript=False)
        page.goto(f"{stack.base}{PREFIX[lang]}{path}")
        assert page.locator("[data-ihc-counters-fallback]").is_visible()


def test_no_page_breaks_the_content_security_policy(visit, stack):
    """Every page in both languages, served by nginx with the site's CSP, in
    Chromium with JavaScript: no violation, no script error."""
    page = visit()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"{page.url}: {message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    paths = [page_url(p, lang) for lang in LANGUAGES for p in nav_pages()]
    for path in paths:
        page.goto(f"{stack.base}/{path}")
    # Search (index and worker) and the form's error state too.
    page.goto(f"{stack.base}/km/")
    page.locator(".md-search__input").fill("រាយការណ៍")
    page.wait_for_selector(".md-search-result__item")
    page.goto(f"{stack.base}/report/")
    page.click("form[data-ihc-report-form] button[type=submit]")  # nothing filled in: errors
    problems = [p for p in problems if "status of 400" not in p]  # the error page's own status
    assert problems == [], "\n".join(problems[:20])
