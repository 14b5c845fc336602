"""The analysts' workspace end to end in Chromium, in each language, on its
own gunicorn beside the deployed public stack (nginx + gunicorn + the built
site, one instance): an admin made on the command line enrols (passphrase
and TOTP, codes computed here as a phone would) and adds an analyst; the
analyst enrols, signs in, opens a report from the queue, assesses it with
its hosting country, records a notice and the removal, and closes it.  The
public status check then says "Content removed", and both the workspace's
figures and the public yearly figures count it.  axe-core finds no
violation in any state on the way, refusals and errors included."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import time
import urllib.request

import pyotp
import pytest

from axe_helpers import PREFIX, axe_violations, describe
from gunicorn_server import GunicornServer
from nginx_server import HTTPS_OPENER
from site_helpers import LANGUAGES
from report_endpoint.khmer_digits import FROM_KHMER
from workspace_helpers import PASSPHRASE

REMOVED_BEFORE = 5      # removed addresses made first, so the public figure (suppressed under 5) shows


@pytest.fixture(scope="module")
def workspace(stack, tmp_path_factory):
    """The workspace app on its own listener, on the stack's instance.  Plain
    http on loopback here (the client-certificate server block in front of it
    is tested in tests/deploy/test_workspace_tls.py), so its cookie is not
    marked Secure."""
    env = {**stack.env, "REPORT_SESSION_COOKIE_SECURE": "0"}
    server = GunicornServer("report_endpoint.workspace:create_app()", env,
                            tmp_path_factory.mktemp("workspace") / "gunicorn.log", ready_path="/workspace/sign-in/")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def removed_before(stack):
    """REMOVED_BEFORE reports, assessed and removed on the command line."""
    for number in range(REMOVED_BEFORE):
        reference = public_report(stack, [f"https://before-{number}.example.com/"])
        stack.analyst("assess", reference, "1", "baseline", "--country", "KH")
        stack.analyst("removed", reference, "1")
    return REMOVED_BEFORE


def public_report(stack, urls: list[str]) -> str:
    request = urllib.request.Request(f"{stack.base}/api/v1/reports", method="POST",
                                     data=json.dumps({"urls": urls, "seen_on": "chat"}).encode(),
                                     headers={"Content-Type": "application/json"})
    with HTTPS_OPENER.open(request, timeout=20) as answer:
        return json.loads(answer.read())["reference"]


def public_removed_this_year(stack, lang: str) -> str:
    """This year's "removed" cell of the public figures' CSV, through nginx."""
    with HTTPS_OPENER.open(f"{stack.base}{PREFIX[lang]}/transparency/figures.csv", timeout=20) as answer:
        rows = list(csv.reader(io.StringIO(answer.read().decode("utf-8-sig"))))
    header, year = rows[0], str(dt.datetime.now(dt.timezone.utc).year)
    row = next(r for r in rows[1:] if r[0] == year)
    column = next(i for i, name in enumerate(header) if "emov" in name and "day" not in name and "edian" not in name
                  or "ដកចេញ" in name and "ថ្ងៃ" not in name and "មធ្យម" not in name)
    return row[column]


def code_for(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_from_a_new_admin_to_content_removed(new_context, stack, workspace, removed_before, lang):
    problems: list[str] = []
    ws = f"{workspace.base}{PREFIX[lang]}/workspace"
    admin_name, analyst_name = f"boss.{lang}", f"dara.{lang}"

    def check(page, name):
        violations = axe_violations(page)
        if violations:
            problems.append(describe(violations, f"{page.url} [{name}]"))

    def enrol(page, link: str, weak_first: bool = False) -> str:
        page.goto(f"{ws}/enrol/?t={link.split('t=', 1)[1]}")
        check(page, "enrol: blank")
        secret = page.locator("input[name=secret]").get_attribute("value")
        assert re.fullmatch(r"[A-Z2-7]{32}", secret)
        assert page.locator("svg.ihc-qr").count() == 1
        if weak_first:
            page.fill("#passphrase", "password1234")
            page.fill("#again", "password1234")
            page.fill("#code", code_for(secret))
            page.click("form button[type=submit]")
            assert page.locator(".ws-error").count() >= 1
            check(page, "enrol: errors")
            secret = page.locator("input[name=secret]").get_attribute("value")
        page.fill("#passphrase", PASSPHRASE)
        page.fill("#again", PASSPHRASE)
        page.fill("#code", code_for(secret))
        page.click("form button[type=submit]")
        assert "/workspace/sign-in/" in page.url
        return secret

    def sign_in(page, name: str, secret: str, wrong_first: bool = False):
        if wrong_first:
            page.fill("#name", name)
            page.fill("#passphrase", PASSPHRASE)
            page.fill("#code", code_for(secret, 0))         # used at enrolment: refused
            page.click("form button[type=submit]")
            assert page.locator(".ws-summary").count() == 1
            check(page, "sign in: refused")
        page.fill("#name", name)
        page.fill("#passphrase", PASSPHRASE)
        page.fill("#code", code_for(secret, 1))
        page.click("form button[type=submit]")
        assert page.url.rstrip("/").endswith("/workspace"), page.url

    # An admin, made on the command line, enrols and signs in.
    said = stack.analyst("user", "add", admin_name, "--admin", "--language", lang)
    admin_page = new_context(bypass_csp=True, accept_downloads=True).new_page()
    admin_secret = enrol(admin_page, re.search(r"\S+/workspace/enrol/\?t=\S+", said).group(0))
    check(admin_page, "sign in: after enrolment")
    sign_in(admin_page, admin_name, admin_secret)

    # The admin adds an analyst, whose link is shown once.
    admin_page.goto(f"{ws}/users/")
    check(admin_page, "users")
    admin_page.fill("#name", analyst_name)
    admin_page.select_option("#language", lang)
    admin_page.click("form.ws-form button[type=submit]")
    link = admin_page.locator("#enrol-link").inner_text()
    check(admin_page, "users: new link")

    # A report comes in through the public site.
    reference = public_report(stack, [f"https://material-{lang}.example.com/path?x=1", "https://other.example.org/"])

    # The analyst enrols (a weak passphrase first), signs in (a used code first).
    page = new_context(bypass_csp=True, accept_downloads=True).new_page()
    secret = enrol(page, link, weak_first=True)
    sign_in(page, analyst_name, secret, wrong_first=True)
    check(page, "queue")
    assert page.locator(f"a[href$='/workspace/reports/{reference}/']").count() == 1
    page.goto(f"{ws}/?platform=chat&stage=received")
    check(page, "queue: filtered")
    page.goto(f"{ws}/?since=not-a-date")
    check(page, "queue: filter errors")

    # An analyst is kept out of the admins' page.
    page.goto(f"{ws}/users/")
    check(page, "refused: admins only")

    # The report: addresses as text with copy buttons, never links.
    page.goto(ws + "/")
    page.click(f"a[href$='/workspace/reports/{reference}/']")
    check(page, "report")
    assert page.locator("#url-1").inner_text() == f"https://material-{lang}.example.com/path?x=1"
    assert page.locator("a[href*='example.com'], a[href*='example.org']").count() == 0
    assert page.locator("button[data-copy='url-1']").is_visible()
    page.click("#address-1 form[action$='/assess'] button[type=submit]")      # no outcome chosen
    assert page.locator(".ws-summary").count() == 1
    check(page, "report: errors")
    page.select_option("#address-1 select[name=assessment]", "baseline")
    page.select_option("#address-1 select[name=country]", "KH")
    page.click("#address-1 form[action$='/assess'] button[type=submit]")
    check(page, "report: assessed")
    page.locator("#address-1 details.ws-notice-text").first.locator("summary").click()
    check(page, "report: a notice text open")
    page.select_option("#address-1 select[name=recipient]", "police")
    page.fill("#address-1 textarea[name=note]", "Sent to the police's channel")
    page.click("#address-1 form[action$='/notice'] button[type=submit]")
    page.click("#address-1 form[action$='/removed'] button[type=submit]")
    page.select_option("select[name=stage]", "removed")
    page.click("form[action$='/stage'] button[type=submit]")
    check(page, "report: removed")

    for name, path in (("clock", "/clock/"), ("figures", "/figures/"), ("export", "/export/")):
        page.goto(ws + path)
        check(page, name)
    page.goto(ws + "/figures/")
    removed_here = page.locator(".ws-facts > div").nth(1).locator("dd").inner_text()
    assert int(removed_here.translate(FROM_KHMER).replace(".", "")) >= REMOVED_BEFORE + 1
    assert page.locator("figure.ihc-chart svg[role=img]").count() == 4
    with page.expect_download() as download:
        page.goto(ws + "/export/")
        page.click("main form button[type=submit]")
    exported = download.value.path().read_text(encoding="utf-8")
    assert reference in exported and "KH" in exported

    # The public status check says so, in the page's language.
    public = new_context(ignore_https_errors=True, bypass_csp=True).new_page()
    public.goto(f"{stack.base}{PREFIX[lang]}/report/status/")
    public.fill("#reference", reference)
    public.click("form button[type=submit]")
    answer = public.locator(".ihc-answer h3").inner_text()
    assert (answer == "Content removed") if lang == "en" else (answer != "Content removed" and answer.strip())

    # The public yearly figures count it (REMOVED_BEFORE made first, so not suppressed).
    removed = public_removed_this_year(stack, lang)
    assert removed.isdigit() and int(removed) >= REMOVED_BEFORE + 1

    # Signing out.
    page.goto(ws + "/")
    page.click(".ws-signout button[type=submit]")
    check(page, "signed out")
    page.goto(ws + "/")
    assert "/workspace/sign-in/" in page.url

    assert not problems, "\n".join(problems)
