"""The endpoint's own pages in a real browser (Debian's Chromium, JavaScript
off) against a real gunicorn and SQLite file: report two addresses, read the
reference, check its status, let an analyst move it, and see the new stage."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from gunicorn_server import GunicornServer

STAGES = {
    "en": ("Received", "Action taken"),
    "km": ("បានទទួល", "បានចាត់វិធានការ"),
}


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORT_")}, "REPORT_INSTANCE_PATH": str(instance)}
    server = GunicornServer("report_endpoint:create_app()", env, instance / "gunicorn.log")
    yield server, env
    server.stop()


def analyst(env, *args):
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "report_endpoint", *args, "--analyst", "tester"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("lang", ["en", "km"])
def test_report_and_follow_it_without_javascript(browser, endpoint, lang):
    server, env = endpoint
    prefix = "/km" if lang == "km" else ""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server.base}{prefix}/report/")
    assert page.locator("html").get_attribute("lang") == lang
    page.select_option("#seen_on", "social_media")
    page.fill("#urls", f"example.com/{lang}/one\nhttps://example.org/{lang}/two")
    page.click("button[type=submit]")
    reference = page.locator("[data-reference]").get_attribute("data-reference")
    assert re.fullmatch(r"\d{8}", reference)
    assert page.locator("ul.urls code").all_inner_texts() == [f"http://example.com/{lang}/one",
                                                               f"https://example.org/{lang}/two"]

    received, action = STAGES[lang]
    page.goto(f"{server.base}{prefix}/report/status/")
    page.fill("#reference", reference[:4] + " " + reference[4:])
    page.click("button[type=submit]")
    assert page.locator(".answer h2").inner_text() == received
    assert reference not in page.url  # POST: the reference never enters an address

    analyst(env, "assess", reference, "1", "baseline")
    analyst(env, "stage", reference, "notified")
    page.goto(f"{server.base}{prefix}/report/status/")
    page.fill("#reference", reference)
    page.click("button[type=submit]")
    assert page.locator(".answer h2").inner_text() == action
    context.close()


def test_form_errors_keep_what_was_typed(browser, endpoint):
    server, _env = endpoint
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server.base}/km/report/")
    page.fill("#urls", "example.com/kept\njavascript:alert(1)")
    page.fill("#description", "ឈ្មោះក្រុម")
    page.click("button[type=submit]")
    assert page.locator("#urls-error").is_visible()
    assert "example.com/kept" in page.locator("#urls").input_value()
    assert page.locator("#description").input_value() == "ឈ្មោះក្រុម"
    assert page.locator("[data-reference]").count() == 0
    context.close()
