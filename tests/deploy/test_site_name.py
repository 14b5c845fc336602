"""nginx serves the site under its own name only (deploy/nginx/ihc.conf's
default servers), and the generated header files match the endpoint's."""

from __future__ import annotations

import socket
import ssl

import pytest

from nginx_server import DEPLOY, UNVERIFIED, NginxServer
from site_helpers import free_port

NAME = "hotline.example.org"  # server_name in deploy/nginx/ihc.conf


@pytest.fixture(scope="module")
def named(site, tmp_path_factory):
    """The production default servers kept: TLS for any other name is refused."""
    nginx = NginxServer(site, free_port(), tmp_path_factory.mktemp("named"), any_name=False)
    yield nginx
    nginx.stop()


def get(nginx, server_name: str | None, host: str) -> bytes:
    """The start of the answer to GET / over TLS with this server name (SNI)
    and Host, on loopback: no name is ever looked up."""
    with socket.create_connection(("127.0.0.1", nginx.https_port), timeout=10) as raw:
        with UNVERIFIED.wrap_socket(raw, server_hostname=server_name) as tls:
            tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while chunk := tls.recv(65536):
                answer += chunk
            return answer


def test_the_site_answers_under_its_own_name(named):
    answer = get(named, NAME, NAME)
    assert answer.startswith(b"HTTP/1.1 200") and b'lang="en"' in answer
    assert b"\r\nServer: nginx\r\n" in answer  # no version


@pytest.mark.parametrize("server_name", ["other.example.com", None])
def test_other_names_are_refused_in_the_handshake(named, server_name):
    with pytest.raises(ssl.SSLError):
        get(named, server_name, NAME)


def test_another_host_after_the_sites_handshake_gets_nothing(named):
    """The site's name in the handshake, another in Host: closed unanswered."""
    assert get(named, NAME, "other.example.com") == b""


def test_the_hide_list_is_generated_from_the_endpoint():
    """deploy/nginx/hide-upstream-security-headers.conf is what
    deploy/write_security_headers.py writes from report_endpoint/security.py."""
    import runpy
    generator = runpy.run_path(str(DEPLOY.parent / "write_security_headers.py"))
    assert (DEPLOY / "hide-upstream-security-headers.conf").read_text(encoding="utf-8") == generator["hide_directives"]()
