"""Where messages go: an SMTP relay with STARTTLS in production
(REPORT_SMTP_URL), or, by default, .eml files in instance/mail/, so that a
local run sends nothing anywhere and a newcomer can read what would have
been sent.  Python's smtplib and email are the maintained pieces here; the
outbox that decides what to send and when is updates.py."""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app

SMTP_TIMEOUT_S = 30


class MailError(Exception):
    """The relay refused or could not be reached; the message stays queued.
    Its text names the kind of failure, never a recipient."""


class FolderTransport:
    """Each message as <Message-ID>.eml in a folder: written whole, then
    renamed into place, so a reader never sees half a message and writing
    the same message twice leaves one file."""

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").split("@")[0] + ".eml"
        target = self.folder / name
        temporary = self.folder / f".{name}.{os.getpid()}"
        temporary.write_bytes(bytes(message))
        os.chmod(temporary, 0o600)  # it holds an e-mail address
        temporary.replace(target)


class SmtpTransport:
    """smtp://[user:password@]host[:port]: STARTTLS always, with the relay's
    certificate checked (against SMTP_CA_FILE when given), then AUTH if a
    user is given."""

    def __init__(self, url: str, ca_file: str | None = None):
        parts = urlsplit(url)
        if parts.scheme != "smtp" or not parts.hostname:
            raise ValueError("REPORT_SMTP_URL must look like smtp://user:password@relay.example.org:587")
        self.host, self.port = parts.hostname, parts.port or 587
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.context = ssl.create_default_context(cafile=ca_file)

    def send(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_S) as smtp:
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    raise MailError("the relay does not offer STARTTLS; nothing is sent in clear text")
                smtp.starttls(context=self.context)
                smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPResponseException as error:
            raise MailError(f"the relay answered {error.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused:
            raise MailError("the relay refused the recipient") from None
        except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
            raise MailError(f"could not send: {type(error).__name__}") from None


def transport():
    config = current_app.config
    if config.get("SMTP_URL"):
        return SmtpTransport(config["SMTP_URL"], config.get("SMTP_CA_FILE"))
    return FolderTransport(Path(current_app.instance_path) / "mail")
