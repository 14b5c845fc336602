"""The hotline's figures (report_endpoint/figures.py), their charts
(charts.py) and the public Transparency page with its CSV
(transparency_web.py): tables of cases with controlled dates, on a real
SQLite file and on the test run's PostgreSQL server."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from report_endpoint import charts, create_app, db, figures
from report_endpoint.models import Report, ReportedUrl
from report_endpoint.site_pages import slot_markers

H = dt.timedelta(hours=1)
T0 = dt.datetime(2025, 3, 10, 8, 0)
_references = itertools.count(10_000_001)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path):
    """An app on a fresh database of each kind, with no figures cached."""
    config = {"TESTING": True, "INSTANCE_PATH": tmp_path / "instance"}
    if request.param == "postgresql":
        config["DATABASE_URL"] = request.getfixturevalue("database_url")
    app = create_app(config)
    figures.forget_public_cache()
    with app.app_context():
        yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture(autouse=True)
def no_cached_figures():
    figures.forget_public_cache()
    yield
    figures.forget_public_cache()


def add(created: dt.datetime, *urls, description: str | None = None) -> str:
    """One report received at `created`; each url is (address, assessment,
    hours from the report to its removal or None)."""
    reference = str(next(_references))
    report = Report(reference=reference, created_at=created, seen_on="website", description=description)
    for position, (url, assessment, removed_after) in enumerate(urls, 1):
        removed = created + removed_after * H if removed_after is not None else None
        report.urls.append(ReportedUrl(position=position, url=url, assessment=assessment,
                                       assessed_at=created + H if assessment else None, removed_at=removed))
    db.session().add(report)
    db.session().commit()
    return reference


def url(n: int) -> str:
    return f"https://site{n}.example.com/page"


# ── Reports per month ───────────────────────────────────────────────────

@pytest.mark.parametrize("received, now, months, expected", [
    # Empty months in between and at both ends are 0.
    ([dt.datetime(2025, 1, 31, 23, 59), dt.datetime(2025, 3, 1, 0, 0), dt.datetime(2025, 3, 31, 23, 59)],
     dt.datetime(2025, 4, 2), 5,
     [(dt.date(2024, 12, 1), 0), (dt.date(2025, 1, 1), 1), (dt.date(2025, 2, 1), 0), (dt.date(2025, 3, 1), 2),
      (dt.date(2025, 4, 1), 0)]),
    # Across a new year; reports before the window and after `now`'s month are left out.
    ([dt.datetime(2024, 10, 31, 12), dt.datetime(2024, 11, 1), dt.datetime(2025, 1, 15), dt.datetime(2025, 2, 1)],
     dt.datetime(2025, 1, 20), 3,
     [(dt.date(2024, 11, 1), 1), (dt.date(2024, 12, 1), 0), (dt.date(2025, 1, 1), 1)]),
    # No reports at all.
    ([], dt.datetime(2025, 6, 1), 2, [(dt.date(2025, 5, 1), 0), (dt.date(2025, 6, 1), 0)]),
])
def test_reports_per_month(backend, received, now, months, expected):
    for number, when in enumerate(received):
        add(when, (url(number), None, None))
    assert figures.monthly_reports(months, now=now) == expected


def test_twelve_months_by_default(backend):
    months = figures.monthly_reports(now=dt.datetime(2026, 2, 14))
    assert [first for first, _n in months][0] == dt.date(2025, 3, 1) and len(months) == 12


# ── Outcomes ────────────────────────────────────────────────────────────

def test_outcomes_count_each_address_once_under_its_most_serious_outcome(backend):
    add(T0, (url(1), "baseline", None), (url(2), "not_illegal", None), (url(3), None, None))
    add(T0 + 24 * H, (url(1), "duplicate", None), (url(4), "duplicate", None), (url(5), "national", None))
    add(T0 + 48 * H, (url(2), "national", None), (url(6), "not_accessible", None))
    assert figures.outcomes() == [("baseline", 1), ("national", 2), ("not_illegal", 0), ("not_accessible", 1),
                                  ("out_of_remit", 0), ("duplicate", 1)]
    # Only the reports of the window: url(2) is then "not illegal".
    assert figures.outcomes(until=T0 + 24 * H) == [("baseline", 1), ("national", 0), ("not_illegal", 1),
                                                   ("not_accessible", 0), ("out_of_remit", 0), ("duplicate", 0)]
    assert figures.outcomes(since=T0 + 100 * H) == [(name, 0) for name, _n in figures.outcomes()]


# ── Removal: median hours and the share within 3 days ──────────────────

@pytest.mark.parametrize("addresses, expected", [
    # (assessment, hours to removal or None) per address, one report each.
    ([], figures.Removal(0, 0, None, 0, None)),
    ([("not_illegal", None)], figures.Removal(0, 0, None, 0, None)),
    ([("baseline", None)], figures.Removal(1, 0, None, 0, 0.0)),
    ([("baseline", 10), ("national", 30), ("baseline", 200)], figures.Removal(3, 3, 30.0, 2, 2 / 3)),
    ([("baseline", 10), ("national", 20), ("baseline", 100), ("baseline", None)],
     figures.Removal(4, 3, 20.0, 2, 0.5)),
    ([("baseline", 10), ("baseline", 20), ("baseline", 30), ("baseline", 100)],
     figures.Removal(4, 4, 25.0, 3, 0.75)),                                # an even count: the middle two
    ([("baseline", 72), ("baseline", 72 + 1 / 60)], figures.Removal(2, 2, 72.01, 1, 0.5)),  # 72 h is within
    ([("not_illegal", 5)], figures.Removal(0, 0, None, 0, None)),          # only confirmed addresses count
])
def test_removal(backend, addresses, expected):
    for number, (assessment, hours) in enumerate(addresses):
        add(T0 + number * H, (url(number), assessment, hours))
    found = figures.removal()
    assert (found.confirmed, found.removed, found.within_3_days) == (expected.confirmed, expected.removed,
                                                                      expected.within_3_days)
    assert found.median_hours == pytest.approx(expected.median_hours, abs=0.01) if expected.median_hours else \
        found.median_hours is None
    assert found.share_within_3_days == pytest.approx(expected.share_within_3_days) \
        if expected.share_within_3_days is not None else found.share_within_3_days is None


def test_time_to_removal_runs_from_the_first_report_of_the_address(backend):
    add(T0, (url(1), "baseline", None))
    add(T0 + 50 * H, (url(1), "baseline", 40))       # removed 90 h after it was first reported
    found = figures.removal()
    assert (found.confirmed, found.removed, found.median_hours, found.within_3_days) == (1, 1, 90.0, 0)


def test_monthly_removal_is_removal_month_by_month(backend):
    """The workspace's per-month charts, in one statement, agree with
    removal() asked month by month, empty months included."""
    add(dt.datetime(2025, 1, 10), (url(1), "baseline", 10), (url(2), "national", 100))
    add(dt.datetime(2025, 1, 31, 23), (url(3), "baseline", 30))
    add(dt.datetime(2025, 3, 1), (url(4), "baseline", None), (url(5), "not_illegal", None))
    add(dt.datetime(2024, 12, 31, 23), (url(6), "baseline", 5))         # before the window
    found = figures.monthly_removal(3, now=dt.datetime(2025, 3, 15))
    assert [first for first, _r in found] == [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)]
    for first, removal in found:
        after = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        assert removal == figures.removal(dt.datetime.combine(first, dt.time()), dt.datetime.combine(after, dt.time()))
    january = found[0][1]
    assert (january.confirmed, january.removed, january.within_3_days, january.median_hours) == (3, 3, 2, 30.0)
    assert found[1][1] == figures.Removal(0, 0, None, 0, None)


# ── Years, and what the public sees of them ─────────────────────────────

def test_yearly_figures(backend):
    add(dt.datetime(2024, 12, 31, 23, 59), (url(1), "baseline", 5))
    add(dt.datetime(2025, 1, 1, 0, 0), (url(1), "baseline", 100), (url(2), "out_of_remit", None))
    add(dt.datetime(2025, 6, 1), (url(3), None, None))
    years = figures.yearly()
    assert [y.year for y in years] == [2024, 2025]
    assert years[0] == figures.Year(2024, 1, 1, 1, 1, 5.0, 1, 1.0)
    # The address reported again in 2025 counts in 2025 too.
    assert years[1] == figures.Year(2025, 2, 2, 1, 1, 100.0, 0, 0.0)


@pytest.mark.parametrize("count, shown", [(0, 0), (1, None), (4, None), (5, 5), (6, 6), (1000, 1000)])
def test_counts_from_1_to_4_are_hidden_and_zero_is_shown(count, shown):
    assert figures.shown(count) == shown


@pytest.mark.parametrize("confirmed, removed, within, median_shown, share_shown", [
    (4, 4, 4, False, False),     # 4 addresses: neither
    (5, 5, 5, True, True),       # 5: both
    (5, 4, 0, False, True),      # the median rests on the 4 removed; 0 of 5 within 3 days says nothing
    (9, 9, 3, True, False),      # 3 of 9: 33 % would give the 3 back
    (9, 9, 0, True, True),
])
def test_a_median_or_share_resting_on_fewer_than_5_addresses_is_hidden(confirmed, removed, within, median_shown,
                                                                         share_shown):
    year = figures.Year(2025, 20, confirmed, confirmed, removed, 30.0, within, within / confirmed)
    public = figures.suppressed(year)
    assert (public.median_hours is not None) == median_shown
    assert (public.share_within_3_days is not None) == share_shown
    assert public.confirmed == figures.shown(confirmed) and public.removed == figures.shown(removed)


def test_public_figures_from_the_database(backend):
    for number in range(4):                          # 2024: 4 reports, all hidden
        add(dt.datetime(2024, 5, 1) + number * H, (url(number), "baseline", 10))
    for number in range(5):                          # 2025: 5 of each, all shown
        add(dt.datetime(2025, 5, 1) + number * H, (url(10 + number), "national", 10 + number))
    y2024, y2025 = figures.public_yearly()
    assert y2024 == figures.Year(2024, None, None, None, None, None, None, None)
    assert y2025 == figures.Year(2025, 5, 5, 5, 5, 12.0, 5, 1.0)


def test_public_figures_are_computed_at_most_once_a_minute(backend, monkeypatch):
    add(dt.datetime(2025, 5, 1), (url(1), None, None))
    first = figures.public_yearly()
    add(dt.datetime(2026, 5, 1), (url(2), None, None))
    assert figures.public_yearly() == first          # cached: the new report is not counted yet
    clock = [figures.time.monotonic() + figures.PUBLIC_CACHE_SECONDS + 1]
    monkeypatch.setattr(figures.time, "monotonic", lambda: clock[0])
    assert [y.year for y in figures.public_yearly()] == [2025, 2026]


# ── Charts ──────────────────────────────────────────────────────────────

def svg_of(markup: str) -> ET.Element:
    return ET.fromstring(re.search(r"<svg.*?</svg>", markup, re.S).group(0))


SVG = "{*}"   # ElementTree: an element in any namespace (the markup declares the SVG one)


def test_charts_are_accessible_figures_without_style_attributes(app):
    with app.test_request_context("/"):
        rows = [("2024", 3), ("2025", None), ("2026", 0)]
        chart = str(charts.vertical_bars("c1", "Reports received per year", "Year", "Reports received", rows,
                                         missing="fewer than 5", missing_short="<5"))
        outcomes = str(charts.outcomes_chart("c2", [("baseline", 7), ("national", 0)],
                                             {"baseline": "Illegal", "national": "Also illegal"}))
    for markup, bars in ((chart, 1), (outcomes, 1)):
        assert markup.startswith('<figure class="ihc-chart"') and "style=" not in markup and "<style" not in markup
        svg = svg_of(markup)                               # well-formed
        assert svg.tag.startswith("{") and svg.tag.endswith("}svg")   # in a namespace: the SVG one
        assert svg.get("role") == "img"
        title_id, desc_id = svg.get("aria-labelledby").split()
        assert svg.find(f"{SVG}title").get("id") == title_id and svg.find(f"{SVG}desc").get("id") == desc_id
        assert len(svg.findall(f"{SVG}rect")) == bars      # no bar for 0 or a hidden count
        assert '<th scope="col">' in markup and '<th scope="row">' in markup and "<caption" in markup
    assert "<td>fewer than 5</td>" in chart and "<td>0</td>" in chart and "&lt;5</text>" in chart
    assert "Highest: Illegal, 7." in outcomes


def label_positions(markup: str) -> list[tuple[float, float, str]]:
    """(x, y, text) of each category label under the base line of a vertical chart."""
    svg = svg_of(markup)
    base = float(svg.find(f"{SVG}line").get("y1"))
    return [(float(t.get("x")), float(t.get("y")), t.text) for t in svg.iterfind(f".//{SVG}text") if float(t.get("y")) > base]


@pytest.mark.parametrize("lang, months", [("en", 6), ("en", 24), ("km", 12), ("km", 36)])
def test_month_labels_never_overlap(app, lang, months):
    with app.test_request_context("/km/" if lang == "km" else "/"):
        rows = [(charts.month_label(dt.date(2024 + m // 12, m % 12 + 1, 1)), m) for m in range(months)]
        markup = str(charts.vertical_bars("c", "t", "Month", "Reports", rows))
        labels = label_positions(markup)
        turned = "rotate(-45" in markup
        line = charts.FONT * (1.9 if lang == "km" else 1.3)
        gaps = [b[0] - a[0] for a, b in zip(labels, labels[1:])]
        for (x, _y, text), gap in zip(labels, gaps):
            if turned:   # parallel turned labels: their distance across is gap * sin 45°
                assert gap * 0.7071 >= line - 0.01, (text, gap)
            else:
                assert gap >= charts.text_width(text), (text, gap)
        assert labels[0][0] - (charts.text_width(labels[0][2]) * 0.7071 if turned else 0) >= 0   # none cut off
        assert markup.count('<th scope="row">') == months    # the table names every month
    if lang == "km":
        assert not re.search(r"[0-9]", "".join(text for _x, _y, text in labels))


# ── The public page and its CSV ─────────────────────────────────────────

class Text(HTMLParser):
    """The text of an HTML fragment, without tags or attributes."""
    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def slot_text(page: str) -> tuple[str, str]:
    """(HTML, text) of the page's "yearly-figures" slot."""
    opening, closing = slot_markers("yearly-figures")
    html = page[page.index(opening) + len(opening):page.index(closing)]
    parser = Text()
    parser.feed(html)
    return html, " ".join(parser.parts)


SECRET_URL = "https://secret-address.example.com/private/file"
SECRET_NOTE = "a description only analysts may read"


def some_years():
    refs = []
    for number in range(3):
        refs.append(add(dt.datetime(2024, 2, 1) + number * H, (SECRET_URL, "baseline", 20), description=SECRET_NOTE))
    for number in range(12):
        refs.append(add(dt.datetime(2025, 4, 1) + number * 24 * H, (url(number), "baseline", 24 + 10 * number),
                        (SECRET_URL, "duplicate", None), description=SECRET_NOTE))
    return refs


def test_the_page_in_english(app, client):
    with app.app_context():
        references = some_years()
    page = client.get("/transparency/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html, text = slot_text(page.text)
    assert html.count("<svg") == 2 and "<table" in html and 'href="/transparency/figures.csv"' in html
    assert re.search(r'<th scope="row">2024</th>(<td>fewer than 5</td>){4}(<td>not shown</td>){2}', html)
    # 2025: 12 reports, 13 addresses assessed (SECRET_URL again), 12 confirmed and removed, a median of
    # (74 + 84) / 2 = 79 hours, and 5 of 12 removed within 72 hours (24, 34, 44, 54, 64 h).
    assert re.search(r'<th scope="row">2025</th><td>12</td><td>13</td><td>12</td><td>12</td><td>79</td>'
                     r'<td>42%</td>', html)
    assert "Reports received per year" in text and "fewer than 5" in text
    for secret in [SECRET_URL, "secret-address", SECRET_NOTE, *references]:
        assert secret not in page.text


def test_the_page_in_khmer_has_khmer_digits_only(app, client):
    with app.app_context():
        some_years()
    page = client.get("/km/transparency/")
    assert page.status_code == 200 and '<html lang="km"' in page.text
    html, text = slot_text(page.text)
    assert html.count("<svg") == 2 and "របាយការណ៍ដែលបានទទួល" in text
    assert "២០២៥" in text and "១២" in text and "៧៩" in text
    assert not re.search(r"[0-9]", text.replace("(CSV)", "")), text
    assert 'href="/km/transparency/figures.csv"' in html


@pytest.mark.parametrize("prefix, heading", [("", "Reports received"), ("/km", "របាយការណ៍ដែលបានទទួល")])
def test_the_csv(app, client, prefix, heading):
    with app.app_context():
        references = some_years()
    answer = client.get(f"{prefix}/transparency/figures.csv")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
    text = answer.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][1] == heading and len(rows[0]) == 7
    assert rows[1:] == [["2024", "<5", "<5", "<5", "<5", "n<5", "n<5"],
                        ["2025", "12", "13", "12", "12", "79.0", "41.7"]]
    for secret in [SECRET_URL, "secret-address", SECRET_NOTE, *references]:
        assert secret not in text


def test_with_no_reports_at_all(client):
    for prefix in ("", "/km"):
        page = client.get(f"{prefix}/transparency/")
        assert page.status_code == 200
        html, _text = slot_text(page.text)
        assert "<svg" not in html and "<table" not in html and "data-ihc-figures" in html
        rows = list(csv.reader(io.StringIO(client.get(f"{prefix}/transparency/figures.csv").text.lstrip("\ufeff"))))
        assert len(rows) == 1


def test_the_page_fills_the_built_site_page(tmp_path):
    """With a built site, the answer is its Transparency page with the slot
    filled, also when the endpoint serves the whole site (`make serve`)."""
    built = tmp_path / "site" / "km" / "transparency"
    built.mkdir(parents=True)
    opening, closing = slot_markers("yearly-figures")
    (built / "index.html").write_text(f"<html lang=\"km\"><title>តម្លាភាព - IHC</title><h1>តម្លាភាព</h1>"
                                      f"{opening}<p>fallback</p>{closing}</html>", encoding="utf-8")
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance", "SITE_DIR": str(tmp_path / "site"),
                      "SERVE_SITE": True})
    page = app.test_client().get("/km/transparency/").text
    assert "<h1>តម្លាភាព</h1>" in page and "fallback" not in page and "data-ihc-figures" in page
