"""The workspace's queue: open reports in order of risk, each with the parts
of its score shown beside it, so an analyst can see why an item is where it
is (and disagree).

The parts (PARTS) and their weights are the hotline's own choice, after
Korea's risk-ordered review queue and INHOPE's measures of how fast
material is reported and removed:
- danger: the reporter ticked "a child may be in danger now";
- waiting: time waited against the target of the report's phase: its first
  assessment within 24 hours (ASSESS_TARGET), then a notice to the police
  and the host within 3 days of the report (NOTIFY_TARGET); more points as
  the target nears, the most once it has passed;
- known: an address was already known from earlier reports (material that
  keeps coming back is circulating);
- platform: where it was seen; chat, livestreams and social media first,
  where abusers reach children directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, case, exists, func, select

from .. import db
from ..models import Notice, Report, ReportedUrl, utcnow
from ..stages import ILLEGAL, INTERNAL_STAGES

ASSESS_TARGET = dt.timedelta(hours=24)
NOTIFY_TARGET = dt.timedelta(days=3)
DANGER_POINTS = 100
ASSESS_POINTS, ASSESS_MAX = 30, 60      # 30 at the target, up to 60 a day after it
NOTIFY_POINTS, NOTIFY_MAX = 20, 40
KNOWN_POINTS = 15
PLATFORM_POINTS = {"livestream": 25, "chat": 20, "social_media": 15, "game": 15, "file_sharing": 10,
                   "website": 5, "email": 5, "other": 5}
PAGE_SIZE = 50
# Listed rather than "not closed", so the database finds them by the stage's
# index instead of reading every report (most reports are closed).
OPEN_STAGES = [stage for stage in INTERNAL_STAGES if stage != "closed"]


@dataclass(slots=True)
class Item:
    id: int
    reference: str
    created_at: dt.datetime
    urgent: bool
    seen_on: str
    stage: str
    urls: int
    assessed: int
    known: bool
    to_notify: int
    phase: str = ""            # assess, notify, follow_up
    waited: dt.timedelta = dt.timedelta(0)
    overdue: bool = False
    parts: dict = field(default_factory=dict)

    score: int = 0


def waiting_points(waited: dt.timedelta, target: dt.timedelta, points: int, most: int) -> int:
    """points * (waited / target), at most `most`: grows as the target nears."""
    return min(most, round(points * waited / target))


def scored(item: Item, now: dt.datetime) -> Item:
    item.waited = now - item.created_at
    if item.assessed == 0 or item.stage in ("received", "triage"):
        item.phase = "assess"
        waiting = waiting_points(item.waited, ASSESS_TARGET, ASSESS_POINTS, ASSESS_MAX)
        item.overdue = item.waited > ASSESS_TARGET
    elif item.to_notify:
        item.phase = "notify"
        waiting = waiting_points(item.waited, NOTIFY_TARGET, NOTIFY_POINTS, NOTIFY_MAX)
        item.overdue = item.waited > NOTIFY_TARGET
    else:
        item.phase, waiting, item.overdue = "follow_up", 0, False
    item.parts = {"danger": DANGER_POINTS if item.urgent else 0, "waiting": waiting,
                  "known": KNOWN_POINTS if item.known else 0, "platform": PLATFORM_POINTS.get(item.seen_on, 0)}
    item.score = sum(item.parts.values())
    return item


@dataclass
class Filters:
    stage: str | None = None
    platform: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def queue(filters: Filters | None = None, now: dt.datetime | None = None) -> list[Item]:
    """Every open report that matches filters, highest score first (then
    the longest waiting).  One query: the addresses are counted in SQL, not
    loaded."""
    filters, now = filters or Filters(), now or utcnow()
    notified = exists().where(Notice.url_id == ReportedUrl.id)
    per_report = (
        select(ReportedUrl.report_id.label("report_id"),
               func.count(ReportedUrl.id).label("urls"),
               func.count(ReportedUrl.assessment).label("assessed"),
               func.max(case((ReportedUrl.known_before, 1), else_=0)).label("known"),
               func.sum(case((and_(ReportedUrl.assessment.in_(ILLEGAL), ReportedUrl.removed_at.is_(None),
                                   ~notified), 1), else_=0)).label("to_notify"))
        .join(Report, Report.id == ReportedUrl.report_id).where(Report.stage.in_(OPEN_STAGES))
        .group_by(ReportedUrl.report_id).subquery())
    statement = (select(Report.id, Report.reference, Report.created_at, Report.urgent, Report.seen_on, Report.stage,
                        per_report.c.urls, per_report.c.assessed, per_report.c.known, per_report.c.to_notify)
                 .join(per_report, per_report.c.report_id == Report.id))
    if filters.stage:
        statement = statement.where(Report.stage == filters.stage)
    if filters.platform:
        statement = statement.where(Report.seen_on == filters.platform)
    if filters.since:
        statement = statement.where(Report.created_at >= dt.datetime.combine(filters.since, dt.time()))
    if filters.until:
        statement = statement.where(Report.created_at < dt.datetime.combine(filters.until, dt.time()) + dt.timedelta(days=1))
    items = [scored(Item(id=row.id, reference=row.reference, created_at=row.created_at, urgent=bool(row.urgent),
                         seen_on=row.seen_on, stage=row.stage, urls=row.urls, assessed=row.assessed,
                         known=bool(row.known), to_notify=int(row.to_notify or 0)), now)
             for row in db.session().connection().execute(statement)]   # Core rows: no ORM loading
    items.sort(key=lambda item: (-item.score, item.created_at, item.id))
    return items
