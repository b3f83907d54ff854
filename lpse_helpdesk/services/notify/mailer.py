"""Outbound SMTP for notify's sender: one connection for a whole round of due mails.

Why one connection: a connection per mail (aiosmtplib.send) costs a TCP handshake, the greeting
and EHLO, and with TLS a handshake more, for every mail; at a few hundred tickets a second (two
mails each) the sender fell behind by minutes (docs/performance.md). A failed mail closes the
connection, so the next one starts on a fresh session, never on one left in an unknown state.
"""

from __future__ import annotations

from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlparse

import aiosmtplib


def build_message(mail_id: str, sender: str, recipient: str, subject: str, text: str,
                  html: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, recipient, subject
    # Stable per row: a mail server can recognise the one resend a crash could cause.
    message["Message-ID"] = f"<{mail_id}@lpse-helpdesk>"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


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

    async def send(self, message: EmailMessage) -> None:
        if self._client is None:
            client = aiosmtplib.SMTP(**self._options)
            try:
                await client.connect()  # logs in too when the URL names a user
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                client.close()
                raise Unreachable(str(exc) or type(exc).__name__) from exc
            self._client = client
        try:
            await self._client.send_message(message)
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
