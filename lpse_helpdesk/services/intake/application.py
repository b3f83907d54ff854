"""Intake: turns a channel's submission into a `ticket.received` event with a human number.

Numbers are per unit and year (`BTM-2026-000123`) and never repeat or skip: the next number is
claimed by inserting a row whose primary key is (tenant, year, seq) in the same transaction as
the event, so two concurrent submissions cannot both take it; the loser retries with the next.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import msgspec

from ...platform import paging
from ...platform.service import ServiceContext
from ...platform.store import IntegrityError, Stored, Write
from ...schemas import TicketEvent
from ...schemas.api import CounterEntry, CounterReceipt, NewTicket, TicketCreated
from ...schemas.events import AttachmentRef
from ...workflow.stamp import Stamp
from . import decisions, requirements
# The refusals and signals of a submission, where the channels have always imported them.
from .decisions import (  # noqa: F401
    DuplicateMail, IdempotencyMismatch, QueueNumberTaken, UnknownTenant, UnknownUpload, sha256)

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


@dataclass(frozen=True)
class Submission:
    created: TicketCreated
    replayed: bool  # True when an Idempotency-Key returned an earlier ticket


class IntakeService:
    def __init__(self, ctx: ServiceContext):
        self.store = ctx.store
        self.now = ctx.now
        self.settings, self.broker, self.signer = ctx.settings, ctx.broker, ctx.signer
        self.standards = ctx.standards

    def standard(self, tenant: str):
        standard = self.standards.get(tenant)
        if standard is None:
            known = ", ".join(sorted(self.standards)) or "-"
            raise UnknownTenant(f"unit `{tenant}` tidak dikenal (unit yang ada: {known})")
        return standard

    def _clash(self, tenant: str, uploaded: list[AttachmentRef], visit_row: Write | None,
               message_id: str | None, idempotency_key: str | None) -> decisions.Clash:
        """What storing a new ticket ran into, for `decisions.after_clash` to name."""
        p = self.store.prefix
        taken = any(self.store.query(f"SELECT 1 FROM {p}_upload_uses WHERE id = ?", (r.id,))
                    for r in uploaded)
        visit_taken = visit_row is not None and bool(self.store.query(
            f"SELECT 1 FROM {p}_guest_book WHERE tenant = ? AND day = ? AND seq = ?",
            (tenant, *visit_row.params[1:3])))
        return decisions.Clash(
            uploads_taken=taken, visit_taken=visit_taken,
            mail_number=self.mail_seen(message_id) if message_id else None,
            earlier=self._earlier(tenant, idempotency_key) if idempotency_key else None)

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
                raise decisions.UnknownUpload(upload_id)
            refs.append(msgspec.json.decode(rows[0][0], type=AttachmentRef))
        return refs

    def log_counter(self, entry: CounterEntry, channel: str, staff: str) -> CounterReceipt:
        """A phone call or walk-in visit recorded by staff; a visitor gets the day's queue
        number of the unit, claimed in the ticket's transaction (no gaps, no repeats)."""
        ticket = NewTicket(tenant=entry.tenant, channel=channel, reporter=entry.visitor,
                           subject=entry.subject, description=entry.description,
                           kind=entry.kind, documents=entry.documents, fields=entry.fields)
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
        return decisions.queue_number(seq), row

    def guest_book(self, tenant: str, day: str = "", after: str | None = None,
                   limit: int = paging.DEFAULT_LIMIT) -> tuple[str, list[dict], str | None]:
        """A page of the unit's walk-in visits of one day (its own calendar day; default
        today), in queue order, each with the ticket it became; and the next page's cursor."""
        day = day or self.now().astimezone(self.standard(tenant).zone).date().isoformat()
        p = self.store.prefix
        condition, params, order = paging.keyset(("g.seq",), after)
        rows = self.store.query(
            f"SELECT g.seq, n.number, g.name, g.organization, g.purpose, g.logged_by"
            f" FROM {p}_guest_book g LEFT JOIN {p}_ticket_numbers n ON n.ticket_id = g.ticket_id"
            f" WHERE g.tenant = ? AND g.day = ? AND {condition} ORDER BY {order} LIMIT ?",
            (tenant, day, *params, paging.check_limit(limit) + 1))
        found = paging.page_from_rows(rows, lambda row: (row[0],), limit)
        visits = [{"queue_number": decisions.queue_number(seq), "number": number or "",
                   "name": name, "organization": organization, "purpose": purpose,
                   "logged_by": logged_by}
                  for seq, number, name, organization, purpose, logged_by in found.items]
        return day, visits, found.next

    def submit(self, ticket: NewTicket, idempotency_key: str | None = None,
               attachments: list[AttachmentRef] = (), message_id: str | None = None,
               logged_by: str = "", visit=None) -> Submission:
        """A channel's submission as a new ticket (or the one its Idempotency-Key made). The
        next number of the unit and year is claimed by a row inserted with the event; a clash
        on it means another submission took it: the next is tried."""
        standard = self.standard(ticket.tenant)
        uploaded = self._uploads(ticket.tenant, ticket.attachments)
        ticket = decisions.with_screenshot(ticket, uploaded)
        attachments = [*attachments, *uploaded]
        requirements.check(standard, ticket, None if logged_by else sum(
            a.content_type.startswith("image/") for a in attachments))
        decisions.check_fields(standard, ticket)
        request_hash = decisions.request_hash(ticket)
        if idempotency_key:
            earlier = decisions.replay(self._earlier(ticket.tenant, idempotency_key), request_hash)
            if earlier:
                return Submission(earlier, replayed=True)
        ticket_id = uuid.uuid4()
        token = self.signer.reporter_token(ticket_id)
        year = self.now().year
        visit_row = visit[1](ticket_id) if visit else None
        for _ in range(200):
            seq = self._next_seq(ticket.tenant, year)
            number = decisions.ticket_number(standard.number_prefix, year, seq)
            event = decisions.received(ticket, ticket_id, number, token, attachments, logged_by,
                                       visit[0] if visit else "", Stamp.new(self.now()))
            if ticket.channel == "email" and (message_id or "").startswith("<"):
                # the thread root of the ticket's mails (notify/threads.py)
                event = msgspec.structs.replace(event, message_id=message_id[:200])
            claims = self._claims(event, year, seq, uploaded, visit_row, message_id,
                                  idempotency_key, request_hash, token)
            try:
                self.store.record([Stored(event, ticket_id, 1)], writes=claims)
            except IntegrityError:
                earlier = decisions.after_clash(self._clash(
                    ticket.tenant, uploaded, visit_row, message_id, idempotency_key), request_hash)
                if earlier:  # a concurrent retry with the same key won
                    return Submission(earlier, replayed=True)
                continue  # someone took this number: try the next one
            return Submission(TicketCreated(id=ticket_id, number=number, access_token=token), False)
        raise RuntimeError("nomor tiket tidak bisa dialokasikan setelah 200 percobaan")

    def _claims(self, event, year: int, seq: int, uploaded: list[AttachmentRef],
                visit_row: Write | None,
                message_id: str | None, idempotency_key: str | None, request_hash: str,
                token: str) -> list[Write]:
        """The rows stored with a new ticket, each unique: its number, its Message-ID, its
        queue number, its uploads, its Idempotency-Key."""
        p, tenant, ticket_text = self.store.prefix, event.tenant, str(event.ticket_id)
        writes = [Write(f"INSERT INTO {p}_ticket_numbers VALUES (?, ?, ?, ?, ?)",
                        (tenant, year, seq, ticket_text, event.number)),
                  *self._seen(message_id, event.number), *([visit_row] if visit_row else []),
                  *(Write(f"INSERT INTO {p}_upload_uses VALUES (?, ?)", (a.id, ticket_text))
                    for a in uploaded)]
        if idempotency_key:
            writes.append(Write(f"INSERT INTO {p}_idempotency VALUES (?, ?, ?, ?, ?, ?)",
                                (tenant, idempotency_key, request_hash, ticket_text,
                                 event.number, token)))
        return writes

    def _own_history(self, number: str):
        rows = self.store.query(
            f"SELECT ticket_id FROM {self.store.prefix}_ticket_numbers WHERE number = ?", (number,))
        return self.store.history(uuid.UUID(rows[0][0])) if rows else []

    def reporter_follow_up(self, number: str, token: str, body) -> TicketEvent:
        """A reply (`Message`) or feedback (`Feedback`) from the reporter holding the token."""
        own = self._own_history(number)
        event = decisions.follow_up(number, own[0].event if own else None, token, body,
                                    Stamp.new(self.now()))
        self.store.record([Stored(event, event.ticket_id, own[-1].originator_version + 1)])
        return event

    def _next_seq(self, tenant: str, year: int) -> int:
        rows = self.store.query(
            f"SELECT MAX(seq) FROM {self.store.prefix}_ticket_numbers WHERE tenant = ? AND year = ?",
            (tenant, year),
        )
        return int(rows[0][0] or 0) + 1

    def _earlier(self, tenant: str, key: str) -> decisions.Earlier | None:
        rows = self.store.query(
            f"SELECT request_sha256, ticket_id, number, access_token FROM {self.store.prefix}"
            "_idempotency WHERE tenant = ? AND idem_key = ?",
            (tenant, key),
        )
        if not rows:
            return None
        stored_hash, ticket_id, number, token = rows[0]
        return decisions.Earlier(stored_hash, TicketCreated(id=uuid.UUID(ticket_id),
                                                            number=number, access_token=token))
