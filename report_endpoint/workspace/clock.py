"""The notice-and-takedown clock: for each address, the time from the
report to its assessment, to the first notice, and to its removal, against
the targets of risk.py (assessment within 24 hours, a notice within 3 days)
and INHOPE's measure of removal within 3 days."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..models import Report, ReportedUrl, utcnow
from ..stages import ILLEGAL
from .risk import ASSESS_TARGET, NOTIFY_TARGET

REMOVE_TARGET = dt.timedelta(days=3)


@dataclass
class Leg:
    """One stretch of the clock: how long it took (or has been running),
    whether it is still running, and whether it is past its target."""
    took: dt.timedelta | None
    running: bool
    overdue: bool


@dataclass
class Clock:
    number: int
    to_assessment: Leg
    to_notice: Leg | None      # None: no notice is due (not illegal)
    to_removal: Leg | None

    @property
    def overdue(self) -> bool:
        return any(leg and leg.overdue for leg in (self.to_assessment, self.to_notice, self.to_removal))


def leg(start: dt.datetime, end: dt.datetime | None, target: dt.timedelta, now: dt.datetime) -> Leg:
    took = (end or now) - start
    return Leg(took=took, running=end is None, overdue=took > target)


def for_url(report: Report, url: ReportedUrl, number: int, now: dt.datetime | None = None) -> Clock:
    now = now or utcnow()
    if report.stage == "closed":
        now = min(now, report.stage_changed_at)   # a closed report's clock has stopped
    start = report.created_at
    illegal = url.assessment in ILLEGAL
    first_notice = min((n.sent_at for n in url.notices), default=None)
    return Clock(
        number=number,
        to_assessment=leg(start, url.assessed_at, ASSESS_TARGET, now),
        to_notice=leg(start, first_notice, NOTIFY_TARGET, now) if illegal else None,
        to_removal=leg(start, url.removed_at, REMOVE_TARGET, now) if illegal else None,
    )


def for_report(report: Report, now: dt.datetime | None = None) -> list[Clock]:
    return [for_url(report, url, number, now) for number, url in enumerate(report.urls, 1)]
