"""Bar charts the server draws as SVG, for the workspace and the public
Transparency page.

Each chart is a <figure>: the SVG (role="img", named by its <title> and
<desc>) and beside it a real <table> with the same numbers, for screen
readers, for copying, and for anyone who reads tables more easily than bars.
Labels and numbers are in the request's language (Khmer digits and month
names on Khmer pages).  Colours are presentation attributes and classes:
the CSP allows no style attribute.  Text is #1f2328 on white (15:1), bars
#0b5563 (8:1), so both pass WCAG's 4.5:1 and 3:1.

Category labels never overlap: they are set level when they fit under their
bar, turned 45 degrees when they do not, and only every n-th one is written
when even turned ones would touch (the table still names every one)."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence

import icu
from babel.dates import format_date
from flask_babel import get_locale, gettext as _
from markupsafe import Markup

from .i18n import local_digits, local_number

TEXT = "#1f2328"
BAR = "#0b5563"
AXIS = "#6e7781"   # 4.5:1 on white: a line, and never text smaller than this
WIDTH = 640
FONT = 13          # px, in the SVG's own units
COENG = "\u17d2"    # the next Khmer consonant is written below, taking no width

Rows = Sequence[tuple[str, "int | float | None"]]


def month_label(first: dt.date) -> str:
    """"Mar 2026" / "មីនា ២០២៦": Babel's month name, the language's digits."""
    return local_digits(format_date(first, "MMM y", locale=str(get_locale())))


def text_width(text: str, size: float = FONT) -> float:
    """About how wide text is set: no font metrics on the server, so an
    estimate on the wide side (Khmer marks above and below take no width)."""
    width, previous = 0.0, ""
    for char in text:
        kind = unicodedata.category(char)
        subscript, previous = previous == COENG, char
        if kind in ("Mn", "Me", "Cf") or subscript:
            continue
        if "\u1780" <= char <= "\u17ff":
            width += 0.5 if kind == "Mc" else 0.75
        elif char.isupper() or char in "mwMW%":
            width += 0.72
        else:
            width += 0.58
    return width * size


def _summary(rows: Rows, number: Callable) -> str:
    known = [(label, value) for label, value in rows if value is not None]
    if not known or max(value for _label, value in known) == 0:
        return _("There is nothing to count yet. The table beside the chart gives every number.")
    label, value = max(known, key=lambda row: row[1])
    return _("Highest: %(label)s, %(value)s. The table beside the chart gives every number.",
             label=label, value=number(value))


def _table(caption: str, label_heading: str, value_heading: str, rows: Rows, number: Callable,
           missing: str) -> str:
    body = Markup("").join(Markup('<tr><th scope="row">{}</th><td>{}</td></tr>').format(
        label, missing if value is None else number(value)) for label, value in rows)
    # The figure's caption shows the title; the table's says it to screen readers.
    return Markup('<table class="ihc-chart__table"><caption class="ihc-visually-hidden">{}</caption>'
                  '<thead><tr><th scope="col">{}</th><th scope="col">{}</th></tr></thead><tbody>{}</tbody></table>'
                  ).format(caption, label_heading, value_heading, body)


def _figure(chart_id: str, title: str, rows: Rows, number: Callable, svg_size: tuple[float, float],
            shapes: list[Markup], table: Markup) -> Markup:
    width, height = svg_size
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    svg = Markup('<svg class="ihc-chart__svg" viewBox="0 0 {0:.0f} {1:.0f}" width="{0:.0f}" height="{1:.0f}" '
                 'role="img" aria-labelledby="{2} {3}" focusable="false" xmlns="http://www.w3.org/2000/svg">'
                 '<title id="{2}">{4}</title><desc id="{3}">{5}</desc>{6}</svg>').format(
        width, height, title_id, desc_id, title, _summary(rows, number), Markup("").join(shapes))
    return Markup('<figure class="ihc-chart" id="{}"><figcaption class="ihc-chart__title">{}</figcaption>'
                  '<div class="ihc-chart__body">{}{}</div></figure>').format(chart_id, title, svg, table)


def _text(x: float, y: float, content: str, anchor: str = "middle", turned: bool = False) -> Markup:
    if turned:
        return Markup('<text x="{0:.1f}" y="{1:.1f}" fill="{2}" font-size="{3}" text-anchor="{4}" '
                      'transform="rotate(-45 {0:.1f} {1:.1f})">{5}</text>').format(x, y, TEXT, FONT, anchor, content)
    return Markup('<text x="{:.1f}" y="{:.1f}" fill="{}" font-size="{}" text-anchor="{}">{}</text>').format(
        x, y, TEXT, FONT, anchor, content)


def _line(x1: float, y1: float, x2: float, y2: float) -> Markup:
    return Markup('<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="{}" stroke-width="1"/>').format(
        x1, y1, x2, y2, AXIS)


def _bar(x: float, y: float, width: float, height: float) -> Markup:
    return Markup('<rect class="ihc-chart__bar" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"/>'
                  ).format(x, y, width, height, BAR)


def vertical_bars(chart_id: str, title: str, label_heading: str, value_heading: str, rows: Rows, *,
                  missing: str = "", missing_short: str = "", number: Callable = local_number) -> Markup:
    """Bars standing on a base line, one per row (months, years), oldest first.
    A None value (a count not shown) draws no bar, and missing_short above it."""
    line = FONT * (1.9 if str(get_locale()) == "km" else 1.3)
    left, right, top, plot_height = 8.0, 8.0, line + 6, 180.0
    slot = (WIDTH - left - right) / max(len(rows), 1)
    widest = max((text_width(label) for label, _value in rows), default=0.0)
    turned = widest > slot * 0.9
    if turned:  # room on the left for the first turned label
        left = max(left, widest * math.cos(math.pi / 4) - slot / 2 + 4)
        slot = (WIDTH - left - right) / max(len(rows), 1)
    # Turned labels stand slot * sin(45°) apart: one line height at least.
    step = max(1, math.ceil(line / (slot * math.sin(math.pi / 4)))) if turned else 1
    below = (widest * math.sin(math.pi / 4) + line if turned else line) + 8
    height = top + plot_height + below
    values = [value for _label, value in rows if value is not None]
    scale = plot_height / max(max(values, default=0), 1)
    written = [missing_short if value is None else number(value) for _label, value in rows]
    show_values = all(text_width(text) <= slot * 0.95 for text in written)
    base = top + plot_height
    shapes = [_line(left, base, WIDTH - right, base)]
    for index, (label, value) in enumerate(rows):
        centre = left + slot * (index + 0.5)
        bar = (value or 0) * scale
        if bar > 0:
            half = min(slot * 0.35, 32)   # a year or two of bars stays bars, not a wall
            shapes.append(_bar(centre - half, base - bar, half * 2, bar))
        if show_values and written[index]:
            shapes.append(_text(centre, base - bar - 5, written[index]))
        if index % step == 0:
            if turned:
                y = base + line * 0.9
                shapes.append(_text(centre, y, label, "end", turned=True))
            else:
                shapes.append(_text(centre, base + line, label))
    table = _table(title, label_heading, value_heading, rows, number, missing)
    return _figure(chart_id, title, rows, number, (WIDTH, height), shapes, table)


def _wrapped(label: str, width: float) -> list[str]:
    """label in lines no wider than width, broken where ICU's line breaking
    allows: at spaces, and between Khmer words (Khmer has no spaces)."""
    breaker = icu.BreakIterator.createLineInstance(icu.Locale(str(get_locale())))
    breaker.setText(label)
    bounds = [0, *breaker]
    lines: list[str] = []
    for piece in (label[start:end] for start, end in zip(bounds, bounds[1:])):
        if lines and text_width((lines[-1] + piece).rstrip()) <= width:
            lines[-1] += piece
        else:
            lines.append(piece)
    return [part.strip() for part in lines] or [""]


def horizontal_bars(chart_id: str, title: str, label_heading: str, value_heading: str, rows: Rows, *,
                    missing: str = "", missing_short: str = "", number: Callable = local_number) -> Markup:
    """Bars from a left edge, one per row (outcomes), labels on their left,
    wrapped onto more lines when long."""
    line = FONT * (1.9 if str(get_locale()) == "km" else 1.3)
    label_width = min(max((text_width(label) for label, _value in rows), default=0.0), WIDTH * 0.42)
    written = [missing_short if value is None else number(value) for _label, value in rows]
    value_width = max((text_width(text) for text in written), default=0.0) + 8
    x0 = 8 + label_width + 10
    span = max(WIDTH - x0 - value_width - 8, 40)
    values = [value for _label, value in rows if value is not None]
    scale = span / max(max(values, default=0), 1)
    shapes, y = [], 8.0
    for (label, value), text in zip(rows, written):
        lines = _wrapped(label, label_width)
        row_height = max(len(lines) * line, line + 4) + 8
        middle = y + row_height / 2
        first = middle - (len(lines) - 1) * line / 2 + FONT * 0.35
        for number_, part in enumerate(lines):
            shapes.append(_text(x0 - 10, first + number_ * line, part, "end"))
        bar = (value or 0) * scale
        if bar > 0:
            shapes.append(_bar(x0, middle - line / 2, bar, line))
        if text:
            shapes.append(_text(x0 + bar + 6, middle + FONT * 0.35, text, "start"))
        y += row_height
    shapes.insert(0, _line(x0, 4, x0, y + 4))
    table = _table(title, label_heading, value_heading, rows, number, missing)
    return _figure(chart_id, title, rows, number, (WIDTH, y + 8), shapes, table)


def outcomes_chart(chart_id: str, counts: Sequence[tuple[str, int]], labels: Mapping[str, str]) -> Markup:
    """figures.outcomes() as a horizontal bar chart; labels: each outcome's
    name in the request's language (the workspace's ASSESSMENT_LABELS)."""
    rows = [(str(labels[name]), count) for name, count in counts]
    return horizontal_bars(chart_id, _("Addresses by assessment outcome"), _("Outcome"), _("Addresses"), rows)


def monthly_chart(chart_id: str, months: Sequence[tuple[dt.date, int]]) -> Markup:
    """figures.monthly_reports() as a vertical bar chart."""
    rows = [(month_label(first), count) for first, count in months]
    return vertical_bars(chart_id, _("Reports received per month"), _("Month"), _("Reports received"), rows)
