"""Intake's SMTP listener: mail to a unit's helpdesk address becomes a ticket of that unit.

`<tenant>@any-domain` or the unit's configured `helpdesk_email` are accepted. A subject naming
one of the reporter's ticket numbers adds the mail to that ticket. Every refusal is an SMTP code
with a reason in Indonesian; attachments are stored before the ticket, and the ticket and the
Message-ID are stored in one transaction, so a refused or repeated mail leaves no half ticket.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec
from aiosmtpd.smtp import SMTP

from ...platform.attachments import AttachmentRejected, AttachmentStore, check
from ...platform.observability import log_event
from ...schemas.api import NewTicket
from ...workflow.rules import TicketNotFound
from .application import DuplicateMail, IntakeService, UnknownTenant
from .mail import MalformedMail, parse
from .requirements import RequirementsNotMet

log = logging.getLogger("lpse_helpdesk.smtp")
DOCUMENT_FIELDS = ("id_card", "company_npwp", "director_id_card", "request_letter",
                   "company_documents")


def reply_line(code: str, text: str) -> str:
    """One SMTP reply line: no line breaks, bounded length."""
    return f"{code} {' '.join(text.split())}"[:480]


class MailIntake:
    def __init__(self, service: IntakeService, attachments: AttachmentStore):
        self.service, self.attachments = service, attachments

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
            return await self._accept(tenant, envelope.content)
        except Exception as exc:  # noqa: BLE001 - never drop a mail silently: the sender retries
            log_event(log, "surat gagal diproses", logging.ERROR, tenant=tenant, error=repr(exc))
            return reply_line("451 4.3.0", "gangguan sementara di helpdesk; coba kirim lagi nanti")

    async def _accept(self, tenant: str, raw: bytes) -> str:
        standard = self.service.standards[tenant]
        try:
            mail = parse(raw)
        except MalformedMail as exc:
            return reply_line("550 5.6.0", f"surat tidak bisa dibaca: {exc}")
        if mail.message_id:
            seen = await asyncio.to_thread(self.service.mail_seen, mail.message_id)
            if seen:
                return reply_line("250 2.0.0", f"surat ini sudah diterima sebelumnya: tiket {seen}")
        try:
            for item in mail.attachments:
                check(standard, item.filename, item.content_type, len(item.data))
        except AttachmentRejected as exc:
            return reply_line("552 5.3.4", str(exc))
        try:
            refs = [await self.attachments.put(a.data, a.filename, a.content_type)
                    for a in mail.attachments]
        except Exception as exc:  # noqa: BLE001 - the object store is on NATS: try later
            return reply_line("451 4.3.0", f"penyimpanan lampiran belum tersedia ({type(exc).__name__});"
                              " coba kirim lagi nanti")
        if mail.thread_number:
            try:
                await asyncio.to_thread(self.service.mail_reply, mail.thread_number,
                                        mail.sender_email, mail.body, refs, mail.message_id)
                return reply_line("250 2.0.0", f"ditambahkan ke tiket {mail.thread_number}")
            except DuplicateMail as exc:
                return reply_line("250 2.0.0", f"surat ini sudah diterima: tiket {exc.args[0]}")
            except TicketNotFound:
                pass  # not this sender's ticket: it becomes a new ticket
        documents = {k: v for k, v in mail.fields.items() if k in DOCUMENT_FIELDS}
        if any(r.content_type.startswith("image/") for r in refs):
            documents["screenshot"] = ", ".join(r.filename for r in refs)
        try:
            ticket = msgspec.convert({
                "tenant": tenant, "channel": "email", "subject": mail.subject,
                "description": mail.body, "documents": documents,
                "reporter": {"name": mail.sender_name or mail.sender_email,
                             "email": mail.sender_email, "phone": mail.fields.get("phone", ""),
                             "organization": mail.fields.get("organization", "")},
            }, NewTicket)
            submitted = await asyncio.to_thread(
                self.service.submit, ticket, None, refs, mail.message_id)
        except msgspec.ValidationError as exc:
            return reply_line("550 5.6.0", f"isi surat tidak valid: {exc}")
        except RequirementsNotMet as exc:
            return reply_line("550 5.7.1", f"{exc}. Tulis di isi surat, mis. 'Telepon: 0812...',"
                              " 'KTP: ...', 'NPWP: ...'")
        except DuplicateMail as exc:
            return reply_line("250 2.0.0", f"surat ini sudah diterima: tiket {exc.args[0]}")
        except UnknownTenant as exc:
            return reply_line("550 5.1.1", str(exc))
        number = submitted.created.number
        log_event(log, "surat menjadi tiket", tenant=tenant, number=number,
                  attachments=len(refs))
        return reply_line("250 2.0.0", f"diterima sebagai tiket {number}; sebut nomor ini di "
                          "judul balasan Anda")


async def serve_smtp(service: IntakeService, broker, host: str, port: int,
                     stop: asyncio.Event) -> None:
    handler = MailIntake(service, AttachmentStore(broker))
    largest = max((s.attachments.max_bytes for s in service.standards.values()), default=5_000_000)
    # Base64 makes attachments about 4/3 larger; anything above that is refused with 552.
    limit = largest * 4 // 3 + 1_000_000
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, data_size_limit=limit, hostname="lpse-helpdesk",
                     ident="LPSE Helpdesk intake", enable_SMTPUTF8=True),
        host, port,
    )
    log_event(log, "SMTP masuk siap", host=host, port=port)
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()
