"""gunicorn settings for the report endpoint, in production (deploy/README.md)
and for `make serve`:

    gunicorn --config deploy/gunicorn.conf.py 'report_endpoint:create_app()'

Environment: GUNICORN_BIND (default: 127.0.0.1:8001, where nginx passes to),
GUNICORN_WORKERS (default: 2 per core, at least 2).
"""

import os

from gunicorn import glogging
from gunicorn.http import wsgi

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("GUNICORN_WORKERS", max(2, 2 * (os.cpu_count() or 1))))
# Sync workers: each request is short (a form, a status check) and the SQLite
# writer serialises reports anyway; nginx buffers slow clients.
worker_class = "sync"
timeout = 30
graceful_timeout = 20
# Workers are renewed now and then, so no slow leak can grow without limit.
# Requests refused with 429 do not count (post_request below): otherwise a
# flood would renew the workers, and with them the limiter's counts.
max_requests = 20000
max_requests_jitter = 2000
# Small limits on what a request may be: a report is a few URLs.
limit_request_line = 4096
limit_request_fields = 60
limit_request_field_size = 8190
# No access log: its lines would hold client addresses.  Errors only, to
# stderr (the journal), without request data.
accesslog = None
errorlog = "-"
loglevel = "warning"


class PrivateLogger(glogging.Logger):
    """gunicorn's error log without client details.  When gunicorn cannot
    parse a request it logs the client's address and what it could read of
    the request ("Invalid request from ip=…"), and on an error outside the
    app the request's path; the event is kept, those details are not."""

    def warning(self, msg, *args, **kwargs):
        if str(msg).startswith("Invalid request from ip="):
            msg, args = "Invalid request refused (client and request not logged)", ()
        super().warning(msg, *args, **kwargs)

    def exception(self, msg, *args, **kwargs):
        if str(msg).startswith("Error handling request"):
            msg, args = "Error handling request (request not logged)", ()
        super().exception(msg, *args, **kwargs)


logger_class = PrivateLogger
# No runtime control socket (gunicornc): nothing to manage it from.
control_socket_disable = True


def when_ready(server):
    """Once gunicorn listens: under `make serve`, say where to open the site,
    or (the second listener) the analysts' workspace."""
    address = f"http://{server.cfg.bind[0]}"
    if "workspace" in getattr(server.app, "app_uri", ""):
        if os.environ.get("IHC_ANNOUNCE"):
            print(f"\n  The analysts' workspace is running: open {address}/workspace/\n"
                  f"  First account: .venv/bin/ihc-analyst user add NAME --admin  (prints its enrolment link)\n",
                  flush=True)
    elif os.environ.get("REPORT_SERVE_SITE"):
        print(f"\n  Internet Hotline Cambodia is running: open {address}/\n"
              f"  Khmer: {address}/km/   Report form: {address}/report/\n"
              f"  Stop with Ctrl+C.\n", flush=True)


def post_request(worker, req, environ, resp):
    """A request refused by the rate limiter does not count toward
    max_requests.  gunicorn counts every request in `worker.nr` before the
    app runs (workers/sync.py and gthread.py, handle_request) and offers no
    setting to leave some out, so the count is given back here, after the
    answer.  A 429 is the only status the endpoint answers without doing
    the work; everything else counts as before."""
    if getattr(resp, "status_code", None) == 429 and worker.nr > 0:
        worker.nr -= 1


class ResponseWithoutServer(wsgi.Response):
    """gunicorn's answers without a `Server: gunicorn` line.  gunicorn writes
    that line itself, from http/wsgi.py's default_headers, whatever the app
    sends, and has no setting to leave it out (benoitc/gunicorn#825, kept
    so on purpose).  The usual `gunicorn.SERVER = "..."` in this file only
    changes the text, and only if it runs before http/wsgi.py is imported;
    this leaves the line out altogether, on every answer (the app removes
    its own: report_endpoint/security.py).  Behind nginx, proxy.conf hides
    it too; this is for `make serve`."""

    def default_headers(self):
        return [line for line in super().default_headers() if not line.startswith("Server:")]


# wsgi.create() builds each answer from this module attribute, at call time.
wsgi.Response = ResponseWithoutServer
