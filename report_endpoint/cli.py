"""The analysts' command line, run on the server:

\b
    flask --app report_endpoint queue
    flask --app report_endpoint show REFERENCE [--contact]
    flask --app report_endpoint assess REFERENCE URL_NUMBER ASSESSMENT [--country CC]
    flask --app report_endpoint notify REFERENCE URL_NUMBER RECIPIENT [--note TEXT]
    flask --app report_endpoint removed REFERENCE URL_NUMBER
    flask --app report_endpoint stage REFERENCE STAGE
    flask --app report_endpoint export --format csv|json [--since YYYY-MM-DD]
    flask --app report_endpoint counters
    flask --app report_endpoint purge [--days N] [--contact-days N]
    flask --app report_endpoint send-mail
    flask --app report_endpoint partner list [--status requested|approved|refused]
    flask --app report_endpoint partner approve|refuse|remove EMAIL
    flask --app report_endpoint user add NAME [--admin] [--language km]
    flask --app report_endpoint user list | reenrol NAME | disable NAME
    flask --app report_endpoint backup-key PATH
    flask --app report_endpoint backup PATH --key-file PUBLIC_KEY [--keep N]
    flask --app report_endpoint restore BACKUP --key-file PRIVATE_KEY

Every change is recorded in the audit trail with the analyst's name
(--analyst, or the login name).
"""

from __future__ import annotations

import getpass
import json

import click
from flask import Flask, current_app

from . import casework, db, reports, updates
from .stages import ASSESSMENTS, INTERNAL_STAGES, NOTICE_RECIPIENTS


def analyst_option(function):
    return click.option("--analyst", default=lambda: getpass.getuser(), show_default="login name",
                        help="Who is making this change (written to the audit trail).")(function)


def run(action):
    """Turn a refused request, or a database that stayed locked past the lock
    timeout, into a clear message and exit status 1."""
    try:
        with db.busy_as_503():
            return action()
    except casework.CaseworkError as error:
        raise click.ClickException(str(error)) from None
    except db.Busy:
        raise click.ClickException("the database stayed busy (another process is writing); "
                                   "nothing was changed: try again in a moment") from None


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
    @click.option("--country", help="The hosting country's ISO 3166 code (two letters, such as KH).")
    @analyst_option
    def assess_command(reference, url_number, assessment, country, analyst):
        """Record the assessment of one URL of a report."""
        run(lambda: casework.assess(reference, url_number, assessment, analyst, country))
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
        result = run(lambda: casework.purge(
            analyst, days if days is not None else config["RETENTION_DAYS"],
            contact_days if contact_days is not None else config["CONTACT_RETENTION_DAYS"]))
        click.echo(json.dumps(result))

    @app.cli.command("send-mail")
    def send_mail_command():
        """Send the updates that are due (and retry those the relay refused)."""
        result = run(lambda: updates.send_due())
        click.echo(json.dumps(result))
        if result["failed"]:
            raise SystemExit(1)  # the timer's log shows the failure; the messages stay queued

    init_backup_commands(app)
    init_partner_commands(app)


def init_backup_commands(app: Flask) -> None:
    """backup-key, backup and restore (report_endpoint/backup.py)."""
    from pathlib import Path

    from . import backup

    def run_backup(action):
        try:
            return action()
        except backup.BackupError as error:
            raise click.ClickException(str(error)) from None

    key_file = click.option(
        "--key-file", type=click.Path(dir_okay=False, path_type=Path), envvar=backup.KEY_ENV,
        show_envvar=True, help="The backup key: the public key (.pub) to back up, the private key to restore.")

    @app.cli.command("backup-key")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup_key_command(path):
        """Make a backup key pair: PATH (private, for restores: keep it off the server) and PATH.pub."""
        public, identity = run_backup(lambda: backup.create_key(current_app, path))
        click.echo(f"private key: {path} (keep it off this server, and a second copy elsewhere)\n"
                   f"public key:  {public} (the server backs up with this one)\nkey id: {identity}")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(path_type=Path))
    @key_file
    @click.option("--keep", type=click.IntRange(min=1), default=None,
                  help="PATH is a folder: keep the newest N backups in it, delete older ones.")
    def backup_command(path, key_file, keep):
        """An encrypted backup of the database and the instance's secrets, taken while the service runs."""
        public_key = run_backup(lambda: backup.load_public_key(current_app, key_file))
        result = run_backup(lambda: backup.write_backup(current_app, path, public_key, keep))
        click.echo(f"backup written: {result['path']} ({result['reports']} reports, {result['bytes']} bytes, "
                   f"key {result['key']})")
        for name in result["removed"]:
            click.echo(f"old backup deleted: {name}")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @key_file
    def restore_command(path, key_file):
        """Restore a backup into this instance, which must hold no reports (stop the service first)."""
        private_key = run_backup(lambda: backup.load_private_key(current_app, key_file))
        result = run_backup(lambda: backup.restore(current_app, path, private_key))
        click.echo(f"restored {result['reports']} reports ({result['dialect']}) from the backup of "
                   f"{result['created_at']}")


def init_partner_commands(app: Flask) -> None:
    """The partners' area (partners.py): requests are decided here."""
    from . import partners

    def run_partner(action):
        try:
            return run(action)
        except partners.PartnerError as error:
            raise click.ClickException(str(error)) from None

    @app.cli.group("partner")
    def partner_group():
        """Accounts in the partners' area: list, approve, refuse, remove."""

    @partner_group.command("list")
    @click.option("--status", type=click.Choice(["requested", "approved", "refused"]))
    def partner_list(status):
        """Requests and accounts, oldest first."""
        for partner in partners.listing(status):
            click.echo(f"{partner.status:<9}  {partner.created_at:%Y-%m-%d}  {partner.email}  {partner.role}  "
                       f"{partner.name} ({partner.organisation})  [{partner.language}]"
                       + ("  password set" if partner.password_hash else "")
                       + ("  second step on" if partner.totp_secret else ""))

    decisions = (
        ("approve", partners.approve, "approved; the link to choose a password is on its way",
         "Approve a request: the partner is e-mailed a link to choose a password (valid 48 hours)."),
        ("refuse", partners.refuse, "refused", "Refuse a request: the person is told by e-mail."),
        ("remove", partners.remove, "removed", "Delete an account or a request; its sessions end at once."),
    )
    for name, action, said, summary in decisions:
        def decide(email, analyst, action=action, said=said):
            run_partner(lambda: action(email, analyst))
            click.echo(f"{email}: {said}")
        partner_group.command(name, help=summary)(analyst_option(click.argument("email")(decide)))

    def run_account(action):
        from .workspace import accounts
        try:
            return run(action)
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from None

    @app.cli.group("user")
    def user_group():
        """Accounts in the analysts' workspace: add, list, reenrol, disable."""

    @user_group.command("add")
    @click.argument("name")
    @click.option("--admin", is_flag=True, help="An admin, who can also manage users.")
    @click.option("--language", type=click.Choice(["en", "km"]), default="en", show_default=True,
                  help="The language of the enrolment page.")
    @analyst_option
    def user_add(name, admin, language, analyst):
        """Make an account and print its one-time enrolment link (valid 72 hours)."""
        from .workspace import accounts
        link = run_account(lambda: accounts.add(name, admin, analyst, language))
        click.echo(f"{accounts.normalised(name)}: {'admin' if admin else 'analyst'} account made. "
                   "Give its owner this one-time enrolment link (valid 72 hours), in person or by a secure channel:")
        click.echo(link)

    @user_group.command("list")
    def user_list():
        """Every account, by name."""
        from .workspace import accounts
        for person in accounts.listing():
            state = ("disabled" if person.disabled_at else
                     f"enrolled {person.enrolled_at:%Y-%m-%d}" if person.enrolled_at else "waiting for enrolment")
            click.echo(f"{person.name:<32}  {person.role:<7}  {state}")

    @user_group.command("reenrol")
    @click.argument("name")
    @analyst_option
    def user_reenrol(name, analyst):
        """A lost phone or passphrase: end the account's sessions and print a new enrolment link."""
        from .workspace import accounts
        click.echo(run_account(lambda: accounts.reenrol(name, analyst)))

    @user_group.command("disable")
    @click.argument("name")
    @analyst_option
    def user_disable(name, analyst):
        """Disable an account: it can no longer sign in, and its sessions end at once."""
        from .workspace import accounts
        run_account(lambda: accounts.disable(name, analyst))
        click.echo(f"{accounts.normalised(name)}: disabled")


def main() -> None:
    """`ihc-analyst ...`: the same commands without typing `flask --app`."""
    from flask.cli import FlaskGroup

    from . import create_app

    FlaskGroup(create_app=create_app, add_default_commands=False,
               help=__doc__.replace("flask --app report_endpoint", "ihc-analyst"))()
