"""The analysts' workspace as deployed: deploy/nginx/workspace.conf in a real
nginx beside ihc.conf, the workspace app in a real gunicorn, and client
certificates made, issued and revoked with deploy/workspace-certificates.
Only a device with a valid certificate from the hotline's CA reaches the app;
the public server block never serves the workspace's paths."""

from __future__ import annotations

import http.client
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from gunicorn_server import GunicornServer
from nginx_server import DEPLOY, NGINX, WORKSPACE_NAME, NginxServer
from report_endpoint.security import HEADERS
from site_helpers import ROOT

SCRIPT = ROOT / "deploy" / "workspace-certificates"
UNITS = ROOT / "deploy" / "systemd"
PUBLIC_NAME = "hotline.example.org"  # server_name in deploy/nginx/ihc.conf
WORKSPACE_PATHS = ["/workspace/", "/workspace/sign-in/", "/km/workspace/", "/km/workspace/sign-in/"]


def certificates(*args: str) -> str:
    """deploy/workspace-certificates with these arguments; its output."""
    result = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def issue(ca: Path, name: str, into: Path) -> SimpleNamespace:
    """A device certificate issued with the script, taken out of its .p12 with
    the passphrase the script printed, as a browser would import it."""
    printed = certificates("issue", str(ca), name)
    passphrase = re.search(r"Passphrase \(.*\): (\S+)", printed).group(1)
    key, certificate, _chain = pkcs12.load_key_and_certificates((ca / "issued" / f"{name}.p12").read_bytes(),
                                                               passphrase.encode())
    into.mkdir(parents=True, exist_ok=True)
    (into / f"{name}.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    (into / f"{name}.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return SimpleNamespace(name=name, certificate=certificate, files=(into / f"{name}.pem", into / f"{name}.key"))


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    """The hotline's workspace CA with two devices, and another CA made the
    same way, with the same names, whose certificate must still be refused."""
    work = tmp_path_factory.mktemp("workspace-ca")
    ca, other = work / "ca", work / "other-ca"
    certificates("init", str(ca))
    certificates("init", str(other))
    return SimpleNamespace(ca=ca, alice=issue(ca, "alice-laptop", work / "devices"),
                           bob=issue(ca, "bob-phone", work / "devices"),
                           stranger=issue(other, "alice-laptop", work / "other-devices"))


@pytest.fixture(scope="module")
def workspace(site, tmp_path_factory):
    """report_endpoint.workspace in gunicorn with deploy/gunicorn.conf.py.
    Its access log (method, path and status only) is this test's witness of
    which requests reached the app; production keeps none."""
    work = tmp_path_factory.mktemp("workspace")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORT_")},
           "REPORT_INSTANCE_PATH": str(work / "instance"), "REPORT_SITE_DIR": str(site),
           "REPORT_TRUSTED_PROXIES": "1"}
    reached = work / "reached.log"
    # One worker: requests are handled, and logged, in the order they come.
    server = GunicornServer("report_endpoint.workspace:create_app()", env, work / "gunicorn.log", workers=1,
                            extra=["--config", str(ROOT / "deploy" / "gunicorn.conf.py"),
                                   "--access-logfile", str(reached), "--access-logformat", "%(m)s %(U)s %(s)s"],
                            ready_path="/workspace/sign-in/")
    server.reached = reached
    yield server
    server.stop()


@pytest.fixture(scope="module")
def nginx(site, workspace, authority, tmp_path_factory):
    """ihc.conf and workspace.conf in one nginx.  The public block's endpoint
    is the workspace app too: it would answer the workspace's paths if the
    public block passed them on."""
    server = NginxServer(site, workspace.port, tmp_path_factory.mktemp("nginx"),
                         workspace=(workspace.port, authority.ca))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def careless(site, workspace, tmp_path_factory):
    """The public block after a careless change: everything that is not a
    file of the site goes to the endpoint (here the workspace app)."""
    server = NginxServer(site, workspace.port, tmp_path_factory.mktemp("careless"), catch_all_proxy=True)
    yield server
    server.stop()


def over_tls(port: int, path: str, device=None, server_name: str | None = WORKSPACE_NAME, host: str = WORKSPACE_NAME,
            method: str = "GET", body: bytes = b"", resume: dict | None = None,
            ) -> tuple[int, http.client.HTTPMessage, bytes]:
    """(status, headers, body) over TLS to 127.0.0.1:port with this SNI and
    Host, presenting the device's certificate if given.  Loopback only: no
    name is ever looked up, and nginx's own certificate is not checked.
    resume: one dict across calls, to offer the session of the last call
    (at most TLS 1.2, session ids, unless it holds another "version"); each
    call notes its session and whether nginx resumed the one offered."""
    context = resume.get("context") if resume else None
    if context is None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        if device is not None:
            context.load_cert_chain(*device.files)
        if resume is not None:
            context.maximum_version = resume.get("version", ssl.TLSVersion.TLSv1_2)
            resume["context"] = context
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=server_name,
                                 session=resume.get("session") if resume else None) as tls:
            head = (f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
                    f"Content-Length: {len(body)}\r\n")
            if body:
                head += "Content-Type: application/x-www-form-urlencoded\r\n"
            tls.sendall(head.encode() + b"\r\n" + body)
            answer = http.client.HTTPResponse(tls)
            answer.begin()
            content = answer.read()
            if resume is not None:  # after the answer: TLS 1.3 sends its tickets after the handshake
                resume.update(session=tls.session, reused=tls.session_reused)
            return answer.status, answer.headers, content


def app_log(workspace) -> list[str]:
    """The lines the app has logged so far ("METHOD PATH STATUS"), each one
    complete: a request straight to it for a path of its own is logged
    after every earlier one (one worker), so the lines are read once that
    last one is there."""
    witness = f"/workspace/witness-{time.monotonic_ns()}/"
    with socket.create_connection(("127.0.0.1", workspace.port), timeout=10) as direct:
        direct.sendall(f"GET {witness} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        while direct.recv(65536):
            pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = workspace.reached.read_text().splitlines()
        if any(line.startswith(f"GET {witness} ") for line in lines):
            return lines
        time.sleep(0.05)
    raise AssertionError("the app never logged the witness request")


def reached(workspace, path: str, since: int = 0) -> bool:
    """Whether a request for path has reached the app (after its first
    `since` lines, len(app_log()) before the request)."""
    return any(line.split()[1] == path for line in app_log(workspace)[since:])


def one_set_of_security_headers(headers) -> bool:
    return {name: headers.get_all(name) or [] for name in HEADERS} == {name: [value] for name, value in HEADERS.items()}


# ── Issuing and revoking ───────────────────────────────────────────────────

def test_the_cas_key_is_root_only_and_the_lifetimes_are_as_documented(authority):
    ca = authority.ca
    assert (ca / "private" / "ca.key").stat().st_mode & 0o777 == 0o600
    assert (ca / "private").stat().st_mode & 0o777 == 0o700 and ca.stat().st_mode & 0o777 == 0o700
    authority_certificate = x509.load_pem_x509_certificate((ca / "ca.pem").read_bytes())
    device = authority.alice.certificate
    lifetime = device.not_valid_after_utc - device.not_valid_before_utc
    assert 364 <= lifetime.days <= 366
    assert 5 * 365 <= (authority_certificate.not_valid_after_utc - authority_certificate.not_valid_before_utc).days <= 5 * 366
    crl = x509.load_pem_x509_crl((ca / "crl.pem").read_bytes())
    assert 29 <= (crl.next_update_utc - crl.last_update_utc).days <= 30
    assert device.issuer == authority_certificate.subject
    usage = device.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]
    assert device.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False


def test_the_bundle_opens_only_with_its_passphrase_and_no_key_is_kept(authority):
    bundle = (authority.ca / "issued" / "alice-laptop.p12").read_bytes()
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(bundle, b"not-the-passphrase")
    assert (authority.ca / "issued" / "alice-laptop.p12").stat().st_mode & 0o777 == 0o600
    # The device's key is in the bundle only: nothing else in the CA's folder holds a private key.
    keys = [path for path in authority.ca.rglob("*") if path.is_file() and b"PRIVATE KEY" in path.read_bytes()]
    assert keys == [authority.ca / "private" / "ca.key"]


def test_a_name_gets_one_valid_certificate_at_a_time(authority):
    refused = subprocess.run([str(SCRIPT), "issue", str(authority.ca), "alice-laptop"], capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode != 0 and "revoke it first" in refused.stderr
    bad_name = subprocess.run([str(SCRIPT), "issue", str(authority.ca), "../alice"], capture_output=True,
                              text=True, timeout=60)
    assert bad_name.returncode != 0 and not (authority.ca / "alice.p12").exists()


# ── The workspace's server block ───────────────────────────────────────────

def test_nginx_accepts_the_files(nginx):
    check = subprocess.run([NGINX, "-t", "-e", str(nginx.error_log), "-c", str(nginx.conf)], capture_output=True,
                           text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    assert "workspace.conf" in nginx.conf.read_text()


def test_without_a_certificate_nginx_refuses_and_the_app_is_never_asked(nginx, workspace):
    status, headers, body = over_tls(nginx.https_port, "/workspace/no-certificate-probe/")
    assert status == 400
    assert b"certificate issued by the hotline" in body and "វិញ្ញាបនបត្រ".encode() in body
    assert one_set_of_security_headers(headers)
    assert not reached(workspace, "/workspace/no-certificate-probe/")


def test_a_hotline_certificate_opens_the_sign_in_page(nginx, workspace, authority):
    status, headers, body = over_tls(nginx.https_port, "/workspace/sign-in/?probe", authority.alice)
    assert status == 200, body[:500]
    assert one_set_of_security_headers(headers)
    assert headers.get("Server") == "nginx"
    assert b'name="passphrase"' in body
    status, _headers, body = over_tls(nginx.https_port, "/km/workspace/sign-in/", authority.alice)
    assert status == 200 and b'lang="km"' in body


def test_the_root_leads_to_the_workspace_and_nothing_else_is_served(nginx, authority):
    status, headers, _body = over_tls(nginx.https_port, "/", authority.alice)
    assert status == 303 and headers["Location"] == "/workspace/"
    status, headers, _body = over_tls(nginx.https_port, "/index.html", authority.alice)
    assert status == 404 and one_set_of_security_headers(headers)


def test_a_certificate_from_another_ca_is_refused(nginx, workspace, authority):
    """Made with the same script, with the same names: only the key differs."""
    status, headers, body = over_tls(nginx.https_port, "/workspace/stranger-probe/", authority.stranger)
    assert status == 400 and b"certificate issued by the hotline" in body
    assert one_set_of_security_headers(headers)
    assert not reached(workspace, "/workspace/stranger-probe/")


def test_a_revoked_certificate_is_refused_once_nginx_reloads(nginx, workspace, authority):
    earlier = {}
    assert over_tls(nginx.https_port, "/workspace/sign-in/", authority.bob, resume=earlier)[0] == 200
    printed = certificates("revoke", str(authority.ca), "bob-phone")
    assert "Revoked bob-phone" in printed and "reload" in printed
    listed = certificates("list", str(authority.ca))
    assert re.search(r"^bob-phone\s+revoked\b", listed, re.M) and re.search(r"^alice-laptop\s+valid\b", listed, re.M)
    nginx.reload()
    # The old workers finish what they hold, then only the new ones answer.
    deadline = time.monotonic() + 15
    while (status := over_tls(nginx.https_port, "/workspace/sign-in/", authority.bob)[0]) != 400:
        assert status == 200 and time.monotonic() < deadline, status
        time.sleep(0.1)
    status, _headers, body = over_tls(nginx.https_port, "/workspace/revoked-probe/", authority.bob)
    assert status == 400 and b"was revoked" in body
    # Nor does a session from before the revocation let it back in (a
    # resumed session skips the certificate check).
    status, _headers, _body = over_tls(nginx.https_port, "/workspace/revoked-probe/", authority.bob, resume=earlier)
    assert status == 400 and not earlier["reused"]
    assert not reached(workspace, "/workspace/revoked-probe/")
    assert over_tls(nginx.https_port, "/workspace/sign-in/", authority.alice)[0] == 200


def test_an_expired_revocation_list_shuts_every_device_out_until_renewed(site, workspace, authority, tmp_path):
    """What deploy/README.md warns of, and the timer's `crl` that cures it."""
    ca = tmp_path / "ca"
    shutil.copytree(authority.ca, ca)
    subprocess.run(["openssl", "ca", "-batch", "-config", str(ca / "openssl.cnf"), "-gencrl", "-crlsec", "1",
                    "-out", str(ca / "crl.pem")], env={**os.environ, "CA_DIR": str(ca)}, check=True,
                   capture_output=True, timeout=30)
    time.sleep(2)
    server = NginxServer(site, workspace.port, tmp_path / "nginx", workspace=(workspace.port, ca))
    try:
        status, _headers, body = over_tls(server.https_port, "/workspace/sign-in/", authority.alice)
        assert status == 400 and b"certificate issued by the hotline" in body
        certificates("crl", str(ca))
        server.reload()
        deadline = time.monotonic() + 15
        while over_tls(server.https_port, "/workspace/sign-in/", authority.alice)[0] != 200:
            assert time.monotonic() < deadline, "still refused after `crl` and a reload"
            time.sleep(0.1)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def production_names(site, workspace, authority, tmp_path_factory):
    """As nginx, with ihc.conf's production default server, which refuses
    the handshake for any other name (or none)."""
    server = NginxServer(site, workspace.port, tmp_path_factory.mktemp("production-names"), any_name=False,
                         workspace=(workspace.port, authority.ca))
    yield server
    server.stop()


@pytest.mark.parametrize("layout", ["nginx", "production_names"])
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_a_resumed_session_is_never_let_in(request, layout, version, workspace, authority):
    """A resumed session skips the certificate check (and the revocation
    list).  With production's default server none is resumed; where the
    default server keeps sessions (the public site here, which caches
    them), one is resumed and refused."""
    server = request.getfixturevalue(layout)
    offered = {"version": version}
    since = len(app_log(workspace))
    answers = []
    for _ in range(2):
        status = over_tls(server.https_port, "/workspace/resume-probe/", authority.alice, resume=offered)[0]
        answers.append((status, offered["reused"]))
    assert offered["session"] is not None  # one was offered the second time
    assert answers[0] == (404, False)  # the app's own 404: the device is let in
    assert answers[1] in [(404, False), (421, True)]
    if layout == "production_names":
        assert answers[1] == (404, False)
    app_saw = [line for line in app_log(workspace)[since:] if line.split()[1] == "/workspace/resume-probe/"]
    assert len(app_saw) == sum(status == 404 for status, _reused in answers)


def test_the_workspace_answers_only_under_its_name_in_production(production_names, authority):
    assert over_tls(production_names.https_port, "/workspace/sign-in/", authority.alice)[0] == 200
    with pytest.raises(ssl.SSLError):  # no name: the handshake is refused
        over_tls(production_names.https_port, "/workspace/sign-in/", authority.alice, server_name=None)


@pytest.mark.parametrize("server_name, refusal", [(PUBLIC_NAME, 421), (None, 400)])
def test_the_public_handshake_cannot_reach_the_workspace(nginx, workspace, server_name, refusal):
    """The workspace's name in Host only, after a handshake for the public
    site (421), or with no name, where the public site is the default (no
    certificate: 400)."""
    status, headers, _body = over_tls(nginx.https_port, "/workspace/host-probe/", server_name=server_name)
    assert status == refusal
    assert one_set_of_security_headers(headers)
    assert not reached(workspace, "/workspace/host-probe/")


def test_sign_in_posts_are_limited_by_nginx(nginx, workspace, authority):
    """6 at once, then nginx's own 429, which the app never sees (the app
    refuses these posts anyway: they carry no CSRF token)."""
    posted = sum(line.startswith("POST /workspace/sign-in/ ") for line in app_log(workspace))
    statuses = [over_tls(nginx.https_port, "/workspace/sign-in/", authority.alice, method="POST",
                        body=b"name=x&passphrase=y&code=1")[0] for _ in range(7)]
    assert 429 not in statuses[:6] and statuses[6] == 429
    assert sum(line.startswith("POST /workspace/sign-in/ ") for line in app_log(workspace)) == posted + 6
    status, headers, body = over_tls(nginx.https_port, "/km/workspace/sign-in/", authority.alice, method="POST",
                                    body=b"name=x")
    assert status == 429 and headers.get("Retry-After") == "60" and one_set_of_security_headers(headers)
    assert "សូមរង់ចាំ".encode() in body
    # Reading the page is not counted.
    assert over_tls(nginx.https_port, "/workspace/sign-in/", authority.alice)[0] == 200


def test_the_workspace_log_has_no_address_or_agent(nginx, authority):
    over_tls(nginx.https_port, "/workspace/sign-in/?t=secret-token", authority.alice)
    log = (nginx.work / "workspace-access.log").read_text()
    assert "/workspace/sign-in/" in log
    assert "127.0.0.1" not in log and "secret-token" not in log and "Python" not in log


# ── The systemd units ──────────────────────────────────────────────────────

def unit_entries(name: str) -> list[tuple[str, str, str]]:
    """(section, key, value) of each setting of deploy/systemd/NAME."""
    entries, section = [], ""
    for line in (UNITS / name).read_text().splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            entries.append((section, key, value))
    return entries


def settings(entries, key: str) -> list[str]:
    return [value for _section, found, value in entries if found == key]


def test_the_units_run_what_the_server_block_expects():
    conf = (DEPLOY / "workspace.conf").read_text()
    service = unit_entries("ihc-workspace.service")
    environment = dict(value.split("=", 1) for value in settings(service, "Environment"))
    # The workspace's own listener, where workspace.conf passes to; not the public endpoint's.
    assert environment["GUNICORN_BIND"] == "127.0.0.1:8002" and "server 127.0.0.1:8002;" in conf
    assert "server 127.0.0.1:8002;" not in (DEPLOY / "ihc.conf").read_text()
    assert shlex.split(settings(service, "ExecStart")[0]) == [
        "/srv/ihc/app/.venv/bin/gunicorn", "--config", "deploy/gunicorn.conf.py", "report_endpoint.workspace:create_app()"]
    assert settings(service, "User") == ["ihc"] and environment["REPORT_TRUSTED_PROXIES"] == "1"
    assert environment["REPORT_INSTANCE_PATH"] == "/srv/ihc/instance"
    renewal = unit_entries("ihc-workspace-crl.service")
    assert settings(renewal, "ExecStart") == ["/srv/ihc/app/deploy/workspace-certificates crl /etc/ihc/workspace-ca"]
    assert "ssl_crl /etc/ihc/workspace-ca/crl.pem;" in conf
    assert settings(renewal, "ReadWritePaths") == ["/etc/ihc/workspace-ca"]
    assert settings(renewal, "ExecStartPost") == ["/bin/systemctl reload nginx.service"]  # nginx reads it on reload
    timer = unit_entries("ihc-workspace-crl.timer")
    assert settings(timer, "OnCalendar") == ["weekly"] and settings(timer, "Persistent") == ["true"]


# ── The public server block ────────────────────────────────────────────────

@pytest.mark.parametrize("public", ["nginx", "careless"])
@pytest.mark.parametrize("path", WORKSPACE_PATHS)
def test_the_public_site_answers_404_for_the_workspace(request, public, path, site, workspace):
    server = request.getfixturevalue(public)
    since = len(app_log(workspace))
    status, headers, body = over_tls(server.https_port, path, server_name=None, host=PUBLIC_NAME)
    assert status == 404
    assert body == (site / "404.html").read_bytes()  # the site's own 404 page
    assert one_set_of_security_headers(headers)
    assert not reached(workspace, path, since)


def test_the_careless_catch_all_does_pass_other_paths_on(careless, workspace):
    """So the 404s above are the workspace locations' doing."""
    over_tls(careless.https_port, "/not-a-file-of-the-site/", server_name=None, host=PUBLIC_NAME)
    assert reached(workspace, "/not-a-file-of-the-site/")
    status, _headers, _body = over_tls(careless.https_port, "/workspace/", server_name=None, host=PUBLIC_NAME)
    assert status == 404

