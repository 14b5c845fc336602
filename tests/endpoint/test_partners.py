"""The partners' area (report_endpoint/partners.py, partner_web.py) through
the app, on a real SQLite file, with the e-mails read from instance/mail/:
asking, approval by command line, the welcome link, a password that must be
strong, signing in (with and without a second step), downloading a
restricted pack (audited), signing out; and the refusals: no session no
file, throttled sign-in, links that work once and expire, idle sessions,
"sign out everywhere", CSRF on every form, and the same answers for
addresses with and without an account."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
import statistics
import time
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select, update

from report_endpoint import create_app, db, partners, signin_throttle
from report_endpoint.models import AuditEvent, PartnerToken, SignInThrottle, utcnow

from conftest import HTTPS, csrf_token
from raised_limits import RAISED_CONFIG

EMAIL = "dara@example.org"
STRONG = "river lantern mango quietly"
PDF = b"%PDF-1.7\n% a restricted pack for the tests\n"


@pytest.fixture()
def restricted(tmp_path):
    """restricted/ as the build writes it: index.json and one pack's PDFs."""
    folder = tmp_path / "restricted"
    (folder / "takedown-guide").mkdir(parents=True)
    for lang in ("en", "km"):
        (folder / "takedown-guide" / f"takedown-guide-{lang}.pdf").write_bytes(PDF)
    (folder / "index.json").write_text(json.dumps([{
        "id": "takedown-guide", "title": {"en": "Notice and takedown", "km": "ការជូនដំណឹង និងការដកចេញ"},
        "summary": {"en": "For internet companies.", "km": "សម្រាប់ក្រុមហ៊ុនអ៊ីនធឺណិត។"},
        "files": {"en": {"pages": 8, "bytes": 100}, "km": {"pages": 8, "bytes": 100}}}]), encoding="utf-8")
    return folder


@pytest.fixture()
def app(tmp_path, restricted):
    # The per-address limit out of the way (it has a test of its own below).
    return create_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance", "RESTRICTED_DIR": str(restricted),
                       **RAISED_CONFIG})


def post(client, path, **data):
    page = client.get(path, base_url=HTTPS)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    return client.post(path, data={"csrf_token": token, **data}, base_url=HTTPS)


def ask(client, lang="en", email_=EMAIL):
    prefix = "/km" if lang == "km" else ""
    answer = post(client, f"{prefix}/partners/request/", name="Dara", organisation="Example NGO",
                  role="caseworker", email=email_, terms="y")
    assert answer.status_code == 201, answer.text[-2000:]
    return answer


def mails(app) -> list[email.message.EmailMessage]:
    folder = Path(app.instance_path) / "mail"
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if folder.is_dir() else []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]


def mail_after(app, count: int) -> email.message.EmailMessage:
    """The newest e-mail once there are count of them: a reset link is sent
    after the answer, from a thread (updates.deliver_soon)."""
    deadline = time.monotonic() + 20
    while len(found := mails(app)) < count:
        assert time.monotonic() < deadline, f"{len(found)} e-mails, waiting for {count}"
        time.sleep(0.05)
    return found[-1]


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=["partner", *args, "--analyst", "admin.one"]
                                          if args[0] != "list" else ["partner", *args])
    assert result.exit_code == 0, result.output
    return result.output


def link_in(message) -> str:
    return re.search(r"https?://\S+?(/(?:km/)?partners/password/\?t=\S+)", message.get_content()).group(1)


def approved_with_password(app, client, lang="en", email_=EMAIL):
    ask(client, lang, email_)
    cli(app, "approve", email_)
    path = link_in(mails(app)[-1])
    answer = post(client, path.split("?")[0] + "?" + path.split("?")[1], token=path.split("t=")[1],
                  password=STRONG, again=STRONG)
    assert answer.status_code == 200, answer.text[-1500:]


def sign_in(client, email_=EMAIL, password=STRONG, code="", lang="en"):
    prefix = "/km" if lang == "km" else ""
    return post(client, f"{prefix}/partners/", email=email_, password=password, code=code)


def download(client, lang="en"):
    return client.get(f"/partners/download/takedown-guide-{lang}.pdf", base_url=HTTPS)


REFUSED = 303   # a download without a session: sent to sign in, never the file


def refused(answer) -> bool:
    return answer.status_code == REFUSED and "needed=1" in answer.headers["Location"] and PDF not in answer.data


def audit_actions(app) -> list[str]:
    with app.app_context():
        return [e.action for e in db.session().scalars(select(AuditEvent).order_by(AuditEvent.id))]


# ── The whole way, in each language ──────────────────────────────────────────

@pytest.mark.parametrize("lang", ["en", "km"])
def test_request_approve_password_sign_in_download_sign_out(app, client, lang):
    prefix = "/km" if lang == "km" else ""
    asked = ask(client, lang)
    assert ("ការស្នើសុំ" in asked.text or "បានទទួល" in asked.text) if lang == "km" else "Request received" in asked.text
    assert "requested" in cli(app, "list")

    cli(app, "approve", EMAIL)
    [welcome] = mails(app)
    assert welcome["To"] == EMAIL and welcome["Content-Language"] == lang
    path = link_in(welcome)
    assert path.startswith(f"{prefix}/partners/password/")

    weak = post(client, path, token=path.split("t=")[1], password="password1234", again="password1234")
    assert weak.status_code == 400 and 'id="password-error"' in weak.text
    done = post(client, path, token=path.split("t=")[1], password=STRONG, again=STRONG)
    assert done.status_code == 200
    again = client.get(path, base_url=HTTPS)
    assert again.status_code == 404                     # the link worked once

    assert refused(download(client, lang))
    signed = sign_in(client, lang=lang)
    assert signed.status_code == 303
    home = client.get(f"{prefix}/partners/", base_url=HTTPS)
    assert "takedown-guide" in home.text and home.headers["Cache-Control"] == "no-store"
    assert ("ការជូនដំណឹង និងការដកចេញ" if lang == "km" else "Notice and takedown") in home.text
    got = download(client, lang)
    assert got.status_code == 200 and got.data == PDF and got.headers["Cache-Control"] == "no-store"
    assert "partner_download" in audit_actions(app)

    home = client.get(f"{prefix}/partners/", base_url=HTTPS)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', home.text).group(1)
    signed_out = client.post(f"{prefix}/partners/sign-out/", data={"csrf_token": token}, base_url=HTTPS)
    assert signed_out.status_code == 303
    told = client.get(signed_out.headers["Location"], base_url=HTTPS)
    assert ("អ្នកបានចេញពីគណនីហើយ" if lang == "km" else "You are signed out.") in told.text
    assert refused(download(client, lang))


# ── Refusals ─────────────────────────────────────────────────────────────────

def test_a_file_needs_a_session_and_a_known_name(app, client):
    assert refused(download(client))
    approved_with_password(app, client)
    sign_in(client)
    for name in ("../secrets.json", "takedown-guide-fr.pdf", "index.json", "other-pack-en.pdf"):
        assert client.get(f"/partners/download/{name}", base_url=HTTPS).status_code == 404


def test_unknown_and_known_addresses_get_the_same_answers(app, client):
    approved_with_password(app, client)
    other = app.test_client()

    def text(answer):
        return re.sub(r'value="[^"]*"', "", answer.get_data(as_text=True)), answer.status_code

    assert text(sign_in(other, EMAIL, "wrong password here")) == text(sign_in(other, "nobody@example.org",
                                                                                 "wrong password here"))
    assert text(post(other, "/partners/reset/", email=EMAIL)) == text(post(other, "/partners/reset/",
                                                                           email="nobody@example.org"))
    assert text(ask(other)) == text(ask(other, email_="someone.new@example.org"))

    def timed(address, action):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            action(address)
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    def signing_in(address):
        sign_in(other, address, "wrong password here")

    def resetting(address):
        post(other, "/partners/reset/", email=address)

    def asking(address):
        ask(other, email_=address)

    for action in (signing_in, resetting, asking):
        known, unknown = timed(EMAIL, action), timed("nobody@example.org", action)
        # Both wait out the same floor (partner_web.ANSWER_FLOOR_S), whatever they did.
        assert 0.8 < known / unknown < 1.25, (action.__name__, known, unknown)


def test_sign_in_is_throttled_per_account_name(app, client):
    approved_with_password(app, client)
    for _ in range(signin_throttle.MAX_FAILURES):
        assert sign_in(client, password="wrong password here").status_code == 400
    assert sign_in(client).status_code == 400              # the right password, but locked
    with app.app_context():                                # the lock runs out
        db.session().execute(update(SignInThrottle).values(locked_until=utcnow()))
        db.session().commit()
    assert sign_in(client).status_code == 303


def test_sign_in_is_throttled_per_address(tmp_path, restricted):
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance", "RESTRICTED_DIR": str(restricted),
                      "SIGNIN_LIMIT_PER_CLIENT": (3, 600)})
    client = app.test_client()
    statuses = [sign_in(client, f"person{i}@example.org", "wrong password here").status_code for i in range(5)]
    assert statuses[:3] == [400, 400, 400] and statuses[3:] == [429, 429]


def test_a_reset_link_works_once_and_expires(app, client):
    approved_with_password(app, client)
    post(client, "/partners/reset/", email=EMAIL)
    reset = link_in(mail_after(app, 2))
    new = "another long pass phrase here"
    assert post(client, reset, token=reset.split("t=")[1], password=new, again=new).status_code == 200
    assert client.get(reset, base_url=HTTPS).status_code == 404
    assert sign_in(app.test_client(), password=new).status_code == 303

    post(client, "/partners/reset/", email=EMAIL)
    late = link_in(mail_after(app, 3))
    with app.app_context():
        db.session().execute(update(PartnerToken).where(PartnerToken.used_at.is_(None))
                             .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        db.session().commit()
    assert client.get(late, base_url=HTTPS).status_code == 404


def test_an_idle_session_ends(app, client):
    approved_with_password(app, client)
    sign_in(client)
    assert download(client).status_code == 200
    with client.session_transaction(base_url=HTTPS) as held:
        held["partner"] = {**held["partner"], "seen": time.time() - partners.IDLE.total_seconds() - 1}
    assert refused(download(client))


def test_sign_out_everywhere_ends_the_other_sessions(app, client):
    approved_with_password(app, client)
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone)
    sign_in(laptop)
    home = laptop.get("/partners/", base_url=HTTPS)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', home.text).group(1)
    assert laptop.post("/partners/sign-out-everywhere/", data={"csrf_token": token}, base_url=HTTPS).status_code == 303
    assert refused(download(phone)) and refused(download(laptop))


def test_removed_and_refused(app, client):
    approved_with_password(app, client)
    sign_in(client)
    cli(app, "remove", EMAIL)
    assert refused(download(client))
    ask(client, email_="someone@example.org")
    cli(app, "refuse", "someone@example.org")
    assert "could not approve" in mails(app)[-1].get_content()
    result = app.test_cli_runner().invoke(args=["partner", "approve", "nobody@example.org", "--analyst", "a"])
    assert result.exit_code == 1 and "no partner" in result.output


def test_the_second_step(app, client):
    approved_with_password(app, client)
    sign_in(client)
    page = client.get("/partners/second-factor/", base_url=HTTPS)
    assert "<svg" in page.text
    secret = re.search(r'name="secret" type="hidden" value="([A-Z2-7]{32})"', page.text).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    wrong = client.post("/partners/second-factor/", data={"csrf_token": token, "secret": secret, "code": "000000"},
                        base_url=HTTPS)
    assert wrong.status_code == 400
    code = pyotp.TOTP(secret).now()
    turned_on = client.post("/partners/second-factor/", data={"csrf_token": token, "secret": secret, "code": code},
                            base_url=HTTPS)
    assert turned_on.status_code == 303
    assert "The second step is on" in client.get(turned_on.headers["Location"], base_url=HTTPS).text

    other = app.test_client()
    assert sign_in(other).status_code == 400                     # a password alone is not enough now
    assert sign_in(other, code=code).status_code == 400          # a code used already
    later = pyotp.TOTP(secret).at(time.time() + 30)
    assert sign_in(other, code=later).status_code == 303


def csrf_of(client, path) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path, base_url=HTTPS).text).group(1)


def test_every_form_needs_its_csrf_token(app, client):
    approved_with_password(app, client)
    post(client, "/partners/reset/", email=EMAIL)
    reset = link_in(mail_after(app, 2))
    sign_in(client)
    before_audit, before_mail = audit_actions(app), len(mails(app))
    other = app.test_client()
    for who, path, data in [
        (other, "/partners/", {"email": EMAIL, "password": STRONG}),
        (other, "/partners/request/", {"name": "A", "organisation": "B", "role": "police",
                                       "email": "new.person@example.org", "terms": "y"}),
        (other, "/partners/reset/", {"email": EMAIL}),
        (other, reset, {"token": reset.split("t=")[1], "password": "another long pass phrase",
                        "again": "another long pass phrase"}),
        (client, "/partners/sign-out/", {"x": "1"}),
        (client, "/partners/sign-out-everywhere/", {"x": "1"}),
        (client, "/partners/second-factor/", {"secret": "A" * 32, "code": "123456"}),
    ]:
        answer = who.post(path, data=data, base_url=HTTPS)
        assert answer.status_code == 400, (path, answer.status_code)
    assert audit_actions(app) == before_audit and len(mails(app)) == before_mail
    assert download(client).status_code == 200                # still signed in
    assert client.get(reset, base_url=HTTPS).status_code == 200  # the link still works
    assert "new.person@example.org" not in cli(app, "list")
