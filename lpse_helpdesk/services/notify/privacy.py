"""notify's plaintext copies of an erased ticket's personal data: the mails about it (their
addresses, subjects and bodies, sent or waiting), the per-address counts and bounce or stop
records of the reporter's address, its mail thread, and its dead letters. Deleted when the
erasure event arrives; and an erased ticket gets no more mail (its reporter has no address
left, and the text would be placeholders)."""

from __future__ import annotations

from ...platform import privacy_wipe
from ...platform.store import ServiceStore, Write
from ...schemas import AnyTicketEvent
from ...schemas.privacy_events import PersonalDataErased
from .decisions import REPORTER_TEMPLATES
from .limits import bounce_key, budget_key


def erased(events: list[AnyTicketEvent]) -> bool:
    return any(isinstance(e, PersonalDataErased) for e in events)


def scrub(store: ServiceStore, event: AnyTicketEvent) -> list[Write]:
    if not isinstance(event, PersonalDataErased):
        return []
    p, ticket = store.prefix, str(event.ticket_id)
    templates = sorted(REPORTER_TEMPLATES)
    rows = store.query(
        f"SELECT DISTINCT recipient FROM {p}_mails WHERE ticket_id = ?"
        f" AND template IN ({', '.join('?' * len(templates))})", (ticket, *templates))
    addresses = [row[0] for row in rows if row[0]]
    writes = [Write(f"DELETE FROM {p}_mails WHERE ticket_id = ?", (ticket,)),
              Write(f"DELETE FROM {p}_mail_threads WHERE ticket_id = ?", (ticket,)),
              privacy_wipe.dead_letters(store, event.ticket_id)]
    for address in addresses:
        writes.append(Write(f"DELETE FROM {p}_mail_sends WHERE key = ?", (budget_key(address),)))
        writes.append(Write(f"DELETE FROM {p}_mail_bounced WHERE address = ?",
                            (bounce_key(address),)))
    privacy_wipe.wipe_soon(store)
    return writes
