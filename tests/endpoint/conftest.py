"""Fixtures for the report endpoint: an app on a fresh SQLite file in a
temporary instance folder, a test client, and the analysts' command runner."""

from __future__ import annotations

import re

import pytest

from report_endpoint import create_app

# One PostgreSQL server on loopback for the whole run, shared by the modules that use it.
from postgres_server import database_url, postgres_url  # noqa: F401  (fixtures)

HTTPS = "https://localhost"  # the session cookie is Secure: browse as HTTPS


@pytest.fixture()
def app(tmp_path):
    return create_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance"})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, path="/report/") -> str:
    page = client.get(path, base_url=HTTPS)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)


def submit_form(client, lang="en", **fields):
    """Fill in and send the HTML report form as a browser would."""
    prefix = "/km" if lang == "km" else ""
    data = {"csrf_token": csrf_token(client, f"{prefix}/report/"), "seen_on": "website", "anonymous": "y"}
    data.update({k: v for k, v in fields.items() if v is not None})
    for name in [k for k, v in fields.items() if v is None]:
        data.pop(name, None)
    return client.post(f"{prefix}/report/", data=data, base_url=HTTPS)


def reference_in(page_text: str) -> str:
    return re.search(r'data-reference="(\d{8})"', page_text).group(1)


@pytest.fixture()
def frozen_totp(monkeypatch):
    """The second factor's clock held in the middle of one 30-second step,
    for the app and the codes the tests compute alike (workspace_helpers)."""
    from workspace_helpers import FROZEN, frozen_clock
    frozen_clock(monkeypatch)
    yield
    FROZEN["now"] = None


@pytest.fixture()
def ws(tmp_path):
    """The analysts' workspace app on a fresh instance, per-client limits raised."""
    from raised_limits import RAISED_CONFIG
    from report_endpoint.workspace import create_app as workspace_app
    return workspace_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance", **RAISED_CONFIG})
