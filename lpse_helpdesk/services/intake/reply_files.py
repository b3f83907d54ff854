"""A reporter's reply with files: the uploads (`POST /api/v1/attachments`, the same types,
sizes, sniffing and quota as a new ticket's) named by id, each used once, as
`ReporterReplied.attachments`. Staff see and download them on the ticket as any attachment."""

from __future__ import annotations

from typing import Annotated

import msgspec

from ...platform.store import Stored, Write
from ...schemas.api import NonEmptyLong
from ...workflow.stamp import Stamp
from . import decisions

UploadId = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$")]


class ReporterReply(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`POST /api/v1/tickets/{number}/replies`: the reporter's message and their files."""

    message: NonEmptyLong
    # Ids from `POST /api/v1/attachments` for the ticket's unit, each used once.
    attachments: Annotated[list[UploadId], msgspec.Meta(max_length=10)] = []


def reply(service, number: str, token: str, body: ReporterReply):
    """Record the reply, its files marked used in the same transaction."""
    own = service._own_history(number)
    event = decisions.follow_up(number, own[0].event if own else None, token, body,
                                Stamp.new(service.now()))
    refs = service._uploads(event.tenant, list(dict.fromkeys(body.attachments)))
    event = msgspec.structs.replace(event, attachments=refs)
    p = service.store.prefix
    service.store.record(
        [Stored(event, event.ticket_id, own[-1].originator_version + 1)],
        writes=[Write(f"INSERT INTO {p}_upload_uses VALUES (?, ?)", (r.id, str(event.ticket_id)))
                for r in refs])
    return event
