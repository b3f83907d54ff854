"""Intake: turns a channel's submission into a `ticket.received` event with a human number.

Numbers are per unit and year (`BTM-2026-000123`) and never repeat or skip: the next number is
claimed by inserting a row whose primary key is (tenant, year, seq) in the same transaction as
the event, so two concurrent submissions cannot both take it; the loser retries with the next.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass

import msgspec

from ...platform.service import ServiceContext
from ...platform.store import IntegrityError, Stored, Write
from ...schemas import TicketEvent, new_envelope
from ...schemas.api import CounterEntry, CounterReceipt, Feedback, NewTicket, TicketCreated
from ...schemas.events import AttachmentRef, ReporterFeedback, ReporterReplied, TicketReceived
from ...workflow.rules import TicketNotFound
from . import requirements

TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}_ticket_numbers ("
    " tenant TEXT NOT NULL, year INTEGER NOT NULL, seq INTEGER NOT NULL, ticket_id TEXT NOT NULL,"
    " number TEXT NOT NULL UNIQUE, PRIMARY KEY (tenant, year, seq))",
    "CREATE TABLE IF NOT EXISTS {p}_idempotency ("
    " tenant TEXT NOT NULL, idem_key TEXT NOT NULL, request_sha256 TEXT NOT NULL,"
    " ticket_id TEXT NOT NULL, number TEXT NOT NULL, access_token TEXT NOT NULL,"
    " PRIMARY KEY (tenant, idem_key))",
    # The electronic guest book: one row per walk-in visit, numbered per unit and day.
    "CREATE TABLE IF NOT EXISTS {p}_guest_book ("
    " tenant TEXT NOT NULL, day TEXT NOT NULL, seq INTEGER NOT NULL, ticket_id TEXT NOT NULL,"
    " name TEXT NOT NULL, organization TEXT NOT NULL, purpose TEXT NOT NULL,"
    " logged_by TEXT NOT NULL, PRIMARY KEY (tenant, day, seq))",
    # Files uploaded through HTTP before the ticket that names them; `used_by` guards reuse.
    "CREATE TABLE IF NOT EXISTS {p}_uploads ("
    " id TEXT PRIMARY KEY, tenant TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}_upload_uses (id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL)",
    # Mail already turned into a ticket or a reply: a second copy of a Message-ID does nothing.
    # A held mail's Message-ID maps to `held:<id>`, and the key `held:<id>` to the ticket staff
    # sent it to, so that it is decided once (held.py).
    "CREATE TABLE IF NOT EXISTS {p}_mail_seen (message_id TEXT PRIMARY KEY, number TEXT NOT NULL)",
    # Mail that names a ticket without proving it answers our mail, held for staff (held.py).
    "CREATE TABLE IF NOT EXISTS {p}_held_mail (id TEXT PRIMARY KEY, tenant TEXT NOT NULL,"
    " number TEXT NOT NULL, received_at TEXT NOT NULL, body TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {n}_held_mail_tenant ON {p}_held_mail (tenant, received_at)",
)


class UnknownTenant(LookupError):
    pass


class IdempotencyMismatch(ValueError):
    pass


class UnknownUpload(LookupError):
    """An attachment id that was not uploaded for this unit, or is already used."""


class QueueNumberTaken(Exception):
    """Another visitor took this queue number first: take the next one."""


class DuplicateMail(Exception):
    """This Message-ID was already handled; the argument is the ticket number it went to."""


@dataclass(frozen=True)
class Submission:
    created: TicketCreated
    replayed: bool  # True when an Idempotency-Key returned an earlier ticket


def sha256(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


class IntakeService:
    def __init__(self, ctx: ServiceContext):
        self.store = ctx.store
        self.now = ctx.now
        self.settings, self.broker, self.signer = ctx.settings, ctx.broker, ctx.signer
        self.standards = ctx.standards

    async def run_smtp(self, stop) -> None:
        from .smtp import serve_smtp

        await serve_smtp(self, self.broker, self.settings.http_host, self.settings.smtp_port, stop)

    def standard(self, tenant: str):
        standard = self.standards.get(tenant)
        if standard is None:
            known = ", ".join(sorted(self.standards)) or "-"
            raise UnknownTenant(f"unit `{tenant}` tidak dikenal (unit yang ada: {known})")
        return standard

    def _uploads_free(self, refs: list[AttachmentRef]) -> list[AttachmentRef]:
        return [r for r in refs if not self.store.query(
            f"SELECT 1 FROM {self.store.prefix}_upload_uses WHERE id = ?", (r.id,))]

    def _visit_taken(self, tenant: str, row: Write) -> bool:
        _, day, seq = row.params[:3]
        return bool(self.store.query(f"SELECT 1 FROM {self.store.prefix}_guest_book WHERE tenant = ?"
                                     " AND day = ? AND seq = ?", (tenant, day, seq)))

    def mail_seen(self, message_id: str) -> str | None:
        rows = self.store.query(
            f"SELECT number FROM {self.store.prefix}_mail_seen WHERE message_id = ?", (message_id,))
        return rows[0][0] if rows else None

    def _seen(self, message_id: str | None, number: str) -> list[Write]:
        if not message_id:
            return []
        return [Write(f"INSERT INTO {self.store.prefix}_mail_seen VALUES (?, ?)", (message_id, number))]

    def remember_upload(self, tenant: str, ref: AttachmentRef) -> None:
        self.store.execute([Write(f"INSERT INTO {self.store.prefix}_uploads VALUES (?, ?, ?, ?)",
                                  (ref.id, tenant, msgspec.json.encode(ref).decode(),
                                   self.now().isoformat()))])

    def _uploads(self, tenant: str, ids: list[str]) -> list[AttachmentRef]:
        refs = []
        for upload_id in ids:
            rows = self.store.query(
                f"SELECT body FROM {self.store.prefix}_uploads u WHERE id = ? AND tenant = ? AND"
                f" NOT EXISTS (SELECT 1 FROM {self.store.prefix}_upload_uses x WHERE x.id = u.id)",
                (upload_id, tenant))
            if not rows:
                raise UnknownUpload(upload_id)
            refs.append(msgspec.json.decode(rows[0][0], type=AttachmentRef))
        return refs

    def log_counter(self, entry: CounterEntry, channel: str, staff: str) -> CounterReceipt:
        """A phone call or walk-in visit recorded by staff; a visitor gets the day's queue
        number of the unit, claimed in the ticket's transaction (no gaps, no repeats)."""
        ticket = NewTicket(tenant=entry.tenant, channel=channel, reporter=entry.visitor,
                           subject=entry.subject, description=entry.description,
                           kind=entry.kind, documents=entry.documents)
        for _ in range(200):
            queue = self._next_visit(entry, staff) if channel == "walk_in" else None
            try:
                submitted = self.submit(ticket, logged_by=staff, visit=queue)
            except QueueNumberTaken:
                continue
            return CounterReceipt(id=submitted.created.id, number=submitted.created.number,
                                  access_token=submitted.created.access_token,
                                  queue_number=queue[0] if queue else "")
        raise RuntimeError("nomor antrean tidak bisa dialokasikan")

    def _next_visit(self, entry: CounterEntry, staff: str):
        day = self.now().astimezone(self.standard(entry.tenant).zone).date().isoformat()
        rows = self.store.query(f"SELECT MAX(seq) FROM {self.store.prefix}_guest_book"
                                " WHERE tenant = ? AND day = ?", (entry.tenant, day))
        seq = int(rows[0][0] or 0) + 1

        def row(ticket_id: uuid.UUID) -> Write:
            return Write(f"INSERT INTO {self.store.prefix}_guest_book VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (entry.tenant, day, seq, str(ticket_id), entry.visitor.name,
                          entry.visitor.organization, entry.purpose, staff))
        return f"A-{seq:03d}", row

    def submit(self, ticket: NewTicket, idempotency_key: str | None = None,
               attachments: list[AttachmentRef] = (), message_id: str | None = None,
               logged_by: str = "", visit=None) -> Submission:
        standard = self.standard(ticket.tenant)
        uploaded = self._uploads(ticket.tenant, ticket.attachments)
        if any(a.content_type.startswith("image/") for a in uploaded) and "screenshot" not in ticket.documents:
            ticket = msgspec.structs.replace(ticket, documents={
                **ticket.documents, "screenshot": ", ".join(a.filename for a in uploaded)})
        requirements.check(standard, ticket)
        attachments = [*attachments, *uploaded]
        prefix = standard.number_prefix
        request_hash = sha256(msgspec.json.encode(ticket))
        if idempotency_key:
            earlier = self._earlier(ticket.tenant, idempotency_key, request_hash)
            if earlier:
                return Submission(earlier, replayed=True)
        ticket_id = uuid.uuid4()
        token = self.signer.reporter_token(ticket_id)
        year = self.now().year
        p = self.store.prefix
        for _ in range(200):
            seq = self._next_seq(ticket.tenant, year)
            number = f"{prefix}-{year}-{seq:06d}"
            event = TicketReceived(
                **new_envelope(ticket_id, ticket.tenant, self.now()),
                number=number, channel=ticket.channel, reporter=ticket.reporter,
                subject=ticket.subject, description=ticket.description,
                access_token_sha256=sha256(token), kind=ticket.kind, documents=ticket.documents,
                attachments=list(attachments), logged_by=logged_by,
                queue_number=visit[0] if visit else "",
                message_id=message_id if (message_id or "").startswith("<")
                and len(message_id) <= 200 and ticket.channel == "email" else "",
            )
            writes = [Write(f"INSERT INTO {p}_ticket_numbers VALUES (?, ?, ?, ?, ?)",
                            (ticket.tenant, year, seq, str(ticket_id), number)),
                      *self._seen(message_id, number), *([visit[1](ticket_id)] if visit else []),
                      *(Write(f"INSERT INTO {p}_upload_uses VALUES (?, ?)", (a.id, str(ticket_id)))
                        for a in uploaded)]
            if idempotency_key:
                writes.append(Write(
                    f"INSERT INTO {p}_idempotency VALUES (?, ?, ?, ?, ?, ?)",
                    (ticket.tenant, idempotency_key, request_hash, str(ticket_id), number, token),
                ))
            try:
                self.store.record([Stored(event, ticket_id, 1)], writes=writes)
            except IntegrityError:
                if uploaded and len(self._uploads_free(uploaded)) < len(uploaded):
                    raise UnknownUpload("sudah dipakai tiket lain") from None
                if visit and self._visit_taken(ticket.tenant, visit[1](ticket_id)):
                    raise QueueNumberTaken from None
                if message_id and self.mail_seen(message_id):
                    raise DuplicateMail(self.mail_seen(message_id)) from None
                if idempotency_key:  # a concurrent retry with the same key may have won
                    earlier = self._earlier(ticket.tenant, idempotency_key, request_hash)
                    if earlier:
                        return Submission(earlier, replayed=True)
                continue  # someone took this number: try the next one
            return Submission(TicketCreated(id=ticket_id, number=number, access_token=token), False)
        raise RuntimeError("nomor tiket tidak bisa dialokasikan setelah 200 percobaan")

    def _own_history(self, number: str):
        rows = self.store.query(
            f"SELECT ticket_id FROM {self.store.prefix}_ticket_numbers WHERE number = ?", (number,))
        return self.store.history(uuid.UUID(rows[0][0])) if rows else []

    def reporter_follow_up(self, number: str, token: str, body) -> TicketEvent:
        """A reply (`Message`) or feedback (`Feedback`) from the reporter holding the token."""
        own = self._own_history(number)
        received = own[0].event if own else None
        if not isinstance(received, TicketReceived) or not hmac.compare_digest(
            received.access_token_sha256, sha256(token)
        ):
            raise TicketNotFound(number)
        envelope = new_envelope(received.ticket_id, received.tenant, self.now())
        if isinstance(body, Feedback):
            event = ReporterFeedback(**envelope, solved=body.solved, message=body.message)
        else:
            event = ReporterReplied(**envelope, message=body.message, channel="web")
        self.store.record([Stored(event, received.ticket_id, own[-1].originator_version + 1)])
        return event

    def _next_seq(self, tenant: str, year: int) -> int:
        rows = self.store.query(
            f"SELECT MAX(seq) FROM {self.store.prefix}_ticket_numbers WHERE tenant = ? AND year = ?",
            (tenant, year),
        )
        return int(rows[0][0] or 0) + 1

    def _earlier(self, tenant: str, key: str, request_hash: str) -> TicketCreated | None:
        rows = self.store.query(
            f"SELECT request_sha256, ticket_id, number, access_token FROM {self.store.prefix}"
            "_idempotency WHERE tenant = ? AND idem_key = ?",
            (tenant, key),
        )
        if not rows:
            return None
        stored_hash, ticket_id, number, token = rows[0]
        if stored_hash != request_hash:
            raise IdempotencyMismatch(
                "Idempotency-Key ini sudah dipakai untuk tiket dengan isi berbeda / "
                "this Idempotency-Key was used for a different request"
            )
        return TicketCreated(id=uuid.UUID(ticket_id), number=number, access_token=token)
