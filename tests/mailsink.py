"""A real SMTP server (aiosmtpd) on a free local port that keeps every mail it receives, for
the tests of what the helpdesk sends."""

from __future__ import annotations

from collections import Counter
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from lpse_helpdesk.platform.natsserver import free_port


class MailSink:
    def __init__(self, port: int | None = None, smtputf8: bool = False,
                 refused: tuple[str, ...] = ()):
        self.port = port or free_port()
        self.smtputf8 = smtputf8  # offer SMTPUTF8 (RFC 6531): addresses that are not ASCII
        # Recipients answered `550` at RCPT TO (a hard bounce), and how often each was tried.
        self.refused, self.refusals = set(refused), Counter()
        self.messages: list[tuple[str, EmailMessage]] = []  # (recipient, mail), one per recipient
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refused:
            self.refusals[address] += 1
            return "550 5.1.1 kotak surat tidak ada"
        envelope.rcpt_tos.append(address)  # what aiosmtpd does without a handler
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.extend((rcpt, message) for rcpt in envelope.rcpt_tos)
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                     enable_SMTPUTF8=self.smtputf8)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def subjects(self) -> Counter:
        return Counter((to, str(m["Subject"])) for to, m in self.messages)

    def deliveries(self) -> list[tuple[str, str, str]]:
        """(recipient, Message-ID, Subject) of every delivery."""
        return [(to, str(m["Message-ID"]), str(m["Subject"])) for to, m in self.messages]
