"""Write deploy/nginx/security-headers.conf from report_endpoint/security.py,
so nginx's static pages and its own error answers carry the endpoint's own
headers; and deploy/nginx/hide-upstream-security-headers.conf, so that on
proxied answers nginx sends them once (its own copy, the same values) rather
than twice.  Run it after any change to the headers; tests/deploy fails while
the files differ."""

from pathlib import Path

from report_endpoint.security import HEADERS, nginx_directives

FOLDER = Path(__file__).with_name("nginx")
TARGET = FOLDER / "security-headers.conf"
HIDE_TARGET = FOLDER / "hide-upstream-security-headers.conf"


def hide_directives() -> str:
    """proxy_hide_header for each of HEADERS: proxy.conf's locations inherit
    the server's add_header lines instead, which also cover the answers nginx
    makes itself there (413, 429...), where the endpoint is never asked."""
    lines = ["# Written by deploy/write_security_headers.py from report_endpoint/security.py.  Do not edit by hand."]
    lines += [f"proxy_hide_header {name};" for name in HEADERS]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    TARGET.write_text(nginx_directives(), encoding="utf-8")
    HIDE_TARGET.write_text(hide_directives(), encoding="utf-8")
    print(f"wrote {TARGET} and {HIDE_TARGET}")
