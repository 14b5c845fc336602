"""Rate limits kept in memory, per client and for everyone together: the
application's second layer, behind nginx's `limit_req` zones
(deploy/nginx/ihc.conf), which all workers share.  These windows live in each
gunicorn worker, so they hold a client to W times its allowance at most; they
matter when nginx is not in front (`make serve`) or is misconfigured.

A client is keyed by a keyed hash of its address (HMAC with an instance
secret, truncated): the limiter never holds the address itself, and the key
cannot be turned back into it.  An IPv6 client is keyed by its /64, as nginx
keys it: one host is usually given a whole /64, so its addresses are one
client.  The number of tracked clients is bounded, so a flood of distinct
addresses cannot grow memory without limit.

The overall window does not refuse everyone once it is full.  A flood from a
thousand addresses, each within its own limit, would otherwise use up the
allowance of every real reporter and everyone checking a status: the attacker's
goal.  Instead, while the overall window is full, each client keeps a fair
share: its first `share` requests in its own window are still answered, and
only requests beyond that are refused.  A newcomer is never locked out by
others; a flood is held to `share` per address, and nginx holds each address
(/64) to its own rate before that.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import threading
import time
from collections import OrderedDict, deque

from flask import current_app, request


class SlidingWindow:
    """At most `count` events per `seconds` for each key."""

    def __init__(self, count: int, seconds: int, max_keys: int = 100_000):
        self.count, self.seconds, self.max_keys = count, seconds, max_keys
        self._events: OrderedDict[str, deque] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> int:
        """Count one event for key: how many it now has in the window (this
        one included), or 0 if it was over the limit (nothing counted)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.get(key)
            if events is None:
                events = self._events[key] = deque()
                while len(self._events) > self.max_keys:
                    self._events.popitem(last=False)  # forget the least recent client
            else:
                self._events.move_to_end(key)
            while events and now - events[0] >= self.seconds:
                events.popleft()
            if len(events) >= self.count:
                return 0
            events.append(now)
            return len(events)

    def allow(self, key: str, now: float | None = None) -> bool:
        return self.take(key, now) > 0

    def __len__(self) -> int:
        return len(self._events)


def client_address(address: str) -> str:
    """The part of an address that names one client: an IPv4 address whole,
    an IPv6 address's /64 (an IPv4-mapped IPv6 address as the IPv4 one)."""
    if ":" not in address:
        return address  # IPv4 (or "unknown"): no parsing on the hot path
    try:
        parsed = ipaddress.IPv6Address(address)
    except ValueError:
        return address
    if parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.IPv6Network((int(parsed) >> 64 << 64, 64)))


class RateLimiter:
    """One per-client window and one overall window for a kind of request;
    while the overall window is full, each client keeps its first `share`
    requests per window (see the module's docstring)."""

    def __init__(self, secret: str, per_client: tuple[int, int], overall: tuple[int, int], max_clients: int,
                 share: int = 1):
        self._secret = secret.encode()
        self.per_client = SlidingWindow(*per_client, max_keys=max_clients)
        self.overall = SlidingWindow(*overall, max_keys=1)
        self.share = share

    def client_key(self, address: str) -> str:
        return hmac.new(self._secret, client_address(address).encode(), hashlib.sha256).hexdigest()[:24]

    def allow(self, address: str) -> bool:
        # Per client first: one noisy client must not use up everyone's allowance.
        used = self.per_client.take(self.client_key(address))
        if not used:
            return False
        # The overall window counts this request if it has room; when it has
        # none, the client's own count decides.
        return self.overall.allow("all") or used <= self.share


def limited(kind: str) -> bool:
    """True when this request is over the "report" or "status" limit."""
    limiter: RateLimiter = current_app.extensions["rate_limiters"][kind]
    # Behind nginx, TRUSTED_PROXIES makes remote_addr the real client (ProxyFix).
    return not limiter.allow(request.remote_addr or "unknown")
