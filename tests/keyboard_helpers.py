"""The report flow by keyboard alone, in Chromium: for
tests/accessibility/test_keyboard.py and benchmarks/accessibility.py."""

from __future__ import annotations

import re

PREFIX = {"en": "", "km": "/km"}
# More presses than this to reach a field and the form is not usable by keyboard.
MOST_TABS = 60

FOCUSED = """() => { const e = document.activeElement;
  return (e.id ? '#' + e.id : e.tagName.toLowerCase()) + ' ' + (e.innerText || e.value || '').trim().slice(0, 30); }"""


def focused_matches(page, selector: str) -> bool:
    return page.evaluate("s => document.activeElement.matches(s)", selector)


def tab_to(page, selector: str, most: int = MOST_TABS) -> int:
    """Press Tab until the focused element matches selector; the number of presses."""
    path = []
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        if focused_matches(page, selector):
            return presses
        path.append(page.evaluate(FOCUSED))
    raise AssertionError(f"{selector} not reached in {most} Tab presses on {page.url}; focus went: "
                         + " → ".join(path))


def tabs_via_skip_link(page, base: str, lang: str) -> int:
    """Presses from page load to the report form's first field through "skip
    to content" (Tab, Enter, then Tab past the article's links); Enter not counted."""
    page.goto(f"{base}{PREFIX[lang]}/report/")
    tab_to(page, ".md-skip", most=1)
    page.keyboard.press("Enter")
    return 1 + tab_to(page, "#seen_on")


def report_by_keyboard(page, base: str, lang: str, submit_key: str = "Enter") -> dict:
    """Load the report page, reach the form with Tab only, fill it in with the
    keyboard, send it, then check the reference on the status page reached by
    keyboard.  Returns the reference, the stage shown, and the Tab presses of
    each step.  Reserved names only."""
    presses = {}
    page.goto(f"{base}{PREFIX[lang]}/report/")
    presses["page load → where seen"] = tab_to(page, "#seen_on")
    page.keyboard.press("ArrowDown")  # the second choice, social media
    assert page.locator("#seen_on").input_value() == "social_media"
    presses["where seen → addresses"] = tab_to(page, "#urls")
    page.keyboard.type(f"example.com/{lang}/keyboard/one\nhttps://example.org/{lang}/keyboard/two")
    presses["addresses → send"] = tab_to(page, "form[data-ihc-report-form] button[type=submit]")
    page.keyboard.press(submit_key)
    page.locator("[data-reference]").wait_for()
    reference = page.locator("[data-reference]").get_attribute("data-reference")
    assert re.fullmatch(r"\d{8}", reference), reference
    assert page.locator(".ihc-urls code").all_inner_texts() == [f"http://example.com/{lang}/keyboard/one",
                                                                f"https://example.org/{lang}/keyboard/two"]

    # The confirmation's own link to the status page.
    presses["confirmation → status link"] = tab_to(page, ".ihc-confirmation a[href$='/report/status/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    presses["status page → reference box"] = tab_to(page, "#reference")
    page.keyboard.type(reference)
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter in a text box sends its form
    stage = page.locator(".ihc-answer h3").inner_text()
    return {"reference": reference, "stage": stage, "presses": presses}
