"""Casework in the analysts' workspace, through its pages on a real SQLite
file: the risk-ordered queue (its order on a table of cases, each part of
the score shown), a report's page (addresses as text and never links,
duplicates flagged, assessment with the hosting country, notices with their
generated texts, removal, stage changes that queue the reporter's update),
the takedown clock, the audit trail of every view, change and export, and
bad input that changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from html.parser import HTMLParser

import pytest
from sqlalchemy import select, update

from report_endpoint import create_app as public_app, db, updates
from report_endpoint.models import AuditEvent, Notice, OutboxMessage, Report, ReportedUrl, utcnow
from report_endpoint.workspace import risk

from raised_limits import RAISED_CONFIG
from workspace_helpers import HTTPS, account, csrf

NOW = dt.datetime(2026, 6, 15, 12, 0, 0)
H = dt.timedelta(hours=1)


pytestmark = pytest.mark.usefixtures("frozen_totp")   # one TOTP step for the whole test


@pytest.fixture()
def public(ws):
    return public_app({"TESTING": True, "INSTANCE_PATH": ws.instance_path, **RAISED_CONFIG})


@pytest.fixture()
def analyst(ws):
    client = ws.test_client()
    account(ws, client, "dara")
    return client


def reported(public, urls, seen_on="website", danger=False, **extra) -> str:
    made = public.test_client().post("/api/v1/reports", json={"urls": urls, "seen_on": seen_on, "danger": danger,
                                                              **extra})
    assert made.status_code == 201, made.get_json()
    return made.get_json()["reference"]


# ── The queue's order, on a table of cases ─────────────────────────────────

# name, hours waited, danger, platform, assessed, illegal without notice, known before
CASES = [
    ("danger, just in",          1, True,  "website",      0, 0, False),
    ("chat, 30 h unassessed",   30, False, "chat",         0, 0, False),
    ("website, 30 h",           30, False, "website",      0, 0, False),
    ("website, 2 h",             2, False, "website",      0, 0, False),
    ("known, 2 h",               2, False, "website",      0, 0, True),
    ("illegal, 80 h no notice", 80, False, "website",      1, 1, False),
    ("illegal, notified",       80, False, "website",      1, 0, False),
    ("livestream, 10 h",        10, False, "livestream",   0, 0, False),
]
# Expected scores: danger 100 + waiting + known 15 + platform.
EXPECTED = {
    "danger, just in": 100 + 1 + 5,              # waiting: round(30 * 1/24) = 1
    "chat, 30 h unassessed": 38 + 20,            # round(30 * 30/24) = 38
    "website, 30 h": 38 + 5,
    "website, 2 h": 2 + 5,                       # round(2.5) = 2
    "known, 2 h": 2 + 15 + 5,
    "illegal, 80 h no notice": 22 + 5,           # notify phase: round(20 * 80/72) = 22
    "illegal, notified": 0 + 5,                  # following up: no waiting points
    "livestream, 10 h": 12 + 25,                 # round(12.5) = 12
}


def test_the_queue_follows_the_score_on_a_table_of_cases(ws):
    with ws.app_context():
        session = db.session()
        for number, (name, hours, danger, platform, assessed, to_notify, known) in enumerate(CASES):
            report = Report(reference=f"{10000000 + number}", created_at=NOW - hours * H, seen_on=platform,
                            urgent=danger, stage="assessed" if assessed else "received", stage_changed_at=NOW,
                            description=name)
            url = ReportedUrl(position=0, url=f"https://example.com/{number}", known_before=known,
                              assessment="baseline" if assessed else None)
            report.urls.append(url)
            session.add(report)
            session.flush()
            if assessed and not to_notify:
                session.add(Notice(url_id=url.id, recipient="host", sent_at=NOW))
        closed = Report(reference="19999999", created_at=NOW - 500 * H, seen_on="chat", urgent=True, stage="closed",
                        stage_changed_at=NOW)
        closed.urls.append(ReportedUrl(position=0, url="https://example.com/closed"))
        session.add(closed)
        session.commit()
        items = risk.queue(now=NOW)
        by_reference = {item.reference: item for item in items}
        names = {f"{10000000 + n}": case[0] for n, case in enumerate(CASES)}
        assert "19999999" not in by_reference                       # closed reports are not in the queue
        for reference, item in by_reference.items():
            assert item.score == EXPECTED[names[reference]], (names[reference], item.parts)
        order = [names[item.reference] for item in items]
        assert order == sorted(order, key=lambda name: (-EXPECTED[name], -dict(
            (c[0], c[1]) for c in CASES)[name]))                      # ties: the longest waiting first
        assert by_reference["10000001"].overdue and not by_reference["10000003"].overdue   # 24 h target
        assert by_reference["10000005"].phase == "notify" and by_reference["10000005"].overdue  # 3 days
        filtered = risk.queue(risk.Filters(platform="chat"), now=NOW)
        assert [names[i.reference] for i in filtered] == ["chat, 30 h unassessed"]
        since = risk.queue(risk.Filters(since=(NOW - 5 * H).date(), until=NOW.date()), now=NOW)
        assert {names[i.reference] for i in since} == {n for n, hours, *_ in CASES
                                                       if (NOW - hours * H).date() >= (NOW - 5 * H).date()}


def test_the_queue_page_shows_each_part_of_the_score(ws, public, analyst):
    urgent = reported(public, ["https://example.com/one"], seen_on="livestream", danger=True)
    calm = reported(public, ["https://example.org/two"], seen_on="email")
    page = analyst.get("/workspace/", base_url=HTTPS).text
    assert page.index(urgent) < page.index(calm)
    row = page[page.index(urgent):].split("</tr>")[0]
    assert "Child may be in danger" in row and "Assess within 24 hours" in row
    cell = page[:page.index(urgent)].rsplit("<tr", 1)[1]
    assert "Danger 100" in cell and "Platform 25" in cell
    assert analyst.get("/workspace/?platform=email", base_url=HTTPS).text.count("/workspace/reports/") == 1
    assert analyst.get("/workspace/?stage=nonsense", base_url=HTTPS).status_code == 400
    km = analyst.get("/km/workspace/", base_url=HTTPS).text
    assert "គ្រោះថ្នាក់ ១០០" in km or "១០០" in km


# ── A report's page ────────────────────────────────────────────────────────

class Attributes(HTMLParser):
    """Every attribute value and every <a>'s text, to look for an address in them."""

    def __init__(self):
        super().__init__()
        self.values: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.values += [value or "" for _name, value in attrs]


def test_addresses_are_text_never_links_and_duplicates_are_flagged(ws, public, analyst):
    first = reported(public, ["https://shared.example.com/path?x=1"])
    second = reported(public, ["https://shared.example.com/path?x=1", "https://other.example.org/"])
    for path in (f"/workspace/reports/{second}/", "/workspace/", "/workspace/clock/", f"/km/workspace/reports/{second}/"):
        page = analyst.get(path, base_url=HTTPS).text
        parser = Attributes()
        parser.feed(page)
        assert not any("example.com" in value or "example.org" in value for value in parser.values), path
        assert not {"img", "iframe", "object", "embed", "video", "audio", "source"} & set(parser.tags), path
    page = analyst.get(f"/workspace/reports/{second}/", base_url=HTTPS).text
    assert '<code id="url-1" translate="no">https://shared.example.com/path?x=1</code>' in page
    assert 'data-copy="url-1"' in page
    first_section = page.split('id="address-1"')[1].split('id="address-2"')[0]
    assert 'class="ws-duplicate"' in first_section and f"/workspace/reports/{first}/" in first_section
    assert 'class="ws-duplicate"' not in page.split('id="address-2"')[1].split("</section>")[0]


def test_assess_notice_remove_and_close_through_the_pages(ws, public, analyst):
    reference = reported(public, ["https://example.com/material", "https://example.org/other"], anonymous=False,
                         contact={"email": "reporter@example.org"}, updates=True)
    token = csrf(analyst, f"/workspace/reports/{reference}/")
    base = f"/workspace/reports/{reference}"
    answer = analyst.post(f"{base}/urls/1/assess", base_url=HTTPS,
                          data={"csrf_token": token, "assessment": "national", "country": "KH"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("#address-1")
    page = analyst.get(answer.headers["Location"], base_url=HTTPS).text
    assert "The assessment is saved." in page and "Hosting country: Cambodia" in page
    assert "Notice texts" in page and page.count('<details class="ws-notice-text">') == 4
    police = page.split('id="notice-1-police"')[1].split("</pre>")[0]
    assert "https://example.com/material" in police and "reporter@example.org" not in page.split("Notice texts")[1]
    assert "ច្បាប់កម្ពុជា" in police or "កម្ពុជា" in police          # the Cambodian police read Khmer
    host = page.split('id="notice-1-host"')[1].split("</pre>")[0]
    assert "Hosting country: KH" in host and f"Reference: {reference}/1" in host
    assert analyst.post(f"{base}/urls/1/notice", base_url=HTTPS, data={
        "csrf_token": token, "recipient": "police", "note": "case 42"}).status_code == 303
    assert analyst.post(f"{base}/urls/1/removed", base_url=HTTPS, data={"csrf_token": token}).status_code == 303
    assert analyst.post(f"{base}/stage", base_url=HTTPS, data={"csrf_token": token, "stage": "removed"}).status_code == 303
    status = public.test_client().post("/api/v1/status", json={"reference": reference}).get_json()
    assert status["label"] == "Content removed"
    with ws.app_context():
        url = db.session().scalar(select(ReportedUrl).join(Report).where(Report.reference == reference,
                                                                          ReportedUrl.position == 0))
        assert (url.assessment, url.hosting_country, url.removed_at is not None) == ("national", "KH", True)
        events = db.session().execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.detail)
                                      .where(AuditEvent.reference == reference).order_by(AuditEvent.id)).all()
        assert [e.action for e in events if e.action != "view"] == ["assess", "notify", "removed", "stage"]
        assert {e.actor for e in events} == {"dara"}
        assert json.loads(events[[e.action for e in events].index("assess")].detail)["country"] == "KH"
        # the reporter asked for updates: the one change they can see (to "removed") queued one
        assert db.session().query(OutboxMessage).filter(OutboxMessage.kind == updates.STAGE_UPDATE).count() == 1


def test_every_view_of_a_report_is_audited_with_who_and_when(ws, public, analyst):
    reference = reported(public, ["https://example.com/x"])
    analyst.get(f"/workspace/reports/{reference}/", base_url=HTTPS)
    analyst.get(f"/km/workspace/reports/{reference}/", base_url=HTTPS)
    with ws.app_context():
        views = db.session().execute(select(AuditEvent.actor, AuditEvent.at).where(
            AuditEvent.reference == reference, AuditEvent.action == "view")).all()
        assert len(views) == 2 and all(v.actor == "dara" and utcnow() - v.at < dt.timedelta(minutes=1) for v in views)


@pytest.mark.parametrize("path, fields", [
    ("urls/1/assess", {"assessment": "probably", "country": ""}),
    ("urls/1/assess", {"assessment": "baseline", "country": "XX"}),
    ("urls/1/notice", {"recipient": "the press"}),
    ("urls/1/notice", {"recipient": "police", "note": "n" * 1001}),
    ("stage", {"stage": "finished"}),
])
def test_bad_input_gets_a_clear_error_and_changes_nothing(ws, public, analyst, path, fields):
    reference = reported(public, ["https://example.com/x"])
    token = csrf(analyst, f"/workspace/reports/{reference}/")
    with ws.app_context():
        before = db.session().execute(select(Report.stage, ReportedUrl.assessment, ReportedUrl.hosting_country)
                                      .join(ReportedUrl)).all()
    answer = analyst.post(f"/workspace/reports/{reference}/{path}", base_url=HTTPS, data={"csrf_token": token, **fields})
    assert answer.status_code == 400
    assert "Nothing was changed. Please correct what is marked below." in answer.text
    assert 'class="ws-error"' in answer.text
    with ws.app_context():
        after = db.session().execute(select(Report.stage, ReportedUrl.assessment, ReportedUrl.hosting_country)
                                     .join(ReportedUrl)).all()
        assert after == before
        assert db.session().query(Notice).count() == 0
    assert analyst.post(f"/workspace/reports/{reference}/urls/9/removed", base_url=HTTPS,
                        data={"csrf_token": token}).status_code == 404


def test_the_takedown_clock_highlights_what_is_overdue(ws, public, analyst):
    late = reported(public, ["https://example.com/late"])
    fresh = reported(public, ["https://example.com/fresh"])
    with ws.app_context():
        db.session().execute(update(Report).where(Report.reference == late)
                             .values(created_at=utcnow() - dt.timedelta(hours=30)))
        db.session().commit()
    page = analyst.get("/workspace/clock/", base_url=HTTPS).text
    late_row = page[page.index(f"{late}, address 1"):].split("</tr>")[0]
    fresh_row = page[page.index(f"{fresh}, address 1"):].split("</tr>")[0]
    assert "Overdue" in late_row and "30 h" in late_row and "so far" in late_row
    assert "Overdue" not in fresh_row
    report_page = analyst.get(f"/workspace/reports/{late}/", base_url=HTTPS).text
    assert "To assessment (target 24 hours)" in report_page and "Overdue" in report_page


def test_the_iccam_export_is_audited_and_names_the_hosting_country(ws, public, analyst):
    reference = reported(public, ["https://example.com/x"])
    token = csrf(analyst, "/workspace/export/")
    analyst.post(f"/workspace/reports/{reference}/urls/1/assess", base_url=HTTPS,
                 data={"csrf_token": token, "assessment": "baseline", "country": "NL"})
    answer = analyst.post("/workspace/export/", base_url=HTTPS, data={"csrf_token": token, "format": "csv"})
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert [(r["reference"], r["assessment"], r["hosting_country"]) for r in rows] == [(reference, "baseline", "NL")]
    as_json = analyst.post("/workspace/export/", base_url=HTTPS, data={"csrf_token": token, "format": "json"})
    assert json.loads(as_json.get_data(as_text=True))[0]["hosting_country"] == "NL"
    assert "contact" not in as_json.get_data(as_text=True)
    with ws.app_context():
        exports = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
        assert [(e.actor, json.loads(e.detail)["format"]) for e in exports] == [("dara", "csv"), ("dara", "json")]


def test_the_figures_page_counts_what_was_removed(ws, public, analyst):
    reference = reported(public, ["https://example.com/x"])
    token = csrf(analyst, "/workspace/figures/")
    for path, fields in (("urls/1/assess", {"assessment": "baseline", "country": "KH"}), ("urls/1/removed", {})):
        analyst.post(f"/workspace/reports/{reference}/{path}", base_url=HTTPS, data={"csrf_token": token, **fields})
    page = analyst.get("/workspace/figures/", base_url=HTTPS).text
    assert page.count('<figure class="ihc-chart"') == 4 and page.count("<table") >= 4
    facts = page.split('<dl class="ws-facts">')[1].split("</dl>")[0]
    assert "Confirmed addresses</dt><dd>1<" in facts and "Removed</dt><dd>1<" in facts
    assert "Removed within 3 days</dt><dd>100%<" in facts
    km = analyst.get("/km/workspace/figures/", base_url=HTTPS).text
    assert "១០០%" in km


def test_every_stage_outcome_and_recipient_has_a_name_in_the_workspace():
    from report_endpoint.stages import ASSESSMENTS, INTERNAL_STAGES, NOTICE_RECIPIENTS
    from report_endpoint.workspace.forms import ASSESSMENT_LABELS, RECIPIENT_LABELS, STAGE_LABELS
    assert list(STAGE_LABELS) == list(INTERNAL_STAGES)
    assert list(ASSESSMENT_LABELS) == list(ASSESSMENTS)
    assert list(RECIPIENT_LABELS) == list(NOTICE_RECIPIENTS)
