"""Schemathesis against the OpenAPI file the endpoint serves, on a real
gunicorn: no generated request gets a server error, and every answer keeps
to the documented status codes, content types, response schemas and
headers, with 405 and an Allow header for methods the API does not take.

Not run: positive_data_acceptance and negative_data_rejection.  The schema
says `urls` is a string or a list of strings and `reference` a string; the
endpoint also checks what they mean (a web address, 8 digits), which a JSON
schema cannot say, so schema-valid garbage is rightly refused with a 400."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

from gunicorn_server import GunicornServer
from raised_limits import RAISED_ENV

CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance", "unsupported_method",
          "allow_header_conformance"]


def test_schemathesis_finds_no_server_error(tmp_path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORT_")}, **RAISED_ENV,
           "REPORT_INSTANCE_PATH": str(tmp_path / "instance")}
    server = GunicornServer("report_endpoint:create_app()", env, tmp_path / "gunicorn.log")
    seed = random.randrange(2 ** 31)
    try:
        result = subprocess.run(
            [str(Path(sys.executable).with_name("schemathesis")), "run", f"{server.base}/api/v1/openapi.json",
             "--checks", ",".join(CHECKS), "--max-examples", "150", "--seed", str(seed),
             "--generation-database", "none", "--no-color", "--request-timeout", "10"],
            cwd=tmp_path, capture_output=True, text=True, timeout=600,
            env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"})
    finally:
        server.stop()
    summary = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert result.returncode == 0 and summary, f"seed {seed}:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    generated, passed = map(int, summary.groups())
    assert generated == passed > 500
    print(f"schemathesis: {generated} generated requests, all passed (seed {seed})")
    # Nothing it sent reaches the log.
    log = (tmp_path / "gunicorn.log").read_text(errors="replace")
    assert "Traceback" not in log
