"""E-mail updates to reporters (report_endpoint/updates.py), as a reporter
meets them in Chromium through nginx and gunicorn, in both languages: the
form asking for updates (and its error), the confirmation that says they
will come, then the page of the "stop updates" link in each of its states
(asked, stopped, the link used again).  axe-core finds no violation in any."""

from __future__ import annotations

import email
import email.policy
import re

import pytest

from axe_helpers import PREFIX, SUBMIT, axe_violations, describe
from site_helpers import LANGUAGES


@pytest.fixture()
def fresh_page(new_context):
    return new_context(ignore_https_errors=True, bypass_csp=True).new_page()


def stop_link(stack, reference: str) -> str:
    """The stop link of the newest update in instance/mail/ (no relay set: .eml files)."""
    for path in sorted((stack.instance / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = message.get_content()
        if f"{reference[:4]} {reference[4:]}" in text.translate(str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")):
            return re.search(r"/(?:km/)?updates/stop/\?t=\S+", text).group(0)
    raise AssertionError(f"no update for {reference}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_update_states_have_no_violation(fresh_page, stack, lang):
    page, problems = fresh_page, []

    def check(name):
        violations = axe_violations(page)
        if violations:
            problems.append(describe(violations, f"{page.url} [{name}]"))

    report = f"{stack.base}{PREFIX[lang]}/report/"
    page.goto(report)
    page.select_option("#seen_on", "website")
    page.fill("#urls", f"example.com/{lang}/updates")
    page.uncheck("input[name=anonymous]")
    page.check("#updates")                      # but no e-mail address
    page.click(SUBMIT)
    assert page.locator("#updates-error").is_visible()
    check("report: updates without an e-mail (error)")

    page.fill("#email", "reporter@example.org")
    page.click(SUBMIT)
    reference = page.locator("[data-reference]").get_attribute("data-reference")
    check("report: confirmation, updates asked for")

    stack.analyst("stage", reference, "triage")   # the public stage moves: an update is written
    link = stop_link(stack, reference)
    assert link.startswith(f"{PREFIX[lang]}/updates/stop/")
    page.goto(stack.base + link)
    assert page.locator("form button[type=submit]").is_visible()
    check("stop updates: asked")
    page.click("form button[type=submit]")
    assert page.locator("[role=status]").is_visible()
    check("stop updates: stopped")
    answer = page.goto(stack.base + link)
    assert answer.status == 404
    check("stop updates: link used again")
    assert not problems, "\n" + "\n".join(problems)
