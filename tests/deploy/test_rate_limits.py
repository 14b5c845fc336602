"""The rate limits as deployed: the production nginx (deploy/nginx/, its
limit_req zones at their production rates) in front of a real gunicorn with
four workers and the app's production limits.  The limits hold per client
whatever the number of workers, an IPv6 client is its /64, a flood from many
addresses leaves another person's status checks answered, and nginx's own
refusals are translated and carry the security headers.

Clients are told apart by their source address: all of 127.0.0.0/8 is
loopback, so a client socket bound to 127.0.0.2 is another client.  IPv6
addresses other than ::1 cannot reach loopback, so this deployment also lets
nginx take the client's address from an X-Real-IP header sent from 127.0.0.1
(ngx_http_realip_module, tests/nginx_server.py's real_ip_header); requests
from other addresses, or without the header, are keyed by their own address
as in production.  Every test uses its own addresses, so none spends
another's allowance."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

from nginx_server import UNVERIFIED, Deployment
from report_endpoint.security import HEADERS

WORKERS = 4
# As deploy/nginx/ihc.conf states them, and SECURITY.md ("Rate limits").
REPORT_BURST, REPORT_PER_MINUTE = 10, 1
STATUS_BURST, STATUS_PER_MINUTE = 10, 20
STATUS_STATED = 30  # per minute: the app's STATUS_LIMIT_PER_CLIENT, which nginx must not exceed
REPORT_STATED = 10  # per 10 minutes, the app's REPORT_LIMIT_PER_CLIENT: at once, nginx allows no more


# The app's overall window for status checks, in each worker: lower than the
# production 3,000 a minute so that a 20-second flood fills it, as a flood of
# a minute or more does in production.  Every other limit is production's.
OVERALL_STATUS = 400


@pytest.fixture(scope="module")
def deployed(site, tmp_path_factory):
    deployment = Deployment(site, tmp_path_factory.mktemp("limits"),
                            {"REPORT_STATUS_LIMIT_OVERALL": f"{OVERALL_STATUS},60"}, raise_limits=False,
                            real_ip_header=True, workers=WORKERS)
    assert len(deployment.endpoint.worker_pids()) == WORKERS
    yield deployment
    deployment.stop()


def request(deployed, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            source: str = "127.0.0.1", real_ip: str | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request on its own connection from a loopback source address."""
    connection = http.client.HTTPSConnection("127.0.0.1", deployed.nginx.https_port, context=UNVERIFIED,
                                             timeout=15, source_address=(source, 0))
    try:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if real_ip:
            sent["X-Real-IP"] = real_ip
        connection.request(method, path, body=body, headers=sent)
        answer = connection.getresponse()
        return answer.status, answer.headers, answer.read()
    finally:
        connection.close()


def status_check(deployed, source: str = "127.0.0.1", real_ip: str | None = None, form: bool = False,
                 lang: str = "en"):
    if form:  # the status form (no CSRF token: the endpoint answers 400, but the zone counts it)
        path = "/km/report/status/" if lang == "km" else "/report/status/"
        return request(deployed, "POST", path, b"reference=12345678",
                       {"Content-Type": "application/x-www-form-urlencoded"}, source, real_ip)
    return request(deployed, "POST", "/api/v1/status", json.dumps({"reference": "12345678"}).encode(), None,
                   source, real_ip)


def report(deployed, n: int, source: str, form: bool = False):
    if form:
        return request(deployed, "POST", "/report/", urllib.parse.urlencode({"urls": f"example.com/{n}"}).encode(),
                       {"Content-Type": "application/x-www-form-urlencoded"}, source)
    return request(deployed, "POST", "/api/v1/reports",
                   json.dumps({"seen_on": "website", "urls": [f"https://limit-{n}.example.com/"]}).encode(), None,
                   source)


def assert_security_headers(headers, what: str) -> None:
    for name, value in HEADERS.items():
        assert headers.get_all(name) == [value], (what, name)
    assert headers.get("Server") in (None, "nginx"), what  # never a version


def test_one_client_gets_no_more_status_checks_than_stated(deployed):
    """60 checks at once from one address, by the API and the form: nginx
    answers the burst and refuses the rest, whichever of the four workers
    would have taken them (each worker's own limit would allow 4 x 30)."""
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda n: status_check(deployed, "127.0.10.1", form=n % 3 == 0), range(60)))
    elapsed = time.monotonic() - started
    answered = [status for status, _h, _b in answers if status != 429]
    allowed = STATUS_BURST + int(elapsed * STATUS_PER_MINUTE / 60) + 1
    assert STATUS_BURST <= len(answered) <= min(allowed, STATUS_STATED), (len(answered), elapsed)
    assert set(answered) <= {200, 400}  # 400: the form without its CSRF token
    refused = [(headers, body) for status, headers, body in answers if status == 429]
    assert len(refused) == 60 - len(answered)
    for headers, body in refused:
        assert_security_headers(headers, "429")
        assert headers["Retry-After"] == "60"


def test_one_client_gets_no_more_reports_than_stated(deployed):
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda n: report(deployed, n, "127.0.11.1", form=n % 4 == 0), range(40)))
    elapsed = time.monotonic() - started
    stored = [status for status, _h, _b in answers if status == 201]
    answered = [status for status, _h, _b in answers if status != 429]
    assert len(answered) <= min(REPORT_BURST + int(elapsed * REPORT_PER_MINUTE / 60) + 1, REPORT_STATED + 1)
    assert len(stored) <= REPORT_STATED and len(answered) >= REPORT_BURST
    messages = [json.loads(body)["errors"]["request"] for status, headers, body in answers
                if status == 429 and headers["Content-Type"].startswith("application/json")]
    assert messages and all(m[0].startswith("Too many reports") and "របាយការណ៍" in m[1] for m in messages)


def test_reading_the_form_pages_spends_none_of_the_allowance(deployed):
    """GET of the form pages is not counted in the report or status zones."""
    source = "127.0.12.1"
    for _ in range(25):
        assert request(deployed, "GET", "/report/status/", source=source)[0] == 200
    assert status_check(deployed, source)[0] == 200


@pytest.mark.parametrize("lang, needle", [("en", "Too many checks from here"), ("km", "មានការពិនិត្យច្រើនពេក")])
def test_the_form_pages_refuse_in_their_own_language(deployed, lang, needle):
    source = f"127.0.13.{1 if lang == 'en' else 2}"
    answers = [status_check(deployed, source, form=True, lang=lang) for _ in range(STATUS_BURST + 2)]
    status, headers, body = answers[-1]
    assert status == 429
    text = body.decode()
    assert f'lang="{lang}"' in text and needle in text
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert_security_headers(headers, f"429 {lang}")


def test_an_ipv6_client_is_its_slash_64(deployed):
    """Two addresses in one /64 share one allowance; an address in the next
    /64 has its own (X-Real-IP stands in for the client's own address)."""
    first = [status_check(deployed, real_ip="2001:db8:1:2::a")[0] for _ in range(STATUS_BURST)]
    assert first == [200] * STATUS_BURST
    assert status_check(deployed, real_ip="2001:db8:1:2::b")[0] == 429           # same /64: spent
    assert status_check(deployed, real_ip="2001:db8:1:2:ffff::1")[0] == 429      # still the same /64
    assert status_check(deployed, real_ip="2001:db8:1:3::a")[0] == 200           # the next /64
    assert status_check(deployed, real_ip="192.0.2.44")[0] == 200                # IPv4: the address itself


def test_a_flood_from_many_addresses_leaves_others_answered(deployed):
    """1,000 addresses check statuses as fast as they can for about 20 s,
    and one of them far beyond its allowance; all the while another person
    checks theirs every 3 s from an address of their own.  The app's overall
    status window fills (OVERALL_STATUS, see the fixture), yet every one of
    that person's checks is answered, and the heavy flooder gets no more
    than its own allowance."""
    flooders = [f"127.0.{20 + n // 250}.{n % 250 + 1}" for n in range(1000)]
    heavy = "127.0.19.1"
    stop = threading.Event()
    counts = {"answered": 0, "refused": 0, "other": 0, "heavy": 0}
    lock = threading.Lock()

    def flood(worker: int) -> None:
        n = worker
        while not stop.is_set():
            source = heavy if worker < 2 else flooders[n % len(flooders)]
            try:
                status = status_check(deployed, source)[0]
            except OSError:
                status = 0
            with lock:
                counts["answered" if status == 200 else "refused" if status == 429 else "other"] += 1
                counts["heavy"] += source == heavy and status == 200
            n += 16

    person: list[tuple[int, float]] = []
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        for worker in range(16):
            pool.submit(flood, worker)
        time.sleep(3)  # the flood is under way, and has filled the overall window
        for _ in range(6):
            sent = time.monotonic()
            status, _h, _body = status_check(deployed, "127.0.18.1")
            person.append((status, time.monotonic() - sent))
            time.sleep(3)
        stop.set()
    elapsed = time.monotonic() - started
    assert [status for status, _ in person] == [200] * len(person), (person, counts)
    assert max(seconds for _, seconds in person) < 5, person
    assert counts["other"] == 0, counts
    assert counts["answered"] > OVERALL_STATUS * WORKERS, counts  # the overall window was full
    assert counts["heavy"] <= STATUS_BURST + int(elapsed * STATUS_PER_MINUTE / 60) + 1, counts
    print(f"\nflood through nginx in {elapsed:.0f} s: {counts}; "
          f"the other person: {[round(s * 1000) for _, s in person]} ms")


@pytest.mark.parametrize("method, path, body, headers, expected", [
    ("POST", "/", b"x=1", {"Content-Type": "application/x-www-form-urlencoded"}, 405),
    ("POST", "/api/v1/reports", b"{" + b" " * 300_000 + b"}", {}, 413),
    ("POST", "/km/report/", b"urls=" + b"a" * 300_000, {"Content-Type": "application/x-www-form-urlencoded"}, 413),
])
def test_nginxs_own_errors_carry_the_security_headers(deployed, method, path, body, headers, expected):
    status, got, _b = request(deployed, method, path, body, headers, source="127.0.14.1")
    assert status == expected
    assert_security_headers(got, str(expected))


def test_a_bad_request_carries_the_security_headers(deployed):
    """HTTP/1.1 without Host: nginx's own 400, before any location."""
    connection = http.client.HTTPSConnection("127.0.0.1", deployed.nginx.https_port, context=UNVERIFIED, timeout=10)
    try:
        connection.putrequest("GET", "/", skip_host=True)
        connection.endheaders()
        answer = connection.getresponse()
        assert answer.status == 400
        assert_security_headers(answer.headers, "400")
    finally:
        connection.close()


@pytest.mark.parametrize("host", ["evil.example.com", "127.0.0.1", "hotline.example.org", None])
def test_plain_http_redirects_to_the_sites_own_name(deployed, host):
    connection = http.client.HTTPConnection("127.0.0.1", deployed.nginx.http_port, timeout=10)
    try:
        connection.putrequest("GET", "/km/report/?x=1", skip_host=True)
        if host:
            connection.putheader("Host", host)
        connection.endheaders()
        answer = connection.getresponse()
        if host is None:  # HTTP/1.1 requires a Host: refused, with the headers
            assert answer.status == 400
        else:
            assert answer.status == 301
            assert answer.headers["Location"] == "https://hotline.example.org/km/report/?x=1"
        assert_security_headers(answer.headers, f"port 80, Host {host}")
    finally:
        connection.close()
