"""Rate limits kept in memory, per client and for everyone together.

A client is keyed by a keyed hash of its address (HMAC with an instance
secret, truncated): the limiter never holds the address itself, and the key
cannot be turned back into it.  The number of tracked clients is bounded, so a
flood of distinct addresses cannot grow memory without limit.
"""

from __future__ import annotations

import hashlib
import hmac
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

    def allow(self, key: str, now: float | None = None) -> bool:
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
                return False
            events.append(now)
            return True

    def __len__(self) -> int:
        return len(self._events)


class RateLimiter:
    """One per-client window and one overall window for a kind of request."""

    def __init__(self, secret: str, per_client: tuple[int, int], overall: tuple[int, int], max_clients: int):
        self._secret = secret.encode()
        self.per_client = SlidingWindow(*per_client, max_keys=max_clients)
        self.overall = SlidingWindow(*overall, max_keys=1)

    def client_key(self, address: str) -> str:
        return hmac.new(self._secret, address.encode(), hashlib.sha256).hexdigest()[:24]

    def allow(self, address: str) -> bool:
        # Per client first: one noisy client must not use up everyone's allowance.
        return self.per_client.allow(self.client_key(address)) and self.overall.allow("all")


def limited(kind: str) -> bool:
    """True when this request is over the "report" or "status" limit."""
    limiter: RateLimiter = current_app.extensions["rate_limiters"][kind]
    # Behind nginx, TRUSTED_PROXIES makes remote_addr the real client (ProxyFix).
    return not limiter.allow(request.remote_addr or "unknown")
