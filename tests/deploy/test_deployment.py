"""deploy/: the nginx and gunicorn configuration as run in production, on
loopback: the same security headers on static pages, form pages and API
answers; compression; caching of hashed assets; redirects; and logs without
client addresses, user agents or reported addresses."""

from __future__ import annotations

import gzip
import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from nginx_server import DEPLOY, HTTPS_OPENER
from report_endpoint.security import HEADERS, nginx_directives

USER_AGENT = "IHC-deployment-test/1.0 (hotline.test)"


def fetch(url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    """(status, headers, body) of one request, errors included; no redirects followed."""
    request = urllib.request.Request(url, data=data, headers={"User-Agent": USER_AGENT, **(headers or {})},
                                     method=method)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect, *[h for h in HTTPS_OPENER.handlers
                                                       if not isinstance(h, urllib.request.HTTPRedirectHandler)])
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def security_headers(headers) -> dict[str, list[str]]:
    return {name: headers.get_all(name) or [] for name in HEADERS}


def test_nginx_headers_file_is_generated_from_the_endpoint():
    """deploy/nginx/security-headers.conf is exactly what security.py says
    (python deploy/write_security_headers.py rewrites it)."""
    assert (DEPLOY / "security-headers.conf").read_text(encoding="utf-8") == nginx_directives()


STATIC = ["/", "/km/", "/km/resources/parents/", "/assets/stylesheets/ihc.css",
          "/assets/javascripts/bundle.a5f9d56c.min.js", "/search/search_index.json", "/sitemap.xml",
          "/no/such/page/"]
FORMS = ["/report/", "/km/report/", "/report/status/", "/km/report/status/"]
API = ["/api/v1/stats", "/api/v1/openapi.json"]


@pytest.mark.parametrize("path", STATIC + FORMS + API)
def test_every_answer_carries_the_same_security_headers(stack, path):
    status, headers, _body = fetch(stack.base + path)
    assert status in (200, 404)
    assert security_headers(headers) == {name: [value] for name, value in HEADERS.items()}, path
    assert headers.get("Server") in (None, "nginx")  # no version, no gunicorn


@pytest.mark.parametrize("path, data, content_type", [
    ("/report/", b"urls=example.com", "application/x-www-form-urlencoded"),     # no CSRF token: 400
    ("/km/report/status/", b"reference=1", "application/x-www-form-urlencoded"),
    ("/api/v1/reports", b"{not json", "application/json"),
    ("/api/v1/reports", b"--x\r\n", "multipart/form-data; boundary=x"),        # never files: 415
])
def test_refusals_carry_the_same_security_headers(stack, path, data, content_type):
    status, headers, _body = fetch(stack.base + path, data=data, headers={"Content-Type": content_type})
    assert 400 <= status < 500
    assert security_headers(headers) == {name: [value] for name, value in HEADERS.items()}


def test_static_pages_are_compressed(stack):
    for path in ["/km/", "/assets/stylesheets/ihc.css", "/search/search_index.json"]:
        status, headers, body = fetch(stack.base + path, headers={"Accept-Encoding": "gzip"})
        assert status == 200 and headers.get("Content-Encoding") == "gzip", path
        assert len(gzip.decompress(body)) > len(body)


def test_proxied_pages_are_compressed(stack):
    status, headers, body = fetch(stack.base + "/km/report/", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("Content-Encoding") == "gzip"
    assert "csrf_token" in gzip.decompress(body).decode()


def test_hashed_assets_are_cached_for_a_year_and_pages_revalidated(stack):
    _s, hashed, _b = fetch(stack.base + "/assets/javascripts/bundle.a5f9d56c.min.js")
    assert hashed.get("Cache-Control") == "public, max-age=31536000, immutable"
    _s, plain, _b = fetch(stack.base + "/assets/javascripts/quick-exit.js")
    assert plain.get("Cache-Control") == "public, max-age=86400"
    _s, page, _b = fetch(stack.base + "/km/")
    assert page.get("Cache-Control") == "no-cache"
    _s, form, _b = fetch(stack.base + "/km/report/")
    assert form.get("Cache-Control") == "no-store"


def test_bundle_name_in_the_test_is_the_built_one(site):
    """The hashed file asked for above is the one the site uses."""
    assert (site / "assets" / "javascripts" / "bundle.a5f9d56c.min.js").is_file()


def test_plain_http_goes_to_https_and_folders_get_their_slash(stack):
    status, headers, _b = fetch(stack.http_base + "/km/report/?x=1")
    assert status == 301 and headers["Location"].startswith("https://") and headers["Location"].endswith("/km/report/?x=1")
    status, headers, _b = fetch(stack.base + "/km/about")
    assert status == 301 and headers["Location"] == "/km/about/"
    status, headers, _b = fetch(stack.base + "/report")
    assert status == 301 and headers["Location"] == "/report/"


def test_unknown_pages_get_the_sites_404(stack):
    status, _h, body = fetch(stack.base + "/no/such/page/")
    assert status == 404
    assert 'lang="en"' in body.decode() and "ខ្មែរ" in body.decode()  # the bilingual 404 page


def test_the_endpoint_behind_nginx_sees_https_and_its_own_host(stack):
    """X-Forwarded-Proto and Host are passed on: the CSRF session cookie is
    Secure and the form posts back to the same page."""
    status, headers, body = fetch(stack.base + "/km/report/")
    cookie = headers.get("Set-Cookie", "")
    assert status == 200 and "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert 'action="/km/report/#ihc-report"' in body.decode()


def test_logs_hold_no_address_agent_or_reported_url(stack):
    """A whole report through nginx, then every log of the deployment."""
    marker = "example.com/logged-nowhere-7f3a"
    status, headers, body = fetch(stack.base + "/api/v1/reports", data=json.dumps(
        {"seen_on": "website", "urls": [marker]}).encode(), headers={"Content-Type": "application/json"})
    assert status == 201, body
    reference = json.loads(body)["reference"]
    fetch(stack.base + "/no/such/page/")
    # Requests gunicorn itself cannot parse, straight to it: it would name the
    # client and the request line if deploy/gunicorn.conf.py did not stop it.
    import socket
    for raw in (b"GET /?ref=" + reference.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n",
                b"\x16\x03\x01 " + marker.encode() + b"\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", stack.endpoint.port), timeout=5) as connection:
            connection.sendall(raw)
            connection.recv(1000)
    fetch(stack.base + "/api/v1/status", data=json.dumps({"reference": reference}).encode(),
          headers={"Content-Type": "application/json"})
    logs = {log.name: log.read_text(errors="replace") for log in
            (stack.nginx.access_log, stack.nginx.error_log, stack.gunicorn_log)}
    assert "POST /api/v1/reports 201" in logs["access.log"]  # the access log is written
    assert "Invalid request refused" in logs["gunicorn.log"]  # the event is kept, its details not
    for name, text in logs.items():
        for secret in ("127.0.0.1", USER_AGENT, "IHC-deployment-test", marker, reference):
            assert secret not in text, f"{secret!r} in {name}"
        assert not re.search(r"\b\d{1,3}(\.\d{1,3}){3}\b", text), name


def test_files_outside_the_site_are_not_served(stack):
    for path in ["/../deploy/nginx/ihc.conf", "/%2e%2e/pyproject.toml", "/.git/config"]:
        status, _h, body = fetch(stack.base + urllib.parse.quote(path, safe="/%"))
        assert status in (400, 404), path
        assert b"ihc_endpoint" not in body


def test_when_the_endpoint_is_down_the_form_pages_say_so(site, tmp_path):
    """nginx in front of a port where nothing listens: the Report page is the
    site's own page with its fallback text (and the phone line), as a 503
    with the same headers, for a visit and for a form sent."""
    from nginx_server import NginxServer
    from site_helpers import free_port

    nginx = NginxServer(site, free_port(), tmp_path / "nginx")
    try:
        for method, data in (("GET", None), ("POST", b"urls=example.com")):
            status, headers, body = fetch(nginx.base + "/km/report/", data=data, method=method,
                                          headers={"Content-Type": "application/x-www-form-urlencoded"})
            text = body.decode()
            assert status == 503, method
            assert 'lang="km"' in text and "tel:+85592311511" in text and "csrf_token" not in text
            assert security_headers(headers) == {name: [value] for name, value in HEADERS.items()}
        status, _h, body = fetch(nginx.base + "/report/status/")
        assert status == 503 and 'data-ihc-slot="status-check"' in body.decode()
        status, _h, _b = fetch(nginx.base + "/_unavailable/report/")
        assert status == 404  # the fallback is internal only
        status, headers, body = fetch(nginx.base + "/api/v1/reports", data=b"{}",
                                      headers={"Content-Type": "application/json"})
        assert status == 503 and headers["Content-Type"].startswith("application/json")
        messages = json.loads(body)["errors"]["request"]
        assert "not available" in messages[0] and "សេវារាយការណ៍" in messages[1]
        assert security_headers(headers) == {name: [value] for name, value in HEADERS.items()}
    finally:
        nginx.stop()
