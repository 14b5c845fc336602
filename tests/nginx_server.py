"""The production nginx configuration (deploy/nginx/) run for real on
loopback, for tests and benchmarks: the same files, with only addresses,
ports and paths put in place of the production ones."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import signal
import ssl
import subprocess
import urllib.request
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gunicorn_server import GunicornServer, wait_until_serving
from raised_limits import RAISED_ENV
from site_helpers import ROOT, build_site, free_port

DEPLOY = ROOT / "deploy" / "nginx"
NGINX = "/usr/sbin/nginx"
# Our own certificate for 127.0.0.1: clients here do not verify it.
UNVERIFIED = ssl._create_unverified_context()  # noqa: S323 - loopback test server only
HTTPS_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                           urllib.request.HTTPSHandler(context=UNVERIFIED))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# Redirects are never followed: plain http sends every request to the site's
# production name, which must never be looked up from a test.
NO_REDIRECT_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect,
                                                 urllib.request.HTTPSHandler(context=UNVERIFIED))


class NginxError(RuntimeError):
    """nginx refused the configuration or never answered; the message has its log."""


def self_signed_certificate(folder: Path) -> None:
    """fullchain.pem and privkey.pem for 127.0.0.1, as deploy/README.md's paths expect."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hotline.test")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("hotline.test"),
                                                              x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    (folder / "fullchain.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))


def replaced(text: str, old: str, new: str) -> str:
    """text with old replaced; the production file must still contain old."""
    if old not in text:
        raise NginxError(f"deploy/nginx/ihc.conf no longer contains {old!r}: update tests/nginx_server.py")
    return text.replace(old, new)


# nginx's rate limits out of the way, for a stack that many tests reach from
# 127.0.0.1 (the app's are raised with tests/raised_limits.py): every zone's
# rate, as ihc.conf states it, and what it becomes.
RAISED_RATES = {"zone=ihc_reports:10m rate=1r/m;": "zone=ihc_reports:10m rate=100000r/s;",
                "zone=ihc_status:10m rate=20r/m;": "zone=ihc_status:10m rate=100000r/s;",
                "zone=ihc_endpoint:10m rate=5r/s;": "zone=ihc_endpoint:10m rate=100000r/s;"}


def site_config(site: Path, upstream_port: int, https_port: int, http_port: int, work: Path,
                raise_limits: bool = False, real_ip_header: bool = False, any_name: bool = True,
                catch_all_proxy: bool = False) -> str:
    """deploy/nginx/ihc.conf with loopback ports and this run's folders.

    raise_limits: nginx's rate limits raised out of the way (RAISED_RATES).
    real_ip_header: the client's address taken from an X-Real-IP header sent
    by the test (ngx_http_realip_module), for IPv6 clients, which loopback
    cannot otherwise have.  any_name: the site answers whatever name the
    client uses (tests reach it as 127.0.0.1, with no TLS server name);
    False keeps the production default server, which refuses other names.
    catch_all_proxy: what is not a file of the site goes to the endpoint, the
    careless change the site's own locations must withstand."""
    text = (DEPLOY / "ihc.conf").read_text(encoding="utf-8")
    text = replaced(text, "    listen [::]:80 default_server;\n", "")
    text = replaced(text, "    listen [::]:443 ssl http2 default_server;\n", "")
    text = replaced(text, "    listen [::]:443 ssl http2;\n", "")
    text = replaced(text, "listen 80 default_server;", f"listen 127.0.0.1:{http_port} default_server;")
    if any_name:
        text = replaced(text, "listen 443 ssl http2 default_server;", f"listen 127.0.0.1:{https_port} ssl http2;")
        text = replaced(text, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2 default_server;")
    else:
        text = replaced(text, "listen 443 ssl http2 default_server;",
                        f"listen 127.0.0.1:{https_port} ssl http2 default_server;")
        text = replaced(text, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    if raise_limits:
        for old, new in RAISED_RATES.items():
            text = replaced(text, old, new)
    if real_ip_header:
        text = replaced(text, "    root /srv/ihc/site;\n",
                        "    set_real_ip_from 127.0.0.1;\n    real_ip_header X-Real-IP;\n    root /srv/ihc/site;\n")
    if catch_all_proxy:
        text = replaced(text, "        try_files $uri $uri/ =404;\n    }\n",
                        "        try_files $uri $uri/ @catch_all;\n    }\n"
                        "    location @catch_all {\n        include /etc/nginx/ihc/proxy.conf;\n    }\n")
    text = replaced(text, "/etc/ssl/ihc/", f"{work}/tls/")
    text = replaced(text, "/srv/ihc/site", str(site))
    text = replaced(text, "server 127.0.0.1:8001;", f"server 127.0.0.1:{upstream_port};")
    # The files it includes, which include one another, copied beside it
    # with the same one change of folder.
    included = work / "ihc"
    included.mkdir(exist_ok=True)
    for part in DEPLOY.glob("*.conf"):
        if part.name not in ("ihc.conf", "workspace.conf"):
            (included / part.name).write_text(part.read_text(encoding="utf-8").replace(
                "/etc/nginx/ihc/", f"{included}/"), encoding="utf-8")
    text = replaced(text, "/etc/nginx/ihc/", f"{included}/")
    return replaced(text, "/var/log/nginx/ihc.access.log", f"{work}/access.log")


WORKSPACE_NAME = "workspace.hotline.example.org"  # server_name in deploy/nginx/workspace.conf
WORKSPACE_RAISED_RATES = {"zone=ihc_workspace_sign_in:1m rate=6r/m;": "zone=ihc_workspace_sign_in:1m rate=100000r/s;",
                          "zone=ihc_workspace:1m rate=10r/s;": "zone=ihc_workspace:1m rate=100000r/s;"}


def workspace_config(upstream_port: int, https_port: int, http_port: int, work: Path, ca: Path,
                     raise_limits: bool = False) -> str:
    """deploy/nginx/workspace.conf on the site's loopback ports, with this
    run's folders: its TLS certificate in work/tls-workspace, the client CA
    (ca.pem, crl.pem, as deploy/workspace-certificates makes them) in ca, and
    the files it includes where site_config put them (work/ihc)."""
    text = (DEPLOY / "workspace.conf").read_text(encoding="utf-8")
    text = replaced(text, "    listen [::]:80;\n", "")
    text = replaced(text, "    listen [::]:443 ssl http2;\n", "")
    text = replaced(text, "listen 80;", f"listen 127.0.0.1:{http_port};")
    text = replaced(text, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    if raise_limits:
        for old, new in WORKSPACE_RAISED_RATES.items():
            text = replaced(text, old, new)
    text = replaced(text, "/etc/ssl/ihc-workspace/", f"{work}/tls-workspace/")
    text = replaced(text, "/etc/ihc/workspace-ca/", f"{ca}/")
    text = replaced(text, "server 127.0.0.1:8002;", f"server 127.0.0.1:{upstream_port};")
    text = replaced(text, "/etc/nginx/ihc/", f"{work}/ihc/")
    return replaced(text, "/var/log/nginx/ihc-workspace.access.log", f"{work}/workspace-access.log")


def main_config(work: Path, site_conf: Path, *more_confs: Path) -> str:
    """A minimal nginx.conf around the site's file (Debian's own has the same
    shape); more_confs after it, in order, as sites-enabled/ is read."""
    temp = work / "temp"
    return f"""
user root;
worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site_conf};
{"".join(f"    include {conf};{chr(10)}" for conf in more_confs)}}}
"""


class NginxServer:
    """nginx with deploy/nginx/ihc.conf (site_config's options), and with
    workspace.conf too when workspace = (the workspace's upstream port, the
    folder of its client CA)."""

    def __init__(self, site: Path, upstream_port: int, work: Path, startup_timeout: float = 20.0,
                 raise_limits: bool = False, real_ip_header: bool = False, any_name: bool = True,
                 catch_all_proxy: bool = False, workspace: tuple[int, Path] | None = None):
        work.mkdir(parents=True, exist_ok=True)
        (work / "tls").mkdir(exist_ok=True)
        (work / "temp").mkdir(exist_ok=True)
        self_signed_certificate(work / "tls")
        self.work = work
        self.https_port, self.http_port = free_port(), free_port()
        self.base = f"https://127.0.0.1:{self.https_port}"
        self.http_base = f"http://127.0.0.1:{self.http_port}"
        self.access_log = work / "access.log"
        self.error_log = work / "error.log"
        site_conf = work / "ihc.conf"
        site_conf.write_text(site_config(site, upstream_port, self.https_port, self.http_port, work,
                                         raise_limits, real_ip_header, any_name, catch_all_proxy))
        more_confs = []
        if workspace:
            (work / "tls-workspace").mkdir(exist_ok=True)
            self_signed_certificate(work / "tls-workspace")
            more_confs.append(work / "workspace.conf")
            workspace_port, ca = workspace
            more_confs[0].write_text(workspace_config(workspace_port, self.https_port, self.http_port, work, ca,
                                                      raise_limits))
        self.workspace_access_log = work / "workspace-access.log"
        self.conf = work / "nginx.conf"
        self.conf.write_text(main_config(work, site_conf, *more_confs))
        check = subprocess.run([NGINX, "-t", "-e", str(self.error_log), "-c", str(self.conf)],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise NginxError(check.stderr)
        self.process = subprocess.Popen([NGINX, "-e", str(self.error_log), "-c", str(self.conf), "-g", "daemon off;"],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        # Without the site's name the production default server refuses the
        # handshake: then wait on the plain-http port, which answers any name.
        wait_until_serving(self.process, f"{self.base}/" if any_name else f"{self.http_base}/", NO_REDIRECT_OPENER,
                           startup_timeout, self.error_log, "nginx", NginxError, self.stop, expected=200 if any_name else 301)

    def reload(self) -> None:
        """nginx -s reload: the files read again (a renewed crl.pem among them)."""
        subprocess.run([NGINX, "-e", str(self.error_log), "-c", str(self.conf), "-s", "reload"], check=True,
                       capture_output=True, timeout=15)

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGQUIT)  # graceful: finish requests, then exit
            self.process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class Deployment:
    """The system as deployed, on loopback: the endpoint in gunicorn with
    deploy/gunicorn.conf.py behind nginx with deploy/nginx/, serving the built
    site, SQLite in work/instance.  settings: REPORT_* variables to add.

    nginx's rate limits are raised when the app's are (settings hold
    tests/raised_limits.py's RAISED_ENV) unless raise_limits says otherwise;
    real_ip_header as for NginxServer."""

    def __init__(self, site: Path, work: Path, settings: dict[str, str] | None = None,
                 raise_limits: bool | None = None, real_ip_header: bool = False, workers: int = 2):
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORT_")},
                    "REPORT_INSTANCE_PATH": str(work / "instance"), "REPORT_SITE_DIR": str(site),
                    "REPORT_TRUSTED_PROXIES": "1", **(settings or {})}
        self.gunicorn_log = work / "gunicorn.log"
        if raise_limits is None:
            raise_limits = RAISED_ENV.items() <= (settings or {}).items()
        self.endpoint = GunicornServer("report_endpoint:create_app()", self.env, self.gunicorn_log, workers=workers,
                                       extra=["--config", str(ROOT / "deploy" / "gunicorn.conf.py")])
        try:
            self.nginx = NginxServer(site, self.endpoint.port, work / "nginx", raise_limits=raise_limits,
                                     real_ip_header=real_ip_header)
        except Exception:
            self.endpoint.stop()
            raise

    def stop(self) -> None:
        self.nginx.stop()
        self.endpoint.stop()

    @classmethod
    def of_a_fresh_build(cls, work: Path, settings: dict[str, str] | None = None) -> "Deployment":
        """The site built into work/site as `make build` does, then deployed (benchmarks)."""
        built = build_site(work / "site")
        if built.returncode != 0:
            raise NginxError(f"the site did not build:\n{built.stderr[-3000:]}")
        return cls(work / "site", work, settings)
