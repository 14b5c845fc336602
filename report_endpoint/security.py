"""Hardening applied to every request and response, errors included."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

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


def form_body_problem() -> str | None:
    """Why a form body cannot be read as one UTF-8 value per field: "encoding"
    (bytes that are not UTF-8, which would otherwise be silently replaced and
    change an address), "duplicate" (a field sent twice: which one counts
    would be a guess), or None.  The body is cached, and the form is parsed
    from the same bytes afterwards."""
    if request.method != "POST" or request.mimetype != "application/x-www-form-urlencoded":
        return None
    seen = set()
    for pair in request.get_data(cache=True).split(b"&"):
        if not pair:
            continue
        raw_name, _equals, raw_value = pair.partition(b"=")
        try:
            name = unquote_to_bytes(raw_name.replace(b"+", b" ")).decode("utf-8")
            unquote_to_bytes(raw_value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return "encoding"
        if name in seen:
            return "duplicate"
        seen.add(name)
    return None


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

