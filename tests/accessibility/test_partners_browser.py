"""The partners' area end to end in Chromium, through nginx and gunicorn as
deployed, in each language: ask for an account, the hotline approves it on
the command line, the e-mail arrives (instance/mail/), choose a password,
sign in, download a restricted pack, sign out, and the same download is
refused.  axe-core finds no violation in any state on the way."""

from __future__ import annotations

import email
import email.policy
import re
import time

import pytest

from axe_helpers import PREFIX, axe_violations, describe
from site_helpers import LANGUAGES

STRONG = "river lantern mango quietly"


@pytest.fixture()
def fresh_page(new_context):
    return new_context(ignore_https_errors=True, bypass_csp=True, accept_downloads=True).new_page()


def newest_mail_to(stack, address: str, subject_has: str = "") -> email.message.EmailMessage:
    """The newest e-mail to address (whose subject holds subject_has), waiting
    for it a little: a reset link is written after the answer."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = _newest(stack, address, subject_has)
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no e-mail to {address}")


def _newest(stack, address: str, subject_has: str):
    for path in sorted((stack.instance / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns, reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == address and subject_has in message["Subject"]:
            return message
    return None


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_partner_from_request_to_download_and_back_out(fresh_page, stack, lang):
    page, problems = fresh_page, []
    address = f"partner.{lang}@example.org"
    base = f"{stack.base}{PREFIX[lang]}/partners/"

    def check(name):
        violations = axe_violations(page)
        if violations:
            problems.append(describe(violations, f"{page.url} [{name}]"))

    page.goto(base)
    check("sign in: blank")
    page.click("text=" + ("ស្នើសុំគណនី" if lang == "km" else "Ask for one"))
    assert page.url.endswith("/partners/request/")
    check("request: blank")
    page.click("form button[type=submit]")
    assert page.locator(".ihc-field__error").count() >= 4
    check("request: errors")
    page.fill("#name", "Sophea")
    page.fill("#organisation", "Example School")
    page.select_option("#role", "teacher")
    page.fill("#email", address)
    page.check("#terms")
    page.click("form button[type=submit]")
    assert page.locator("[role=status]").is_visible()
    check("request: received")

    stack.analyst("partner", "approve", address)
    welcome = newest_mail_to(stack, address)
    assert welcome["Content-Language"] == lang
    link = re.search(r"/(?:km/)?partners/password/\?t=\S+", welcome.get_content()).group(0)
    page.goto(stack.base + link)
    check("password: blank")
    page.fill("#password", "password1234")
    page.fill("#again", "password1234")
    page.click("form button[type=submit]")
    assert page.locator("#password-error").is_visible()
    check("password: too easy to guess")
    page.fill("#password", STRONG)
    page.fill("#again", STRONG)
    page.click("form button[type=submit]")
    assert page.locator("[role=status]").is_visible()
    check("password: set")

    page.goto(base)
    page.fill("#email", address)
    page.fill("#password", "not the password at all")
    page.click("form button[type=submit]")
    assert page.locator("[data-ihc-error-summary]").is_visible()
    check("sign in: refused")
    page.fill("#email", address)
    page.fill("#password", STRONG)
    page.click("form button[type=submit]")
    link = page.locator("a[href*='/partners/download/'][hreflang='%s']" % lang).first
    assert link.is_visible()
    check("signed in: materials")

    with page.expect_download() as download:
        link.click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000
    href = link.get_attribute("href")

    page.goto(base + "second-factor/")
    assert page.locator("figure svg").is_visible()
    check("second step: set-up")

    page.goto(base)
    page.click("form[action$='/partners/sign-out/'] button")
    assert page.locator("[role=status]").is_visible()
    check("signed out")
    answer = page.request.get(stack.base + href, max_redirects=0)
    assert answer.status == 303 and b"%PDF" not in answer.body()
    page.goto(stack.base + href)
    assert page.url.endswith("needed=1") and page.locator("[role=alert]").is_visible()
    check("sign in: needed for a download")

    page.goto(base + "reset/")
    check("new password: blank")
    page.fill("#email", address)
    page.click("form button[type=submit]")
    assert page.locator("[role=status]").is_visible()
    check("new password: link sent")
    subject = "ពាក្យសម្ងាត់ថ្មី" if lang == "km" else "A new password"
    reset = re.search(r"/(?:km/)?partners/password/\?t=\S+",
                      newest_mail_to(stack, address, subject).get_content()).group(0)
    page.goto(stack.base + reset)
    page.fill("#password", STRONG + " again")
    page.fill("#again", STRONG + " again")
    page.click("form button[type=submit]")
    assert page.locator("[role=status]").is_visible()
    page.goto(stack.base + reset)                       # the link worked once
    assert page.locator("[role=alert]").is_visible() and page.locator("#email").is_visible()
    check("password: link used already")
    assert not problems, "\n" + "\n".join(problems)
