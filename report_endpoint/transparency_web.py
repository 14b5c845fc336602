"""The public Transparency page with the hotline's figures by year, in both
languages: /transparency/ and /km/transparency/ (docs/<lang>/transparency.md,
whose slot "yearly-figures" this fills), and the same figures as CSV.

The figures are figures.public_yearly(): counts under 5 hidden, computed at
most once a minute.  Nothing about a single report is ever on this page: no
address, description, reference or date of a report."""

from __future__ import annotations

import csv
import io

from babel.numbers import format_percent
from flask import Blueprint, Response, render_template, request
from flask_babel import get_locale, gettext as _

from . import charts, figures
from .i18n import local_digits, local_number
from .models import utcnow
from .site_pages import in_slot

bp = Blueprint("transparency", __name__)

# What a hidden value reads as in the CSV: language-neutral, and not a number
# a spreadsheet would add up.  "n<5": worked out from fewer than 5 addresses.
CSV_HIDDEN_COUNT = "<5"
CSV_HIDDEN_MEASURE = "n<5"


def columns() -> list[str]:
    """The table's and the CSV's headings, in the request's language."""
    return [_("Year"), _("Reports received"), _("Addresses assessed"), _("Addresses confirmed as CSAM"),
            _("Addresses removed"), _("Median hours from report to removal"),
            _("Share of confirmed addresses removed within 3 days")]


def year_label(year: int) -> str:
    if year == utcnow().year:
        return _("%(year)s (so far)", year=local_digits(year))
    return local_digits(year)


def shown_count(count: int | None) -> str:
    return _("fewer than %(count)s", count=local_number(figures.SUPPRESS_BELOW)) if count is None else local_number(count)


def shown_hours(hours: float | None) -> str:
    return _("not shown") if hours is None else local_number(round(hours))


def shown_share(share: float | None) -> str:
    if share is None:
        return _("not shown")
    return local_digits(format_percent(share, locale=str(get_locale())))


def page_rows(years: list[figures.Year]) -> list[list[str]]:
    return [[year_label(y.year), shown_count(y.reports), shown_count(y.assessed), shown_count(y.confirmed),
             shown_count(y.removed), shown_hours(y.median_hours), shown_share(y.share_within_3_days)]
            for y in years]


def year_charts(years: list[figures.Year]) -> list:
    hidden = {"missing": _("fewer than %(count)s", count=local_number(figures.SUPPRESS_BELOW)),
              "missing_short": "<" + local_number(figures.SUPPRESS_BELOW)}
    labels = [local_digits(y.year) for y in years]
    return [
        charts.vertical_bars("chart-reports-per-year", _("Reports received per year"), _("Year"),
                             _("Reports received"), list(zip(labels, (y.reports for y in years))), **hidden),
        charts.vertical_bars("chart-confirmed-per-year", _("Addresses confirmed as CSAM per year"), _("Year"),
                             _("Addresses confirmed as CSAM"), list(zip(labels, (y.confirmed for y in years))),
                             **hidden),
    ]


@bp.get("/transparency/")
def transparency():
    years = figures.public_yearly()
    content = render_template("transparency.html", headings=columns(), rows=page_rows(years),
                              charts=year_charts(years) if years else [],
                              csv_url=request.path + "figures.csv")
    return in_slot("yearly-figures", content)


def csv_cell(value, hidden: str, digits: int | None = None) -> str:
    if value is None:
        return hidden
    return str(round(value, digits)) if digits is not None else str(value)


@bp.get("/transparency/figures.csv")
def figures_csv():
    """The yearly figures for spreadsheets: Western digits, hours and
    percentages as plain numbers, headings in the page's language."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns())
    for y in figures.public_yearly():
        share = None if y.share_within_3_days is None else y.share_within_3_days * 100
        writer.writerow([y.year] + [csv_cell(c, CSV_HIDDEN_COUNT) for c in (y.reports, y.assessed, y.confirmed, y.removed)]
                        + [csv_cell(y.median_hours, CSV_HIDDEN_MEASURE, 1), csv_cell(share, CSV_HIDDEN_MEASURE, 1)])
    name = f"ihc-figures-{get_locale()}.csv"
    # A byte order mark, so that spreadsheet programs read Khmer headings as UTF-8.
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(bp, url_prefix="/km", name="transparency_km")
