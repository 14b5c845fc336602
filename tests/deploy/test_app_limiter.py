"""The application's own limiter, the second layer behind nginx: an IPv6
client is its /64 as in nginx, a flood from many addresses cannot use up
everyone's allowance, and requests refused with 429 do not bring gunicorn's
worker recycling (max_requests) closer."""

from __future__ import annotations

import json
import os
import runpy
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest

from gunicorn_server import OPENER, GunicornServer
from report_endpoint.ratelimit import RateLimiter, client_address
from site_helpers import ROOT

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"


@pytest.mark.parametrize("address, client", [
    ("192.0.2.7", "192.0.2.7"),
    ("2001:db8:1:2::a", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
    ("2001:DB8:1:2::B", "2001:db8:1:2::/64"),
    ("2001:db8:1:3::a", "2001:db8:1:3::/64"),
    ("::ffff:192.0.2.7", "192.0.2.7"),  # IPv4 as an IPv6 socket shows it
    ("unknown", "unknown"),
])
def test_a_client_is_an_ipv4_address_or_an_ipv6_slash_64(address, client):
    assert client_address(address) == client


def test_addresses_in_one_slash_64_share_one_allowance():
    limiter = RateLimiter("secret", (3, 60), (1000, 60), 100)
    assert [limiter.allow(a) for a in ("2001:db8:1:2::a", "2001:db8:1:2::b", "2001:db8:1:2::c")] == [True] * 3
    assert not limiter.allow("2001:db8:1:2::d")   # the same /64: its allowance is spent
    assert limiter.allow("2001:db8:1:3::a")       # the next /64 has its own
    assert limiter.allow("192.0.2.1") and limiter.allow("192.0.2.2")  # IPv4: each address
    assert limiter.client_key("2001:db8:1:2::a") == limiter.client_key("2001:db8:1:2::ffff")
    assert "2001" not in limiter.client_key("2001:db8:1:2::a")


def test_a_flood_from_many_addresses_cannot_lock_out_a_newcomer():
    """The overall window is full after 50 requests; 1,000 flooding
    addresses, each within its own limit, then get only their fair share,
    and a newcomer is still answered."""
    limiter = RateLimiter("secret", (30, 60), (50, 60), 10_000, share=5)
    flood = [limiter.allow(f"198.51.100.{n % 250}" if n < 250 else f"2001:db8:{n:x}::1") for n in range(1000)
             for _ in range(10)]
    # Held to the overall limit plus each address's fair share: half of the
    # 10,000 refused, where each address's own limit (30) would refuse none.
    assert 1000 * 5 <= sum(flood) <= 50 + 1000 * 5
    assert all(limiter.allow("192.0.2.200") for _ in range(5))  # a newcomer: all of its fair share
    assert not limiter.allow("192.0.2.200")         # and no more while the flood lasts
    assert not limiter.allow("198.51.100.3")        # a flooder beyond its share is refused


def test_below_the_overall_limit_each_client_gets_its_whole_allowance():
    limiter = RateLimiter("secret", (30, 60), (1000, 60), 100, share=5)
    assert all(limiter.allow("192.0.2.9") for _ in range(30))
    assert not limiter.allow("192.0.2.9")


def test_the_fair_share_comes_from_the_configuration(tmp_path):
    from report_endpoint import create_app
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path, "STATUS_LIMIT_PER_CLIENT": (100, 60),
                      "STATUS_LIMIT_OVERALL": (3, 60), "STATUS_LIMIT_FAIR_SHARE": 2})
    client = app.test_client()

    def check(address: str) -> int:
        return client.post("/api/v1/status", json={"reference": "12345678"},
                           environ_base={"REMOTE_ADDR": address}).status_code

    assert [check("192.0.2.1") for _ in range(4)] == [200, 200, 200, 429]  # overall full at 3, share 2
    assert [check("192.0.2.2") for _ in range(3)] == [200, 200, 429]       # a newcomer: its share
    answer = client.post("/api/v1/status", json={"reference": "12345678"}, headers={"Accept-Language": "km"},
                         environ_base={"REMOTE_ADDR": "192.0.2.2"}).get_json()
    assert "\u1780" <= answer["errors"]["request"][0][0] <= "\u17ff"


def test_refused_requests_give_back_their_count():
    """post_request in deploy/gunicorn.conf.py, as gunicorn calls it."""
    hooks = runpy.run_path(str(GUNICORN_CONF))
    worker = SimpleNamespace(nr=7)
    hooks["post_request"](worker, None, {}, SimpleNamespace(status_code=429))
    assert worker.nr == 6
    for status in (200, 201, 400, 500):
        hooks["post_request"](worker, None, {}, SimpleNamespace(status_code=status))
    assert worker.nr == 6
    hooks["post_request"](worker, None, {}, None)  # no answer was made (an error before it)
    assert worker.nr == 6


def post_status(base: str) -> int:
    request = urllib.request.Request(f"{base}/api/v1/status", data=json.dumps({"reference": "12345678"}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with OPENER.open(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_refused_requests_do_not_recycle_a_worker(tmp_path):
    """A real gunicorn, one worker renewed every 5 requests: 30 requests
    refused with 429 leave the same worker; 5 answered ones renew it."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORT_")},
           "REPORT_INSTANCE_PATH": str(tmp_path / "instance"), "REPORT_STATUS_LIMIT_PER_CLIENT": "1,600"}
    server = GunicornServer("report_endpoint:create_app()", env, tmp_path / "gunicorn.log", workers=1,
                            extra=["--config", str(GUNICORN_CONF), "--max-requests", "5",
                                   "--max-requests-jitter", "0"])
    try:
        # Starting, gunicorn_server asked /healthz once: that one counts.
        [worker] = server.worker_pids()
        assert post_status(server.base) == 200
        assert [post_status(server.base) for _ in range(30)] == [429] * 30
        assert server.worker_pids() == [worker]
        for _ in range(3):
            with OPENER.open(f"{server.base}/healthz", timeout=10) as answer:
                assert answer.status == 200
        deadline = time.monotonic() + 20
        while server.worker_pids() in ([worker], []) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.worker_pids() not in ([worker], []), "the worker was not renewed after 5 answered requests"
    finally:
        server.stop()
