"""Security headers on every answer (errors too), the session cookie, rate
limits, and logs that never hold an address, a browser or a reported URL."""

from __future__ import annotations

import json
import logging
import re

import pytest
from bs4 import BeautifulSoup

from report_endpoint.ratelimit import SlidingWindow

from conftest import HTTPS, submit_form

REQUESTS = [
    ("GET", "/report/", None), ("GET", "/km/report/status/", None), ("GET", "/api/v1/stats", None),
    ("GET", "/api/v1/openapi.json", None), ("GET", "/healthz", None), ("GET", "/nowhere", None),
    ("POST", "/api/v1/reports", "{"), ("POST", "/report/", ""), ("DELETE", "/report/", None),
    ("POST", "/api/v1/status", json.dumps({"reference": "12345678"})),
]


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
def test_security_headers_on_every_answer(client, method, path, body):
    answer = client.open(path, method=method, data=body, base_url=HTTPS,
                         content_type="application/json" if path.startswith("/api") else "application/x-www-form-urlencoded")
    headers = answer.headers
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    # The Server header comes from the server in front, not from Flask:
    # tests/deploy checks what nginx and gunicorn send.


def test_session_cookie_is_secure_httponly_strict_and_ends_with_the_visit(client):
    cookie = client.get("/report/", base_url=HTTPS).headers["Set-Cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly"} <= attributes and "SameSite=Strict" in cookie
    assert "expires" not in attributes and "max-age" not in attributes


@pytest.mark.parametrize("path", ["/report/status/", "/km/report/status/"])
def test_status_pages_keep_the_reference_out_of_the_address(client, path):
    page = BeautifulSoup(client.get(path, base_url=HTTPS).text, "html.parser")
    form = page.find("input", attrs={"name": "reference"}).find_parent("form")
    assert form["method"].lower() == "post"  # so the reference never travels in the address
    # And a reference put in the address is not read from it.
    answer = client.get(f"{path}?reference=12345678", base_url=HTTPS)
    assert answer.status_code == 200 and "ihc-answer" not in answer.text and "12345678" not in answer.text


def test_sliding_window_counts_and_forgets():
    window = SlidingWindow(3, 60, max_keys=2)
    assert [window.allow("a", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert window.allow("a", now=61)  # the first event left the window
    window.allow("b", now=62)
    window.allow("c", now=63)
    assert len(window) == 2  # memory stays bounded: the least recent client is forgotten


def test_report_rate_limit_per_client_is_translated(tmp_path):
    from report_endpoint import create_app
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path, "REPORT_LIMIT_PER_CLIENT": (2, 600), "REPORT_LIMIT_OVERALL": (100, 60)})
    client = app.test_client()
    body = {"seen_on": "website", "urls": ["example.com"]}
    codes = [client.post("/api/v1/reports", json=body).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    khmer = client.post("/api/v1/reports", json=body, headers={"Accept-Language": "km"}).get_json()
    message = khmer["errors"]["request"][0]
    assert re.search("[\u1780-\u17ff]", message) and not re.search("[A-Za-z]", message)  # Khmer, no English left
    # Another client is not affected by the first one's limit.
    other = client.post("/api/v1/reports", json=body, environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert other.status_code == 201
    page = client.get("/report/", base_url=HTTPS)
    assert page.status_code == 200


def test_a_full_overall_window_still_leaves_each_newcomer_a_fair_share(tmp_path):
    """Once the overall window is full (a flood from many addresses), one
    client is held to it, but a newcomer still gets its first check answered."""
    from report_endpoint import create_app
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path, "STATUS_LIMIT_PER_CLIENT": (100, 60),
                      "STATUS_LIMIT_OVERALL": (5, 60), "STATUS_LIMIT_FAIR_SHARE": 1})
    client = app.test_client()

    def check(address: str) -> int:
        return client.post("/api/v1/status", json={"reference": "12345678"},
                           environ_base={"REMOTE_ADDR": address}).status_code

    assert [check("192.0.2.1") for _ in range(7)] == [200] * 5 + [429] * 2
    assert [check(f"192.0.2.{i}") for i in range(2, 9)] == [200] * 7
    assert [check(f"192.0.2.{i}") for i in range(2, 9)] == [429] * 7  # each newcomer's share is used


def test_rate_limiter_keeps_no_addresses(app, client):
    client.post("/api/v1/status", json={"reference": "12345678"}, environ_base={"REMOTE_ADDR": "198.51.100.23"})
    limiter = app.extensions["rate_limiters"]["status"]
    keys = list(limiter.per_client._events)
    assert keys and all("198.51.100.23" not in key for key in keys)


def test_logs_hold_no_address_browser_url_or_contact(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    secret_bits = ["203.0.113.77", "SecretBrowser/9.9", "example.com/private-path", "person@example.com",
                   "Sok Dara", "012 999 888"]
    environ = {"REMOTE_ADDR": "203.0.113.77", "HTTP_USER_AGENT": "SecretBrowser/9.9"}
    client.get("/report/", base_url=HTTPS, environ_base=environ)
    submit_form(client, urls="https://example.com/private-path", anonymous=None, name="Sok Dara",
                email="person@example.com", phone="012 999 888")
    client.post("/api/v1/reports", json={"seen_on": "website", "urls": ["example.com/private-path"], "anonymous": False,
                                         "contact": {"email": "person@example.com"}}, environ_base=environ)
    client.post("/api/v1/reports", json={"seen_on": "website", "urls": ["javascript:example.com/private-path"]},
                environ_base=environ)
    logged = caplog.text
    assert "report stored" in logged  # the log works...
    assert not [bit for bit in secret_bits if bit in logged]  # ...and says nothing identifying


def test_runs_without_configuration_and_keeps_secrets_private(tmp_path, monkeypatch):
    import stat

    from report_endpoint import create_app
    instance = tmp_path / "fresh"
    monkeypatch.setenv("REPORT_INSTANCE_PATH", str(instance))
    app = create_app()
    assert app.test_client().get("/healthz").get_json() == {"status": "ok"}
    assert (instance / "reports.sqlite3").exists()
    assert stat.S_IMODE((instance / "secrets.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    # A second start keeps the same secrets (sessions and encrypted contacts stay readable).
    assert create_app().config["CONTACT_KEY"] == app.config["CONTACT_KEY"]
