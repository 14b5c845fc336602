"""The hotline's figures over time: reports per month, addresses per
assessment outcome, and how fast confirmed material was removed, for the
analysts' workspace and (suppressed) for the public Transparency page.

Every figure is a SQL aggregate: no query loads reports or addresses as
objects, so the figures stay cheap with 100,000 reports, on SQLite and on
PostgreSQL alike.

How addresses are counted (the Transparency page's "What each figure
counts" says the same):
- A report belongs to the period (month, year) it was received in, in UTC.
- An address counts once per period, however many reports in that period
  named it, as in reports.counters().  An address reported again in a later
  year counts in that year too: each year stands on its own.
- An address's outcome is the most serious one recorded for it in the
  period, in stages.ASSESSMENTS order, so every address appears under one
  outcome only (a second report of a confirmed address, recorded as a
  duplicate, leaves it confirmed).
- Confirmed: its outcome is illegal (stages.ILLEGAL).  Removed: confirmed,
  and a removal is recorded.
- Time to removal: from the first report of the address in the period to
  its first recorded removal, in hours.

Public figures (public_yearly) follow the usual statistical-disclosure rule:
a count from 1 to 4 is not shown (None), so that no single case can be
recognised.  Zero is shown: it tells of no case at all, and hiding it would
make every quiet year look like a secret.  A median or share computed from
fewer than 5 addresses is not shown either, nor a share whose part is 1 to 4
addresses (share times total would give the small count back).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time

from sqlalchemy import and_, case, extract, func, literal_column, select, true

from . import db
from .models import Report, ReportedUrl, utcnow
from .stages import ASSESSMENTS, ILLEGAL

SUPPRESS_BELOW = 5
TARGET_HOURS = 72  # "removed within 3 days"
PUBLIC_CACHE_SECONDS = 60

# The position of each outcome in ASSESSMENTS: lower is more serious.
_RANK = case({name: index for index, name in enumerate(ASSESSMENTS)}, value=ReportedUrl.assessment, else_=None)
_ILLEGAL_RANKS = [ASSESSMENTS.index(name) for name in ASSESSMENTS if name in ILLEGAL]


@dataclasses.dataclass(frozen=True)
class Removal:
    confirmed: int
    removed: int
    median_hours: float | None
    within_3_days: int
    share_within_3_days: float | None


@dataclasses.dataclass(frozen=True)
class Year:
    year: int
    reports: int | None
    assessed: int | None
    confirmed: int | None
    removed: int | None
    median_hours: float | None
    within_3_days: int | None
    share_within_3_days: float | None


def _window(query, since: dt.datetime | None, until: dt.datetime | None):
    if since is not None:
        query = query.where(Report.created_at >= since)
    if until is not None:
        query = query.where(Report.created_at < until)
    return query


def _addresses(since: dt.datetime | None, until: dt.datetime | None, period=None):
    """One row per distinct address reported in the window (and period, if
    given): its first report, its most serious outcome, its first removal
    while confirmed."""
    # Grouped by an expression, not the indexed column: SQLite would walk the
    # url index and fetch every row out of order, 3 to 5 times slower.
    url_key = ReportedUrl.url.concat(literal_column("''"))
    columns = [func.min(Report.created_at).label("first_at"),
               func.min(_RANK).label("rank"),
               func.min(case((ReportedUrl.assessment.in_(ILLEGAL), ReportedUrl.removed_at),
                             else_=None)).label("removed_at")]
    keys = [url_key]
    if period is not None:
        columns.insert(0, period.label("period"))
        keys.insert(0, period)
    query = select(*columns).join(Report, Report.id == ReportedUrl.report_id).group_by(*keys)
    return _window(query, since, until).cte("addresses")


def _hours(start, end):
    """end - start in hours, as SQL: each database has its own date arithmetic."""
    if db.engine().dialect.name == "postgresql":
        return extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def monthly_reports(months: int = 12, now: dt.datetime | None = None) -> list[tuple[dt.date, int]]:
    """Reports received per month (UTC), the last `months` months up to the
    month of `now`, oldest first, months without reports as 0."""
    now = now or utcnow()
    index = now.year * 12 + now.month - 1 - (months - 1)
    firsts = [dt.date((index + i) // 12, (index + i) % 12 + 1, 1) for i in range(months)]
    after = now.year * 12 + now.month
    until = dt.datetime(after // 12, after % 12 + 1, 1)
    year, month = extract("year", Report.created_at), extract("month", Report.created_at)
    query = _window(select(year, month, func.count(Report.id)), dt.datetime.combine(firsts[0], dt.time()), until)
    counted = {(int(y), int(m)): n for y, m, n in db.session().execute(query.group_by(year, month))}
    return [(first, counted.get((first.year, first.month), 0)) for first in firsts]


def outcomes(since: dt.datetime | None = None, until: dt.datetime | None = None) -> list[tuple[str, int]]:
    """Addresses per assessment outcome, in ASSESSMENTS order (0 included);
    addresses not yet assessed are not in it."""
    addresses = _addresses(since, until)
    query = (select(addresses.c.rank, func.count()).where(addresses.c.rank.is_not(None))
             .group_by(addresses.c.rank))
    counted = {int(rank): n for rank, n in db.session().execute(query)}
    return [(name, counted.get(index, 0)) for index, name in enumerate(ASSESSMENTS)]


def _summaries(since: dt.datetime | None, until: dt.datetime | None, period=None) -> dict:
    """{period: (addresses assessed, Removal)} for the window, in one
    statement: the addresses are grouped once, then counted, and the median
    taken as the middle one or two of each period's sorted times."""
    addresses = _addresses(since, until, period)
    by = [addresses.c.period] if period is not None else []
    confirmed = addresses.c.rank.in_(_ILLEGAL_RANKS)
    removed = and_(confirmed, addresses.c.removed_at.is_not(None))
    hours = _hours(addresses.c.first_at, addresses.c.removed_at)
    times = (select(*by, hours.label("hours"),
                    func.row_number().over(partition_by=by or None, order_by=hours).label("position"),
                    func.count().over(partition_by=by or None).label("total"))
             .where(removed).subquery())
    middle = times.c.position.in_([(times.c.total + 1) // 2, (times.c.total + 2) // 2])
    medians = select(*[times.c.period] if by else [], func.avg(times.c.hours).label("median")).where(middle)
    medians = medians.group_by(times.c.period).subquery() if by else medians.subquery()
    counts = select(
        *by,
        func.count(addresses.c.rank).label("assessed"),
        func.count(case((confirmed, 1))).label("confirmed"),
        func.count(case((removed, 1))).label("removed"),
        # julianday() is exact to about a millisecond: a removal at exactly 72 h counts.
        func.count(case((and_(removed, hours <= TARGET_HOURS + 0.0001), 1))).label("within"),
    )
    counts = counts.group_by(*by).subquery() if by else counts.subquery()
    joined = counts.c.period == medians.c.period if by else true()
    statement = select(*[counts.c.period] if by else [], counts.c.assessed, counts.c.confirmed, counts.c.removed,
                       counts.c.within, medians.c.median).select_from(counts.outerjoin(medians, joined))
    found = {}
    for row in db.session().execute(statement):
        key = int(row[0]) if by else None
        assessed_n, confirmed_n, removed_n, within_n, median = row[len(by):]
        share = within_n / confirmed_n if confirmed_n else None
        median = round(float(median), 2) if median is not None else None
        found[key] = (assessed_n, Removal(confirmed_n, removed_n, median, within_n, share))
    return found


def removal(since: dt.datetime | None = None, until: dt.datetime | None = None) -> Removal:
    """Confirmed addresses, those removed, the median hours from report to
    removal, and how many (and what share of the confirmed) went within 3 days."""
    return _summaries(since, until)[None][1]


def monthly_removal(months: int = 12, now: dt.datetime | None = None) -> list[tuple[dt.date, Removal]]:
    """removal() for each of the last `months` months, oldest first, in one
    statement (the workspace's charts of time to removal)."""
    firsts = [first for first, _count in monthly_reports(months, now)]
    after = firsts[-1].year * 12 + firsts[-1].month
    until = dt.datetime(after // 12, after % 12 + 1, 1)
    month = extract("year", Report.created_at) * 12 + extract("month", Report.created_at) - 1
    found = _summaries(dt.datetime.combine(firsts[0], dt.time()), until, month)
    nothing = Removal(0, 0, None, 0, None)
    return [(first, found.get(first.year * 12 + first.month - 1, (0, nothing))[1]) for first in firsts]


def yearly() -> list[Year]:
    """One entry per calendar year (UTC) with reports, oldest first."""
    year = extract("year", Report.created_at)
    per_year = db.session().execute(select(year, func.count(Report.id)).group_by(year).order_by(year)).all()
    summaries = _summaries(None, None, year)
    nothing = (0, Removal(0, 0, None, 0, None))
    years = []
    for number, reports in per_year:
        assessed, done = summaries.get(int(number), nothing)
        years.append(Year(int(number), reports, assessed, done.confirmed, done.removed, done.median_hours,
                          done.within_3_days, done.share_within_3_days))
    return years


def shown(count: int | None) -> int | None:
    """A count as published: None for 1 to SUPPRESS_BELOW - 1."""
    if count is None or 0 < count < SUPPRESS_BELOW:
        return None
    return count


def suppressed(year: Year) -> Year:
    """A year's figures as published (see the module's docstring)."""
    enough_removed = (year.removed or 0) >= SUPPRESS_BELOW
    share_safe = (year.confirmed or 0) >= SUPPRESS_BELOW and shown(year.within_3_days) is not None
    return Year(year.year, shown(year.reports), shown(year.assessed), shown(year.confirmed), shown(year.removed),
                year.median_hours if enough_removed else None, shown(year.within_3_days),
                year.share_within_3_days if share_safe else None)


_cache: dict[str, tuple[float, list[Year]]] = {}
_cache_lock = threading.Lock()


def public_yearly() -> list[Year]:
    """yearly() with counts under SUPPRESS_BELOW hidden (see the module's
    docstring), computed at most once a minute per process and database:
    the public page must not be a cheap way to load the database."""
    key = str(db.engine().url)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        figures = [suppressed(year) for year in yearly()]
        _cache[key] = (time.monotonic() + PUBLIC_CACHE_SECONDS, figures)
        return figures


def forget_public_cache() -> None:
    """For tests: the next public_yearly() asks the database."""
    with _cache_lock:
        _cache.clear()
