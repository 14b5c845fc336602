"""The analysts' command line, run on the server:

\b
    flask --app report_endpoint queue
    flask --app report_endpoint show REFERENCE [--contact]
    flask --app report_endpoint assess REFERENCE URL_NUMBER ASSESSMENT
    flask --app report_endpoint notify REFERENCE URL_NUMBER RECIPIENT [--note TEXT]
    flask --app report_endpoint removed REFERENCE URL_NUMBER
    flask --app report_endpoint stage REFERENCE STAGE
    flask --app report_endpoint export --format csv|json [--since YYYY-MM-DD]
    flask --app report_endpoint counters
    flask --app report_endpoint purge [--days N] [--contact-days N]

Every change is recorded in the audit trail with the analyst's name
(--analyst, or the login name).
"""

from __future__ import annotations

import getpass
import json

import click
from flask import Flask, current_app

from . import casework, reports
from .stages import ASSESSMENTS, INTERNAL_STAGES, NOTICE_RECIPIENTS


def analyst_option(function):
    return click.option("--analyst", default=lambda: getpass.getuser(), show_default="login name",
                        help="Who is making this change (written to the audit trail).")(function)


def run(action):
    """Turn a refused request into a clear message and exit status 1."""
    try:
        return action()
    except casework.CaseworkError as error:
        raise click.ClickException(str(error)) from None


def init_app(app: Flask) -> None:
    @app.cli.command("queue")
    def queue_command():
        """Open reports: danger flagged first, then oldest first."""
        for report in casework.queue():
            flag = "DANGER " if report.urgent else ""
            click.echo(f"{report.reference}  {report.created_at:%Y-%m-%d %H:%M}  {report.stage:<15} "
                       f"{len(report.urls):>2} URL(s)  {flag}{report.seen_on}")

    @app.cli.command("show")
    @click.argument("reference")
    @click.option("--contact", is_flag=True, help="Also decrypt contact details (recorded in the audit trail).")
    @analyst_option
    def show_command(reference, contact, analyst):
        """Everything about one report, as JSON."""
        click.echo(json.dumps(run(lambda: casework.view(reference, analyst, contact)), ensure_ascii=False, indent=2))

    @app.cli.command("assess")
    @click.argument("reference")
    @click.argument("url_number", type=int)
    @click.argument("assessment", type=click.Choice(ASSESSMENTS))
    @analyst_option
    def assess_command(reference, url_number, assessment, analyst):
        """Record the assessment of one URL of a report."""
        run(lambda: casework.assess(reference, url_number, assessment, analyst))
        click.echo(f"{reference} URL {url_number}: {assessment}")

    @app.cli.command("notify")
    @click.argument("reference")
    @click.argument("url_number", type=int)
    @click.argument("recipient", type=click.Choice(NOTICE_RECIPIENTS))
    @click.option("--note", help="For example the partner hotline or the ICCAM record.")
    @analyst_option
    def notify_command(reference, url_number, recipient, note, analyst):
        """Record a notice sent about one URL."""
        run(lambda: casework.notify(reference, url_number, recipient, analyst, note))
        click.echo(f"{reference} URL {url_number}: notice to {recipient} recorded")

    @app.cli.command("removed")
    @click.argument("reference")
    @click.argument("url_number", type=int)
    @analyst_option
    def removed_command(reference, url_number, analyst):
        """Record that one URL's content was removed."""
        run(lambda: casework.mark_removed(reference, url_number, analyst))
        click.echo(f"{reference} URL {url_number}: removed")

    @app.cli.command("stage")
    @click.argument("reference")
    @click.argument("stage", type=click.Choice(INTERNAL_STAGES))
    @analyst_option
    def stage_command(reference, stage, analyst):
        """Move a report to a stage (the reporter sees the public stage)."""
        run(lambda: casework.move(reference, stage, analyst))
        click.echo(f"{reference}: {stage}")

    @app.cli.command("export")
    @click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
    @click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Reports received on or after this day.")
    @analyst_option
    def export_command(fmt, since, analyst):
        """Reports for entry into ICCAM, one row per URL, to standard output."""
        click.echo(casework.export(fmt, analyst, since), nl=False)

    @app.cli.command("counters")
    def counters_command():
        """The public counters."""
        click.echo(json.dumps(reports.counters()))

    @app.cli.command("purge")
    @click.option("--days", type=int, default=None, help="Delete reports older than this (default: REPORT_RETENTION_DAYS).")
    @click.option("--contact-days", type=int, default=None, help="Delete contact details older than this.")
    @analyst_option
    def purge_command(days, contact_days, analyst):
        """Delete what the retention policy no longer allows us to keep."""
        config = current_app.config
        result = casework.purge(analyst, days if days is not None else config["RETENTION_DAYS"],
                                contact_days if contact_days is not None else config["CONTACT_RETENTION_DAYS"])
        click.echo(json.dumps(result))


def main() -> None:
    """`ihc-analyst ...`: the same commands without typing `flask --app`."""
    from flask.cli import FlaskGroup

    from . import create_app

    FlaskGroup(create_app=create_app, add_default_commands=False,
               help=__doc__.replace("flask --app report_endpoint", "ihc-analyst"))()
