"""faq_publisher's part of an erasure: a draft made from the erased ticket and not reviewed
yet loses its text (the reviewer sees "[data dihapus]" and rejects it), and an erased ticket
closed again makes no draft. Published entries stay: a reviewer read them, and the drafting
scrubber had taken the reporter's identity out (docs/privacy.md)."""

from __future__ import annotations

import uuid

from ...platform import privacy_wipe
from ...platform.store import ServiceStore, Write
from ...schemas import AnyTicketEvent
from ...schemas.privacy_events import ERASED, PersonalDataErased


def erased(events: list[AnyTicketEvent]) -> bool:
    return any(isinstance(e, PersonalDataErased) for e in events)


def scrub(store: ServiceStore, event: AnyTicketEvent) -> list[Write]:
    if not isinstance(event, PersonalDataErased):
        return []
    p, writes = store.prefix, [privacy_wipe.dead_letters(store, event.ticket_id)]
    for (entry_id,) in store.query(f"SELECT entry_id FROM {p}_entries WHERE tenant = ?"
                                   " AND status = 'draft'", (event.tenant,)):
        own = store.history(uuid.UUID(entry_id))
        if own and getattr(own[0].event, "source_ticket_id", None) == event.ticket_id:
            writes.append(Write(f"UPDATE {p}_entries SET question = ?, answer = ?, terms = ''"
                                " WHERE entry_id = ? AND status = 'draft'",
                                (ERASED, ERASED, entry_id)))
    privacy_wipe.wipe_soon(store)
    return writes
