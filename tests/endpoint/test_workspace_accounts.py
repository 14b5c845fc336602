"""The analysts' workspace's accounts and its defences, through the
workspace app on a real SQLite file: enrolment by one-time link (a
passphrase and a TOTP second factor, together or not at all), sign-in with
both factors, and the refusals: no code, a wrong code, a used code, a
throttled name and address, idle and absolute timeouts, an analyst on admin
pages, a form without its CSRF token, the workspace's paths on the public
app, a public session cookie; and the headers on every answer."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import func, select, update

from report_endpoint import create_app as public_app, db
from report_endpoint.models import Analyst, AnalystToken, AuditEvent, SignInThrottle, utcnow
from report_endpoint.security import HEADERS
from report_endpoint.workspace import accounts, create_app

from raised_limits import RAISED_CONFIG
from workspace_helpers import HTTPS, PASSPHRASE, account, code, csrf, enrol, sign_in


pytestmark = pytest.mark.usefixtures("frozen_totp")   # one TOTP step for the whole test


@pytest.fixture()
def client(ws):
    return ws.test_client()


def new_link(ws, name="dara", admin=False) -> str:
    with ws.app_context():
        return accounts.add(name, admin, "tester")


def signed_in_page(client) -> int:
    """200 when the session is good; a redirect to sign-in otherwise."""
    return client.get("/workspace/", base_url=HTTPS).status_code


def test_enrol_then_sign_in_with_passphrase_and_code(ws, client):
    link = new_link(ws, "dara", admin=False)
    assert link.startswith(ws.config["WORKSPACE_URL"].rstrip("/") + "/workspace/enrol/?t=")
    secret = enrol(client, link)
    assert signed_in_page(client) == 303                      # enrolling is not signing in
    answer = sign_in(client, "dara", secret)
    assert answer.status_code == 303 and answer.headers["Location"] == "/workspace/"
    assert signed_in_page(client) == 200
    with ws.app_context():
        person = accounts.find("dara")
        assert person.passphrase_hash.startswith("$argon2id$") and person.totp_secret and person.enrolled_at
        actions = db.session().scalars(select(AuditEvent.action).where(AuditEvent.actor == "dara")).all()
        assert actions == ["user_enrolled", "sign_in"]


def test_the_enrolment_page_in_khmer(ws, client):
    link = new_link(ws, "sokha")
    token = link.split("t=")[1]
    page = client.get(f"/km/workspace/enrol/?t={token}", base_url=HTTPS)
    assert page.status_code == 200 and 'lang="km"' in page.text
    assert "sokha" in page.text and "<svg" in page.text    # the QR code, inline
    secret = enrol(client, link, prefix="/km")
    assert sign_in(client, "sokha", secret).status_code == 303


def test_enrolment_saves_nothing_until_both_factors_are_right(ws, client):
    link = new_link(ws)
    token = link.split("t=")[1]
    page = client.get(f"/workspace/enrol/?t={token}", base_url=HTTPS).text
    import re
    secret = re.search(r'name="secret" type="hidden" value="([A-Z2-7]{32})"', page).group(1)
    token_csrf = csrf(client, f"/workspace/enrol/?t={token}")
    weak = client.post("/workspace/enrol/", base_url=HTTPS, data={
        "csrf_token": token_csrf, "token": token, "secret": secret, "passphrase": "password1234",
        "again": "password1234", "code": code(secret)})
    assert weak.status_code == 400 and "too easy to guess" in weak.text
    wrong = client.post("/workspace/enrol/", base_url=HTTPS, data={
        "csrf_token": token_csrf, "token": token, "secret": secret, "passphrase": PASSPHRASE,
        "again": PASSPHRASE, "code": "000000" if code(secret) != "000000" else "111111"})
    assert wrong.status_code == 400 and "That code is not right" in wrong.text
    with ws.app_context():
        person = accounts.find("dara")
        assert person.passphrase_hash is None and person.totp_secret is None and person.enrolled_at is None
    enrol(client, link)                                      # the link still works for the real thing


def test_an_enrolment_link_works_once_and_expires(ws, client):
    link = new_link(ws, "dara")
    enrol(client, link)
    again = client.get(f"/workspace/enrol/?t={link.split('t=')[1]}", base_url=HTTPS)
    assert again.status_code == 404 and "does not work any more" in again.text
    late = new_link(ws, "vanna")
    with ws.app_context():
        db.session().execute(update(AnalystToken).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        db.session().commit()
    assert client.get(f"/workspace/enrol/?t={late.split('t=')[1]}", base_url=HTTPS).status_code == 404
    assert client.get("/workspace/enrol/?t=made-up", base_url=HTTPS).status_code == 404


def test_the_second_factor_is_mandatory_and_each_code_works_once(ws, client):
    secret = enrol(client, new_link(ws, "dara"))
    assert sign_in(client, "dara", secret, typed_code="").status_code == 400           # no code
    assert sign_in(client, "dara", secret, passphrase="wrong words entirely").status_code == 400
    wrong = str((int(code(secret, 1)) + 1) % 1_000_000).zfill(6)
    assert sign_in(client, "dara", secret, typed_code=wrong).status_code == 400        # a wrong code
    assert sign_in(client, "dara", secret, steps_ahead=0).status_code == 400           # used at enrolment
    assert sign_in(client, "dara", secret, steps_ahead=1).status_code == 303
    client.post("/workspace/sign-out/", base_url=HTTPS, data={"csrf_token": csrf(client, "/workspace/")})
    assert signed_in_page(client) == 303
    assert sign_in(client, "dara", secret, steps_ahead=1).status_code == 400           # used just now
    failed = sign_in(client, "dara", secret, typed_code="123")
    assert "The name, passphrase or code is not right" in failed.text


def test_sign_in_is_throttled_per_name(ws, client):
    secret = enrol(client, new_link(ws, "dara"))
    for _ in range(5):
        assert sign_in(client, "dara", secret, passphrase="not the passphrase").status_code == 400
    assert sign_in(client, "dara", secret).status_code == 400                          # right, but locked
    with ws.app_context():
        db.session().execute(update(SignInThrottle).values(locked_until=utcnow()))
        db.session().commit()
    assert sign_in(client, "dara", secret).status_code == 303


def test_sign_in_is_throttled_per_address(tmp_path):
    ws = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance", "SIGNIN_LIMIT_PER_CLIENT": (3, 600)})
    client = ws.test_client()
    statuses = [sign_in(client, f"person{i}", None, typed_code="123456").status_code for i in range(5)]
    assert statuses == [400, 400, 400, 429, 429]


@pytest.mark.parametrize("idle, total, signed", [
    (29 * 60, 29 * 60, True),           # active within 30 minutes
    (31 * 60, 31 * 60, False),          # 30 minutes idle
    (None, 8 * 3600 + 60, False),       # busy all day: 8 hours in all
])
def test_sessions_end_when_idle_and_after_eight_hours(ws, client, monkeypatch, idle, total, signed):
    account(ws, client, "dara")
    start = time.time()
    if idle is None:                    # a request every 20 minutes for 8 hours
        for minutes in range(20, 8 * 60, 20):
            monkeypatch.setattr(accounts.time, "time", lambda m=minutes: start + 60 * m)
            assert signed_in_page(client) == 200
    monkeypatch.setattr(accounts.time, "time", lambda: start + total)
    answer = client.get("/workspace/", base_url=HTTPS)
    if signed:
        assert answer.status_code == 200
    else:
        assert answer.status_code == 303
        said = client.get(answer.headers["Location"], base_url=HTTPS).text
        assert ("8 hours" if idle is None else "30 minutes without activity") in said
        assert signed_in_page(client) == 303


def test_an_analyst_is_kept_out_of_admin_pages(ws, client):
    account(ws, client, "dara", admin=False)
    assert "Users" not in client.get("/workspace/", base_url=HTTPS).text
    assert client.get("/workspace/users/", base_url=HTTPS).status_code == 403
    token = csrf(client, "/workspace/")
    made = client.post("/workspace/users/", base_url=HTTPS, data={"csrf_token": token, "name": "mallory",
                                                                  "language": "en", "admin": "y"})
    assert made.status_code == 403
    assert client.post("/workspace/users/dara/disable", base_url=HTTPS, data={"csrf_token": token}).status_code == 403
    with ws.app_context():
        assert accounts.find("mallory") is None and accounts.find("dara").disabled_at is None


def test_an_admin_adds_reenrols_and_disables_accounts(ws, client):
    account(ws, client, "boss", admin=True)
    token = csrf(client, "/workspace/users/")
    made = client.post("/workspace/users/", base_url=HTTPS, data={"csrf_token": token, "name": "Dara",
                                                                  "language": "km"})
    assert made.status_code == 200 and "/km/workspace/enrol/?t=" in made.text
    other = made.text.split("/km/workspace/enrol/?t=")[1].split("<")[0]
    other_client = create_app({"TESTING": True, "INSTANCE_PATH": ws.instance_path, **RAISED_CONFIG}).test_client()
    secret = enrol(other_client, f"x?t={other}", prefix="/km")
    assert sign_in(other_client, "dara", secret).status_code == 303
    renewed = client.post("/workspace/users/dara/reenrol", base_url=HTTPS, data={"csrf_token": token})
    assert renewed.status_code == 200 and "/km/workspace/enrol/?t=" in renewed.text
    assert signed_in_page(other_client) == 303                       # a new enrolment ends the sessions
    assert sign_in(other_client, "dara", secret, steps_ahead=1).status_code == 400
    refused = client.post("/workspace/users/boss/disable", base_url=HTTPS, data={"csrf_token": token})
    assert refused.status_code == 400                                # not one's own account
    assert client.post("/workspace/users/dara/disable", base_url=HTTPS,
                       data={"csrf_token": token}).status_code == 303
    with ws.app_context():
        assert accounts.find("dara").disabled_at is not None
        assert {"user_add", "user_reenrol", "user_disable"} <= set(
            db.session().scalars(select(AuditEvent.action).where(AuditEvent.actor == "boss")).all())


def test_ihc_analyst_user_add_prints_a_one_time_link(tmp_path):
    app = public_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance"})
    result = app.test_cli_runner().invoke(args=["user", "add", "Boss", "--admin", "--analyst", "tester"])
    assert result.exit_code == 0, result.output
    assert "admin account made" in result.output and "/workspace/enrol/?t=" in result.output
    again = app.test_cli_runner().invoke(args=["user", "add", "boss", "--analyst", "tester"])
    assert again.exit_code == 1 and "already an account named boss" in again.output
    bad = app.test_cli_runner().invoke(args=["user", "add", "x y", "--analyst", "tester"])
    assert bad.exit_code == 1
    listed = app.test_cli_runner().invoke(args=["user", "list"])
    assert "boss" in listed.output and "waiting for enrolment" in listed.output
    ws = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance"})
    link = [line for line in result.output.splitlines() if "/workspace/enrol/" in line][0]
    enrol(ws.test_client(), link.strip())


def every_form(client, reference_free=True) -> list[tuple[str, dict]]:
    """Every POST the workspace takes, with otherwise valid fields."""
    return [
        ("/workspace/sign-in/", {"name": "boss", "passphrase": PASSPHRASE, "code": "123456"}),
        ("/workspace/sign-out/", {}),
        ("/workspace/sign-out-everywhere/", {}),
        ("/workspace/users/", {"name": "newcomer", "language": "en"}),
        ("/workspace/users/boss/reenrol", {}),
        ("/workspace/users/boss/disable", {}),
        ("/workspace/export/", {"format": "csv"}),
    ]


def test_every_form_needs_its_csrf_token_and_changes_nothing_without_it(ws, client, tmp_path):
    from workspace_helpers import account as make
    make(ws, client, "boss", admin=True)
    reference = report_in(ws)
    forms = every_form(client) + [
        (f"/workspace/reports/{reference}/urls/1/assess", {"assessment": "baseline", "country": "KH"}),
        (f"/workspace/reports/{reference}/urls/1/notice", {"recipient": "police"}),
        (f"/workspace/reports/{reference}/urls/1/removed", {}),
        (f"/workspace/reports/{reference}/stage", {"stage": "triage"}),
    ]
    enrol_link = new_link(ws, "newbie")
    forms.append(("/workspace/enrol/", {"token": enrol_link.split("t=")[1], "secret": "A" * 32,
                                        "passphrase": PASSPHRASE, "again": PASSPHRASE, "code": "123456"}))
    before = snapshot(ws)
    for path, fields in forms:
        answer = client.post(path, base_url=HTTPS, data=fields, content_type="application/x-www-form-urlencoded")
        assert answer.status_code == 400, path
        assert snapshot(ws) == before, path
    assert signed_in_page(client) == 200                       # still signed in: sign-out did nothing


def report_in(app) -> str:
    """A report made through the public API on the same instance."""
    public = public_app({"TESTING": True, "INSTANCE_PATH": app.instance_path, **RAISED_CONFIG})
    made = public.test_client().post("/api/v1/reports", json={"urls": ["https://example.com/a"], "seen_on": "chat"})
    assert made.status_code == 201
    return made.get_json()["reference"]


def snapshot(app) -> tuple:
    """What a form could change: the reports' state, the accounts, the audit trail."""
    from report_endpoint.models import Notice, Report, ReportedUrl
    with app.app_context():
        s = db.session()
        return (s.execute(select(Report.stage)).all(),
                s.execute(select(ReportedUrl.assessment, ReportedUrl.hosting_country, ReportedUrl.removed_at)).all(),
                s.scalar(select(func.count(Notice.id))),
                s.execute(select(Analyst.name, Analyst.disabled_at, Analyst.session_epoch, Analyst.enrolled_at)).all(),
                s.scalar(select(func.count(AuditEvent.id))))


def test_every_answer_has_the_security_headers(ws, client):
    account(ws, client, "boss", admin=True)
    reference = report_in(ws)
    paths = ["/workspace/", "/km/workspace/", f"/workspace/reports/{reference}/", "/workspace/clock/",
             "/workspace/figures/", "/workspace/export/", "/workspace/users/", "/workspace/sign-in/",
             "/workspace/enrol/?t=gone", "/workspace/reports/00000000/", "/workspace/nothing-here",
             "/workspace/static/workspace.css", "/workspace/static/workspace.js", "/"]
    answers = [client.get(path, base_url=HTTPS) for path in paths]
    answers.append(client.post("/workspace/export/", base_url=HTTPS,
                               data={"csrf_token": csrf(client, "/workspace/export/"), "format": "json"}))
    answers.append(client.post("/workspace/users/", base_url=HTTPS, data={"name": "x"}))   # a CSRF refusal
    for path, answer in zip(paths + ["export", "csrf"], answers):
        for name, value in HEADERS.items():
            assert answer.headers.get(name) == value, (path, name)
        assert "no-store" in answer.headers["Cache-Control"], path
        assert "Server" not in answer.headers, path


@pytest.mark.parametrize("path", ["/workspace/", "/workspace/sign-in/", "/km/workspace/", "/km/workspace/sign-in/",
                                  "/workspace/users/", "/workspace/static/workspace.css"])
def test_the_workspace_is_not_in_the_public_app(tmp_path, path):
    public = public_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance"})
    assert public.test_client().get(path, base_url=HTTPS).status_code == 404


def test_a_cookie_the_public_app_signed_opens_no_workspace_session(ws, client, tmp_path):
    account(ws, client, "boss", admin=True)
    with ws.app_context():
        person = accounts.find("boss")
        forged = {"analyst": {"id": person.id, "epoch": person.session_epoch, "began": time.time(),
                              "seen": time.time()}}
    public = public_app({"TESTING": True, "INSTANCE_PATH": ws.instance_path})
    cookie = SecureCookieSessionInterface().get_signing_serializer(public).dumps(forged)
    stranger = ws.test_client()
    stranger.set_cookie(ws.config["WORKSPACE_COOKIE_NAME"], cookie, domain="localhost")
    assert stranger.get("/workspace/", base_url=HTTPS).status_code == 303
