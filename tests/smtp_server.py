"""A real SMTP server on loopback for the mail tests (aiosmtpd): STARTTLS
with a self-signed certificate for 127.0.0.1 (the client is given it as its
CA, REPORT_SMTP_CA_FILE), and a handler that can refuse the first messages
with a temporary error, as a relay that is busy does."""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket
import ssl
import threading
from pathlib import Path

from aiosmtpd.controller import Controller

from nginx_server import self_signed_certificate


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """What the server accepted, and how many more to refuse first."""

    def __init__(self, refuse_first: int = 0):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse_first = refuse_first
        self.refused = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refused < self.refuse_first:
                self.refused += 1
                return "451 4.3.0 Try again later"
            self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 OK"


@contextlib.contextmanager
def smtp_server(folder: Path, refuse_first: int = 0, starttls: bool = True):
    """(url, ca_file, mailbox) of a server that requires STARTTLS."""
    self_signed_certificate(folder)
    mailbox = Mailbox(refuse_first)
    options = {}
    if starttls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(folder / "fullchain.pem", folder / "privkey.pem")
        options = {"tls_context": context, "require_starttls": True}
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, ready_timeout=10, **options)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", str(folder / "fullchain.pem"), mailbox
    finally:
        controller.stop()


@contextlib.contextmanager
def silent_server():
    """A server that accepts the connection and never says a word: a sender
    talking to it hangs until it is killed."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield f"smtp://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
