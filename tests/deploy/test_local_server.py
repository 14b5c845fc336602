"""`make serve`: one gunicorn serves the built site and the endpoint together
(REPORT_SERVE_SITE=1), with the same pages, form and headers as production."""

from __future__ import annotations

import os

import pytest

from gunicorn_server import GunicornServer
from report_endpoint.security import HEADERS
from site_helpers import ROOT
from test_deployment import fetch, security_headers


@pytest.fixture(scope="module")
def local(site, tmp_path_factory):
    work = tmp_path_factory.mktemp("local")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORT_")},
           "REPORT_INSTANCE_PATH": str(work / "instance"), "REPORT_SITE_DIR": str(site),
           "REPORT_SERVE_SITE": "1", "REPORT_SESSION_COOKIE_SECURE": "0"}
    server = GunicornServer("report_endpoint:create_app()", env, work / "gunicorn.log",
                            extra=["--config", str(ROOT / "deploy" / "gunicorn.conf.py")])
    yield server
    server.stop()


@pytest.mark.parametrize("path, status, needle", [
    ("/", 200, 'data-ihc-slot="counters"'),
    ("/km/", 200, 'lang="km"'),
    ("/km/resources/parents/", 200, 'lang="km"'),
    ("/assets/javascripts/counters.js", 200, "api/v1/stats"),
    ("/report/", 200, 'name="csrf_token"'),
    ("/km/report/status/", 200, 'name="csrf_token"'),
    ("/api/v1/stats", 200, "reports_received"),
    ("/no/such/page/", 404, "ខ្មែរ"),
])
def test_the_whole_system_from_one_server(local, path, status, needle):
    got, headers, body = fetch(local.base + path)
    assert got == status
    assert needle in body.decode()
    assert security_headers(headers) == {name: [value] for name, value in HEADERS.items()}
    # No Server header at all: gunicorn's own is left out by deploy/gunicorn.conf.py.
    assert headers.get_all("Server") is None, headers.get_all("Server")


def test_folders_get_their_slash_and_nothing_outside_the_site_is_served(local):
    status, headers, _b = fetch(local.base + "/km/about")
    assert status == 301 and headers["Location"].endswith("/km/about/")
    for path in ["/../pyproject.toml", "/%2e%2e/pyproject.toml", "/api/v1/nothing"]:
        status, headers, body = fetch(local.base + path)
        assert status == 404 and b"[project]" not in body
        assert headers.get_all("Server") is None


def test_a_report_through_the_local_server(page, local):
    """Plain http on 127.0.0.1: the session cookie is not Secure, so any
    browser keeps it and the form works."""
    page.goto(local.base + "/km/report/")
    page.fill("#urls", "example.com/local")
    page.click("form[data-ihc-report-form] button[type=submit]")
    assert len(page.locator("[data-reference]").get_attribute("data-reference")) == 8
