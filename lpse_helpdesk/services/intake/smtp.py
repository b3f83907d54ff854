"""Intake's SMTP listener: mail to a unit's helpdesk address becomes a ticket of that unit.

`<tenant>@any-domain` or the unit's configured `helpdesk_email` are accepted. Every refusal is
an SMTP code with a reason in Indonesian: a permanent 5xx for what no retry can fix (too large,
too many parts or attachments, nested too deep, an unreadable sender), so that the sending
server gives up at once, and 451 only for a passing fault of ours. Parsing runs in a thread in
linear time (mail.py). Mail written by a program makes nothing and is answered 250, so that
nobody retries it; a mail naming a ticket is added to it only with proof that it answers our
mail (mailbox.py), otherwise it is held for staff (held.py). Attachments are stored before the
ticket, and the ticket and the Message-ID are stored in one transaction, so a refused or
repeated mail leaves no half ticket. One sender may send `rate_mails_per_sender_per_hour`
mails an hour (a sliding window, platform/windows.py); past that it is told to retry later
(451), so that a flood from one address cannot fill a unit's queue.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec
from aiosmtpd.smtp import SMTP

from ...platform.attachments import AttachmentRejected, AttachmentStore, check, check_count
from ...platform.http import field_of
from ...platform.observability import log_event
from ...platform.store import EventTooLarge
from ...platform.windows import SlidingWindow
from . import followup, held
from .application import DuplicateMail, IntakeService, UnknownTenant
from .mail import Limits, MalformedMail, parse
from .mailbox import hold_reason, loop_reason, own_addresses, ticket_from_mail
from .decisions import FieldsInvalid
from .problems import label_of, mail_fields_refusal, mail_refusal
from .requirements import RequirementsNotMet

log = logging.getLogger("lpse_helpdesk.smtp")


def reply_line(code: str, text: str) -> str:
    """One SMTP reply line: no line breaks, bounded length."""
    return f"{code} {' '.join(text.split())}"[:480]


class MailIntake:
    def __init__(self, service: IntakeService, attachments: AttachmentStore,
                 limits: Limits = Limits(), per_sender_per_hour: int = 20):
        self.service, self.attachments, self.limits = service, attachments, limits
        self.own = own_addresses(service.standards) | (
            {service.settings.mail_from.lower()} if service.settings.mail_from else set())
        self.max_bytes: int | None = None  # the listener's size; fetched mail is held to it
        self.senders = SlidingWindow(per_sender_per_hour, 3600.0)

    def tenant_for(self, address: str) -> str | None:
        address = address.lower().strip("<>")
        for tenant, standard in self.service.standards.items():
            if standard.helpdesk_email.lower() == address:
                return tenant
        local = address.partition("@")[0]
        return local if local in self.service.standards else None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        tenant = self.tenant_for(address)
        if tenant is None:
            return reply_line("550 5.1.1", f"<{address}> bukan alamat helpdesk LPSE yang dikenal")
        if envelope.rcpt_tos and self.tenant_for(envelope.rcpt_tos[0]) != tenant:
            return reply_line("452 4.5.3", "satu surat hanya untuk satu unit; kirim terpisah")
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        tenant = self.tenant_for(envelope.rcpt_tos[0])
        try:
            return await self._accept(tenant, envelope.content, envelope.mail_from)
        except EventTooLarge as exc:  # no retry makes it smaller
            log_event(log, "surat ditolak", logging.WARNING, tenant=tenant, code="552",
                      reason=str(exc), size=len(envelope.content))
            return reply_line("552 5.3.4", f"surat terlalu besar untuk diproses: {exc}")
        except Exception as exc:  # noqa: BLE001 - never drop a mail silently: the sender retries
            log_event(log, "surat gagal diproses", logging.ERROR, tenant=tenant, error=repr(exc))
            return reply_line("451 4.3.0", "gangguan sementara di helpdesk; coba kirim lagi nanti")

    async def accept(self, tenant: str, raw: bytes, envelope_sender: str | None) -> str:
        """A whole mail for the unit, as DATA would bring it: the SMTP answer's line."""
        if self.max_bytes is not None and len(raw) > self.max_bytes:
            return reply_line("552 5.3.4", f"surat terlalu besar: paling banyak {self.max_bytes}"
                              " byte")
        try:
            return await self._accept(tenant, raw, envelope_sender)
        except EventTooLarge as exc:
            return reply_line("552 5.3.4", f"surat terlalu besar untuk diproses: {exc}")

    async def _accept(self, tenant: str, raw: bytes, envelope_sender: str | None) -> str:
        standard = self.service.standards[tenant]
        try:
            mail = await asyncio.to_thread(parse, raw, self.limits)
        except MalformedMail as exc:
            log_event(log, "surat ditolak", logging.WARNING, tenant=tenant, code=exc.code,
                      reason=str(exc), size=len(raw))
            return reply_line(exc.code, f"{exc.verdict}: {exc}")
        loop = loop_reason(mail, envelope_sender, self.own)
        if loop:
            log_event(log, "surat otomatis diabaikan", tenant=tenant, reason=loop,
                      sender=mail.sender_email, message_id=mail.message_id,
                      number=mail.thread_number)
            return reply_line("250 2.0.0", "diterima; surat otomatis tidak dibuatkan tiket dan "
                              "tidak dibalas")
        if mail.message_id:
            seen = await asyncio.to_thread(self.service.mail_seen, mail.message_id)
            if seen and seen.startswith("held:"):
                return reply_line("250 2.0.0", "surat ini sudah diterima sebelumnya, menunggu "
                                  "pemeriksaan petugas")
            if seen:
                return reply_line("250 2.0.0", f"surat ini sudah diterima sebelumnya: tiket {seen}")
        if not self.senders.hit(tenant, mail.sender_email.lower()):
            log_event(log, "surat ditunda: terlalu banyak dari satu pengirim", logging.WARNING,
                      tenant=tenant, sender=mail.sender_email)
            return reply_line("451 4.7.1", "terlalu banyak surat dari alamat ini dalam satu jam; "
                              "coba kirim lagi nanti")
        rejected = []  # every file's problem at once, not only the first
        try:
            check_count(standard, len(mail.attachments))
        except AttachmentRejected as exc:
            rejected.append(str(exc))
        for item in mail.attachments:
            try:
                check(standard, item.filename, item.content_type, len(item.data))
            except AttachmentRejected as exc:
                rejected.append(str(exc))
        if rejected:
            log_event(log, "surat ditolak", logging.WARNING, tenant=tenant, code="552",
                      reason="; ".join(rejected), size=len(raw))
            return reply_line("552 5.3.4", "; ".join(rejected))
        try:
            refs = [await self.attachments.put(a.data, a.filename, a.content_type)
                    for a in mail.attachments]
        except Exception as exc:  # noqa: BLE001 - the object store is on NATS: try later
            return reply_line("451 4.3.0", f"penyimpanan lampiran belum tersedia ({type(exc).__name__});"
                              " coba kirim lagi nanti")
        if mail.thread_number:
            return await self._follow_up(tenant, mail, refs)
        try:
            ticket = ticket_from_mail(tenant, mail.sender_name, mail.sender_email, mail.subject,
                                      mail.body, mail.fields, refs)
            submitted = await asyncio.to_thread(
                self.service.submit, ticket, None, refs, mail.message_id)
        except msgspec.ValidationError as exc:
            field = label_of(field_of(str(exc)) or "", standard)
            return reply_line("550 5.6.0", f"isi surat tidak bisa dijadikan tiket: {field} "
                              "tidak sah (terlalu panjang atau memuat karakter yang tidak boleh)")
        except RequirementsNotMet as exc:
            return reply_line("550 5.7.1", mail_refusal(standard, exc.missing))
        except FieldsInvalid as exc:
            return reply_line("550 5.7.1", mail_fields_refusal(standard, exc.missing))
        except DuplicateMail as exc:
            return reply_line("250 2.0.0", f"surat ini sudah diterima: tiket {exc.args[0]}")
        except UnknownTenant as exc:
            return reply_line("550 5.1.1", str(exc))
        number = submitted.created.number
        log_event(log, "surat menjadi tiket", tenant=tenant, number=number,
                  attachments=len(refs))
        return reply_line("250 2.0.0", f"diterima sebagai tiket {number}; sebut nomor ini di "
                          "judul balasan Anda")

    async def _follow_up(self, tenant: str, mail, refs) -> str:
        """A mail whose subject names a ticket: added to it when it proves it answers our mail
        from the reporter's address, else held for staff. Never a new ticket by itself."""
        number = mail.thread_number
        reason = await hold_reason(self.service, tenant, mail)
        try:
            if reason is None:  # open, closed within the window, or later (followup.py)
                return reply_line("250 2.0.0", await followup.carry_out(
                    self.service, tenant, mail, refs))
            held_id = await asyncio.to_thread(held.hold, self.service, tenant, mail, refs, reason)
        except DuplicateMail as exc:
            went = exc.args[0]
            return reply_line("250 2.0.0", "surat ini sudah diterima" + (
                ", menunggu pemeriksaan petugas" if went.startswith("held:")
                else f": tiket {went}"))
        log_event(log, "surat ditahan untuk petugas", tenant=tenant, held=held_id, number=number,
                  sender=mail.sender_email, reason=reason)
        return reply_line("250 2.0.0", f"diterima, menunggu pemeriksaan petugas (surat menyebut "
                          f"tiket {number})")


class _Listener(SMTP):
    """aiosmtpd's own refusals of a mail, in Indonesian like the rest."""

    def __init__(self, translations: dict[str, str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.translations = translations

    async def push(self, status):
        if isinstance(status, str):
            for prefix, text in self.translations.items():
                if status.startswith(prefix):
                    status = text
                    break
        await super().push(status)


def mail_intake(service: IntakeService, broker) -> tuple[MailIntake, int]:
    """The one intake for mail, whether it came to the listener or from a unit's mailbox
    (fetch.py), and the largest mail it takes in bytes."""
    largest = max((s.attachments.max_bytes for s in service.standards.values()), default=5_000_000)
    # Base64 makes attachments about 4/3 larger; anything above that is refused with 552.
    limit = largest * 4 // 3 + 1_000_000
    # A mail at the size limit holds about limit/78 lines of base64; limit/40 leaves room for
    # text of short lines, and the parser, which keeps an object per line, never sees the
    # millions of empty lines that would fit in the size limit.
    handler = MailIntake(service, AttachmentStore(broker),
                         Limits(max_lines=max(50_000, limit // 40)),
                         service.settings.rate_mails_per_sender_per_hour)
    handler.max_bytes = limit
    return handler, limit


async def serve_smtp(service: IntakeService, broker, host: str, port: int,
                     stop: asyncio.Event) -> None:
    handler, limit = mail_intake(service, broker)
    too_big = reply_line("552 5.3.4", f"surat terlalu besar: paling banyak {limit} byte")
    translations = {
        "552 Error: Too much mail data": too_big,
        "552 Error: message size exceeds": too_big,
        "500 Line too long": reply_line("500 5.5.2", "ada baris lebih dari 998 karakter "
                                        "(RFC 5321 4.5.3.1.6)"),
    }
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Listener(translations, handler, data_size_limit=limit,
                          hostname="lpse-helpdesk", ident="LPSE Helpdesk intake",
                          enable_SMTPUTF8=True),
        host, port,
    )
    log_event(log, "SMTP masuk siap", host=host, port=port)
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()
