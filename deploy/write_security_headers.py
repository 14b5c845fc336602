"""Write deploy/nginx/security-headers.conf from report_endpoint/security.py,
so nginx's static pages carry the endpoint's own headers.  Run it after any
change to the headers; tests/deploy fails while the two differ."""

from pathlib import Path

from report_endpoint.security import nginx_directives

TARGET = Path(__file__).with_name("nginx") / "security-headers.conf"

if __name__ == "__main__":
    TARGET.write_text(nginx_directives(), encoding="utf-8")
    print(f"wrote {TARGET}")
