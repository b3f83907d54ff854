"""Intake's decisions, as pure functions: what a submission's `ticket.received` event is, what
its number is, which refusal a clash on storing it means, and a reporter's follow-up. No store
and no channel here: application.py reads and writes, the channels (http.py, smtp.py) answer.
Which documents a unit's standard requires is `requirements.check`."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from typing import NamedTuple

import msgspec

from ... import refusals
from ...schemas.api import Feedback, NewTicket, TicketCreated
from ...schemas.events import AttachmentRef, ReporterFeedback, ReporterReplied, TicketReceived
from ...workflow.rules import TicketNotFound
from ...workflow.stamp import Stamp


class UnknownTenant(refusals.Invalid, LookupError):
    def __init__(self, message: str):
        super().__init__(f"Kolom `tenant`: {message}", field="tenant")
        self.args = (message,)  # str(): the plain reason, as the mail answer says it


class UnknownUpload(refusals.Invalid, LookupError):
    """An attachment id that was not uploaded for this unit, or is already used."""

    def __init__(self, upload_id: str):
        super().__init__(f"Lampiran `{upload_id}` tidak ada untuk unit ini atau sudah dipakai; "
                         "unggah dulu lewat POST /api/v1/attachments", field="attachments")
        self.args = (upload_id,)


class IdempotencyMismatch(refusals.KeyReused, ValueError):
    def __init__(self):
        super().__init__("Idempotency-Key ini sudah dipakai untuk tiket dengan isi berbeda / "
                         "this Idempotency-Key was used for a different request",
                         field="Idempotency-Key")


class FieldsInvalid(refusals.Invalid, ValueError):
    """The unit's own fields break its standard: every problem, each naming `fields.<name>`."""

    def __init__(self, unit: str, problems: list[tuple[str, str]]):
        items = "; ".join(f"`{path}` {message}" for path, message in problems)
        super().__init__(f"Kolom tambahan {unit} belum benar: {items}",
                         field=problems[0][0], missing=[path for path, _ in problems])
        self.problems = problems


class QueueNumberTaken(Exception):
    """Another visitor took this queue number first: take the next one."""


class DuplicateMail(Exception):
    """This Message-ID was already handled; the argument is the ticket number it went to."""


def sha256(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def ticket_number(prefix: str, year: int, seq: int) -> str:
    """Per unit and year, six digits: `BTM-2026-000123`."""
    return f"{prefix}-{year}-{seq:06d}"


def queue_number(seq: int) -> str:
    """A walk-in visitor's queue number of the day: `A-007`."""
    return f"A-{seq:03d}"


def with_screenshot(ticket: NewTicket, uploaded: list[AttachmentRef]) -> NewTicket:
    """An uploaded image is the screenshot a unit's standard may require, unless one is named."""
    if not any(a.content_type.startswith("image/") for a in uploaded) or (
            "screenshot" in ticket.documents):
        return ticket
    return msgspec.structs.replace(ticket, documents={
        **ticket.documents, "screenshot": ", ".join(a.filename for a in uploaded)})


def field_problems(standard, channel: str, given: dict[str, str]) -> list[tuple[str, str]]:
    """(`fields.<name>`, what is wrong) for every value that breaks the unit's declared fields,
    in the standard's order, then names it does not declare; empty when all is well."""
    problems = []
    for field in standard.fields:
        path, value = f"fields.{field.name}", given.get(field.name, "").strip()
        if not value:
            if channel in field.required:
                problems.append((path, f"({field.label}) wajib diisi"))
        elif field.type == "number" and not re.fullmatch(r"-?[0-9]+([.,][0-9]+)?", value):
            problems.append((path, f"({field.label}) harus berupa angka"))
        elif field.type == "choice" and value not in field.choices:
            problems.append((path, f"({field.label}) harus salah satu dari: "
                             f"{', '.join(field.choices)}"))
        elif field.type == "pattern" and not re.fullmatch(field.pattern, value):
            problems.append((path, f"({field.label}) tidak sesuai format"
                             f"{': ' + field.hint if field.hint else ''}"))
    declared = {field.name for field in standard.fields}
    problems += [(f"fields.{name}", "tidak dikenal di standar unit ini")
                 for name in given if name not in declared]
    return problems


def check_fields(standard, ticket: NewTicket) -> None:
    """Refuse a ticket whose own fields break the unit's standard, naming every problem."""
    problems = field_problems(standard, ticket.channel, ticket.fields)
    if problems:
        raise FieldsInvalid(standard.name, problems)


def request_hash(ticket: NewTicket) -> str:
    """What an Idempotency-Key is bound to: the whole request, as decided (documents included)."""
    return sha256(msgspec.json.encode(ticket))


def received(ticket: NewTicket, ticket_id: uuid.UUID, number: str, token: str,
             attachments: list[AttachmentRef], logged_by: str, queue: str,
             stamp: Stamp) -> TicketReceived:
    """The ticket as received: the reporter's access token is kept only as its hash."""
    return TicketReceived(
        **stamp.envelope(ticket_id, ticket.tenant),
        number=number, channel=ticket.channel, reporter=ticket.reporter,
        subject=ticket.subject, description=ticket.description,
        access_token_sha256=sha256(token), kind=ticket.kind, documents=ticket.documents,
        attachments=list(attachments), logged_by=logged_by, queue_number=queue,
        fields={name: value.strip() for name, value in ticket.fields.items() if value.strip()},
    )


class Earlier(NamedTuple):
    """What an Idempotency-Key already stands for."""

    request_sha256: str
    created: TicketCreated


def replay(earlier: Earlier | None, request_sha256: str) -> TicketCreated | None:
    """The ticket an Idempotency-Key already made, for the same request; a different request
    with the key is refused."""
    if earlier is None:
        return None
    if earlier.request_sha256 != request_sha256:
        raise IdempotencyMismatch()
    return earlier.created


class Clash(NamedTuple):
    """What was found after storing a new ticket failed on a unique key."""

    uploads_taken: bool  # an attachment was used by another ticket meanwhile
    visit_taken: bool  # the walk-in queue number was taken by another visitor
    mail_number: str | None  # the ticket this Message-ID already went to
    earlier: Earlier | None  # what the Idempotency-Key stands for now


def after_clash(clash: Clash, request_sha256: str) -> TicketCreated | None:
    """Which refusal the clash means, checked in this order; or the earlier ticket a concurrent
    retry with the same key made (replayed); None when only the number was taken (try the
    next)."""
    if clash.uploads_taken:
        raise UnknownUpload("sudah dipakai tiket lain")
    if clash.visit_taken:
        raise QueueNumberTaken
    if clash.mail_number:
        raise DuplicateMail(clash.mail_number)
    return replay(clash.earlier, request_sha256)


def follow_up(number: str, received_event: object, token: str, body,
              stamp: Stamp) -> ReporterFeedback | ReporterReplied:
    """A reply (`Message`) or feedback (`Feedback`) from the reporter holding the ticket's token;
    a wrong token is answered as an unknown number, so numbers cannot be probed."""
    if not isinstance(received_event, TicketReceived) or not hmac.compare_digest(
            received_event.access_token_sha256, sha256(token)):
        raise TicketNotFound(number)
    envelope = stamp.envelope(received_event.ticket_id, received_event.tenant)
    if isinstance(body, Feedback):
        return ReporterFeedback(**envelope, solved=body.solved, message=body.message)
    return ReporterReplied(**envelope, message=body.message, channel="web")
