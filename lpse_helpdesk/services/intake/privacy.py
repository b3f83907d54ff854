"""intake's plaintext copies of an erased ticket's personal data, scrubbed when the erasure
event arrives (its only consumer): the guest-book row of a walk-in (name, organisation,
purpose), the uploads the ticket used (their names), its idempotency record, the mails held
for staff that name it, and its dead letters."""

from __future__ import annotations

from ...platform import privacy_wipe
from ...platform.consumer import Decision
from ...platform.store import ServiceStore, Write
from ...schemas import AnyTicketEvent
from ...schemas.privacy_events import ERASED, PersonalDataErased

WATCHED = (PersonalDataErased,)


def scrubber(store: ServiceStore):
    """The handler of intake's consumer of erasure events."""

    def on_erased(event: AnyTicketEvent, stream_seq: int) -> Decision:
        if not isinstance(event, PersonalDataErased):
            return Decision()
        return Decision(writes=scrub(store, event))

    return on_erased


def scrub(store: ServiceStore, event: PersonalDataErased) -> list[Write]:
    p, ticket = store.prefix, str(event.ticket_id)
    numbers = [row[0] for row in store.query(
        f"SELECT number FROM {p}_ticket_numbers WHERE ticket_id = ?", (ticket,))]
    writes = [
        Write(f"UPDATE {p}_guest_book SET name = ?, organization = ?, purpose = ?"
              " WHERE ticket_id = ?", (ERASED, ERASED, ERASED, ticket)),
        Write(f"DELETE FROM {p}_uploads WHERE id IN"
              f" (SELECT id FROM {p}_upload_uses WHERE ticket_id = ?)", (ticket,)),
        Write(f"DELETE FROM {p}_idempotency WHERE ticket_id = ?", (ticket,)),
        privacy_wipe.dead_letters(store, event.ticket_id),
    ]
    writes += [Write(f"DELETE FROM {p}_held_mail WHERE number = ?", (n,)) for n in numbers]
    privacy_wipe.wipe_soon(store)
    return writes
