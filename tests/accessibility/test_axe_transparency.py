"""The Transparency page's figures by year (report_endpoint/transparency_web.py)
through the real stack, nginx and gunicorn, in Chromium, in both languages:
reports made through the API and worked with the analysts' commands show in
the table and the charts, axe-core finds no violation, and the CSV comes as
a download.  With the endpoint down, nginx serves the built page instead,
its fallback text in the slot."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request

import pytest

from axe_helpers import PREFIX, axe_violations, describe
from nginx_server import HTTPS_OPENER
from site_helpers import LANGUAGES

REPORTS = 6   # over the suppression threshold (5), so the counts show


def api_report(stack, address: str) -> str:
    request = urllib.request.Request(stack.base + "/api/v1/reports", method="POST",
                                     data=json.dumps({"seen_on": "website", "urls": [address]}).encode(),
                                     headers={"Content-Type": "application/json"})
    with HTTPS_OPENER.open(request, timeout=10) as answer:
        assert answer.status == 201
        return json.load(answer)["reference"]


@pytest.fixture(scope="module")
def worked_reports(stack):
    """REPORTS reports, each address assessed as CSAM and recorded removed."""
    for number in range(REPORTS):
        reference = api_report(stack, f"https://figures{number}.example.com/a")
        stack.analyst("assess", reference, "1", "baseline")
        stack.analyst("removed", reference, "1")
    return REPORTS


@pytest.fixture()
def fresh_page(new_context):
    # axe is injected as an inline script, which the site's CSP refuses.
    return new_context(ignore_https_errors=True, bypass_csp=True).new_page()


def figures_page(page, url: str, at_least: int):
    """The page once it counts at_least reports this year: each worker keeps
    the public figures for a minute (figures.PUBLIC_CACHE_SECONDS)."""
    deadline = time.monotonic() + 75
    while True:
        page.goto(url)
        cells = page.locator(".ihc-figures__table tbody tr").last.locator("td")
        count = cells.first.inner_text() if cells.count() else ""
        digits = count.translate(str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789"))
        if digits.isdigit() and int(digits) >= at_least:
            return
        assert time.monotonic() < deadline, f"{url}: the figures never counted {at_least} reports"
        time.sleep(3)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_transparency_figures_have_no_violation(fresh_page, new_context, stack, worked_reports, lang):
    page = fresh_page
    figures_page(page, f"{stack.base}{PREFIX[lang]}/transparency/", worked_reports)
    assert page.locator("html").get_attribute("lang") == lang
    table = page.locator(".ihc-figures__table")
    assert table.is_visible()
    charts = page.locator("figure.ihc-chart svg[role=img]")
    assert charts.count() == 2 and charts.first.is_visible()
    assert charts.first.bounding_box()["height"] > 50
    assert page.locator("figure.ihc-chart .ihc-chart__bar").count() >= 2   # this year's bars, at least
    text = page.locator("[data-ihc-figures]").inner_text()
    if lang == "km":
        assert re.search("[០-៩]", text) and not re.search("[0-9]", text.replace("CSV", ""))
    # No inline style anywhere in what the endpoint wrote, and the CSP,
    # enforced in a page of its own, refuses nothing on the page.
    assert page.locator("[data-ihc-figures] [style]").count() == 0
    strict = new_context(ignore_https_errors=True).new_page()
    refused = []
    strict.on("console", lambda message: refused.append(message.text)
              if "Content Security Policy" in message.text else None)
    strict.goto(page.url)
    strict.wait_for_load_state("load")
    assert not refused, refused

    violations = axe_violations(page)
    assert not violations, "\n" + describe(violations, page.url)

    with page.expect_download() as download:
        page.click(f"a[href='{PREFIX[lang]}/transparency/figures.csv']")
    assert download.value.suggested_filename == f"ihc-figures-{lang}.csv"


def test_when_the_endpoint_is_down_the_built_page_stands_in(site, tmp_path, new_context):
    """nginx in front of a port where nothing listens: the Transparency page
    is the built one with its fallback text (a whole page: 200), and still
    has no violation; the CSV is a plain 503."""
    from nginx_server import NginxServer
    from site_helpers import free_port

    nginx = NginxServer(site, free_port(), tmp_path / "nginx")
    try:
        page = new_context(ignore_https_errors=True, bypass_csp=True).new_page()
        for lang in LANGUAGES:
            answer = page.goto(f"{nginx.base}{PREFIX[lang]}/transparency/")
            assert answer.status == 200 and answer.headers["cache-control"] == "no-store"
            assert page.locator("[data-ihc-slot=yearly-figures] .ihc-figures__fallback").is_visible()
            assert page.locator("[data-ihc-figures]").count() == 0
            violations = axe_violations(page)
            assert not violations, "\n" + describe(violations, page.url)
        try:
            HTTPS_OPENER.open(nginx.base + "/km/transparency/figures.csv", timeout=10)
            raise AssertionError("the CSV answered without the endpoint")
        except urllib.error.HTTPError as error:
            assert error.code == 503 and "សូមព្យាយាម" in error.read().decode()
    finally:
        nginx.stop()
