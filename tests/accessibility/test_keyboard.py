"""The whole report flow with the keyboard alone, through nginx and gunicorn:
reach the form with Tab, choose where it was seen with the arrow keys, type
two addresses, send with Enter or Space, read the reference, go to the status
page and check it, all without the mouse.  The quick exit is second in the tab
order on the form pages too (Esc twice is tested in tests/test_browser.py),
and "skip to content" leads to the form and to the confirmation."""

from __future__ import annotations

import pytest

from keyboard_helpers import MOST_TABS, PREFIX, focused_matches, report_by_keyboard, tab_to, tabs_via_skip_link
from site_helpers import LANGUAGES

RECEIVED = {"en": "Received", "km": "បានទទួល"}


@pytest.fixture()
def keyboard_page(new_context):
    return new_context(ignore_https_errors=True).new_page()


@pytest.mark.parametrize(("lang", "submit_key"), [("km", "Enter"), ("en", "Space")])
def test_report_and_check_status_by_keyboard_alone(keyboard_page, stack, lang, submit_key):
    flow = report_by_keyboard(keyboard_page, stack.base, lang, submit_key)
    assert flow["stage"] == RECEIVED[lang]
    presses = flow["presses"]
    assert all(count < MOST_TABS for count in presses.values()), presses
    # Between fields, no stop that is not part of the form.
    assert presses["where seen → addresses"] == 1, presses
    # Description, "a child is in danger", "anonymous", then Send (contact fields hidden).
    assert presses["addresses → send"] == 4, presses


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", ["/report/", "/report/status/"])
def test_quick_exit_is_second_on_the_form_pages(keyboard_page, stack, lang, path):
    keyboard_page.goto(f"{stack.base}{PREFIX[lang]}{path}")
    assert tab_to(keyboard_page, "#ihc-quick-exit", most=2) == 2


@pytest.mark.parametrize("lang", LANGUAGES)
def test_skip_link_leads_to_the_form_and_to_the_confirmation(keyboard_page, stack, lang):
    page = keyboard_page
    # Skip link, then past the article's links before the form (the three emergency numbers).
    assert tabs_via_skip_link(page, stack.base, lang) <= 5
    page.keyboard.press("End")  # the last choice, somewhere else
    assert page.locator("#seen_on").input_value() == "other"
    tab_to(page, "#urls", most=1)
    page.keyboard.type(f"example.org/{lang}/skip")
    tab_to(page, "form[data-ihc-report-form] button[type=submit]", most=4)
    page.keyboard.press("Enter")
    page.locator("[data-reference]").wait_for()
    # On the confirmation the article was replaced: the skip link still lands in it.
    assert tab_to(page, ".md-skip", most=1) == 1
    page.keyboard.press("Enter")
    assert tab_to(page, ".ihc-confirmation a", most=1) == 1


@pytest.mark.parametrize("lang", LANGUAGES)
def test_errors_are_reached_by_keyboard(keyboard_page, stack, lang):
    """Send the empty form by keyboard: focus goes to the error summary, and
    the next Tab stops are the form's fields, starting with the first."""
    page = keyboard_page
    page.goto(f"{stack.base}{PREFIX[lang]}/report/")
    tab_to(page, "form[data-ihc-report-form] button[type=submit]")
    page.keyboard.press("Enter")
    page.locator("[data-ihc-error-summary]").wait_for()
    assert focused_matches(page, "[data-ihc-error-summary]")
    assert tab_to(page, "#seen_on", most=1) == 1
    assert page.locator("#urls").get_attribute("aria-invalid") == "true"
