"""How a message leaves the service. A channel is anything with ``name`` and ``send``; e-mail
(SMTP relay from the MAIL_* settings) is the default. Another channel (SMS, a chat webhook)
implements the same two members and is passed to ``send_due_reminders``."""

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol


@dataclass(frozen=True)
class Message:
    to: str  # the channel's address: an e-mail for EmailChannel
    subject: str
    body: str


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> None:
        """Deliver or raise; an exception is recorded and the reminder retried next run."""


class EmailChannel:
    name = "email"

    def __init__(self, host: str, port: int, sender: str, timeout: float = 20):
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def send(self, message: Message) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        email.set_content(message.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(email)


def email_channel(config) -> EmailChannel:
    return EmailChannel(config["MAIL_SERVER"], int(config["MAIL_PORT"]), config["MAIL_SENDER"])
