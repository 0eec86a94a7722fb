"""A real SMTP server on loopback (aiosmtpd), started per test; mail settings point at it.
Shared by every test that sends mail (reminders, digests, phone invitations)."""

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    to: list[str]
    subject: str
    body: str


@dataclass
class MailSink:
    """Collects what the server accepted; ``refuse`` makes it answer 451 (a temporary
    failure) to every RCPT, as a relay does when it is overloaded."""

    received: list[Received] = field(default_factory=list)
    refuse: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "451 4.3.0 Relais temporairement indisponible"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.received.append(
                Received(
                    list(envelope.rcpt_tos),
                    str(message["Subject"]),
                    message.get_body(("plain",)).get_content(),
                )
            )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.received if address in m.to]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app):
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_SENDER="emargement@of.test"
    )
    yield sink
    controller.stop()
