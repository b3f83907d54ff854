"""The answer to a fetched mail the intake refuses for good (a 5xx: too large, a file type the
unit does not take, too many parts, data the unit requires missing, unreadable MIME).

Over SMTP the sending server gets the 5xx and tells its user why. A mail fetched from the
unit's mailbox has no such session: without an answer the reporter would think it arrived. So
its sender gets a short mail in Indonesian saying why and what to do, after the mail is marked
refused (a crash in between loses the answer, never repeats it).

Never to a program: no answer to mail marked automatic (Auto-Submitted, Precedence bulk/list,
List-Id, a delivery report), to an empty envelope sender, to MAILER-DAEMON/postmaster/no-reply,
to the helpdesk's own addresses, or to our own Message-IDs; and at most PER_SENDER answers an
hour to one address and PER_UNIT a unit, so that neither a loop nor a flood of forged senders
can make the helpdesk a source of mail (backscatter).
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import uuid
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.utils import parseaddr

from ...platform.observability import log_event
from ...platform.windows import SlidingWindow
from ..notify import outgoing
from .mail import automatic
from .mailbox import ours
from .mailsession import return_path

log = logging.getLogger("lpse_helpdesk.fetch")
PER_SENDER, PER_UNIT = 3, 60  # answers an hour
HEAD_BYTES = 64_000  # only the headers are read, and only this much of them
PROGRAMS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?|"
                      r"listserv|majordomo|owner-.*|.*-request|.*-bounces?)$", re.I)
_CODES = re.compile(r"^\d{3}(?: \d\.\d{1,3}\.\d{1,3})? ?")


def _head(raw: bytes):
    head = raw[:HEAD_BYTES]
    end = min((i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0),
              default=len(head))
    return BytesHeaderParser(policy=policy.default).parsebytes(head[:end] + b"\r\n\r\n")


def _value(head, name: str, size: int) -> str:
    """A header as written (bounded, never through the slow structured parser); encoded
    words decoded, control characters dropped."""
    name = name.lower()
    found = next((str(v) for k, v in head.raw_items() if k.lower() == name), "")[:size]
    try:
        found = str(make_header(decode_header(found)))
    except (ValueError, LookupError, UnicodeError):
        pass
    return _one_line(found, size)


def _one_line(text: str, size: int) -> str:
    text = text[:size]
    return " ".join("".join(c if c >= " " and c != "\x7f" else " " for c in text).split())


def addressee(raw: bytes, own: frozenset[str]) -> tuple[str | None, str]:
    """(the address to answer, "") or (None, why no answer may go)."""
    head = _head(raw)
    if return_path(raw) == "":
        return None, "pengirim amplop kosong (laporan pengiriman)"
    auto = automatic(head)  # reads the headers only; a header-only message is text/plain
    if auto:
        return None, f"surat otomatis ({auto})"
    _, address = parseaddr(_value(head, "From", 1000))
    local, at, domain = address.partition("@")
    if (not at or not local or "." not in domain.strip(".") or len(address) > 254
            or any(c.isspace() or c in "<>,;\"" for c in address)):
        return None, "alamat pengirim (From) tidak sah"
    if PROGRAMS.match(local):
        return None, f"alamat program ({local})"
    if address.lower() in own:
        return None, "dari alamat helpdesk sendiri"
    message_id = _value(head, "Message-ID", 250)
    if message_id and ours(message_id):
        return None, "Message-ID milik helpdesk sendiri"
    return address, ""


def _body(unit, subject: str, why: str, portal: str) -> tuple[str, str]:
    text = (f"Yth. Bapak/Ibu,\n\n"
            f"Surat Anda ke helpdesk {unit.name} ({unit.helpdesk_email}) dengan judul "
            f"\"{subject or '(tanpa judul)'}\" TIDAK dapat kami proses, sehingga belum menjadi "
            f"tiket.\n\nSebabnya: {why}\n\n"
            f"Mohon perbaiki lalu kirim ulang surat Anda, atau laporkan melalui portal helpdesk: "
            f"{portal}\n\n"
            f"Surat ini dikirim otomatis; balasan ke surat ini tidak dibaca sebagai laporan "
            f"baru.\n\nHelpdesk {unit.name}\n")
    paragraphs = "".join(
        f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.strip().split("\n\n"))
    link = html.escape(portal)
    return text, paragraphs.replace(link, f'<a href="{link}">{link}</a>', 1)


class RefusalReplies:
    def __init__(self, service, own: frozenset[str]):
        self.service, self.own = service, own
        self.senders = SlidingWindow(PER_SENDER, 3600.0)
        self.units = SlidingWindow(PER_UNIT, 3600.0)

    async def answer(self, tenant: str, raw: bytes, refusal: str) -> str:
        """Mail the sender why `refusal` (the intake's 5xx line); returns what happened, for
        the log: "terkirim", or why not."""
        outcome = await self._answer(tenant, raw, refusal)
        log_event(log, "jawaban penolakan surat", tenant=tenant, outcome=outcome)
        return outcome

    async def _answer(self, tenant: str, raw: bytes, refusal: str) -> str:
        address, why_not = await asyncio.to_thread(addressee, raw, self.own)
        if address is None:
            return f"tidak dijawab: {why_not}"
        if not self.senders.hit(tenant, address.lower()):
            return f"tidak dijawab: sudah {PER_SENDER} jawaban ke alamat ini dalam sejam"
        if not self.units.hit(tenant):
            return f"tidak dijawab: sudah {PER_UNIT} jawaban unit ini dalam sejam"
        settings, unit = self.service.settings, self.service.standards[tenant]
        route = outgoing.route(unit)
        if route == outgoing.HELPDESK and not settings.smtp_url:
            return "tidak dijawab: tidak ada server surat (HELPDESK_SMTP_URL)"
        public_url = settings.public_url or f"http://{settings.http_host}:{settings.http_port}"
        subject = _value(_head(raw), "Subject", 150)
        why = _CODES.sub("", " ".join(refusal.split()))[:500]
        text, body = _body(unit, subject, why, f"{public_url}/portal/{tenant}/tiket-baru")
        message = outgoing.compose(
            uuid.uuid4().hex, unit, address, f"Surat tidak dapat diproses: {subject}"[:200],
            text, body, outgoing.Thread("", ""), settings, public_url, None)
        try:
            async with outgoing.mailer_for(route, self.service.standards,
                                           settings.smtp_url) as mailer:
                await mailer.send(message)
        except Exception as exc:  # noqa: BLE001 - best effort: the mail is kept and flagged
            return f"gagal terkirim: {type(exc).__name__}: {exc}"[:300]
        return "terkirim"
