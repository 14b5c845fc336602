"""Hardening applied to every request and response, errors included."""

from __future__ import annotations

from flask import Flask, Response, request

# The Content-Security-Policy of the whole site: the static pages (through
# deploy/nginx/security-headers.conf, generated from HEADERS below), the form
# pages and the API answer with the same one.  No inline script or style
# anywhere (Material's inline scripts are moved into files by overrides/).
CSP = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],  # Material's icons are data: SVGs in its CSS
    "font-src": ["'self'"],          # self-hosted Noto Sans Khmer
    "connect-src": ["'self'"],       # the search index; the counters from /api/v1/stats
    "worker-src": ["'self'"],        # the search worker
    "manifest-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
}
CSP_HEADER = "; ".join(f"{name} {' '.join(values)}" for name, values in CSP.items())

HEADERS = {
    "Content-Security-Policy": CSP_HEADER,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Strict-Transport-Security": "max-age=31536000",
}
# Bodies a browser form or a JSON client sends; anything else (multipart above
# all: this service never takes files) is refused before it is read.
ACCEPTED_BODIES = {"application/x-www-form-urlencoded", "application/json"}


def body_type_refused() -> bool:
    """True when a request carries a body of a kind we never accept."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return False
    return request.mimetype not in ACCEPTED_BODIES


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    for name, value in HEADERS.items():
        if name.lower() not in present:  # a view may set a stricter value of its own
            headers.add(name, value)
    # Nothing this service answers is worth keeping in a cache or history.
    headers["Cache-Control"] = "no-store"
    if "server" in present:
        del headers["Server"]
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def nginx_directives() -> str:
    """HEADERS as nginx add_header lines: deploy/nginx/security-headers.conf,
    so static pages carry exactly the headers of the endpoint's answers.
    Regenerate with `python deploy/write_security_headers.py`; a test compares."""
    lines = ["# Written by deploy/write_security_headers.py from report_endpoint/security.py:",
             "# the endpoint sends the same headers itself.  Do not edit by hand."]
    lines += [f'add_header {name} "{value}" always;' for name, value in HEADERS.items()]
    return "\n".join(lines) + "\n"

