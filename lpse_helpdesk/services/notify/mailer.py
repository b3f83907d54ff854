"""Outbound SMTP for notify's sender: one connection for a whole round of due mails.

Why one connection: a connection per mail (aiosmtplib.send) costs a TCP handshake, the greeting
and EHLO, and with TLS a handshake more, for every mail; at a few hundred tickets a second (two
mails each) the sender fell behind by minutes (docs/performance.md). A failed mail closes the
connection, so the next one starts on a fresh session, never on one left in an unknown state.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from urllib.parse import parse_qs, unquote, urlparse

import aiosmtplib


@dataclass(frozen=True)
class OutgoingMail:
    """A mail ready for SMTP: the envelope and the message's bytes (RFC 5322, CRLF)."""

    sender: str  # the envelope sender's address
    recipient: str
    raw: bytes
    smtputf8: bool  # an address is not ASCII: the server must take SMTPUTF8 (RFC 6531)


def build_message(mail_id: str, sender: str, recipient: str, subject: str, text: str,
                  html: str, at: datetime | None = None,
                  unsubscribe: str | None = None, message_id: str | None = None,
                  in_reply_to: str | None = None, references: list[str] = (),
                  reply_to: str | None = None) -> OutgoingMail:
    """multipart/alternative (plain text and HTML, UTF-8, base64), written out directly.

    Why not `email.message.EmailMessage`: building one and flattening it for `send_message`
    took about 3 ms a mail here, most of the sender's time under a burst
    (docs/performance.md); these bytes take a small fraction of that. The parts are
    base64, so no body line can look like the boundary (`_` is not in base64's alphabet).
    `message_id`, `in_reply_to` and `references` are `<...>` ids (notify/threads.py); one
    line each, since the ids are short and carry no spaces.
    """
    name, address = parseaddr(sender)
    subject = " ".join(subject.splitlines())  # a header is one logical line: no injection
    smtputf8 = not (address.isascii() and recipient.isascii())
    boundary = f"=_lpse_{mail_id}"
    headers = [
        f"From: {formataddr((name, address), charset='utf-8')}",
        f"To: {recipient}",  # an address, ASCII or (SMTPUTF8) raw UTF-8
        "Subject: " + Header(subject, "us-ascii" if subject.isascii() else "utf-8",
                             header_name="Subject").encode(linesep="\r\n"),
        f"Date: {format_datetime(at or datetime.now(UTC))}",
        # Stable per row: a mail server can recognise the one resend a crash could cause.
        f"Message-ID: {message_id or f'<{mail_id}@lpse-helpdesk>'}",
        # The ticket's thread (threads.py): mail clients show its mails as one conversation.
        *([f"In-Reply-To: {in_reply_to}"] if in_reply_to else []),
        *([f"References: {' '.join(references)}"] if references else []),
        *([f"Reply-To: {_one_line(reply_to)}"] if reply_to else []),
        # RFC 3834: no person wrote this, so auto-responders (out of office, vacation) must not
        # answer it, and our own intake knows it for ours if it ever comes back. Exchange and
        # Outlook read only their own header for the same thing.
        "Auto-Submitted: auto-generated",
        "X-Auto-Response-Suppress: All",
        # A reporter's mail client offers "stop" with it, and presses it by POST (stop.py).
        *([f"List-Unsubscribe: <{unsubscribe}>", "List-Unsubscribe-Post: List-Unsubscribe=One-Click"]
          if unsubscribe else []),
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    lines = [*headers, ""]
    for subtype, body in (("plain", text), ("html", html)):
        lines += [f"--{boundary}", f'Content-Type: text/{subtype}; charset="utf-8"',
                  "Content-Transfer-Encoding: base64", "",
                  *base64.encodebytes(body.encode()).decode("ascii").split()]  # 76 a line
    lines += [f"--{boundary}--", ""]
    return OutgoingMail(address, recipient, "\r\n".join(lines).encode(), smtputf8)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def bounced(exc: BaseException) -> bool:
    """The server refused the recipient for good (5xx to RCPT TO): a hard bounce. Trying again,
    or mailing that address again later, would only repeat the refusal."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(bounced(r) for r in exc.recipients)
    return isinstance(exc, aiosmtplib.SMTPRecipientRefused) and 500 <= exc.code < 600


def permanent(exc: BaseException) -> bool:
    """A 5xx for this mail (a bounce, or its content refused): no retry. Not a refused sender,
    which is our own configuration and may be fixed while the mail waits."""
    if bounced(exc):
        return True
    return (isinstance(exc, aiosmtplib.SMTPResponseException)
            and not isinstance(exc, aiosmtplib.SMTPSenderRefused) and 500 <= exc.code < 600)


class Unreachable(Exception):
    """No session with the mail server (refused, timed out, TLS or login failed): the rest of
    the round would fail the same way, so the sender stops trying for this round."""


class Mailer:
    """`async with Mailer(url) as mailer: await mailer.send(message)`. A mail the server
    refuses raises aiosmtplib.SMTPException, OSError or TimeoutError; no session at all raises
    `Unreachable`. The caller records either."""

    def __init__(self, smtp_url: str, timeout: float = 10.0):
        url = urlparse(smtp_url)
        query = parse_qs(url.query)
        self._options = dict(
            hostname=url.hostname or "127.0.0.1", port=url.port or 25,
            username=unquote(url.username) if url.username else None,
            password=unquote(url.password) if url.password else None,
            use_tls=url.scheme == "smtps", start_tls=query.get("starttls", ["0"])[0] == "1",
            timeout=timeout,
        )
        self._client: aiosmtplib.SMTP | None = None

    @classmethod
    def for_account(cls, timeout: float = 10.0, **options) -> Mailer:
        """A unit's own submission server: hostname, port, username, password, use_tls,
        start_tls and tls_context as aiosmtplib takes them."""
        mailer = cls("smtp://127.0.0.1", timeout)
        mailer._options = {**options, "timeout": timeout}
        return mailer

    async def send(self, mail: OutgoingMail) -> None:
        await self.envelope(mail)
        await self.deliver(mail)

    async def envelope(self, mail: OutgoingMail) -> None:
        """MAIL FROM and RCPT TO. Nothing is delivered yet (the server takes a mail only at
        the end of its DATA), so the caller may meanwhile store that the mail before was."""
        if self._client is None:
            client = aiosmtplib.SMTP(**self._options)
            try:
                await client.connect()  # logs in too when the URL names a user
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                client.close()
                raise Unreachable(str(exc) or type(exc).__name__) from exc
            self._client = client
        client = self._client
        try:  # what aiosmtplib's sendmail does before its DATA
            if client.is_ehlo_or_helo_needed:
                await client.ehlo()
            if mail.smtputf8 and not client.supports_extension("smtputf8"):
                raise aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported by this server")
            options = ["SMTPUTF8"] if mail.smtputf8 else []
            if client.supports_extension("size"):
                options.insert(0, f"size={len(mail.raw)}")
            encoding = "utf-8" if mail.smtputf8 else "ascii"
            await client.mail(mail.sender, options=options, encoding=encoding)
            await client.rcpt(mail.recipient, encoding=encoding)
        except BaseException:
            await self.close()
            raise

    async def deliver(self, mail: OutgoingMail) -> None:
        """DATA, after `envelope(mail)`: once this returns, the server has the mail."""
        try:
            await self._client.data(mail.raw)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()

    async def __aenter__(self) -> Mailer:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()
